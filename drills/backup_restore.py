"""Restore drill: an encrypted backup of a scaled Jiandu at work, the installation destroyed,
a new one restored from the backup alone, and the same checks as the other drills.

    .venv/bin/python -m drills.backup_restore [--seconds 20]

The backup is the one docs/operations.md ("Backups") prescribes, made with the same tools:

- the database: `pg_dump -Fc` piped to `age -R recipients` (the recipients' private keys are
  kept offline; the server holds only the public half);
- the blobs: every object of the bucket (already vault ciphertext, but their names, sizes and
  count are metadata) in one tar, piped to `age`;
- the data dir's secrets and state (the Django secret key that keys the custody chain and the
  key bindings, the codename pepper, the log's signing key; not the static files, not the
  staging folders), in a tar piped to `age` for a second recipient: a database backup and the
  secret key together could forge custody MACs, so they are never encrypted to the same key.

Then the first installation goes entirely (its PostgreSQL, its S3 server, its data dir). A new
one (new servers, empty bucket) gets the secrets, `pg_restore`, the objects put back in the
bucket, `jiandu migrate` and the start-up clean-up; then the checks of drills/common.py with
the first installation's acknowledgements, and editor A and B sign in over HTTP (password,
TOTP, vault key) on the restored site and publish once more.
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import boto3

from drills.cluster import Cluster
from drills.common import RESULTS, DrillResult, parser, report
from drills.workload import Editors, Tally, Uploader

# What of the data dir is state to back up (everything else is made again or is a blob).
NOT_STATE = {"static", "vault", "previews", "files"}


def age_identity(folder: Path, name: str) -> str:
    """A new age key pair in `folder` (the offline half); returns the recipient."""
    identity = folder / f"{name}.age-identity"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    return subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()


def encrypt_to(recipient: str, data: bytes, out: Path) -> None:
    subprocess.run(["age", "-r", recipient, "-o", str(out)], input=data, check=True)


def decrypt(identity: Path, path: Path) -> bytes:
    return subprocess.run(
        ["age", "-d", "-i", str(identity), str(path)], check=True, capture_output=True
    ).stdout


def s3(cluster: Cluster):  # type: ignore[no-untyped-def]
    env = cluster.env
    return boto3.client(
        "s3",
        endpoint_url=env["JIANDU_S3_ENDPOINT_URL"],
        region_name=env.get("JIANDU_S3_REGION", "us-east-1"),
        aws_access_key_id=env["JIANDU_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["JIANDU_S3_SECRET_ACCESS_KEY"],
    )


def tar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def untar_bytes(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile() and not m.name.startswith("/") and ".." not in m.name.split("/")
        }


def backup(cluster: Cluster, out: Path, db_recipient: str, secrets_recipient: str) -> dict:
    """The three encrypted files of docs/operations.md's backup."""
    dump = subprocess.run(
        ["pg_dump", "-Fc", cluster.env["DATABASE_URL"]], check=True, capture_output=True
    ).stdout
    encrypt_to(db_recipient, dump, out / "db.dump.age")
    client, bucket = s3(cluster), cluster.env["JIANDU_S3_BUCKET"]
    objects: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
            objects[entry["Key"]] = body
    encrypt_to(db_recipient, tar_bytes(objects), out / "blobs.tar.age")
    data_dir = Path(cluster.env["JIANDU_DATA_DIR"])
    state = {
        str(path.relative_to(data_dir)): path.read_bytes()
        for path in data_dir.rglob("*")
        if path.is_file() and path.relative_to(data_dir).parts[0] not in NOT_STATE
    }
    encrypt_to(secrets_recipient, tar_bytes(state), out / "secrets.tar.age")
    return {"dump_bytes": len(dump), "objects": len(objects), "state_files": sorted(state)}


def restore(cluster: Cluster, out: Path) -> None:
    data_dir = Path(cluster.env["JIANDU_DATA_DIR"])
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, data in untar_bytes(
        decrypt(out / "secrets.age-identity", out / "secrets.tar.age")
    ).items():
        target = data_dir / name
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o600)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", cluster.env["DATABASE_URL"]],
        input=decrypt(out / "db.age-identity", out / "db.dump.age"),
        check=True,
        capture_output=True,
    )
    client, bucket = s3(cluster), cluster.env["JIANDU_S3_BUCKET"]
    for key, data in untar_bytes(decrypt(out / "db.age-identity", out / "blobs.tar.age")).items():
        client.put_object(Bucket=bucket, Key=key, Body=data)


def work(cluster: Cluster, tally: Tally, password: str, setup: dict, seconds: float) -> None:
    stop = threading.Event()
    clients = [Uploader(cluster.base_url, tally, stop) for _ in range(2)]
    clients.append(Editors(cluster.base_url, tally, stop, password, setup))
    for client in clients:
        client.start()
    stop.wait(seconds)
    stop.set()
    for client in clients:
        client.join(timeout=150)


def run(seconds: float, keep: bool) -> DrillResult:
    started = time.monotonic()
    folder = RESULTS / f"backup-restore-{time.strftime('%Y%m%d-%H%M%S')}"
    out = folder / "backup"
    out.mkdir(mode=0o700, parents=True)
    env = {"JIANDU_INTAKE_PER_MINUTE": "100000", "JIANDU_KDF_OPSLIMIT": "1"}
    password = f"drill {secrets.token_hex(8)} password"
    result = DrillResult("backup+restore", "")
    tally = Tally()
    first = Cluster(folder / "first", private=True, extra_env=env)
    second = Cluster(folder / "second", private=True, extra_env=env)
    try:
        first.start_services()
        first.prepare()
        setup = json.loads(first.python("drills.djangoside", "setup", password))
        first.start_processes()
        first.supervise()
        work(first, tally, password, setup, seconds)
        time.sleep(10)
        first.quiesce()
        made = backup(first, out, age_identity(out, "db"), age_identity(out, "secrets"))
        first.stop()
        shutil.rmtree(folder / "first")
        second.start_services()
        restore(second, out)
        second.prepare()
        acked = folder / "acked.json"
        acked.write_text(
            json.dumps(
                {
                    "password": password,
                    "uploads": tally.acked_uploads,
                    "publications": tally.acked_publications,
                }
            )
        )
        found = json.loads(second.python("drills.djangoside", "verify", str(acked)))
        custody = second.jiandu("verify_custody", check=False)
        result.problems = list(found["problems"])
        if "intact" not in custody:
            result.problems.append(f"jiandu verify_custody: {custody.strip()}")
        # The restored site at work: both editors sign in and publish once more.
        second.start_processes()
        after = Tally()
        editors = Editors(second.base_url, after, threading.Event(), password, setup)
        try:
            editors.a.sign_in()
            editors.b.sign_in()
            for _ in range(3):
                editors.step()
        except Exception as exc:  # reported, not raised: the table says what failed
            result.problems.append(f"restored site: {type(exc).__name__}: {exc}")
        if not after.acked_publications:
            result.problems.append("the restored site did not publish")
        second.quiesce()
        result.faults = (
            f"backup ({made['objects']} objects, {made['dump_bytes'] // 1024} KiB dump), "
            "everything destroyed, restored"
        )
        result.details = {"backup": made, "verify": found, "errors": tally.errors}
        result.row = {
            "drill": result.drill,
            "faults": result.faults,
            "uploads": f"{len(tally.acked_uploads)}/{tally.attempts.get('upload', 0)}",
            "publications": f"{len(tally.acked_publications)}/"
            f"{tally.attempts.get('publication', 0)} (+{len(after.acked_publications)} after)",
            "items": found["items"],
            "previews_ready": found["previews_ready"],
            "lost": found["lost_uploads"],
            "half": sum(1 for p in result.problems if "not in the log" in p),
            "orphans": str(found["orphan_blobs"]),
            "custody": custody.strip().removeprefix("Custody log ").rstrip("."),
            "client_errors": sum(tally.errors.values()),
            "seconds": round(time.monotonic() - started),
            "ok": "PASS" if not result.problems else "FAIL",
        }
    except Exception as exc:
        result.problems.append(f"the drill itself failed: {type(exc).__name__}: {exc}"[:2000])
        result.row = {"drill": result.drill, "faults": result.faults, "ok": "FAIL"}
    finally:
        first.stop()
        second.stop()
    (folder / "result.json").write_text(
        json.dumps({"row": result.row, "problems": result.problems, **result.details}, indent=1)
    )
    if result.ok and not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=20)
    args = p.parse_args()
    if shutil.which("age") is None or shutil.which("pg_dump") is None:
        print("SKIP: the restore drill needs age and pg_dump (apt-get install age postgresql).")
        return 77
    return report([run(args.seconds, args.keep)])


if __name__ == "__main__":
    sys.exit(main())
