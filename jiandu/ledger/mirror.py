"""The signed static mirror: the whole public site as files that open from disk or any static
host, and a manifest of every file's SHA-256 signed with the newsroom's log key.

What is in it is discovered the way a reader would: through the public site itself (the JSON
API lists the cases, each case's JSON its revisions, people and evidence), rendered in-process
through Django's full request stack, in every language. So the mirror holds exactly what the
public can read, and the ledger room needs no import of the cases or public rooms.

Links: every same-site link in a page is rewritten to a relative path (directories become
`.../index.html`, so they open from disk); links to what a static copy cannot serve (search,
comments, the verify page, the tip line) point to the live site, JIANDU_PUBLIC_BASE_URL.

Incremental: `.jiandu-mirror-state.json` in the mirror remembers each case's revision and
people; a later export re-renders only the cases whose revision changed, their people, and
the pages that list everything (homes, feeds, sitemap, exports, the log), and writes only the
files whose bytes changed. Comments approved since are picked up by the next `--full` export.

Manifest (`mirror-manifest.txt`): a signed note (C2SP signed-note, the log key, type 0x01):

    jiandu-mirror/v1
    origin <JIANDU_LOG_ORIGIN>
    generated <UTC time>
    files <count>
    <sha256 hex> <path>            (one line per file, sorted by path)
"""

import hashlib
import json
import os
import posixpath
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client

from jiandu.ledger import keys, logread, note

MANIFEST = "mirror-manifest.txt"
STATE = ".jiandu-mirror-state.json"
HEADER = "jiandu-mirror/v1"
MAX_MANIFEST = 256 * 1024 * 1024
LINK = re.compile(r'(?P<attr>\b(?:href|src|action))="(?P<url>[^"]*)"')
# Language-independent resources: one file, whatever prefix the link had.
SHARED = ("cases/api/", "cases/export/", "cases/evidence/", "cases/sitemap.xml", "static/")


class MirrorError(RuntimeError):
    """The site could not be rendered into a mirror (a page failed to render)."""


def language_prefixes() -> list[str]:
    """'' for the default language (no prefix), then '/zh-hant', '/en', ..."""
    default = settings.LANGUAGE_CODE
    return [""] + [f"/{code}" for code, _name in settings.LANGUAGES if code != default]


def file_for(path: str) -> str:
    """The mirror file of a site path: '/en/cases/x/' -> 'en/cases/x/index.html'."""
    relative = path.lstrip("/")
    for prefix in language_prefixes()[1:]:
        rest = relative.removeprefix(prefix.lstrip("/") + "/")
        if rest != relative and rest.startswith(SHARED):
            relative = rest
    if relative.endswith("/feed/"):
        return relative + "index.xml"  # an Atom feed: served as XML by any static host
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return relative


def _safe(relative: str) -> bool:
    parts = relative.split("/")
    return bool(relative) and ".." not in parts and "" not in parts and relative[0] != "."


@dataclass
class Renderer:
    """Renders site paths in-process (the full middleware stack, no network, no cookies)."""

    client: Client = field(default_factory=lambda: Client(HTTP_HOST=_host()))
    secure: bool = field(
        default_factory=lambda: settings.JIANDU_PUBLIC_BASE_URL.startswith("https:")
    )

    def get(self, path: str) -> bytes:
        response = self.client.get(path, secure=self.secure)
        if response.status_code != 200:
            raise MirrorError(f"{path} answered {response.status_code}")
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content


def _host() -> str:
    host = urllib.parse.urlsplit(settings.JIANDU_PUBLIC_BASE_URL).hostname or ""
    allowed = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
    if host in settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS or not allowed:
        return host or "localhost"
    return allowed[0]


@dataclass
class Site:
    """What the public site holds now, read from its own JSON API."""

    cases: dict[str, dict]  # slug -> {"revision": n, "revisions": [n...], "people": [...]}
    evidence: set[str]

    @property
    def people(self) -> set[str]:
        return {p for c in self.cases.values() for p in c["people"]}


def read_site(
    render: Renderer,
    only: Iterable[str] | None = None,
    known: dict | None = None,
    listing: dict | None = None,
) -> Site:
    """The cases (all, or re-read only those in `only`; others taken from `known`), from the
    API's case list (`listing`, fetched here if not given)."""
    listing = listing or json.loads(render.get("/cases/api/cases.json"))
    cases, evidence = {}, set()
    wanted = None if only is None else set(only)
    for summary in listing["cases"]:
        slug = summary["slug"]
        if wanted is not None and slug not in wanted and known and slug in known:
            cases[slug] = known[slug]
            evidence.update(known[slug]["evidence"])
            continue
        detail = json.loads(render.get(summary["api_url"]))
        names = set()
        for revision in detail["revisions"]:
            snapshot = detail["case"] if revision["number"] == detail["revision"] else None
            if snapshot is not None:
                names.update(e["name"] for e in snapshot.get("evidence", []))
        cases[slug] = {
            "revision": summary["revision"],
            "revisions": [r["number"] for r in detail["revisions"]],
            "people": sorted(p["slug"] for p in detail["case"].get("people", [])),
            "evidence": sorted(names),
        }
        evidence.update(names)
    return Site(cases, evidence)


def case_paths(slug: str, revisions: list[int]) -> list[str]:
    paths = [f"/cases/api/cases/{slug}.json"]
    for prefix in language_prefixes():
        paths += [f"{prefix}/cases/{slug}/", f"{prefix}/cases/{slug}/feed/"]
        paths += [f"{prefix}/cases/{slug}/qr.svg"]
        paths += [f"{prefix}/cases/{slug}/revisions/{n}/" for n in revisions]
    return paths


def person_paths(slug: str) -> list[str]:
    paths = [f"/cases/api/people/{slug}.json"]
    for prefix in language_prefixes():
        paths += [f"{prefix}/cases/people/{slug}/", f"{prefix}/cases/people/{slug}/feed/"]
    return paths


def global_paths() -> list[str]:
    paths = ["/cases/api/cases.json", "/cases/sitemap.xml", "/cases/export/entities.ftm.json"]
    paths += [f"/cases/export/{t}.csv" for t in ("cases", "people", "events", "claims")]
    for prefix in language_prefixes():
        paths += [f"{prefix}/cases/", f"{prefix}/cases/feed/"]
    return paths


@dataclass
class Export:
    """The outcome: files written (changed), files unchanged, seconds taken."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256


class Writer:
    def __init__(self, root: Path, previous: dict[str, str]) -> None:
        self.root, self.previous, self.result = root, previous, Export()
        self.result.files = dict(previous)

    def put(self, relative: str, data: bytes) -> None:
        if not _safe(relative):
            raise MirrorError(f"unsafe path {relative!r}")
        digest = hashlib.sha256(data).hexdigest()
        self.result.files[relative] = digest
        target = self.root / relative
        if self.previous.get(relative) == digest and target.is_file():
            self.result.unchanged += 1
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        self.result.written.append(relative)


def rewrite_html(
    html: str, own_file: str, mirrored: Callable[[str], bool], static: set[str]
) -> str:
    """Same-site links made relative to `own_file` (mirrored ones) or absolute to the live site
    (the rest)."""
    base = settings.JIANDU_PUBLIC_BASE_URL.rstrip("/")
    here = posixpath.dirname(own_file) or "."

    def fix(match: re.Match) -> str:
        url = match.group("url")
        if not url.startswith("/") or url.startswith("//"):
            return match.group(0)
        path, query, _rest = url.partition("?")
        path, _h, fragment = path.partition("#")
        if not query and path.startswith(settings.STATIC_URL):
            static.add(path[len(settings.STATIC_URL) :])
        target = file_for(path)
        if query or not mirrored(target):
            return f'{match.group("attr")}="{base}{url}"'
        relative = posixpath.relpath(target, here)
        return f'{match.group("attr")}="{relative}{"#" + fragment if fragment else ""}"'

    return LINK.sub(fix, html)


def _static_bytes(name: str) -> bytes | None:
    if not _safe(name):
        return None
    try:
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as handle:
                return handle.read()
    except (OSError, ValueError, NotImplementedError):
        pass
    found = finders.find(name)
    return Path(found).read_bytes() if found else None


def _load_json(path: Path, default: dict) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def manifest_text(files: dict[str, str], generated: datetime) -> str:
    lines = [
        HEADER,
        f"origin {keys.log_origin()}",
        f"generated {generated.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"files {len(files)}",
    ]
    lines += [f"{digest} {path}" for path, digest in sorted(files.items())]
    return "\n".join(lines) + "\n"


def export_mirror(root: Path, *, full: bool = False, render: Renderer | None = None) -> Export:
    """Write (or bring up to date) the mirror in `root`; see the module docstring."""
    started = time.monotonic()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    render = render or Renderer()
    state = {} if full else _load_json(root / STATE, {})
    previous_files: dict[str, str] = {} if full else state.get("files", {})
    known: dict[str, dict] = state.get("cases", {})
    # Rendered once: it lists the cases and is one of the mirror's files.
    rendered = {"/cases/api/cases.json": render.get("/cases/api/cases.json")}
    listing = json.loads(rendered["/cases/api/cases.json"])
    changed = {
        c["slug"]
        for c in listing["cases"]
        if full or known.get(c["slug"], {}).get("revision") != c["revision"]
    }
    site = read_site(render, only=changed, known=known, listing=listing)
    people = set().union(*(site.cases[s]["people"] for s in changed)) if changed else set()
    people |= {p for s in changed for p in known.get(s, {}).get("people", [])}
    people &= site.people

    writer = Writer(root, previous_files)
    pages: list[str] = global_paths()
    for slug in sorted(changed):
        pages += case_paths(slug, site.cases[slug]["revisions"])
    for slug in sorted(people):
        pages += person_paths(slug)
    # Every file the finished mirror will hold, so links can be checked before writing.
    will_hold = set(previous_files)
    for slug, case in site.cases.items():
        will_hold.update(file_for(p) for p in case_paths(slug, case["revisions"]))
    for slug in site.people:
        will_hold.update(file_for(p) for p in person_paths(slug))
    will_hold.update(file_for(p) for p in global_paths())
    will_hold.update(f"cases/evidence/{name}" for name in site.evidence)
    have = frozenset(
        p.removeprefix("log/")
        for p in previous_files
        if p.startswith("log/") and (root / p).is_file()
    )
    log_files = {f"log/{path}": data for path, data in logread.get_log_files(have).items()}
    will_hold.update(log_files)
    static: set[str] = set(state.get("static", []))
    evidence = set(site.evidence)

    def mirrored(relative: str) -> bool:
        if relative.startswith("cases/evidence/"):  # older revisions link to older files
            evidence.add(relative.removeprefix("cases/evidence/"))
            return True
        if relative == "index.html":  # "/" is the tip line, never mirrored; ours redirects
            return False
        return relative in will_hold or relative.startswith("static/")

    for path in pages:
        relative = file_for(path)
        data = rendered.pop(path, None) or render.get(path)
        if relative.endswith(".html"):
            data = rewrite_html(data.decode(), relative, mirrored, static).encode()
        writer.put(relative, data)
    for name in sorted(evidence):
        relative = f"cases/evidence/{name}"
        if relative not in previous_files or not (root / relative).is_file():
            writer.put(relative, render.get("/" + relative))  # immutable: named by its hash
    for relative, data in log_files.items():
        writer.put(relative, data)
    for name in sorted(static):
        data = _static_bytes(name)
        if data is not None:
            writer.put(f"static/{name}", data)
    writer.put(
        "index.html",
        b'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" '
        b'content="0; url=cases/index.html"><a href="cases/index.html">Jiandu</a>\n',
    )
    files = writer.result.files
    signed = note.sign(
        manifest_text(files, datetime.now(UTC)), keys.log_origin(), keys.log_signing_key()
    )
    _atomic_write(root / MANIFEST, signed.encode())
    _atomic_write(
        root / STATE,
        json.dumps({"cases": site.cases, "files": files, "static": sorted(static)}).encode(),
    )
    writer.result.seconds = time.monotonic() - started
    return writer.result


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --- Checking a mirror ---------------------------------------------------------------------


@dataclass
class MirrorReport:
    ok: bool
    checked: int
    problems: list[str]  # "changed PATH", "missing PATH", "not in the manifest PATH"
    generated: str = ""


def parse_manifest(signed: bytes, log: note.Verifier) -> tuple[dict[str, str], str]:
    """The files a signed manifest lists, and when it was made; NoteError if not signed."""
    parsed, _good = note.open_note(signed, [log], max_bytes=MAX_MANIFEST)
    lines = parsed.text.rstrip("\n").split("\n")
    if len(lines) < 4 or lines[0] != HEADER or not lines[3].startswith("files "):
        raise note.NoteError("not a Jiandu mirror manifest")
    files = {}
    for line in lines[4:]:
        digest, _space, path = line.partition(" ")
        if len(digest) != 64 or not _safe(path):
            raise note.NoteError(f"bad manifest line {line[:80]!r}")
        files[path] = digest
    if int(lines[3][6:]) != len(files):
        raise note.NoteError("the manifest's file count does not match its lines")
    return files, lines[2].removeprefix("generated ")


def verify_mirror(
    read: Callable[[str], bytes], log: note.Verifier, listing: Iterable[str] | None = None
) -> MirrorReport:
    """Check every file the manifest names (and, for a directory, that no other file is
    there). `read(path)` raises KeyError for a missing file."""
    try:
        signed = read(MANIFEST)
    except KeyError:
        return MirrorReport(False, 0, [f"missing {MANIFEST}"])
    try:
        files, generated = parse_manifest(signed, log)
    except note.NoteError as exc:
        return MirrorReport(False, 0, [f"{MANIFEST} is not signed by {log.name}: {exc}"])
    problems = []
    for path, digest in sorted(files.items()):
        try:
            data = read(path)
        except KeyError:
            problems.append(f"missing {path}")
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"changed {path}")
    if listing is not None:
        extra = sorted(set(listing) - set(files) - {MANIFEST, STATE})
        problems += [f"not in the manifest {path}" for path in extra]
    return MirrorReport(not problems, len(files), problems, generated)


def list_dir(root: Path) -> list[str]:
    return [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(".tmp")
    ]
