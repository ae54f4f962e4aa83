"""The slow half of the attacker's suite (docs/security-testing.md): sqlmap against every form
the site shows, and pip-audit on the dependencies. Not part of `make test`; run it before a
release and copy its summary into docs/security-testing.md.

    .venv/bin/python scripts/security_scan.py [--forms N] [--only REGEX] [--logs DIR]
                                              [--audit-all] [--skip-sqlmap] [--json FILE]

It builds a throw-away data directory (migrate, the demo case, one member per role with a
known password and TOTP secret), serves it with Django on a loopback port, signs in as the
admin (who may use every newsroom form), as a source (the conversation) and stays anonymous
for the public and tip-line forms, crawls the pages and runs sqlmap (Debian's `sqlmap`) once
per distinct form with that principal's cookie. It prints one line per form and a JSON
summary (--json FILE writes it too).

pip-audit asks PyPI about the project's direct runtime dependencies at their installed
versions (a dozen look-ups); --audit-all audits the whole virtual environment instead. A
package the vulnerability service does not answer for is listed as skipped, never as clean.

Exit status: 1 if sqlmap found an injection or pip-audit a known vulnerability, 2 if the audit
could not give a verdict (no answer from the service), else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pyotp
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "security scan passphrase 7"  # noqa: S105 (throw-away members, temporary data)
ROLES = ["admin", "editor", "journalist", "moderator"]
# Forms that would end the crawl's own session or lock the scan's members out.
SKIP = re.compile(r"sign-out|/logout|/members/\d+/|/passkeys/|/conversation/delete/")
DESTRUCTIVE = re.compile(r"retract|delete|remove|cancel|/bulk/")


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/en/"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}}
            )
        elif self.forms and tag in ("input", "textarea", "select") and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "file":
                return
            if kind in ("checkbox", "radio") and a["name"] in self.forms[-1]["fields"]:
                return
            value = a.get("value") or ("1" if kind in ("number", "checkbox") else "x")
            self.forms[-1]["fields"].setdefault(a["name"], value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data_dir: Path) -> dict[str, str]:
    """Migrate, load the demo, make members; their TOTP secrets by role."""
    code = f"""
import json
from django.core.management import call_command
from jiandu.accounts import actions
from jiandu.cases.demo import SLUG, load_demo_case
from jiandu.public.actions import do_post_comment
call_command("migrate", verbosity=0)
load_demo_case()
do_post_comment(SLUG, "a comment waiting for moderation")  # so the queue shows its form
secrets = {{}}
for role in {ROLES!r}:
    member = actions.do_create_member("scan-" + role, role, password={PASSWORD!r})
    user = member.user
    secrets[role] = actions.do_start_totp_enrolment(user)
    user.totp_confirmed = True
    user.save(update_fields=["totp_confirmed"])
print(json.dumps(secrets))
"""
    env = _env(data_dir)
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "JIANDU_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "jiandu.settings",
        "JIANDU_SECURE_COOKIES": "false",  # plain HTTP on loopback, like the test client
        "JIANDU_LOGIN_CLIENT_LIMIT": "1000000",  # sqlmap tries the login form many times
        "JIANDU_LOGIN_MAX_FAILURES": "1000000",
    }


def _token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


def sign_in(base: str, role: str, secret: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/en/newsroom/")
    session.post(
        base + "/en/newsroom/",
        {
            "csrfmiddlewaretoken": _token(page.text),
            "username": f"scan-{role}",
            "password": PASSWORD,
        },
    )
    verify = session.get(base + "/en/newsroom/verify/")
    answer = session.post(
        base + "/en/newsroom/verify/",
        {"csrfmiddlewaretoken": _token(verify.text), "code": pyotp.TOTP(secret).now()},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {role}: {answer.status_code}")
    session.get(base + "/en/newsroom/sources/key/")  # the first-visit recovery key page
    return session


def source_session(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/en/submit/")
    session.post(
        base + "/en/submit/",
        {"csrfmiddlewaretoken": _token(page.text), "message": "scan", "style": "en"},
        files={"files": ("note.txt", b"a file, so the workbench and studio show forms\n")},
    )
    receipt = session.get(base + "/en/receipt/")
    session.post(
        base + "/en/codename/noted/", {"csrfmiddlewaretoken": _token(receipt.text), "noted": "1"}
    )
    return session


def crawl(base: str, session: requests.Session, seeds: list[str], limit: int) -> list[dict]:
    seen: set[str] = set()
    kinds: set[str] = set()
    forms: list[dict] = []
    queue = list(seeds)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        kind = re.sub(r"\d+", "N", path)
        if (
            path in seen
            or kind in kinds
            or re.search(r"export|\.csv|\.json|/sources/\d+/items/\d+/$", path)
        ):
            continue
        seen.add(path)
        kinds.add(kind)
        response = session.get(base + url, allow_redirects=False)
        if response.status_code != 200 or "html" not in response.headers.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.text)
        queue += page.links
        for form in page.forms:
            action = urljoin(path, form["action"] or path)
            if SKIP.search(action):
                continue
            forms.append({**form, "action": action, "page": path})
    return forms


def run_sqlmap(base: str, form: dict, cookie: str, out: Path, log_dir: Path | None) -> dict:
    fields = dict(form["fields"])
    testable = [name for name in fields if name != "csrfmiddlewaretoken"]
    if not testable:
        return {"result": "no parameters"}
    args = [
        "sqlmap",
        "--batch",
        "--disable-coloring",
        "--dbms=SQLite",
        "--level=1",
        "--risk=1",
        "--technique=BEU",
        "--timeout=20",
        "--retries=1",
        "--threads=2",
        f"--output-dir={out}",
        f"--cookie={cookie}",
        "--skip=csrfmiddlewaretoken",
        "-p",
        ",".join(testable),
    ]
    if form["method"].lower() == "post":
        args += ["-u", base + form["action"], f"--data={urlencode(fields)}"]
    else:
        args += ["-u", base + form["action"] + "?" + urlencode(fields)]
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    text = done.stdout
    if "identified the following injection point" in text:
        result = "INJECTABLE"
    elif "do not appear to be injectable" in text:
        # sqlmap may report a heuristic hit first ("appears to be ... injectable") and then
        # reject it on its own confirmation ("false positive or unexploitable"): not a finding.
        result = "not injectable"
        if re.search(r"appears to be .* injectable", text):
            result += " (a heuristic hit that sqlmap rejected as a false positive)"
    else:
        tail = [line for line in text.splitlines() if "[CRITICAL]" in line or "[ERROR]" in line]
        result = "inconclusive: " + (tail[-1] if tail else f"exit {done.returncode}")
    if log_dir is not None:
        name = re.sub(r"[^a-z0-9]+", "-", form["action"].lower()).strip("-") or "root"
        (log_dir / f"{name}.txt").write_text(text)
    return {"result": result, "seconds": round(time.monotonic() - started), "params": testable}


def scan_forms(max_forms: int, only: str, log_dir: Path | None) -> list[dict]:
    data_dir = Path(tempfile.mkdtemp(prefix="jiandu-scan-"))
    secrets = prepare(data_dir)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: list[dict] = []
    try:
        for _ in range(100):
            try:
                requests.get(base + "/en/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        sessions = {role: sign_in(base, role, secrets[role]) for role in ROLES}
        principals = {
            "anonymous": requests.Session(),
            "source": source_session(base),
            "editor": sessions["editor"],
            "admin": sessions["admin"],
        }
        seeds = ["/en/", "/en/submit/", "/en/return/", "/en/cases/", "/en/log/verify/"]
        seeds += ["/en/newsroom/home/", "/en/newsroom/sources/", "/en/newsroom/cases/"]
        seeds += ["/en/newsroom/comments/", "/en/conversation/", "/en/newsroom/"]
        seeds += ["/en/newsroom/redaction/", "/en/newsroom/sources/1/"]
        done: set[tuple] = set()
        out = data_dir / "sqlmap"
        queue: list[tuple[str, requests.Session, dict]] = []
        for principal, session in principals.items():
            for form in crawl(base, session, seeds, 80):
                key = (re.sub(r"\d+", "N", form["action"]), tuple(sorted(form["fields"])))
                if key in done or len(done) >= max_forms or not re.search(only, form["action"]):
                    continue
                done.add(key)
                queue.append((principal, session, form))
        # sqlmap submits each form many times with valid values too: a retraction or a deletion
        # would change what later forms see (a retracted case takes no comments), so last.
        queue.sort(key=lambda entry: bool(DESTRUCTIVE.search(entry[2]["action"])))
        for principal, session, form in queue:
            cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
            verdict = run_sqlmap(base, form, cookie, out, log_dir)
            row = {"principal": principal, "method": form["method"].upper(), **form}
            row.update(verdict)
            row.pop("fields")
            results.append(row)
            print(
                f"{principal:9} {row['method']:4} {form['action']:55} {verdict['result']}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)
    return results


def audit(all_packages: bool) -> dict:
    """pip-audit: the direct runtime dependencies at their installed versions, or everything."""
    pip_audit = str(Path(PYTHON).with_name("pip-audit"))
    if all_packages:
        args = [pip_audit, "--format=json", "--progress-spinner=off"]
    else:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        pins = []
        for requirement in project["dependencies"]:
            name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0]
            pins.append(f"{name}=={metadata.version(name)}")
        requirements = Path(tempfile.mkstemp(suffix=".txt")[1])
        requirements.write_text("\n".join(pins) + "\n")
        args = [
            pip_audit,
            "--format=json",
            "--progress-spinner=off",
            "--no-deps",
            "--disable-pip",
            "-r",
            str(requirements),
        ]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": (done.stderr or done.stdout).strip()[-500:]}
    dependencies = report.get("dependencies", [])
    found = [
        {
            "name": dep["name"],
            "version": dep["version"],
            "id": vuln["id"],
            "fix": vuln["fix_versions"],
        }
        for dep in dependencies
        for vuln in dep.get("vulns", [])
    ]
    # A package PyPI's JSON API did not answer for is not audited: no verdict, not "clean".
    skipped = [
        f"{dep['name']}: {dep['skip_reason']}" for dep in dependencies if "skip_reason" in dep
    ]
    return {
        "packages": len(dependencies),
        "audited": len(dependencies) - len(skipped),
        "vulnerabilities": found,
        "skipped": skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", type=int, default=60, help="at most this many forms")
    parser.add_argument("--skip-sqlmap", action="store_true")
    parser.add_argument("--only", default="", help="only forms whose action matches this regex")
    parser.add_argument("--logs", type=Path, help="keep each sqlmap run's output here")
    parser.add_argument("--audit-all", action="store_true", help="the whole environment")
    parser.add_argument("--json", type=Path, help="write the summary here too")
    options = parser.parse_args()
    summary: dict[str, object] = {"pip_audit": audit(options.audit_all)}
    print("pip-audit:", json.dumps(summary["pip_audit"]), flush=True)
    if not options.skip_sqlmap:
        if shutil.which("sqlmap") is None:
            raise SystemExit("sqlmap is not installed (Debian: apt-get install sqlmap)")
        if options.logs:
            options.logs.mkdir(parents=True, exist_ok=True)
        summary["sqlmap"] = scan_forms(options.forms, options.only, options.logs)
    if options.json:
        options.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    injectable = [r for r in summary.get("sqlmap", []) if r["result"] == "INJECTABLE"]
    audit_report = summary["pip_audit"]
    vulnerable = audit_report.get("vulnerabilities") or []
    inconclusive = "error" in audit_report or bool(audit_report.get("skipped"))
    sys.exit(1 if injectable or vulnerable else 2 if inconclusive else 0)


if __name__ == "__main__":
    main()
