"""The crash test: kill -9 a real `jiandu serve` in the middle of a large upload, restart it:
no partial submission is visible, the earlier submission still decrypts byte for byte, the
partial ciphertext is kept for a day (a resumable upload goes on after a restart) and the
clean-up removes it once it is older than that."""

import contextlib
import hashlib
import os
import subprocess
import threading
import time

import pytest

from bench import upload as bench

pytestmark = pytest.mark.timeout(240)

CHECK = """
import hashlib
from jiandu.accounts.models import User
from jiandu.vault import crypto
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, MemberKey, Submission
user = User.objects.get(username="bench")
private = crypto.unwrap_with_password(MemberKey.objects.get(user=user).password_wrapped, {pw!r})
digests = []
for item in Item.objects.filter(kind="file"):
    key = get_source_key_for_member(user, private, item.source)
    digests.append(hashlib.sha256(b"".join(open_item(key, item).stream())).hexdigest())
print("SUBMISSIONS", Submission.objects.count(), "FILES", *sorted(digests))
"""


def _state(env):
    result = subprocess.run(
        [str(bench.BIN / "jiandu"), "shell", "-c", CHECK.format(pw=bench.PASSWORD)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("SUBMISSIONS"))
    return line.split()


def test_kill_9_mid_upload_then_restart(tmp_path):
    data = tmp_path / "data"
    env = bench.server_env(data, JIANDU_MIN_FREE_BYTES=str(64 * 1024 * 1024), JIANDU_WORKERS="1")
    bench.prepare(data, env)
    port = bench.free_port()
    server = bench.start_server(port, env)
    try:
        earlier = tmp_path / "earlier.bin"
        earlier.write_bytes(os.urandom(3 * 1024 * 1024 + 11))
        status, _seconds, location = bench.upload("127.0.0.1", port, earlier)
        assert status == 302 and location.endswith("/receipt/")

        big = tmp_path / "big.bin"
        bench.make_file(big, 64)
        thread = threading.Thread(
            target=lambda: _swallow(bench.upload, "127.0.0.1", port, big, 0.05), daemon=True
        )
        thread.start()
        incoming = data / "vault" / "incoming"
        deadline = time.time() + 60
        while time.time() < deadline:
            parts = list(incoming.glob("*.part")) if incoming.exists() else []
            if parts and parts[0].stat().st_size > 4 * 1024 * 1024:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the large upload never started writing")
        bench.stop_server(server, kill=True)
        thread.join(timeout=30)
        assert list(incoming.glob("*.part")), "the kill left the partial ciphertext behind"
        blobs_before = sorted(p.name for p in (data / "vault" / "blobs").iterdir())
        expected = hashlib.sha256(earlier.read_bytes()).hexdigest()
        assert _state(env) == ["SUBMISSIONS", "1", "FILES", expected]

        parts = sorted(incoming.glob("*.part"))
        server = bench.start_server(port, env)  # runs the vault's on_serve clean-up
        assert sorted(incoming.glob("*.part")) == parts, "a young part must survive a restart"
        assert sorted(p.name for p in (data / "vault" / "blobs").iterdir()) == blobs_before
        assert len(blobs_before) == 1
        assert _state(env) == ["SUBMISSIONS", "1", "FILES", expected]
        bench.stop_server(server)

        # A day later the abandoned part is gone, and nothing else is.
        day_ago = time.time() - 25 * 60 * 60
        for part in parts:
            os.utime(part, (day_ago, day_ago))
        server = bench.start_server(port, env)
        assert list(incoming.glob("*.part")) == []
        assert sorted(p.name for p in (data / "vault" / "blobs").iterdir()) == blobs_before
        assert _state(env) == ["SUBMISSIONS", "1", "FILES", expected]
    finally:
        bench.stop_server(server)


def _swallow(function, *args):
    with contextlib.suppress(OSError):
        function(*args)
