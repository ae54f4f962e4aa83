"""The signed static mirror: the whole public site as files that open from disk or any static
host, and a manifest of every file's SHA-256 signed with the newsroom's log key.

What is in it is discovered the way a reader would: through the public site itself (the JSON
API lists the cases, each case's JSON its revisions, people and evidence), rendered in-process
by the site's own URL map and views, in every language. So the mirror holds exactly what the
public can read. It lives beside the public site it renders (the public room), and imports the
cases room (its published snapshots) and the log (the signed checkpoint and tiles) openly.

Speed (issue #11: 1,000 cases, about 27,000 files): pages are rendered by calling the view the
URL map names, under the path's language, without the middleware stack or the test client
(they add headers, sessions and signals a file does not keep); every export runs inside
`cases.published.reading_once()` (the published snapshots read once per export instead of
once per page); and pages are rendered by a pool of forked processes
(one per CPU, two at most) when the database is one they can open themselves (no open
transaction, not SQLite in memory), each writing its own files.

Links: every same-site link in a page is rewritten to a relative path (directories become
`.../index.html`, so they open from disk); links to what a static copy cannot serve (search,
comments, the verify page, the tip line) point to the live site, JIANDU_PUBLIC_BASE_URL. The
pictures named for link previews (og:image, twitter:image) are the mirror's own copy, relative,
and so are the JSON API's `url` and `api_url`, so that the mirror works under a path prefix
(an IPFS gateway's `/ipfs/<cid>/`); `og:url`, the canonical link, the feeds and the sitemap
name the canonical site. Pages are rendered for the host and port of JIANDU_PUBLIC_BASE_URL.

Incremental: `.jiandu-mirror-state.json` in the mirror remembers each case's revision and
people; a later export re-renders only the cases whose revision changed, their people, and
the pages that list everything (homes, feeds, sitemap, exports, the log), and writes only the
files whose bytes changed. A case's QR codes encode only its address, so they are kept once
written. Comments approved since are picked up by the next `--full` export.

Manifest (`mirror-manifest.txt`): a signed note (C2SP signed-note, the log key, type 0x01,
under the name `<origin>/mirror-manifest`, keys.manifest_name: never a checkpoint's name; a
manifest made before that is signed under the origin itself, and still verifies). It lists the
export state file too (a manifest made before did not: that one file is then not reported):

    jiandu-mirror/v1
    origin <JIANDU_LOG_ORIGIN>
    generated <UTC time>
    files <count>
    <sha256 hex> <path>            (one line per file, sorted by path)
"""

import functools
import hashlib
import json
import multiprocessing
import os
import posixpath
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connections
from django.http import Http404
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.utils import translation

from jiandu.cases import published
from jiandu.tlog import client, keys, note
from jiandu.tlog import read as logread

MANIFEST = "mirror-manifest.txt"
STATE = ".jiandu-mirror-state.json"
HEADER = "jiandu-mirror/v1"
MAX_MANIFEST = 256 * 1024 * 1024
LINK = re.compile(r'(?P<attr>\b(?:href|src|action))="(?P<url>[^"]*)"')
# Link previews' pictures: files the mirror holds, so they point to its own copy.
PREVIEW = re.compile(
    r'(?P<head><meta (?:property|name)="(?:og:image|og:image:url|twitter:image)" content=")'
    r'(?P<url>[^"]*)"'
)
JSON_LINKS = ("url", "api_url")
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
    """Renders site paths in-process: the URL map's view called directly, under the language
    the path names, as an anonymous reader without cookies; no network, no middleware.

    The middleware only adds what a file does not keep (headers, a session, CSRF, redirects
    for paths the mirror never asks for); the public pages' bodies come from the views, the
    templates and the context processors, which all run here as they do for a request.
    """

    secure: bool = field(
        default_factory=lambda: settings.JIANDU_PUBLIC_BASE_URL.startswith("https:")
    )
    factory: RequestFactory = field(default_factory=lambda: RequestFactory(HTTP_HOST=_host()))

    def get(self, path: str) -> bytes:
        language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
        request = self.factory.get(path, secure=self.secure)
        request.user = AnonymousUser()
        request.LANGUAGE_CODE = language
        with translation.override(language):
            try:
                match = resolve(request.path_info)
                request.resolver_match = match
                response = match.func(request, *match.args, **match.kwargs)
                if callable(getattr(response, "render", None)):
                    response = response.render()  # a TemplateResponse (the sitemap)
            except (Http404, Resolver404) as exc:
                raise MirrorError(f"{path} answered 404") from exc
            if response.status_code != 200:
                raise MirrorError(f"{path} answered {response.status_code}")
            if response.streaming:
                try:
                    return b"".join(response.streaming_content)
                finally:
                    # Not response.close(): that also sends request_finished, whose handler
                    # closes the database connection, which is right after a request but not
                    # halfway through an export (and fatal inside a transaction).
                    for closer in getattr(response, "_resource_closers", []):
                        closer()
            return response.content


def _host() -> str:
    """The Host header pages are rendered for: JIANDU_PUBLIC_BASE_URL's host *and port* (the
    port was lost here once, and with it every absolute URL in the feeds and the sitemap)."""
    parts = urllib.parse.urlsplit(settings.JIANDU_PUBLIC_BASE_URL)
    host = parts.hostname or ""
    allowed = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
    if host in settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS or not allowed:
        return parts.netloc.rpartition("@")[2] or "localhost"
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
    keep: dict[str, bytes] | None = None,
) -> Site:
    """The cases (all, or re-read only those in `only`; others taken from `known`), from the
    API's case list (`listing`, fetched here if not given). The case JSON files read are
    kept in `keep` by path (they are mirror files too: rendered once)."""
    listing = listing or json.loads(render.get("/cases/api/cases.json"))
    cases, evidence = {}, set()
    wanted = None if only is None else set(only)
    for summary in listing["cases"]:
        slug = summary["slug"]
        if wanted is not None and slug not in wanted and known and slug in known:
            cases[slug] = known[slug]
            evidence.update(known[slug]["evidence"])
            continue
        body = render.get(summary["api_url"])
        if keep is not None:
            keep[summary["api_url"]] = body
        detail = json.loads(body)
        names: set[str] = set()
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
    processes: int = 1  # how many processes rendered the pages


class Writer:
    """Writes files into the mirror, skipping those whose bytes the previous export already
    wrote (same SHA-256, file still there); `result` collects what it did."""

    def __init__(self, root: Path, previous: dict[str, str], keep: bool = True) -> None:
        self.root, self.previous, self.result = root, previous, Export()
        self.folders: set[Path] = set()  # made (or found) already: one mkdir per folder
        if keep:
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
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        self.result.written.append(relative)

    def merge(self, other: Export) -> None:
        self.result.files.update(other.files)
        self.result.written += other.written
        self.result.unchanged += other.unchanged


def rewrite_html(
    html: str, own_file: str, mirrored: Callable[[str], bool], static: set[str]
) -> str:
    """Same-site links made relative to `own_file` (mirrored ones) or absolute to the live site
    (the rest)."""
    base = settings.JIANDU_PUBLIC_BASE_URL.rstrip("/")
    here = posixpath.dirname(own_file) or "."
    languages = tuple(language_prefixes())

    def preview(match: re.Match) -> str:
        """A link preview's picture the mirror holds: its own copy, not the live site's."""
        url = match.group("url")
        if not url.startswith(base + "/"):
            return match.group(0)
        target = _file_for(url[len(base) :], languages)
        if "?" in url or "#" in url or not mirrored(target):
            return match.group(0)
        return f'{match.group("head")}{_relpath(target, here)}"'

    def fix(match: re.Match) -> str:
        url = match.group("url")
        if not url.startswith("/") or url.startswith("//"):
            return match.group(0)
        path, query, _rest = url.partition("?")
        path, _h, fragment = path.partition("#")
        if not query and path.startswith(settings.STATIC_URL):
            static.add(path[len(settings.STATIC_URL) :])
        target = _file_for(path, languages)
        if query or not mirrored(target):
            return f'{match.group("attr")}="{base}{url}"'
        relative = _relpath(target, here)
        return f'{match.group("attr")}="{relative}{"#" + fragment if fragment else ""}"'

    return LINK.sub(fix, PREVIEW.sub(preview, html))


def rewrite_json(data: bytes, own_file: str) -> bytes:
    """The JSON API's `url` and `api_url` (root-relative on the live site) made relative to
    `own_file`, so the mirror's JSON works under any path prefix. Only these link fields of
    the answer and of its case summaries change: a case's `case` snapshot is what the log
    recorded (`jiandu verify` hashes it) and stays byte for byte the same."""
    document = json.loads(data)
    here = posixpath.dirname(own_file) or "."

    def relative(summary: dict) -> None:
        for name in JSON_LINKS:
            url = summary.get(name)
            if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
                summary[name] = _relpath(file_for(url), here)

    relative(document)
    for summary in document.get("cases", []) if isinstance(document.get("cases"), list) else []:
        if isinstance(summary, dict):
            relative(summary)
    return json.dumps(document, ensure_ascii=False).encode()


# Pages repeat the same links (the homes, the style sheet, the people): each is worked out once.
_relpath = functools.lru_cache(maxsize=8192)(posixpath.relpath)


@functools.lru_cache(maxsize=65536)
def _file_for(path: str, languages: tuple[str, ...]) -> str:
    return file_for(path)  # `languages` keys the cache: file_for depends on them


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
    """The manifest's text: origin, time, count, then one line per file (sorted)."""
    lines = [
        HEADER,
        f"origin {keys.log_origin()}",
        f"generated {generated.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"files {len(files)}",
    ]
    lines += [f"{digest} {path}" for path, digest in sorted(files.items())]
    return "\n".join(lines) + "\n"


def default_workers() -> int:
    """Processes to render with: one per CPU, two at most (JIANDU_MIRROR_WORKERS overrides)."""
    configured = os.environ.get("JIANDU_MIRROR_WORKERS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(2, len(os.sched_getaffinity(0))))


def export_mirror(
    root: Path, *, full: bool = False, render: Renderer | None = None, workers: int | None = None
) -> Export:
    """Write (or bring up to date) the mirror in `root`; see the module docstring."""
    started = time.monotonic()
    # The published snapshots are read once for the whole export (issue #11), not per page.
    with published.reading_once():
        result = _export(
            Path(root),
            full,
            render or Renderer(),
            default_workers() if workers is None else workers,
        )
    result.seconds = time.monotonic() - started
    return result


@dataclass
class _Pages:
    """Renders pages and writes their files; one per export, shared by forked workers."""

    root: Path
    previous: dict[str, str]
    render: Renderer
    will_hold: set[str]
    ready: dict[str, bytes]  # pages already rendered, by path

    def run(self, paths: list[str]) -> tuple[Export, set[str], set[str]]:
        """The files written for `paths`, and the evidence files and static files they link."""
        writer = Writer(self.root, self.previous, keep=False)
        evidence: set[str] = set()
        static: set[str] = set()

        def mirrored(relative: str) -> bool:
            if relative.startswith("cases/evidence/"):  # older revisions link to older files
                evidence.add(relative.removeprefix("cases/evidence/"))
                return True
            if relative == "index.html":  # "/" is the tip line, never mirrored; ours redirects
                return False
            return relative in self.will_hold or relative.startswith("static/")

        for path in paths:
            relative = file_for(path)
            data = self.ready.get(path) or self.render.get(path)
            if relative.endswith(".html"):
                data = rewrite_html(data.decode(), relative, mirrored, static).encode()
            elif relative.startswith("cases/api/") and relative.endswith(".json"):
                data = rewrite_json(data, relative)
            writer.put(relative, data)
        return writer.result, evidence, static


_job: _Pages | None = None  # the export a forked worker renders for


def _run_in_worker(paths: list[str]) -> tuple[Export, set[str], set[str]]:
    if _job is None:
        raise MirrorError("no export to render for in this process")
    return _job.run(paths)


def _render_pages(
    job: _Pages, paths: list[str], workers: int
) -> tuple[list[tuple[Export, set[str], set[str]]], int]:
    """Render `paths` here, or in `workers` forked processes when there are enough pages and
    the database is one they can open themselves (no open transaction, not in memory)."""
    shared = any(
        c.in_atomic_block or (c.vendor == "sqlite" and c.is_in_memory_db())  # type: ignore[attr-defined]
        for c in connections.all(initialized_only=True)
    )  # a transaction's rows, or a database in memory, exist only in this process
    if workers <= 1 or len(paths) < 2 * workers or shared:
        return [job.run(paths)], 1
    global _job
    # Small chunks while there are few pages (an incremental run: a sitemap, three home pages
    # and a few dozen pages of very different cost), up to 50 pages for a full run.
    size = max(1, min(50, len(paths) // (8 * workers)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    connections.close_all()  # each process opens its own connection
    _job = job
    try:
        # A worker that dies (killed, out of memory) fails the export (BrokenProcessPool)
        # rather than leaving it waiting, as multiprocessing.Pool would.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_run_in_worker, chunks)), workers
    finally:
        _job = None


def _export(root: Path, full: bool, render: Renderer, workers: int) -> Export:
    root.mkdir(parents=True, exist_ok=True)
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
    site = read_site(render, only=changed, known=known, listing=listing, keep=rendered)
    people = set().union(*(site.cases[s]["people"] for s in changed)) if changed else set()
    people |= {p for s in changed for p in known.get(s, {}).get("people", [])}
    people &= site.people

    def kept(path: str) -> bool:
        """A QR code encodes only the case's address: once written it never changes."""
        relative = file_for(path)
        return (
            path.endswith("/qr.svg") and relative in previous_files and (root / relative).is_file()
        )

    pages: list[str] = global_paths()
    for slug in sorted(changed):
        pages += [p for p in case_paths(slug, site.cases[slug]["revisions"]) if not kept(p)]
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

    writer = Writer(root, previous_files)
    job = _Pages(root, previous_files, render, will_hold, rendered)
    outcomes, processes = _render_pages(job, pages, workers)
    for done, linked_evidence, linked_static in outcomes:
        writer.merge(done)
        evidence |= linked_evidence
        static |= linked_static
    for name in sorted(evidence):
        relative = f"cases/evidence/{name}"
        if relative not in previous_files or not (root / relative).is_file():
            writer.put(relative, render.get("/" + relative))  # immutable: named by its hash
    for relative, data in log_files.items():
        writer.put(relative, data)
    for name in sorted(static):
        found = _static_bytes(name)
        if found is not None:
            writer.put(f"static/{name}", found)
    writer.put(
        "index.html",
        b'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" '
        b'content="0; url=cases/index.html"><a href="cases/index.html">Jiandu</a>\n',
    )
    writer.result.processes = processes
    files = writer.result.files
    state_bytes = json.dumps(
        {"cases": site.cases, "files": files, "static": sorted(static)}
    ).encode()
    _atomic_write(root / STATE, state_bytes)
    # Listed like every other file: a verifier reports every file the manifest does not name.
    files[STATE] = hashlib.sha256(state_bytes).hexdigest()
    signed = note.sign(
        manifest_text(files, datetime.now(UTC)),
        keys.manifest_name(keys.log_origin()),
        keys.log_signing_key(),
    )
    _atomic_write(root / MANIFEST, signed.encode())
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
    legacy: bool = False  # signed under the log's own name (a mirror made before issue 17)


def manifest_verifier(log: note.Verifier) -> note.Verifier:
    """The log key under the manifests' own name: the verifier of a manifest."""
    return note.Verifier(keys.manifest_name(log.name), log.sig_type, log.public_key)


def parse_manifest(signed: bytes, log: note.Verifier) -> tuple[dict[str, str], str, bool]:
    """The files a signed manifest lists, when it was made, and whether it is signed under the
    log's own name (made before manifests had their own); NoteError if not signed.

    An older manifest signed under the checkpoints' name is still accepted: its first line
    (`jiandu-mirror/v1`) can never be a checkpoint's (the origin, the log key's name), and
    open_checkpoint requires the origin, so the two cannot be taken for each other."""
    own = manifest_verifier(log)
    parsed, good = note.open_note(signed, [own, log], max_bytes=MAX_MANIFEST)
    legacy = not any(s.name == own.name for s in good)
    lines = parsed.text.rstrip("\n").split("\n")
    if len(lines) < 4 or lines[0] != HEADER or not lines[3].startswith("files "):
        raise note.NoteError("not a Jiandu mirror manifest")
    if lines[1] != f"origin {log.name}":
        raise note.NoteError("the manifest names another log")
    files = {}
    for line in lines[4:]:
        digest, _space, path = line.partition(" ")
        if len(digest) != 64 or not (_safe(path) or path == STATE):
            raise note.NoteError(f"bad manifest line {line[:80]!r}")
        files[path] = digest
    if int(lines[3][6:]) != len(files):
        raise note.NoteError("the manifest's file count does not match its lines")
    return files, lines[2].removeprefix("generated "), legacy


def verify_mirror(
    read: Callable[[str], bytes], log: note.Verifier, listing: Iterable[str] | None = None
) -> MirrorReport:
    """Check every file the manifest names (and, for a directory, that no other file is
    there: every one, temporary files and hidden ones included). `read(path)` raises KeyError
    for a missing file."""
    try:
        signed = read(MANIFEST)
    except KeyError:
        return MirrorReport(False, 0, [f"missing {MANIFEST}"])
    try:
        files, generated, legacy = parse_manifest(signed, log)
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
        # An older manifest did not list the export's state file; a newer one does.
        expected = {MANIFEST, STATE} if legacy else {MANIFEST}
        extra = sorted(set(listing) - set(files) - expected)
        problems += [f"not in the manifest {path}" for path in extra]
    return MirrorReport(not problems, len(files), problems, generated, legacy)


def list_dir(root: Path) -> list[str]:
    """Every file under `root` (temporary and hidden ones too) and every other thing that is
    not a folder (a link to a folder, a pipe): a verifier reports what it does not expect."""
    found = []
    for path in root.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            continue
        found.append(path.relative_to(root).as_posix())
    return found


def check_checkpoint(
    read: Callable[[str], bytes], log: note.Verifier, state_dir: Path | None
) -> tuple[str, str]:
    """The mirror's log checkpoint against the newest one this verifier has seen (the state
    `jiandu verify` keeps): (what was found, a warning or ''). A mirror behind what was seen
    is a stale or held-back copy: a warning; one whose history differs is a split view
    (client.SplitViewError). A newer checkpoint that extends the old one is remembered."""
    try:
        signed = read("log/checkpoint")
    except KeyError:
        return "the mirror holds no log checkpoint", ""
    try:
        current, _parsed, _cosigs = note.open_checkpoint(signed, log)
    except note.NoteError as exc:
        raise client.VerifyError(f"log/checkpoint is not signed by {log.name}: {exc}") from exc
    if state_dir is None:
        return f"log checkpoint of {current.size} entries (not compared)", ""
    seen = client.seen_checkpoint(state_dir, log)
    if seen is not None and current.size < seen.size:
        return (
            f"log checkpoint of {current.size} entries",
            f"WARNING: this mirror is out of date or held back: its log checkpoint has "
            f"{current.size} entries, a checkpoint of {seen.size} entries of {log.name} was "
            "seen before; pages published since may be missing from it.",
        )

    def in_log(path: str) -> bytes:
        return read("log/" + path)

    message = client.check_consistency(in_log, log, current, state_dir)
    client.remember(state_dir, log, signed.decode())
    return f"log checkpoint of {current.size} entries, {message}", ""
