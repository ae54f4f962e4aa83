"""The bounded hashing pool (issue 17, item 6): at most `size` hashes at once, "busy" past
them without queueing, and the hash computed at a lower priority than the request threads."""

import os
import sys
import threading

import pytest

from jiandu.core.hashing import HashBusy, HashSlots, password_slots


def test_past_its_slots_the_pool_answers_busy_at_once_and_frees_them_after():
    slots = HashSlots(2, wait=0.05)
    inside = threading.Barrier(3)
    release = threading.Event()

    def hold() -> None:
        inside.wait()
        release.wait(10)

    holders = [threading.Thread(target=slots.run, args=(hold,)) for _ in range(2)]
    for holder in holders:
        holder.start()
    inside.wait(10)
    with pytest.raises(HashBusy):
        slots.run(lambda: None)
    with pytest.raises(HashBusy), slots.slot():
        pass
    release.set()
    for holder in holders:
        holder.join(10)
    assert slots.run(lambda x: x * 2, 21) == 42


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's niceness is its own on Linux")
def test_the_hash_runs_in_a_thread_of_lower_priority():
    slots = HashSlots(1, wait=0, nice=7)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert slots.run(niceness) == max(own, 7)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_the_password_pool_is_sized_by_the_setting(settings):
    settings.JIANDU_HASH_SLOTS = 3
    settings.JIANDU_HASH_WAIT_SECONDS = 0
    assert (password_slots().size, password_slots().wait) == (3, 0)
    assert password_slots() is password_slots()
