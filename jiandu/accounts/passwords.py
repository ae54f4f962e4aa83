"""Checking a member's password through core's bounded hashing pool (issue 17, item 6).

Every password check a request can cause (the sign-in's password step, known name or not, and
the re-authentication before a new second factor) is one Argon2id hash of 100 MiB. It runs in
a slot of `jiandu.core.hashing.password_slots()`, on the pool's own lower-priority threads, so
a flood of guesses hashes in at most JIANDU_HASH_SLOTS threads per process and is answered
"busy" past them (HashBusy), while the threads that serve pages (the tip line's among them)
keep the CPU. Only the hash runs there: the database is read and written here, in the
request's thread.

A name that does not exist is hashed too (Django's verify_password runs the hasher on a
random string), so timing does not tell which names exist.
"""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password, verify_password

from jiandu.accounts.models import User
from jiandu.core.hashing import password_slots


def _verify(password: str, encoded: str) -> tuple[bool, str | None]:
    """Pure (no database): whether `password` matches, and the new encoding when the hasher's
    parameters changed since it was stored. An unusable `encoded` costs one hash too."""
    correct, must_update = verify_password(password, encoded)
    return correct, make_password(password) if correct and must_update else None


def check_member_password(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s (False for None, after the same work). HashBusy when
    every slot is taken: nothing was checked."""
    usable = user is not None and user.is_active and user.password
    encoded = user.password if usable and user is not None else UNUSABLE_PASSWORD_PREFIX
    correct, upgraded = password_slots().run(_verify, password, encoded)
    if user is None or not correct:
        return False
    if upgraded is not None:
        User.objects.filter(pk=user.pk).update(password=upgraded)
        user.password = upgraded
    return True
