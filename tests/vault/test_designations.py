"""A source's designation in the reader's language (jiandu.vault.designations): the same two
positions of the aligned BIP-39 lists, so the Chinese name names the same source and no other,
with the stored designation beside it on the newsroom's pages."""

import itertools

import pytest
from django.test import Client

from jiandu.core import wordlists
from jiandu.vault import designations
from jiandu.vault.models import Source
from tests.tipline.helpers import make_reader, submit


def test_a_designation_reads_in_the_readers_language_and_script():
    english = wordlists.load("english")
    simplified = wordlists.load("chinese_simplified")
    traditional = wordlists.load("chinese_traditional")
    stored = f"{english[0]} {english[2047]}"
    assert designations.in_language(stored, "en") == stored
    assert designations.in_language(stored, "zh-hans") == simplified[0] + simplified[2047]
    assert designations.in_language(stored, "zh-hant") == traditional[0] + traditional[2047]
    # Another shape (an older installation's, or a word off the list) is shown as stored.
    assert designations.in_language("amber", "zh-hans") == "amber"
    assert designations.in_language("amber qqq", "zh-hans") == "amber qqq"


def test_two_sources_never_share_a_chinese_name():
    """Injective: no two designations give the same Chinese name, in either script."""
    english = wordlists.load("english")
    sample = [f"{a} {b}" for a, b in itertools.product(english[:40], english[-40:])]
    for language in ("zh-hans", "zh-hant"):
        names = {designations.in_language(d, language) for d in sample}
        assert len(names) == len(sample)
        assert all(len(name) == 2 for name in names)


@pytest.mark.django_db
def test_the_newsroom_names_a_source_in_chinese_with_its_stored_designation_beside():
    _member, client = make_reader("zhu")
    client.get("/en/newsroom/sources/key/")
    assert submit(Client(), message="The tape is from 2007.").status_code == 302
    source = Source.objects.get()
    chinese = designations.in_language(source.designation, "zh-hans")
    page = client.get(f"/newsroom/sources/{source.pk}/").content.decode()
    assert f"线人“{chinese}”" in page
    assert f'<span class="stored-name" lang="en">{source.designation}</span>' in page
    listing = client.get("/newsroom/sources/").content.decode()
    assert f">{chinese}</a>" in listing and source.designation in listing
    english = client.get(f"/en/newsroom/sources/{source.pk}/").content.decode()
    assert f"Source “{source.designation}”" in english and "stored-name" not in english
