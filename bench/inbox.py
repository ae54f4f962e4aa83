"""Inbox benchmark: 10,000 generated sources and 100,000 items, the inbox page timed through
Django's test client (the whole request: middleware, encrypted session, query, template).

    .venv/bin/python bench/inbox.py [--sources 10000] [--items 100000] [--requests 200]
    .venv/bin/python bench/inbox.py --postgres --sources 100000 --items 1000000

It builds a throw-away SQLite database in a temporary data dir (or DATABASE_URL if given, which
it then fills: use an empty database), with random bytes where ciphertext would be (the list
page never decrypts), signs a journalist in through the real two-step views, and requests the
inbox: the first page, deeper pages, and filtered views, in turn. The last line printed is one
JSON object: database, sources, items, p50_ms, p99_ms (goal: p99 under 300 ms).

--postgres: a throw-away database on the machine's PostgreSQL (127.0.0.1:5432; as root a role
of its own is made over the local socket), or on a private server started for the run where
none answers (drills/cluster.py); dropped afterwards. After the bulk load it runs ANALYZE, as
autovacuum would soon after such a load on a live server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench password 1234567"  # noqa: S105  (a throw-away bench account)


def setup_django(data_dir: Path) -> None:
    os.environ["JIANDU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiandu.settings"
    os.environ.setdefault("JIANDU_SECURE_COOKIES", "false")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["testserver"]
    from jiandu.vault.crypto import KdfParams

    settings.JIANDU_VAULT_KDF = KdfParams(opslimit=1, memlimit=8192)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def fill(sources: int, items: int) -> None:
    """Rows as the product makes them, written in bulk (random bytes stand for ciphertext)."""
    from django.db import transaction

    from jiandu.accounts.models import User
    from jiandu.newsroom.models import ReadMark, SourceState
    from jiandu.vault.models import Item, Source, Submission

    rng = random.Random(42)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    members = list(User.objects.all())
    statuses = ["new", "in_review", "authenticating", "published", "closed"]
    with transaction.atomic():
        rows = [
            Source(
                lookup=f"{n:064x}",
                designation=f"bench source {n:05d}",
                public_key=os.urandom(32),
                reply_public_key=os.urandom(32),
                created_hour=now - timedelta(hours=rng.randrange(24 * 365)),
                last_active_hour=now - timedelta(hours=rng.randrange(24 * 90)),
            )
            for n in range(sources)
        ]
        Source.objects.bulk_create(rows, batch_size=2000)
        ids = list(Source.objects.order_by("pk").values_list("pk", flat=True))
        SourceState.objects.bulk_create(
            [
                SourceState(
                    source_id=pk,
                    status=rng.choice(statuses),
                    starred=rng.random() < 0.1,
                    assignee=rng.choice([None, *members]),
                )
                for pk in ids
            ],
            batch_size=2000,
        )
        Submission.objects.bulk_create(
            [Submission(source_id=pk, created_hour=now) for pk in ids], batch_size=2000
        )
        submissions = dict(Submission.objects.values_list("source_id", "pk"))
        kinds = ["message"] * 5 + ["file"] * 3 + ["questionnaire", "reply"]
        batch: list[Item] = []
        for n in range(items):
            pk = ids[n % len(ids)] if n < len(ids) else rng.choice(ids)
            kind = rng.choice(kinds)
            batch.append(
                Item(
                    source_id=pk,
                    submission_id=None if kind == "reply" else submissions[pk],
                    kind=kind,
                    sealed_key=os.urandom(80),
                    meta=os.urandom(120),
                    blob=f"{n:032x}.jdv",
                    created_hour=now,
                )
            )
            if len(batch) == 5000:
                Item.objects.bulk_create(batch)
                batch = []
        Item.objects.bulk_create(batch)
        reader = members[0]
        ReadMark.objects.bulk_create(
            [ReadMark(user=reader, source_id=pk, last_item_id=0) for pk in ids[::3]],
            batch_size=2000,
        )


def signed_in_client():
    import pyotp
    from django.test import Client

    from jiandu.accounts import actions
    from jiandu.accounts.models import User

    user = User.objects.get(username="bench")
    client = Client()
    response = client.post("/en/newsroom/", {"username": "bench", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    response = client.post("/en/newsroom/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 302, response.status_code
    client.get("/en/newsroom/sources/key/")  # the recovery key page, shown once
    del actions
    return client


def make_members() -> None:
    from jiandu.accounts import actions
    from jiandu.accounts.models import User

    for name in ("bench", "wang", "li"):
        member = actions.do_create_member(name, "journalist", password=PASSWORD)
        actions.do_start_totp_enrolment(member.user)
        User.objects.filter(pk=member.user.pk).update(totp_confirmed=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiandu-bench-inbox-") as tmp:
        cluster = None
        if args.postgres:
            from drills.cluster import Cluster

            cluster = Cluster(Path(tmp) / "pg", private=False)
            os.environ["DATABASE_URL"] = cluster.postgres_database()
        try:
            run(Path(tmp), args)
        finally:
            if cluster is not None:
                from django.db import connections

                connections.close_all()
                cluster.drop_database()
                cluster.stop()


def run(tmp: Path, args: argparse.Namespace) -> None:
    setup_django(tmp / "data")
    make_members()
    started = time.perf_counter()
    fill(args.sources, args.items)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"filled {args.sources} sources, {args.items} items in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    client = signed_in_client()
    from jiandu.accounts.models import User

    wang = User.objects.get(username="wang").pk
    views = [
        "/en/newsroom/sources/",
        "/en/newsroom/sources/?page=2",
        "/en/newsroom/sources/?page=150",
        "/en/newsroom/sources/?status=in_review",
        "/en/newsroom/sources/?starred=on",
        "/en/newsroom/sources/?assignee=me",
        f"/en/newsroom/sources/?assignee={wang}&status=new",
        "/en/newsroom/sources/?since=2000-01-01&until=2100-01-01&page=3",
    ]
    for url in views:  # warm up, and check every view works
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert b"bench source" in response.content, url
    timings = []
    by_view: dict[str, list[float]] = {url: [] for url in views}
    load_before = os.getloadavg()[0]
    for n in range(args.requests):
        url = views[n % len(views)]
        begin = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - begin) * 1000)
        by_view[url].append(timings[-1])
        assert response.status_code == 200
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
    # Per view: the median, and the slowest (the machine is shared: its load is printed too).
    for url, values in by_view.items():
        print(f"p50 {statistics.median(values):7.1f} ms  max {max(values):7.1f} ms  {url}")
    print(f"machine load (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "sources": args.sources,
                "items": args.items,
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
