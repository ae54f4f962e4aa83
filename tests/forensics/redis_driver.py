"""The newsroom side of tests/forensics/test_redis_workers.py, run as its own process against
the same database and Redis as the workers: a journalist's source sends PHOTOS photos, a preview
of each is requested and handed to the live workers in turn, and the final states are printed
as JSON (preview id -> [state, worker key id]).

    python -m tests.forensics.redis_driver WORKERS TIMEOUT
"""

import io
import json
import os
import sys
import time

import django

PHOTOS = 4


def main() -> int:
    workers_wanted, timeout = int(sys.argv[1]), float(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment
    from PIL import Image

    from jiandu.forensics import actions, handoff
    from jiandu.forensics.models import Preview
    from jiandu.vault import actions as vault
    from jiandu.vault.access import get_source_key_for_member
    from jiandu.vault.crypto import KdfParams
    from jiandu.vault.models import Item, Source
    from tests.tipline.helpers import make_reader, submit

    setup_test_environment()
    override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        JIANDU_VAULT_KDF=KdfParams(opslimit=1, memlimit=8192),
    ).enable()

    deadline = time.monotonic() + timeout
    while len(live := list(handoff.live_worker_keys().order_by("pk"))) < workers_wanted:
        if time.monotonic() > deadline:
            print(json.dumps({"error": f"{len(live)} workers"}))
            return 1
        time.sleep(0.2)

    member, _client = make_reader()
    photos = []
    for n in range(PHOTOS):
        buffer = io.BytesIO()
        Image.new("RGB", (320 + n, 240), (40 * n, 90, 160)).save(buffer, "JPEG")
        photos.append(SimpleUploadedFile(f"p{n}.jpg", buffer.getvalue(), "image/jpeg"))
    submit(Client(), message="photos", files=photos)
    source = Source.objects.get()
    private = vault.do_unlock_member_key(member.user, member.password).private_key
    source_key = get_source_key_for_member(member.user, private, source)

    items = list(source.items.filter(kind=Item.Kind.FILE).order_by("pk"))
    for n, item in enumerate(items):
        # Each worker in turn, not only the newest: every one must get its own previews.
        handoff.target_worker_key = lambda n=n: live[n % len(live)]
        actions.do_request_preview(member.user, source_key, item)

    while Preview.objects.filter(state=Preview.State.PENDING).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    states = {str(p.pk): [p.state, p.worker_key_id] for p in Preview.objects.order_by("pk")}
    print(json.dumps({"workers": [w.pk for w in live], "previews": states}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
