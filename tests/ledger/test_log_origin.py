"""The log's name when JIANDU_LOG_ORIGIN is not set (issue 17, item 8): derived from the public
URL, not one default shared by every installation; recorded with a new key so that it never
changes after; kept as the old default for a log whose key was made before; said at start."""

import pytest
from django.apps import apps

from jiandu.tlog import keys


@pytest.fixture
def unset(settings, monkeypatch):
    monkeypatch.delenv("JIANDU_LOG_ORIGIN", raising=False)
    settings.JIANDU_LOG_ORIGIN = ""
    settings.JIANDU_PUBLIC_BASE_URL = "https://news.example.org:8443"
    return settings


def test_an_unset_origin_is_derived_from_the_public_url_and_kept(unset):
    assert keys.log_origin() == "news.example.org:8443/log"
    keys.log_signing_key()  # the first start makes the key, and records the name beside it
    assert keys.origin_path().read_text().strip() == "news.example.org:8443/log"
    unset.JIANDU_PUBLIC_BASE_URL = "https://moved.example.org"
    assert keys.log_origin() == "news.example.org:8443/log"  # never renamed after
    assert keys.log_verifier().vkey.startswith("news.example.org:8443/log+")
    warning = apps.get_app_config("tlog").on_serve()
    assert "JIANDU_LOG_ORIGIN=news.example.org:8443/log" in warning


def test_a_log_made_before_keeps_the_old_default_name_and_is_warned_of(unset):
    keys.read_or_create_key(keys.log_key_path())  # a key from before names were recorded
    assert keys.log_origin() == keys.DEFAULT_ORIGIN
    keys.log_signing_key()
    assert not keys.origin_path().exists()
    assert f"JIANDU_LOG_ORIGIN={keys.DEFAULT_ORIGIN}" in keys.origin_warning()


def test_a_configured_origin_wins_and_needs_no_warning(unset):
    unset.JIANDU_LOG_ORIGIN = "news.example.org/log"
    keys.log_signing_key()
    assert keys.log_origin() == "news.example.org/log"
    assert not keys.origin_path().exists() and keys.origin_warning() == ""
