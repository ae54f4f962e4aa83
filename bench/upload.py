"""Upload benchmark: one command, a running `jiandu serve`, the real HTTP endpoint.

    .venv/bin/python bench/upload.py [--size-mb 1024] [--tus] [--url http://127.0.0.1:PORT]

Without --url it sets up a throw-away data dir, a newsroom reader with a vault key (so the tip
line is open) and starts `jiandu serve` on a free port; it loads a few pages so that every
worker is warm, then streams a multipart POST of --size-mb of random data to /en/submit/ (the
plain no-JavaScript path), measures MB/s and the gunicorn workers' peak RSS (VmHWM), and
times `age` encrypting the same file to disk. With --tus the same file is then sent as the
page's script sends it (tus pieces of the size the page names, then the form naming the
upload), timed from the creation to the receipt. The last line printed is one JSON object:
mb_per_s, age_mb_per_s, ratio, peak_rss_mb (both paths), size_mb, and with --tus
tus_mb_per_s, tus_ratio, tus_piece_mib.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BOUNDARY = "----jiandubench7d3f"
PASSWORD = "bench password 1234567"  # noqa: S105  (a throw-away bench account)
TUS_PIECE = 64 * 1024 * 1024  # when the page does not say (data-chunk-bytes, vault.conf)

SETUP = """
from jiandu.accounts.actions import do_create_member
from jiandu.vault.actions import do_unlock_member_key
from jiandu.accounts.models import User
user = User.objects.filter(username="bench").first()
if user is None:
    user = do_create_member("bench", "journalist", password={password!r}).user
do_unlock_member_key(user, {password!r})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, JIANDU_DATA_DIR=str(data_dir), JIANDU_LOG_LEVEL="WARNING")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Its own SQLite database in the throw-away data dir, never the developer's database.
    env["DATABASE_URL"] = f"sqlite:///{data_dir / 'jiandu.sqlite3'}"
    env.update(extra)
    return env


def prepare(data_dir: Path, env: dict[str, str]) -> None:
    """Database, tables and one reader with a vault key (the tip line opens)."""
    jiandu = str(BIN / "jiandu")
    subprocess.run([jiandu, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([jiandu, "createcachetable"], env=env, check=True)
    code = SETUP.format(password=PASSWORD)
    subprocess.run([jiandu, "shell", "-c", code], env=env, check=True)


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(BIN / "jiandu"), "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 takes gunicorn with it
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("jiandu serve did not start")


def stop_server(process: subprocess.Popen, kill: bool = False) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def session_and_token(host: str, port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/en/submit/")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = re.search(r"jiandu_session=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    conn.close()
    if not cookie or not token:
        raise RuntimeError("no session or CSRF token from /en/submit/")
    return cookie.group(1), token.group(1)


def warm(host: str, port: int, connections: int = 6, rounds: int = 3) -> None:
    """Several pages at once on separate connections, a few times, so that every gunicorn
    worker has loaded its URLs and views (a worker does that on its first request, about a
    second) before anything is timed: a running server's workers are warm."""

    def fetch() -> None:
        with contextlib.suppress(OSError, RuntimeError):
            session_and_token(host, port)

    for _ in range(rounds):
        threads = [threading.Thread(target=fetch) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def multipart(
    token: str, file_path: Path | None, size: int, name: str = "bench.bin"
) -> tuple[bytes, bytes, int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="style"\r\n\r\nen\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def file_chunks(path: Path, pause: float = 0.0) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk
            if pause:
                time.sleep(pause)


def upload(host: str, port: int, path: Path, pause: float = 0.0) -> tuple[int, float, str]:
    """POST the file through the tip line; returns (status, seconds, Location)."""
    cookie, token = session_and_token(host, port)
    size = path.stat().st_size
    head, tail, length = multipart(token, path, size)
    conn = http.client.HTTPConnection(host, port, timeout=600)
    started = time.perf_counter()
    conn.putrequest("POST", "/en/submit/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(length))
    conn.putheader("Cookie", f"jiandu_session={cookie}")
    conn.putheader("Origin", "null")
    conn.endheaders()
    conn.send(head)
    for chunk in file_chunks(path, pause):
        conn.send(chunk)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, elapsed, response.getheader("Location") or ""


def page_piece_bytes(host: str, port: int) -> int:
    """The tus piece size the submission page gives its script (data-chunk-bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/en/submit/")
    body = conn.getresponse().read().decode()
    conn.close()
    match = re.search(r'data-chunk-bytes="(\d+)"', body)
    return int(match.group(1)) if match else TUS_PIECE


def upload_tus(host: str, port: int, path: Path, piece: int = TUS_PIECE) -> tuple[int, float, str]:
    """Send the file as the page's script does (tus: create, then `piece`-sized PATCHes on one
    kept-alive connection, no piece checksum, tus-js-client's default), then post the form
    naming the upload. Returns (status, seconds, Location), timed from the creation to the
    receipt, like `upload`."""
    cookie, token = session_and_token(host, port)
    size = path.stat().st_size
    tus = {"Tus-Resumable": "1.0.0", "Cookie": f"jiandu_session={cookie}", "X-CSRFToken": token}
    conn = http.client.HTTPConnection(host, port, timeout=600)
    started = time.perf_counter()
    name = base64.b64encode(b"bench.bin").decode()
    headers = tus | {"Upload-Length": str(size), "Upload-Metadata": f"filename {name}"}
    conn.request("POST", "/en/upload/", headers=headers)
    response = conn.getresponse()
    response.read()
    location = response.getheader("Location") or ""
    if response.status != 201 or not location:
        return response.status, time.perf_counter() - started, location
    offset = 0
    with path.open("rb") as handle:
        while offset < size:
            length = min(piece, size - offset)
            conn.putrequest("PATCH", location)
            headers = tus | {
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(length),
                "Upload-Offset": str(offset),
            }
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.endheaders()
            # Streamed from the file a MiB at a time, as a browser sends a slice of a File
            # (it never holds the whole piece in memory).
            handle.seek(offset)
            left = length
            while left:
                data = handle.read(min(1024 * 1024, left))
                conn.send(data)
                left -= len(data)
            response = conn.getresponse()
            response.read()
            if response.status != 204:
                return response.status, time.perf_counter() - started, location
            offset = int(response.getheader("Upload-Offset") or 0)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "style": "en", "uploads": location}
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"jiandu_session={cookie}",
        "Origin": "null",
    }
    conn.request("POST", "/en/submit/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, elapsed, response.getheader("Location") or ""


def worker_pids(root_pid: int) -> list[int]:
    """Every descendant of the `jiandu serve` process (gunicorn master and workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def peak_rss_mb(pids: list[int]) -> float:
    peak = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peak = max(peak, int(match.group(1)))
    return peak / 1024


def make_file(path: Path, size_mb: int) -> None:
    with path.open("wb") as out:
        block = os.urandom(1024 * 1024)
        for i in range(size_mb):
            out.write(block[i % 7 :] + block[: i % 7])


def age_rate(path: Path, work: Path) -> float:
    keys = work / "age-key.txt"
    subprocess.run(["age-keygen", "-o", str(keys)], check=True, capture_output=True)
    recipient = re.search(r"public key: (\S+)", keys.read_text()).group(1)
    started = time.perf_counter()
    subprocess.run(["age", "-r", recipient, "-o", str(work / "age.out"), str(path)], check=True)
    with (work / "age.out").open("rb") as handle:
        os.fsync(handle.fileno())
    elapsed = time.perf_counter() - started
    (work / "age.out").unlink()
    return path.stat().st_size / 1e6 / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="MiB to upload (1024)")
    parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8200")
    parser.add_argument("--pid", type=int, help="with --url: the `jiandu serve` pid, for RSS")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--tus", action="store_true", help="also send the file through tus, as the page's script"
    )
    args = parser.parse_args()
    if not shutil.which("age"):
        sys.exit("The `age` command is missing (Debian package age).")
    work = Path(tempfile.mkdtemp(prefix="jiandu-bench-"))
    server = None
    try:
        payload = work / "payload.bin"
        make_file(payload, args.size_mb)
        if args.url:
            match = re.match(r"https?://([^:/]+):(\d+)", args.url)
            host, port = match.group(1), int(match.group(2))
            root_pid = args.pid
        else:
            env = server_env(work / "data", JIANDU_MIN_FREE_BYTES=str(64 * 1024 * 1024))
            prepare(work / "data", env)
            host, port = "127.0.0.1", free_port()
            server = start_server(port, env)
            root_pid = server.pid
        warm(host, port)
        status, seconds, location = upload(host, port, payload)
        if status != 302 or "receipt" not in location:
            sys.exit(f"upload failed: HTTP {status} {location}")
        size_mb = payload.stat().st_size / 1e6
        rate = size_mb / seconds
        figures: dict[str, float] = {}
        if args.tus:
            piece = page_piece_bytes(host, port)
            status, tus_seconds, location = upload_tus(host, port, payload, piece)
            if status != 302 or "receipt" not in location:
                sys.exit(f"tus upload failed: HTTP {status} {location}")
            figures = {"tus_mb_per_s": size_mb / tus_seconds, "tus_piece_mib": piece / 2**20}
        rss = peak_rss_mb(worker_pids(root_pid)) if root_pid else 0.0
        age = age_rate(payload, work)
        print(
            f"jiandu: {size_mb:.0f} MB in {seconds:.1f} s = {rate:.1f} MB/s; peak RSS {rss:.0f} MB"
        )
        if figures:
            print(
                f"tus:    {figures['tus_mb_per_s']:.1f} MB/s"
                f" ({figures['tus_piece_mib']:.0f} MiB pieces)"
            )
        print(f"age:    {age:.1f} MB/s (encrypting the same file to disk)")
        print(
            f"ratio:  {rate / age:.2f}"
            + (f", tus {figures['tus_mb_per_s'] / age:.2f}" if figures else "")
        )
        line = {
            "mb_per_s": round(rate, 1),
            "age_mb_per_s": round(age, 1),
            "ratio": round(rate / age, 3),
            "peak_rss_mb": round(rss, 1),
            "size_mb": round(size_mb, 1),
        }
        if figures:
            line |= {
                "tus_mb_per_s": round(figures["tus_mb_per_s"], 1),
                "tus_ratio": round(figures["tus_mb_per_s"] / age, 3),
                "tus_piece_mib": round(figures["tus_piece_mib"], 1),
            }
        print(json.dumps(line))
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
