"""Session rows keep only an hour: the expiry is rounded up to the hour and computed from the
same window for sources and members; the real idle limit comes from inside the encrypted data,
which a copy of the database cannot read or change."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from jiandu.vault import sessions
from jiandu.vault.sessions import SessionStore, row_expiry, storage_key
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 4, 10, 17, 23, 456789, tzinfo=UTC)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def saved_store(data: dict, idle: int | None = None) -> str:
    """A session saved at START with `data` (and its own idle limit); its cookie value."""
    store = SessionStore()
    with at(START):
        store.update(data)
        if idle is not None:
            store.set_expiry(idle)
        store.save()
    return store.session_key


def row_of(client: Client) -> Session:
    return Session.objects.get(session_key=storage_key(client.cookies["jiandu_session"].value))


def test_source_and_member_rows_expire_on_the_same_hour():
    with at(START):
        member = make_member("li", "journalist")
        newsroom = Client()
        sign_in(newsroom, member)
        make_reader()
        source = Client()
        assert submit(source, message="hello").status_code == 302
    expected = datetime(2026, 3, 4, 13, tzinfo=UTC)  # 10:17 + 2 h, rounded up
    assert row_of(source).expire_date == expected
    assert row_of(newsroom).expire_date == expected


@pytest.mark.parametrize(
    ("now", "idle", "expiry"),
    [
        (START, 0, datetime(2026, 3, 4, 13, tzinfo=UTC)),
        (START.replace(minute=0, second=0, microsecond=0), 0, datetime(2026, 3, 4, 12, tzinfo=UTC)),
        (START, 5 * 3600, datetime(2026, 3, 4, 16, tzinfo=UTC)),  # a longer limit of its own
        (datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC), 0, datetime(2027, 1, 1, 1, tzinfo=UTC)),
    ],
)
def test_row_expiry_is_rounded_up_to_the_hour(now, idle, expiry):
    assert row_expiry(now, idle) == expiry


def test_a_source_idles_out_after_120_minutes_though_the_row_lives_on():
    make_reader()
    source = Client()
    with at(START):
        submit(source, message="hello")
    with at(START + timedelta(minutes=119)):
        assert source.get("/en/receipt/").status_code == 200
    # 121 idle minutes later the row (expiring at the hour) is still there, but the session
    # is over: the limit is read from inside the encrypted data.
    later = START + timedelta(minutes=119 + 121)
    assert row_of(source).expire_date > later
    cookie = source.cookies["jiandu_session"].value
    with at(later):
        assert source.get("/en/receipt/").status_code == 302
    assert not Session.objects.filter(session_key=storage_key(cookie)).exists()


def test_a_stale_session_is_dropped_and_its_row_deleted():
    key = saved_store({"x": 1}, idle=600)
    with at(START + timedelta(seconds=599)):
        assert SessionStore(key).load() == {"x": 1, "_session_expiry": 600}
    stale = SessionStore(key)
    with at(START + timedelta(seconds=601)):
        assert stale.load() == {}
    assert stale.session_key is None  # a new cookie next time, never the old one
    assert not Session.objects.filter(session_key=storage_key(key)).exists()


def test_data_without_the_inner_times_is_not_a_session():
    store = SessionStore()
    store["x"] = 1
    store.save()
    key = store.session_key
    plain = store.serializer().dumps({"x": 1, "_session_expiry": 600})
    sealed = sessions._box(key).encrypt(plain).hex()
    Session.objects.filter(session_key=storage_key(key)).update(session_data=sealed)
    assert SessionStore(key).load() == {}


@pytest.mark.parametrize("seen", [None, "yesterday", [1], float("nan")])
def test_hostile_inner_times_are_not_fresh(seen):
    assert not sessions.is_fresh({sessions.SEEN: seen, sessions.IDLE: 600}, 1e9)
    assert not sessions.is_fresh({sessions.SEEN: 1e9, sessions.IDLE: "600"}, 1e9)


def test_the_inner_times_never_show_in_the_session():
    store = SessionStore()
    store["x"] = 1
    store.save()
    loaded = SessionStore(store.session_key)
    assert dict(loaded.items()) == {"x": 1}
    assert sessions.SEEN not in loaded.decode(Session.objects.get().session_data)


def test_expired_rows_are_cleared_by_the_hourly_job():
    with at(START - timedelta(hours=5)):
        old = SessionStore()
        old["x"] = 1
        old.save()
    fresh = SessionStore()
    fresh["x"] = 1
    fresh.save()
    from jiandu.vault.tasks import purge_idle_sources

    purge_idle_sources.call()
    assert list(Session.objects.values_list("session_key", flat=True)) == [
        storage_key(fresh.session_key)
    ]
    assert timezone.now() < Session.objects.get().expire_date


def test_an_unchanged_session_is_written_again_only_after_a_minute():
    """A tus upload sends a piece every few tens of milliseconds: an unchanged session saved
    less than RESAVE_SECONDS ago writes no row; the idle limit then runs from that save, so it
    can end sooner, never later."""
    key = saved_store({"x": {"pieces": 1}})
    sealed = Session.objects.get().session_data

    def request_at(moment: datetime, change=None) -> str:
        with at(moment):
            again = SessionStore(key)
            again._session_cache = again.load()
            if change is not None:
                change(again)
            again.save()
        return Session.objects.get(session_key=storage_key(key)).session_data

    assert request_at(START + timedelta(seconds=59)) == sealed
    # A change is saved at once, even one made inside a value without flagging it.
    nested = request_at(START + timedelta(seconds=59), lambda s: s["x"].__setitem__("pieces", 2))
    assert nested != sealed
    assert SessionStore(key).decode(nested) == {"x": {"pieces": 2}}
    # Unchanged but saved over a minute ago: written, moving the idle clock.
    later = request_at(START + timedelta(seconds=59 + 61))
    assert later != nested


def test_skipped_saves_end_a_session_sooner_never_later():
    key = saved_store({"x": 1}, idle=600)
    with at(START + timedelta(seconds=30)):  # within the minute: nothing written
        again = SessionStore(key)
        again._session_cache = again.load()
        again.save()
    with at(START + timedelta(seconds=601)):  # 571 s after the last request, 601 after the save
        assert SessionStore(key).load() == {}


def test_a_new_key_is_always_written():
    """cycle_key (signing in) writes the data under the new key even when nothing changed."""
    key = saved_store({"x": 1})
    with at(START + timedelta(seconds=5)):
        again = SessionStore(key)
        again._session_cache = again.load()
        again.cycle_key()
        again.save()
    assert again.session_key != key
    with at(START + timedelta(seconds=6)):
        assert SessionStore(again.session_key).load() == {"x": 1}
    assert not Session.objects.filter(session_key=storage_key(key)).exists()
