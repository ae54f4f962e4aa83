"""The scaled deployment on one machine, as a Python object: PostgreSQL, Redis, an S3 server,
two web processes, two workers and nginx in front, all on 127.0.0.1.

`scripts/run_scaled.py` (`make run-scaled`) serves the demo with it; the fault drills under
`drills/` and `bench/load.py` start one each, kill its processes, restart its services and
check what is left. One module, so the drills break exactly what `make run-scaled` runs.

Services: `Cluster(private=False)` uses the machine's own PostgreSQL (127.0.0.1:5432) and Redis
(127.0.0.1:6379) where they answer, and starts its own where they do not. The drills always
pass `private=True`: they restart PostgreSQL and Redis and fill disks, which they must never do
to servers other people use. The S3 server is moto's (`moto[server]`, an in-memory S3; see
tests/s3server.py for why), unless JIANDU_S3_ENDPOINT_URL names a real one.

Settings come from the environment the rest of the project reads (docs/operations.md):
DATABASE_URL, JIANDU_BLOB_BACKEND + JIANDU_S3_*, JIANDU_THROTTLE_STORE +
JIANDU_THROTTLE_REDIS_URL (one Redis database), JIANDU_TASK_BACKEND=redis + JIANDU_REDIS_URL
(the next database of the same Redis), JIANDU_MIRROR_DIR. The workers are `jiandu
redis_worker` (`jiandu db_worker` with JIANDU_TASK_BACKEND=database; JIANDU_WORKER_COMMAND
names any other `jiandu` subcommand and its options).

Every process runs in its own process group, so a SIGKILL takes its children with it (a
gunicorn master and its worker, a sandboxed tool under a worker), and everything stops when the
cluster does: `stop()` at the end, and an `atexit` guard if the caller forgets.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
S3_BACKEND = "jiandu.core.blobstore.services.S3BlobStore"
REDIS_THROTTLE = "jiandu.core.throttle.RedisCounters"
DB_WORKER_COMMAND = "db_worker --interval 1"


class ClusterError(RuntimeError):
    """A service or process that did not come up in time."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def port_answers(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def wait_for(check, what: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            raise ClusterError(f"{what}: the process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.2)


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries Debian installed (pg_ctl, initdb)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
    )
    return versions[-1].parent if versions else None


@dataclass
class Proc:
    """One supervised process: its command, log and the Popen of its current life."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    port: int | None = None
    popen: subprocess.Popen | None = None
    starts: int = 0
    kills: int = 0

    def start(self) -> None:
        out = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        self.starts += 1

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, not a shutdown."""
        if self.alive():
            self.kills += 1
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=10)
        if self.port is not None:  # a gunicorn worker may hold the port a moment longer
            deadline = time.monotonic() + 10
            while port_answers(self.port) and time.monotonic() < deadline:
                self.signal(signal.SIGKILL)
                time.sleep(0.1)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            self.signal(signal.SIGKILL)  # children of an already dead leader
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=10)  # type: ignore[union-attr]
        self.signal(signal.SIGKILL)


@dataclass
class Cluster:
    """Services and processes of one scaled Jiandu on loopback; see the module docstring."""

    data_dir: Path
    port: int = 0  # nginx's port; 0: a free one
    webs: int = 2
    workers: int = 2
    private: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    database_name: str = ""
    fresh: bool = False  # drop an existing database of that name and the data dir first
    task_backend: str = "redis"  # JIANDU_TASK_BACKEND unless the environment names one
    env: dict[str, str] = field(default_factory=dict, init=False)
    procs: list[Proc] = field(default_factory=list, init=False)
    services: dict[str, str] = field(default_factory=dict, init=False)  # name -> how it runs
    _service_procs: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    _pg_dir: Path | None = field(default=None, init=False)
    _public_dir: Path | None = field(default=None, init=False)
    _created_database: bool = field(default=False, init=False)
    _pg_port: int = field(default=0, init=False)
    _redis_port: int = field(default=0, init=False)
    _redis_dir: Path | None = field(default=None, init=False)
    _supervisor: threading.Thread | None = field(default=None, init=False)
    _stop_supervising: threading.Event = field(default_factory=threading.Event, init=False)
    _paused: set[str] = field(default_factory=set, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.logs).mkdir(exist_ok=True)
        self.port = self.port or free_port()
        self.database_name = self.database_name or f"jiandu_{secrets.token_hex(4)}"
        self._public_dir = Path(tempfile.mkdtemp(prefix="jiandu-public-"))
        self._public_dir.chmod(0o755)
        atexit.register(self.stop)

    # --- paths and environment ------------------------------------------------------------

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def public_dir(self) -> Path:
        """What nginx's worker reads (the mirror, hence its static files): a folder of its own
        that others may read, since the data dir is the owner's alone (0700) and nginx's
        worker runs as another user. Removed when the cluster stops."""
        if self._public_dir is None:
            raise ClusterError("the cluster has stopped")
        return self._public_dir

    @property
    def mirror_dir(self) -> Path:
        return self.public_dir / "mirror"

    def _base_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("JIANDU_", "DATABASE_URL", "DJANGO_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="jiandu.settings",
            JIANDU_DATA_DIR=str(self.data_dir / "data"),
            JIANDU_PORT=str(self.port),
            JIANDU_PUBLIC_BASE_URL=self.base_url,
            JIANDU_SECURE_COOKIES="false",  # plain HTTP on loopback; TLS: docs/operations.md
            JIANDU_MIRROR_DIR=str(self.mirror_dir),
            JIANDU_WORKERS="1",
            JIANDU_THREADS="8",
        )
        # What the caller set for Jiandu (a real S3, another task backend) wins, except the
        # data dir: the cluster's is its own, made anew on a fresh start. The Makefile exports
        # JIANDU_DATA_DIR (`make run`'s var/, which holds var/scaled): taken here, a fresh
        # start removed the folder the cluster keeps its logs and password in (issue 22 item 0).
        env.update(
            {
                k: v
                for k, v in os.environ.items()
                if k.startswith("JIANDU_") and k != "JIANDU_DATA_DIR"
            }
        )
        env.update(self.extra_env)
        return env

    def _clear_last_run(self) -> None:
        """A fresh start: the last run's data dir and mirror go, never a folder that holds the
        cluster's own (its logs, the machine's database password)."""
        for path in (Path(self.env["JIANDU_DATA_DIR"]), self.mirror_dir):
            if path.resolve() in (self.data_dir, *self.data_dir.parents):
                raise ClusterError(f"{path} holds the cluster's own folder: not removed")
            shutil.rmtree(path, ignore_errors=True)

    # --- services -------------------------------------------------------------------------

    def start_services(self) -> None:
        """PostgreSQL, Redis and S3 (reused or started), then the environment that names them."""
        self.env = self._base_env()
        if self.fresh:
            self._clear_last_run()
        self.env["DATABASE_URL"] = self._postgres()
        redis_url = self._redis()  # ends in a database number
        base, number = redis_url.rsplit("/", 1)
        self.env.setdefault("JIANDU_THROTTLE_STORE", REDIS_THROTTLE)
        self.env.setdefault("JIANDU_THROTTLE_REDIS_URL", redis_url)
        self.env.setdefault("JIANDU_TASK_BACKEND", self.task_backend)
        self.env.setdefault("JIANDU_REDIS_URL", f"{base}/{int(number) + 1}")
        self._s3()

    def postgres_database(self) -> str:
        """Only a database (no other service): for benches that need PostgreSQL alone."""
        self.env = self._base_env()
        self.env["DATABASE_URL"] = self._postgres()
        return self.env["DATABASE_URL"]

    def drop_database(self) -> None:
        """Drop the run's database on the machine's server (a private server goes whole)."""
        url = self.env.get("DATABASE_URL", "")
        if self._pg_dir is not None or not url or not self._created_database:
            return
        import psycopg

        with contextlib.suppress(psycopg.Error):
            base = url.rsplit("/", 1)[0]
            with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def _run_as_postgres(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)

    def _postgres(self) -> str:
        if os.environ.get("DATABASE_URL") and not self.private:
            self.services["postgresql"] = "DATABASE_URL"
            return os.environ["DATABASE_URL"]
        if not self.private and port_answers(5432):
            url = self._machine_postgres()
            if url:
                return url
        return self._own_postgres()

    def _machine_postgres(self) -> str:
        """A database on the machine's server: as `postgres` without a password, or (as root)
        a role made over the local socket, its password kept in the data dir (0600)."""
        import psycopg

        candidates = [f"postgres://postgres@{LOOPBACK}:5432"]
        secret = self.data_dir / "postgres-password"
        if os.geteuid() == 0 and shutil.which("psql"):
            if not secret.exists():
                secret.write_text(secrets.token_urlsafe(24))
                secret.chmod(0o600)
            password = secret.read_text().strip()
            sql = (
                "SELECT format('CREATE ROLE jiandu_scaled LOGIN CREATEDB PASSWORD %L', :'pw') "
                "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jiandu_scaled') \\gexec\n"
                "ALTER ROLE jiandu_scaled WITH LOGIN CREATEDB PASSWORD :'pw';\n"
            )
            with contextlib.suppress(subprocess.CalledProcessError, OSError):
                subprocess.run(
                    ["runuser", "-u", "postgres", "--", "psql", "-qAt", "-v", "ON_ERROR_STOP=1",
                     "-v", f"pw={password}"],
                    input=sql, check=True, capture_output=True, text=True, timeout=30,
                )  # fmt: skip
                candidates.append(f"postgres://jiandu_scaled:{password}@{LOOPBACK}:5432")
        for base in reversed(candidates):
            try:
                with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as db:
                    exists = db.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", [self.database_name]
                    ).fetchone()
                    if exists and self.fresh:
                        db.execute(f'DROP DATABASE "{self.database_name}" WITH (FORCE)')
                        exists = None
                    if not exists:
                        db.execute(f'CREATE DATABASE "{self.database_name}"')
                        self._created_database = True
            except psycopg.Error:
                continue
            self.services["postgresql"] = f"the machine's, database {self.database_name}"
            return f"{base}/{self.database_name}"
        return ""

    def _own_postgres(self) -> str:
        """A private cluster in a folder of its own (owned by `postgres` when we are root)."""
        binaries = postgres_bin()
        if binaries is None:
            raise ClusterError("PostgreSQL is not installed (apt-get install postgresql)")
        self._pg_dir = Path(tempfile.mkdtemp(prefix="jiandu-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self._pg_dir, user.pw_uid, user.pw_gid)
        self._pg_port = free_port()
        self._run_as_postgres(
            [str(binaries / "initdb"), "-D", str(self._pg_dir / "data"), "-A", "trust",
             "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
            timeout=120,
        )  # fmt: skip
        self.start_postgres()
        subprocess.run(
            ["psql", "-h", LOOPBACK, "-p", str(self._pg_port), "-U", "postgres", "-qAtc",
             f'CREATE DATABASE "{self.database_name}"'],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        self.services["postgresql"] = f"own, port {self._pg_port}"
        return f"postgres://postgres@{LOOPBACK}:{self._pg_port}/{self.database_name}"

    def start_postgres(self) -> None:
        assert self._pg_dir is not None, "only a private PostgreSQL is started here"
        binaries = postgres_bin()
        self._run_as_postgres(
            [str(binaries / "pg_ctl"), "-D", str(self._pg_dir / "data"), "-l",
             str(self._pg_dir / "postgres.log"), "-w", "-t", "60", "-o",
             f"-p {self._pg_port} -k {self._pg_dir} -c listen_addresses={LOOPBACK} "
             "-c max_connections=200 -c shared_buffers=64MB", "start"],
            timeout=90,
        )  # fmt: skip

    def stop_postgres(self, mode: str = "immediate") -> None:
        """`immediate` is a crash for the clients: no checkpoint, recovery at the next start."""
        if self._pg_dir is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run_as_postgres(
                [str(postgres_bin() / "pg_ctl"), "-D", str(self._pg_dir / "data"), "-m", mode,
                 "-w", "stop"],
                timeout=60,
            )  # fmt: skip

    def _redis(self) -> str:
        if not self.private and port_answers(6379):
            self.services["redis"] = "the machine's, database 5"
            return f"redis://{LOOPBACK}:6379/5"
        if shutil.which("redis-server") is None:
            raise ClusterError("Redis is not installed (apt-get install redis-server)")
        self._redis_port = free_port()
        self._redis_dir = self.data_dir / "redis"
        self._redis_dir.mkdir(mode=0o700, exist_ok=True)
        self.start_redis()
        self.services["redis"] = f"own, port {self._redis_port} (no persistence)"
        return f"redis://{LOOPBACK}:{self._redis_port}/0"

    def start_redis(self) -> None:
        assert self._redis_dir is not None, "only a private Redis is started here"
        log = (self.logs / "redis.log").open("ab")
        self._service_procs["redis"] = subprocess.Popen(
            ["redis-server", "--bind", LOOPBACK, "--port", str(self._redis_port),
             "--dir", str(self._redis_dir), "--appendonly", "no", "--save", "",
             "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_for(lambda: port_answers(self._redis_port), "redis", 30, self._service_procs["redis"])

    def stop_redis(self) -> None:
        """A crash: Redis runs without persistence (the throttle counters must not reach a
        disk, docs/threat-model.md), so every count is gone."""
        proc = self._service_procs.pop("redis", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def _s3(self) -> None:
        if self.env.get("JIANDU_BLOB_BACKEND") not in (None, "", S3_BACKEND):
            self.services["blobs"] = self.env["JIANDU_BLOB_BACKEND"]
            return
        self.env["JIANDU_BLOB_BACKEND"] = S3_BACKEND
        if not self.env.get("JIANDU_S3_ENDPOINT_URL"):
            port = free_port()
            log = (self.logs / "s3.log").open("ab")
            proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            log.close()
            self._service_procs["s3"] = proc
            wait_for(lambda: port_answers(port), "moto S3 server", 60, proc)
            self.env["JIANDU_S3_ENDPOINT_URL"] = f"http://{LOOPBACK}:{port}"
            self.env.setdefault("JIANDU_S3_ACCESS_KEY_ID", "scaled")
            self.env.setdefault("JIANDU_S3_SECRET_ACCESS_KEY", secrets.token_hex(16))
            self.services["s3"] = f"own moto server, port {port} (in memory)"
        else:
            self.services["s3"] = self.env["JIANDU_S3_ENDPOINT_URL"]
        self.env.setdefault("JIANDU_S3_BUCKET", "jiandu-scaled")
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.env["JIANDU_S3_ENDPOINT_URL"],
            region_name=self.env.get("JIANDU_S3_REGION", "us-east-1"),
            aws_access_key_id=self.env.get("JIANDU_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=self.env.get("JIANDU_S3_SECRET_ACCESS_KEY") or None,
        )
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=self.env["JIANDU_S3_BUCKET"])

    # --- the project ----------------------------------------------------------------------

    def jiandu(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        """A `jiandu` command with the cluster's environment; returns its output."""
        done = subprocess.run(
            [sys.executable, "-m", "jiandu.cli", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise ClusterError(f"jiandu {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    def python(self, module: str, *args: str, timeout: float = 600) -> str:
        """`python -m module args` with the cluster's environment (drills' Django side)."""
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(f"{module} {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def prepare(self, demo: bool = False) -> str:
        """Migrate, static files and the rooms' start-up clean-ups (as `jiandu serve` does,
        once for the whole cluster), then the demo if asked. Returns the demo's output."""
        self.jiandu("migrate", "--noinput", "-v", "0")
        self.jiandu("createcachetable", "-v", "0")
        self.jiandu("collectstatic", "--noinput", "-v", "0")
        self.run_startup_hooks()
        return self.jiandu("demo") if demo else ""

    def run_startup_hooks(self) -> str:
        """`jiandu serve`'s clean-ups: only while no web process or worker runs, since they
        remove blobs no row points to yet (an upload in flight has one)."""
        return self.jiandu(
            "shell", "-c",
            "from jiandu.core.management.commands.serve import Command\n"
            "for name, result in Command().startup_hooks(): print(name, result)",
        )  # fmt: skip

    def web_ports(self) -> list[int]:
        return [p.port for p in self.procs if p.name.startswith("web") and p.port]

    def start_processes(self) -> None:
        worker_args = shlex.split(self.env.get("JIANDU_WORKER_COMMAND", "")) or (
            ["redis_worker"]
            if self.env.get("JIANDU_TASK_BACKEND") == "redis"
            else shlex.split(DB_WORKER_COMMAND)
        )
        for n in range(self.webs):
            port = free_port()
            self.procs.append(
                Proc(
                    f"web{n + 1}",
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        "python:jiandu.core.gunicorn_conf",
                        "--bind",
                        f"{LOOPBACK}:{port}",
                    ],
                    self.logs / f"web{n + 1}.log",
                    self.env,
                    port=port,
                )
            )
        for n in range(self.workers):
            self.procs.append(
                Proc(
                    f"worker{n + 1}",
                    [sys.executable, "-m", "jiandu.cli", *worker_args],
                    self.logs / f"worker{n + 1}.log",
                    self.env,
                )
            )
        for proc in self.procs:
            proc.start()
        for proc in self.procs:
            if proc.port:
                self.wait_web(proc)
        self._nginx()

    def wait_web(self, proc: Proc, timeout: float = 90) -> None:
        def answers() -> bool:
            try:
                urllib.request.urlopen(f"http://{LOOPBACK}:{proc.port}/en/", timeout=5).read()
                return True
            except OSError:
                return False

        wait_for(answers, proc.name, timeout, proc.popen)

    def nginx_conf(self) -> str:
        """nginx in front: static files from the mirror's copy (the web processes' WhiteNoise
        for any it lacks); for anonymous readers (a GET or HEAD with no session cookie and no
        query) the signed mirror's pages where it has them; the web processes for the rest."""
        tmp = self.data_dir / "nginx"
        upstream = "\n".join(
            f"        server {LOOPBACK}:{port} max_fails=1 fail_timeout=2s;"
            for port in self.web_ports()
        )
        return f"""# Written by drills/cluster.py for this run (docs/operations.md: production's).
worker_processes auto;  # one per core: the mirror's files as fast as any static file's
daemon off;
pid {tmp}/nginx.pid;
error_log {self.logs}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    # The mirror's files are looked up several ways (try_files): keep what was found, and look
    # again every two seconds (a publication rewrites the mirror).
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 2s;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # Never plaintext on nginx's disk: bodies with files stream to the web process (which
    # encrypts as bytes arrive), others are buffered in memory only (the buffer holds the
    # largest allowed), and answers (a decrypted download) are never spooled to a temporary
    # file. Slow clients wait in nginx, not in a web thread (docs/operations.md, "Slow clients").
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    proxy_request_buffering on;
    client_header_timeout 15s;
    client_body_timeout 15s;
    proxy_max_temp_file_size 0;
    upstream jiandu {{
{upstream}
        keepalive 64;
        # Below gunicorn's keepalive (5 s): nginx must never send a request (an upload, which
        # it does not retry) on a connection the web process is closing as idle: a 502.
        keepalive_timeout 4s;
    }}
    # Anonymous readers' pages the mirror cannot hold (search with its query, a page not yet
    # exported): each answer the web processes mark public is kept one second (two at most:
    # nginx counts whole seconds), per address (the language is in it), so a popular search
    # reaches Django about once a second whatever the readers (issue 22 item 3). Only
    # public, cookieless 200 answers to requests without a session cookie are kept; what is
    # kept is public anyway (published pages), in a folder of the run's own.
    proxy_cache_path {self.public_dir}/nginx-cache levels=1:2 keys_zone=jiandu_public:8m
                     max_size=256m inactive=1m use_temp_path=off;
    map $upstream_http_cache_control $jiandu_not_public {{
        "~*(^|[ ,])public($|[ ,])" 0;
        default 1;
    }}
    map "$request_method:$cookie_jiandu_session:$args" $mirror_root {{
        "GET::"  {self.mirror_dir};
        "HEAD::" {self.mirror_dir};
        default  /nonexistent;
    }}
    server {{
        listen {LOOPBACK}:{self.port} backlog=4096;
        location /static/ {{
            root {self.mirror_dir};
            expires 1h;
            try_files $uri @app;
        }}
        # Entry bundles hold JSON entries (a few times smaller compressed), public, no secret in
        # them: compressing them leaks nothing (BREACH needs a secret beside what an attacker
        # sends). First among the regular expressions: nginx takes the first that matches.
        location ~ ^/log/tile/entries/ {{
            root $mirror_root;
            default_type application/octet-stream;
            gzip on;
            gzip_types application/octet-stream;
            gzip_min_length 256;
            gzip_vary on;
            try_files $uri @app;
        }}
        # Files (the tip line's form and tus pieces, the newsroom's uploads, the verify page's
        # file): streamed, each view enforcing its own limits. Before the mirror's locations.
        location ~ ^/(?:(?:zh-hant|en)/)?(?:submit|upload|newsroom|log/verify)/ {{
            client_max_body_size 0;
            proxy_request_buffering off;
            proxy_pass http://jiandu;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 300s;
        }}
        # The mirror keeps language-independent files once, without a prefix (ledger/mirror.py).
        location ~ ^/(?:zh-hant|en)/(cases/(?:api|export|evidence)/.*|cases/sitemap[.]xml)$ {{
            root $mirror_root;
            try_files /$1 @app;
        }}
        location ~ ^/((zh-hant|en)/)?(cases|log)/ {{
            root $mirror_root;
            try_files $uri ${{uri}}index.html $uri/index.html @public;
        }}
        location / {{
            proxy_pass http://jiandu;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 300s;
        }}
        location @app {{
            proxy_pass http://jiandu;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
        location @public {{
            proxy_pass http://jiandu;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_cache jiandu_public;
            proxy_cache_key $request_uri;
            proxy_ignore_headers Cache-Control Expires;
            proxy_cache_valid 200 1s;
            proxy_cache_bypass $cookie_jiandu_session;
            proxy_no_cache $cookie_jiandu_session $jiandu_not_public;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 5s;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
        }}
    }}
}}
"""

    def _nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise ClusterError("nginx is not installed (apt-get install nginx-light)")
        tmp = self.data_dir / "nginx"
        tmp.mkdir(exist_ok=True)
        conf = tmp / "nginx.conf"
        conf.write_text(self.nginx_conf())
        proc = Proc(
            "nginx", [nginx, "-c", str(conf), "-p", str(tmp)], self.logs / "nginx.log", self.env
        )
        proc.start()
        self._service_procs["nginx"] = proc.popen  # type: ignore[assignment]
        wait_for(lambda: port_answers(self.port), "nginx", 30, proc.popen)
        self.services["nginx"] = f"own, {self.base_url}"

    def export_mirror(self) -> str:
        """The signed static mirror nginx serves to anonymous readers (`jiandu export-mirror`)."""
        return self.jiandu("export-mirror", str(self.mirror_dir), timeout=900)

    # --- supervision ----------------------------------------------------------------------

    def supervise(self) -> None:
        """Restart any dead web process or worker within half a second (systemd's
        Restart=always, in docs/operations.md)."""

        def loop() -> None:
            while not self._stop_supervising.wait(0.5):
                with self._lock:
                    for proc in self.procs:
                        if proc.name not in self._paused and not proc.alive():
                            proc.signal(signal.SIGKILL)  # leftovers of the dead group
                            proc.start()

        self._supervisor = threading.Thread(target=loop, daemon=True)
        self._supervisor.start()

    def kill(self, name: str) -> None:
        with self._lock:
            next(p for p in self.procs if p.name == name).kill()

    def pause(self, names: set[str]) -> None:
        """Keep these stopped (no restart) until `resume`."""
        with self._lock:
            self._paused |= names
            for proc in self.procs:
                if proc.name in names:
                    proc.kill()

    def resume(self) -> None:
        with self._lock:
            self._paused.clear()

    def wait_all_webs(self, timeout: float = 90) -> None:
        for proc in self.procs:
            if proc.port:
                self.wait_web(proc, timeout)

    def quiesce(self) -> None:
        """Stop the web processes and workers for good (before the final checks)."""
        self._stop_supervising.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        for proc in self.procs:
            proc.stop()

    def stop(self) -> None:
        """Everything this cluster started, in reverse; the machine's services are left alone."""
        self.quiesce()
        for name in ("nginx", "s3", "redis"):
            proc = self._service_procs.pop(name, None)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        if self._public_dir is not None:
            shutil.rmtree(self._public_dir, ignore_errors=True)
            self._public_dir = None
        if self._pg_dir is not None:
            self.stop_postgres("fast")
            shutil.rmtree(self._pg_dir, ignore_errors=True)
            self._pg_dir = None
