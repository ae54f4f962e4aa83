"""Public-site benchmark: wrk against a published case page, cold and warm, and against nginx
serving a static copy of the same page.

    .venv/bin/python bench/public.py [--seconds 20] [--connections 100]

It sets up a throw-away data dir with the demo case, then measures with wrk (100 connections,
20 s each):
- cold: `jiandu serve` with the full-page fast path off (JIANDU_PUBLIC_PAGE_CACHE=0), so
  every request is rendered by Django (templates, snapshot, metrics, middleware);
- warm: `jiandu serve` as deployed, after one request has filled the fast path;
- static: nginx serving the same page's bytes as a file;
- mirror: the scaled mode's nginx (drills/cluster.py's configuration, nothing behind it)
  serving the page from the signed mirror (`jiandu export-mirror`), as anonymous readers get it.
Server and wrk share the machine's cores, as they would in a single-box deployment. The last
line printed is one JSON object: rps_cold, rps_warm, rps_static, rps_mirror, ratio (warm /
static), mirror_ratio (mirror / static).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASE_PATH = "/cases/chongqing-lei-zhengfu/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(out.strip(), flush=True)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"wrk saw {errors.group(1)} error responses from {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def serve(data_dir: Path, port: int, cache: bool) -> subprocess.Popen:
    env = dict(
        os.environ,
        JIANDU_DATA_DIR=str(data_dir),
        JIANDU_PUBLIC_PAGE_CACHE="1" if cache else "0",
        JIANDU_LOG_LEVEL="WARNING",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen(
        [str(BIN / "jiandu"), "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {dir}/tmp;
  proxy_temp_path {dir}/tmp;
  fastcgi_temp_path {dir}/tmp;
  uwsgi_temp_path {dir}/tmp;
  scgi_temp_path {dir}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {dir}/www;
    location / {{ default_type text/html; try_files $uri $uri/index.html =404; }}
  }}
}}
"""


def nginx_static(work: Path, page: bytes, port: int) -> subprocess.Popen:
    www = work / "www" / CASE_PATH.strip("/")
    www.mkdir(parents=True)
    # nginx's workers run as nobody: they must reach the copy (a throw-away page, no secret).
    os.chmod(work.parent, 0o711)  # noqa: S103
    (www / "index.html").write_bytes(page)
    (work / "tmp").mkdir()
    os.chmod(work, 0o755)  # noqa: S103
    for path in (work / "www").rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chmod(work / "www", 0o755)  # noqa: S103
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=work, port=port))
    return subprocess.Popen(
        [
            shutil.which("nginx") or "/usr/sbin/nginx",
            "-p",
            str(work),
            "-c",
            str(conf),
            "-g",
            "daemon off;",
        ],
        start_new_session=True,
    )


def mirror(work: Path, env: dict[str, str], seconds: int, connections: int) -> float:
    """The case page from the signed mirror, through the scaled mode's own nginx front (its
    web process stand-in answers nothing: the page must come from the mirror)."""
    from drills.cluster import Cluster, Proc

    cluster = Cluster(work / "cluster")
    try:
        subprocess.run(
            [str(BIN / "jiandu"), "export-mirror", str(cluster.mirror_dir)],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        cluster.procs.append(Proc("web1", [], work / "web1.log", {}, port=free_port()))
        cluster._nginx()
        url = f"{cluster.base_url}{CASE_PATH}"
        wait_for(url)
        print("--- mirror: the scaled mode's nginx serving the signed mirror's page", flush=True)
        return wrk(url, seconds, connections)
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jiandu-bench-public-"))
    data_dir = work / "data"
    data_dir.mkdir()
    try:
        env = dict(os.environ, JIANDU_DATA_DIR=str(data_dir))
        env.pop("DJANGO_SETTINGS_MODULE", None)
        subprocess.run(
            [str(BIN / "jiandu"), "demo"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        results = {}
        page = b""
        for label, cache in (("cold", False), ("warm", True)):
            port = free_port()
            server = serve(data_dir, port, cache)
            try:
                url = f"http://127.0.0.1:{port}{CASE_PATH}"
                page = wait_for(url)
                wait_for(url)
                print(
                    f"--- {label}: jiandu serve, fast path {'on' if cache else 'off'}", flush=True
                )
                results[f"rps_{label}"] = wrk(url, args.seconds, args.connections)
            finally:
                stop(server)
        port = free_port()
        (work / "nginx").mkdir()
        nginx = nginx_static(work / "nginx", page, port)
        try:
            url = f"http://127.0.0.1:{port}{CASE_PATH}"
            assert wait_for(url) == page
            print("--- static: nginx serving the same page as a file", flush=True)
            results["rps_static"] = wrk(url, args.seconds, args.connections)
        finally:
            stop(nginx)
        results["rps_mirror"] = mirror(work, env, args.seconds, args.connections)
        results["ratio"] = round(results["rps_warm"] / results["rps_static"], 4)
        results["mirror_ratio"] = round(results["rps_mirror"] / results["rps_static"], 4)
        results = {k: v if "ratio" in k else round(v, 1) for k, v in results.items()}
        print(json.dumps(results))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
