"""The tus drill: a stock tus client (tuspy) sends a large file to a real `jiandu serve`,
interrupted twice, with the server killed and restarted once in between, and the receipt's
SHA-256 must match. Then no byte of the file's marker, and not its name, is on the disk.

    .venv/bin/python -m bench.tus_drill            # 300 MB in 5 MB pieces (issue #12)
    .venv/bin/python -m bench.tus_drill --mb 30    # what tests/tipline/test_tus_server.py runs

Steps, from a fresh data dir:
 1. `jiandu demo` (the tip line is open from the first second), then `jiandu serve`;
 2. a session as a browser gets one (GET /en/submit/: cookie and CSRF token);
 3. tuspy creates the upload and sends a third of the file, then stops (interruption 1);
 4. a PATCH sends half of its piece and the server is killed (SIGKILL, every process) while it
    reads (interruption 2): bytes past the saved state are on the disk;
 5. the server starts again (`jiandu serve` keeps young parts); a new tuspy uploader, given
    only the upload URL, asks for the offset (HEAD) and sends the rest, with SHA-1 piece
    checksums (tuspy's own);
 6. the form is posted with the upload URL in `uploads`; the receipt shows the SHA-256;
 7. the data dir is searched for the marker (raw, hex, base64) and the file name.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """`jiandu serve` in its own process group, so a kill takes every process with it."""

    data_dir: Path
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = dict(
            os.environ,
            JIANDU_DATA_DIR=str(self.data_dir),
            JIANDU_WORKERS="1",
            JIANDU_THREADS="4",
        )
        self.env.pop("DATABASE_URL", None)

    def command(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "jiandu.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return done.stdout

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jiandu.cli", "serve", "--port", str(self.port), "--no-worker"],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/en/", timeout=2)
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.3)

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, not a shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        # gunicorn's worker may outlive its master by a moment; wait for the port.
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def browser_session(base: str) -> tuple[str, str]:
    """(Cookie header, CSRF token) as a browser gets them from the submission page."""
    with urllib.request.urlopen(f"{base}/en/submit/") as response:
        page = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    cookie = next(c.split(";")[0] for c in cookies if c.startswith("jiandu_session="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return cookie, token


def write_file(path: Path, megabytes: int, marker: bytes) -> str:
    """Random bytes with the marker every MiB; returns the SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(megabytes):
            block = marker + os.urandom(MIB - len(marker))
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def half_a_piece_then_crash(
    server: Server, url: str, headers: dict[str, str], offset: int, data: bytes
) -> None:
    """A PATCH that sends half its announced body; the server is killed while reading."""
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    conn.putrequest("PATCH", parsed.path)
    for name, value in {
        **headers,
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(data)),
    }.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(data[: len(data) // 2])
    time.sleep(1.0)  # the server reads and encrypts what came
    server.kill()
    conn.close()


def submit_form(base: str, cookie: str, token: str, upload_url: str) -> str:
    """Post the form with the upload URL in `uploads`; return the receipt page. The first
    submission signs the source in with a new session cookie, which the receipt needs."""
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "uploads": upload_url, "style": "en", "message": ""}
    )
    conn.request(
        "POST",
        "/en/submit/",
        body=body,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise AssertionError(f"the form answered {response.status}")
    location = response.getheader("Location")
    new_cookie = next(
        (
            c.split(";")[0]
            for c in response.headers.get_all("Set-Cookie") or []
            if c.startswith("jiandu_session=")
        ),
        cookie,
    )
    conn.request("GET", location, headers={"Cookie": new_cookie})
    page = conn.getresponse().read().decode()
    conn.close()
    return page


def search_disk(root: Path, needles: list[bytes]) -> list[str]:
    """Every file under `root` (the data dir, the server's log), the source file aside."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and "source" not in path.parts:
            content = path.read_bytes()
            hits += [f"{path}: {needle[:12]!r}" for needle in needles if needle in content]
    return hits


def run_drill(workdir: Path, megabytes: int = 300, chunk_mb: int = 5) -> dict[str, object]:
    from tusclient.client import TusClient
    from tusclient.exceptions import TusCommunicationError

    workdir.mkdir(parents=True, exist_ok=True)
    marker = b"TUS-DRILL-MARKER-" + secrets.token_hex(8).encode()
    name = f"drill-{secrets.token_hex(6)}.bin"
    source_file = workdir / "source" / name
    source_file.parent.mkdir(exist_ok=True)
    expected = write_file(source_file, megabytes, marker)
    server = Server(workdir / "data", free_port(), workdir / "serve.log")
    base = f"http://127.0.0.1:{server.port}"
    timings: dict[str, float] = {}
    started = time.monotonic()
    try:
        server.command("demo")
        server.start()
        cookie, token = browser_session(base)
        headers = {"Cookie": cookie, "X-CSRFToken": token}
        client = TusClient(f"{base}/en/upload/", headers=headers)

        # Interruption 1: the client stops after a third.
        first = client.uploader(
            file_path=str(source_file),
            chunk_size=chunk_mb * MIB,
            metadata={"filename": name, "filetype": "application/octet-stream"},
            retries=0,
        )
        first.upload(stop_at=source_file.stat().st_size // 3)
        url = first.url
        # Interruption 2: half a piece, then the server dies while reading it.
        offset = first.get_offset()
        with source_file.open("rb") as handle:
            handle.seek(offset)
            piece = handle.read(chunk_mb * MIB)
        half_a_piece_then_crash(server, url, headers, offset, piece)
        try:
            first.get_offset()
            raise AssertionError("the server should be down")
        except (TusCommunicationError, OSError):
            pass
        server.start()

        # Resume with only the URL: HEAD for the offset, then the rest with checksums.
        resumed = client.uploader(
            file_path=str(source_file),
            url=url,
            chunk_size=chunk_mb * MIB,
            upload_checksum=True,
            retries=2,
            retry_delay=1,
        )
        resumed_from = resumed.offset
        resumed.upload()
        timings["upload_seconds"] = time.monotonic() - started

        receipt = submit_form(base, cookie, token, url)
        server.stop()
        hits = search_disk(
            workdir,
            [*_encodings(marker), name.encode(), name.encode("utf-16-le")],
        )
        return {
            "expected_sha256": expected,
            "receipt_has_sha256": expected in receipt,
            "resumed_from": resumed_from,
            "size": source_file.stat().st_size,
            "disk_hits": hits,
            "seconds": time.monotonic() - started,
            **timings,
        }
    finally:
        server.stop()
        source_file.unlink(missing_ok=True)


def _encodings(needle: bytes) -> list[bytes]:
    import base64

    forms = [needle, needle.hex().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + needle)
        start = (shift * 4 + 2) // 3 + (1 if shift else 0)
        forms.append(encoded[start : len(encoded) - 4])
    return [form for form in forms if len(form) >= 8]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--chunk-mb", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="default: a new temporary directory")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jiandu-tus-drill-") as tmp:
        result = run_drill(args.workdir or Path(tmp), args.mb, args.chunk_mb)
    for key, value in result.items():
        print(f"{key}: {value}")
    ok = result["receipt_has_sha256"] and not result["disk_hits"]
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
