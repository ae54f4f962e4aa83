"""Chinese codenames of common two-character words (issue 19, item 5): at least 80 bits from
the shipped list, every character typeable with any input method, typed with or without
spaces, in either script; codenames of eight single characters issued before still sign in."""

import math
import re
import secrets
from html import unescape

import pytest
from django.test import Client

from jiandu.core import wordlists
from jiandu.core.chinese import to_simplified
from jiandu.tipline import codename
from jiandu.vault import actions as vault
from jiandu.vault import conf
from jiandu.vault.models import Source
from tests.tipline.helpers import make_reader

SIMPLIFIED = wordlists.load("chinese_words_simplified")
TRADITIONAL = wordlists.load("chinese_words_traditional")


def gb2312_level1(ch: str) -> bool:
    try:
        raw = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(raw) == 2 and 0xB0 <= raw[0] <= 0xD7


def big5(ch: str) -> bool:
    try:
        return len(ch.encode("big5")) == 2
    except UnicodeEncodeError:
        return False


def test_a_chinese_codename_has_at_least_80_bits_from_the_shipped_list():
    size = len(SIMPLIFIED)
    assert size == len(TRADITIONAL) == len(set(SIMPLIFIED)) == len(set(TRADITIONAL))
    measured = codename.ZH_WORDS * math.log2(size)
    assert codename.bits("zh") == codename.bits("zh-hant") == measured >= 80
    assert (size, codename.ZH_WORDS, measured) == (4096, 7, 84.0)  # what docs/crypto.md says
    assert codename.bits("en") == 88.0


def test_the_word_lists_are_two_common_characters_a_word_and_unambiguous_in_either_script():
    assert all(len(word) == codename.ZH_WORD_LENGTH for word in SIMPLIFIED + TRADITIONAL)
    assert all(gb2312_level1(ch) for word in SIMPLIFIED for ch in word)
    assert all(big5(ch) for word in TRADITIONAL for ch in word)
    # Each form, in either script, names one index: its own.
    owner: dict[str, int] = {}
    for index, (simplified, traditional) in enumerate(zip(SIMPLIFIED, TRADITIONAL, strict=True)):
        for form in {simplified, traditional}:
            assert owner.setdefault(form, index) == index, form
        assert to_simplified(traditional) == simplified


def test_generated_codenames_are_seven_list_words_of_gb2312_level_1_characters():
    for _ in range(200):
        name = codename.generate("zh")
        words = name.split(" ")
        assert len(words) == 7 and all(word in SIMPLIFIED for word in words)
        assert all(gb2312_level1(ch) for ch in name.replace(" ", ""))
        traditional = codename.generate("zh-hant").split(" ")
        assert len(traditional) == 7 and all(word in TRADITIONAL for word in traditional)


def test_a_word_codename_typed_any_way_is_the_same_codename():
    indices = [secrets.randbelow(len(SIMPLIFIED)) for _ in range(7)]
    simplified = [SIMPLIFIED[i] for i in indices]
    traditional = [TRADITIONAL[i] for i in indices]
    expected = "zhw:" + ".".join(map(str, indices))
    for typed in (
        " ".join(simplified),
        "".join(simplified),  # no spaces
        "\u3000".join(simplified),  # full-width spaces
        "  " + "，".join(simplified[:3]) + "、" + " ".join(simplified[3:]) + "\n",
        " ".join(traditional),  # the other script
        "".join(traditional),
        "".join(traditional[:4] + simplified[4:]),  # a mix
        " ".join(ch for word in simplified for ch in word),  # a space between characters
    ):
        assert codename.canonical(typed) == expected, typed
    assert codename.canonical(" ".join(traditional)) == codename.canonical(" ".join(simplified))


def test_a_traditional_variant_the_converter_did_not_choose_is_still_the_word():
    index = SIMPLIFIED.index("遗迹")
    assert TRADITIONAL[index] == "遺蹟"
    typed = "遺跡" * 7  # the form Taiwan's schools teach, not OpenCC's
    assert codename.canonical(typed) == "zhw:" + ".".join([str(index)] * 7)


def test_a_wrong_chinese_codename_says_what_is_wrong():
    name = "".join(codename.generate("zh").split())
    with pytest.raises(codename.CodenameError) as short:
        codename.canonical(name[:-1])
    assert (short.value.code, short.value.detail, short.value.script) == ("wrong_count", "13", "zh")
    with pytest.raises(codename.CodenameError) as unknown:
        codename.canonical(name[:12] + "鑫鑫")
    assert (unknown.value.code, unknown.value.detail) == ("unknown_word", "鑫鑫")


def old_generate() -> str:
    """The generator before issue 19, as it was: eight BIP-39 Chinese characters, 4 + 4."""
    words = wordlists.load("chinese_simplified")
    picked = [words[secrets.randbelow(len(words))] for _ in range(8)]
    return "".join(picked[:4]) + " " + "".join(picked[4:])


def old_canonical(name: str) -> str:
    """The canonical form those codenames were derived from ('zh:' and the eight indices)."""
    words = wordlists.load("chinese_simplified")
    return "zh:" + ".".join(str(words.index(ch)) for ch in name.replace(" ", ""))


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["as written", "no spaces", "traditional", "issue example"])
def test_a_codename_issued_before_signs_in_through_the_page(typed):
    member, _newsroom = make_reader()
    old = "垄胡续辛 诬授贡眉" if typed == "issue example" else old_generate()
    derived = codename.derive(old_canonical(old), conf.codename_pepper(), conf.kdf_params())
    source = vault.do_create_source(derived.lookup, derived.reply_public_key, derived.params)
    vault.do_add_reply(source, member.user, "旧代号仍然有效。")
    simplified = wordlists.load("chinese_simplified")
    traditional = wordlists.load("chinese_traditional")
    entered = {
        "as written": old,
        "no spaces": old.replace(" ", ""),
        "traditional": " ".join(traditional[simplified.index(ch)] for ch in old if ch != " "),
        "issue example": "垄胡续辛\u3000诬授贡眉",
    }[typed]
    returning = Client()
    response = returning.post("/return/", {"codename": entered})
    assert response.status_code == 302 and response["Location"] == "/conversation/"
    assert "旧代号仍然有效。" in returning.get("/conversation/").content.decode()


@pytest.mark.django_db
def test_a_zh_hans_source_gets_words_and_signs_in_typing_them_without_spaces():
    make_reader()
    source = Client()
    form = source.get("/submit/").content.decode()
    assert 'value="zh" checked' in re.sub(r'\s+id="[^"]*"', "", form)  # the page's default
    response = source.post("/submit/", {"message": "你好", "website": ""})
    assert response.status_code == 302 and response["Location"] == "/receipt/"
    receipt = source.get("/receipt/").content.decode()
    shown = unescape(re.search(r'<p class="codename" lang="zh-Hans">([^<]+)</p>', receipt)[1])
    words = shown.split()
    assert len(words) == 7 and all(word in SIMPLIFIED for word in words)
    assert source.post("/codename/noted/", {"noted": "1"}).status_code == 302

    returning = Client()
    response = returning.post("/return/", {"codename": "".join(words)})
    assert response.status_code == 302 and response["Location"] == "/conversation/"
    assert "你好" in returning.get("/conversation/").content.decode()
    assert Source.objects.count() == 1
    # The same codename in Traditional, on the Traditional page.
    traditional = "".join(TRADITIONAL[SIMPLIFIED.index(word)] for word in words)
    assert Client().post("/zh-hant/return/", {"codename": traditional}).status_code == 302


@pytest.mark.django_db
def test_a_chinese_codename_of_the_wrong_length_gets_a_message_that_counts_characters():
    make_reader()
    typed = "".join(codename.generate("zh").split())[:13]
    page = Client().post("/return/", {"codename": typed}).content.decode()
    assert "中文代号由 7 个双字词组成（共 14 个字" in unescape(page)
    assert "您输入了 13 个字" in unescape(page)
    page = Client().post("/en/return/", {"codename": typed}).content.decode()
    assert "A Chinese codename has 7 words of two characters (14 characters" in unescape(page)
