"""Hypothesis against the parsers an attacker feeds directly: the upload path (tus headers, file
names, upload ids, a whole multipart body through the tip line's submit view), type detection
and codenames. Each property says what must hold for any input, not for a chosen few;
example counts are bounded so the file runs in seconds."""

import base64
import re
import string

import pytest
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jiandu.forensics import detect
from jiandu.tipline import codename, tus
from jiandu.tipline.views import upload_ids
from jiandu.vault import resumable
from jiandu.vault.uploads import MAX_NAME_LENGTH, clean_name

FAST = settings(max_examples=200, deadline=None)
SLOW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Upload parsing ------------------------------------------------------------------------

metadata_keys = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=", "),
    min_size=1,
    max_size=20,
)


@FAST
@given(st.dictionaries(metadata_keys, st.text(max_size=60), max_size=tus.MAX_METADATA_PAIRS))
def test_tus_metadata_round_trips(pairs):
    """What a tus client encodes, the server reads back exactly."""
    header = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key
        for key, value in pairs.items()
    )
    assert tus.parse_metadata(header) == pairs


@FAST
@given(st.text(max_size=400))
def test_tus_metadata_is_a_dict_of_text_or_a_value_error(header):
    try:
        parsed = tus.parse_metadata(header)
    except ValueError:
        return
    assert len(parsed) <= tus.MAX_METADATA_PAIRS
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())
    assert all(" " not in k and "," not in k and k for k in parsed)


@FAST
@given(st.text(max_size=200))
def test_tus_checksum_is_a_known_algorithm_and_digest_or_a_value_error(header):
    try:
        algorithm, digest = tus.parse_checksum(header)
    except ValueError:
        return
    assert algorithm in resumable.CHECKSUMS
    assert len(digest) == resumable.CHECKSUMS[algorithm]().digest_size


@FAST
@given(st.one_of(st.none(), st.text(max_size=30)))
def test_tus_counts_are_plain_non_negative_decimals(value):
    count = tus._count(value)
    if count is None:
        return
    assert count >= 0 and value == str(count).rjust(len(value), "0")


@FAST
@given(st.text(max_size=1000))
def test_a_cleaned_file_name_is_short_printable_and_has_no_path(name):
    cleaned = clean_name(name)
    assert cleaned and len(cleaned) <= MAX_NAME_LENGTH
    assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")
    assert cleaned.isprintable()
    assert clean_name(cleaned) == cleaned  # stable: showing it again changes nothing


@FAST
@given(st.lists(st.text(max_size=300), max_size=12))
def test_upload_ids_are_only_ever_32_hex_digits(values):
    found = upload_ids(values)
    assert len(found) == len(set(found))
    assert all(re.fullmatch(r"[0-9a-f]{32}", upload) for upload in found)


boundary = "jiandufuzzboundary"
part_headers = st.sampled_from(
    [
        'Content-Disposition: form-data; name="message"',
        'Content-Disposition: form-data; name="files"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg",
        'Content-Disposition: form-data; name="files"; filename="../../etc/passwd"',
        'Content-Disposition: form-data; name="files"; filename="\u202egpj.exe"',
        "Content-Disposition: form-data; name=\"files\"; filename*=UTF-8''%E9%9B%B7.mp4",
        'Content-Disposition: form-data; name="style"',
        'Content-Disposition: form-data; name="uploads"',
        "Content-Disposition: form-data",
        "Content-Type: text/plain",
        "",
    ]
)
part = st.tuples(part_headers, st.binary(max_size=300))
tails = st.sampled_from([f"--{boundary}--\r\n", f"--{boundary}", "", "--", f"\r\n--{boundary}"])


@pytest.mark.django_db
def test_hostile_multipart_bodies_never_break_the_submit_view():
    """Whatever the body, the tip line answers a refusal or a page: never a 5xx, never an
    exception out of the upload handler."""
    from tests.tipline.helpers import make_reader

    make_reader()  # the tip line is open
    client = Client(raise_request_exception=True)

    @SLOW
    @given(st.lists(part, max_size=4), tails)
    def post(parts, tail):
        body = (
            b"".join(
                f"--{boundary}\r\n{headers}\r\n\r\n".encode() + payload + b"\r\n"
                for headers, payload in parts
            )
            + tail.encode()
        )
        response = client.generic(
            "POST",
            "/en/submit/",
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert response.status_code < 500, response.status_code

    post()


# --- Type detection ------------------------------------------------------------------------

SIGNATURES = {
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "gif": b"GIF89a",
    "pdf": b"%PDF-",
    "matroska": b"\x1a\x45\xdf\xa3",
    "flac": b"fLaC",
    "zip": b"PK\x03\x04",
    "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}


ATOMS = (b"ftyp", b"moov", b"mdat", b"wide", b"free")


@FAST
@given(
    st.sampled_from(sorted(SIGNATURES)),
    st.binary(max_size=600),
    st.text(alphabet=string.ascii_letters + string.digits + "._- ", max_size=40),
)
def test_the_content_decides_the_type_never_the_name(label, rest, name):
    head = SIGNATURES[label] + rest
    # An ISO-BMFF/QuickTime atom type at offset 4 is checked before the short signatures, so a
    # crafted "fLaC" + "ftyp" head reads as MP4 (found by this test; both readers run in the
    # sandbox, so it chooses a reader, not a privilege: docs/security-testing.md).
    assume(head[4:8] not in ATOMS)
    found = detect.detect(head, b"", name)
    assert found.label == label
    assert found.family == detect.TYPES[label][0]
    claimed = detect.extension_of(name)
    if claimed in detect.TYPES[label][1]:
        assert not found.mismatch


@FAST
@given(st.sampled_from(sorted(SIGNATURES)), st.sampled_from(sorted(SIGNATURES)))
def test_a_known_type_named_as_another_is_a_mismatch(label, named_as):
    extension = detect.TYPES[named_as][1][0]
    assume(extension not in detect.TYPES[label][1])
    found = detect.detect(SIGNATURES[label] + b"\x00" * 64, b"", f"evidence.{extension}")
    assert found.mismatch


@FAST
@given(st.binary(max_size=64), st.binary(max_size=300))
def test_a_zip_appended_to_any_image_is_a_polyglot(image_rest, zip_rest):
    tail = (b"PK\x05\x06" + b"\x00" * 18 + zip_rest)[-512:]
    assume(detect.has_zip_tail(tail))
    found = detect.detect(SIGNATURES["jpeg"] + image_rest, tail, "photo.jpg")
    assert found.label == "jpeg" and found.also_zip


# --- Codenames -----------------------------------------------------------------------------

CANONICAL = re.compile(
    rf"(en|zh):\d+(\.\d+){{{codename.WORDS - 1}}}|zhw:\d+(\.\d+){{{codename.ZH_WORDS - 1}}}"
)


@FAST
@given(st.text(max_size=500))
def test_any_text_is_a_canonical_codename_or_a_codename_error(text):
    try:
        result = codename.canonical(text)
    except codename.CodenameError as exc:
        assert exc.code in {"too_long", "empty", "unknown_word", "wrong_count"}
        assert len(exc.detail) <= 40
        return
    assert CANONICAL.fullmatch(result)


separators = st.sampled_from([" ", "  ", "-", "_", ".", ",", "、", "，", "\t", " / "])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["en", "zh", "zh-hant"]), separators, st.booleans(), st.booleans())
def test_a_codename_survives_how_a_source_copies_it(style, separator, upper, fullwidth):
    """Case, width, separators and the script (Simplified or Traditional) never change which
    source a codename opens."""
    name = codename.generate(style)
    words = name.split() if style == "en" else list(name.replace(" ", ""))
    typed = separator.join(words)
    if upper:
        typed = typed.upper()
    if fullwidth:
        typed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)
    assert codename.canonical(f"  {typed}\n") == codename.canonical(name)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=codename.WORDS - 1),
    st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=3),
)
def test_changing_one_word_never_opens_the_same_source(position, junk):
    name = codename.generate("en").split()
    changed = [*name]
    changed[position] = name[position] + junk
    try:
        other = codename.canonical(" ".join(changed))
    except codename.CodenameError:
        return
    assert other != codename.canonical(" ".join(name))
