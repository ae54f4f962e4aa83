"""Type by content, not by name: signatures decide, a name that disagrees is flagged, and no
input (fuzzed) makes detection raise."""

from hypothesis import given
from hypothesis import strategies as st

from jiandu.forensics.detect import Family, detect, extension_of, sniff


def test_a_jpg_that_is_a_zip_is_a_mismatch():
    found = detect(b"PK\x03\x04" + b"\x00" * 60, b"PK\x05\x06", "holiday.JPG")
    assert (found.label, found.family, found.extension) == ("zip", Family.ARCHIVE, "jpg")
    assert found.mismatch


def test_an_office_document_named_docx_is_no_mismatch():
    assert not detect(b"PK\x03\x04" + b"\x00" * 60, b"PK\x05\x06", "memo.docx").mismatch


def test_random_bytes_named_mp4_are_unknown_and_a_mismatch():
    found = detect(bytes(range(256)), b"", "clip.mp4")
    assert found.label == "unknown" and found.mismatch


def test_an_unknown_extension_is_no_mismatch():
    assert not detect(b"\xff\xd8\xff\xe0" + b"\x00" * 20, b"", "photo.data").mismatch


def test_a_jpeg_with_a_zip_appended_is_a_polyglot():
    found = detect(b"\xff\xd8\xff\xe0" + b"\x00" * 20, b"...PK\x05\x06" + b"\x00" * 18, "a.jpg")
    assert found.label == "jpeg" and found.also_zip and not found.mismatch


def test_signatures():
    assert sniff(b"\x00\x00\x00\x18ftypisom") == "mp4"
    assert sniff(b"\x00\x00\x00\x18ftypM4A ") == "m4a"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff(b"%PDF-1.7") == "pdf"
    assert sniff(b"\x1a\x45\xdf\xa3") == "matroska"
    assert sniff(b"") is None


def test_extension_of_hostile_names():
    assert extension_of("a/b\\c.tar.GZ") == "gz"
    assert extension_of(".bashrc") == ""
    assert extension_of("name.") == ""
    assert extension_of("x.\u202egpj.exe") == "exe"
    assert extension_of("x." + "a" * 50) == ""


@given(head=st.binary(max_size=4096), tail=st.binary(max_size=512), name=st.text(max_size=300))
def test_detection_never_raises(head, tail, name):
    found = detect(head, tail, name)
    assert found.family in Family
    assert found.extension == found.extension.lower()
