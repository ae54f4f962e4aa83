"""Version-2 vault streams: Padmé padding inside the authenticated stream (docs/crypto.md,
"Vault stream"). The size on disk reveals only the padded length; the padding and the length
trailer cannot be stripped, extended or altered; version-1 streams still decrypt."""

import io
import os

import nacl.bindings as sodium
import pytest

from jiandu.vault import crypto

KEY = bytes(range(32))
# docs/crypto.md, "Test vectors": "Jiandu test vector" as a version-2 stream under KEY.
STREAM_V2_VECTOR = bytes.fromhex(
    "4a445641554c54025490277addeb42e365eaa39ed91f18949ab8efa075eaa5d4fb7a0caddf515909484aba65"
    "42a66259bd6fec9b76b9b8ea416ad900d70d854ff51d2fc1e8f6233e8b1076efbab7cca57cd880022edc07ce"
    "360ba2fc2acfd747729975e55f9bbd10dbc515e17538507d806994fa9874bef58a389e51ea2622875b2c127e"
    "3e420e43922d2ea3a241e8bbdcc5880b74148bb6c8d4cdd6e4f08a63aa01de680312282054402b15c6d9b36a"
    "0f3f3d6a7c1d41f52ff62da793b3ebcdd251ecbba8333a9e1ceee1729dd39befebae21b1888bd5469851b6a4"
    "523f19468c3e60502bcf1efa3a96543c888662590a5495648860e510b88a105e897110edb041d16863d8166d"
    "d8bf5335e09ecc97a6a3700ddc5b8cedc7615dd2e0454774c6266dfcae54851c8f04245555a3ed5800"
)
C = crypto.CHUNK_SIZE


def _encrypt(data: bytes, pieces: int = 1, version: int = crypto.STREAM_VERSION) -> bytes:
    out = io.BytesIO()
    encryptor = crypto.StreamEncryptor(KEY, out, version=version)
    step = max(1, -(-len(data) // pieces))
    for start in range(0, len(data), step):
        encryptor.write(data[start : start + step])
    encryptor.finish()
    return out.getvalue()


def test_v2_vector_decrypts_and_is_padded_to_the_floor():
    assert STREAM_V2_VECTOR[:8] == b"JDVAULT\x02"
    assert crypto.decrypt_bytes(KEY, io.BytesIO(STREAM_V2_VECTOR)) == b"Jiandu test vector"
    assert len(STREAM_V2_VECTOR) == 8 + 24 + 256 + 17 == crypto.ciphertext_size(18)


@pytest.mark.parametrize(
    ("length", "padded"),
    # docs/crypto.md, "Padding": the table of padded lengths.
    [
        (0, 256),
        (248, 256),
        (249, 272),
        (1000, 1024),
        (65528, 65536),
        (65529, 67584),
        (1_000_000, 1_015_808),
        (10**9, 1_006_632_960),
        (8 * 2**30, 8_724_152_320),
    ],
)
def test_padded_length_vectors(length, padded):
    assert crypto.padded_length(length) == padded


def test_padme_overhead_is_at_most_12_percent_and_never_shrinks():
    for length in [*range(1, 5000), *(int(1.37**k) for k in range(10, 75))]:
        padded = crypto.padme(length)
        assert length <= padded <= length * 1.12 + 1
    assert crypto.padme(0) == 0


@pytest.mark.parametrize(
    "size",
    [0, 1, 247, 248, 249, C - 9, C - 8, C - 1, C, C + 1, 3 * C + 5, 5 * C, 17 * C + 100],
)
@pytest.mark.parametrize("pieces", [1, 7])
def test_round_trip_and_size_on_disk_depends_only_on_the_padded_length(size, pieces):
    data = os.urandom(size)
    blob = _encrypt(data, pieces)
    assert blob[:8] == b"JDVAULT\x02"
    assert len(blob) == crypto.ciphertext_size(size)
    assert crypto.decrypt_bytes(KEY, io.BytesIO(blob)) == data
    assert crypto.sha256_of(KEY, io.BytesIO(blob))[1] == size


def test_two_different_sizes_in_one_bucket_give_the_same_blob_size():
    # 1,000,000 and 1,015,000 bytes both pad to 1,015,808: their blobs cannot be told apart.
    assert len(_encrypt(bytes(1_000_000))) == len(_encrypt(bytes(1_015_000)))
    assert len(_encrypt(b"yes")) == len(_encrypt(b"a message of two hundred bytes" * 8))


BIG = 2**25 + 1  # pads by 1 MiB - 1: the padding spans 16 chunks (PUSH, zeros, FINAL)


@pytest.fixture(scope="module")
def big():
    data = os.urandom(BIG)
    return data, _encrypt(data, 3)


def test_padding_spanning_many_chunks_is_not_yielded(big):
    data, blob = big
    assert crypto.padded_length(len(data)) - len(data) > 15 * C
    assert crypto.decrypt_bytes(KEY, io.BytesIO(blob)) == data


def test_stripping_or_cutting_the_padding_is_refused(big):
    _data, blob = big
    chunk = C + crypto.ABYTES
    data_end = 32 + (BIG // C + 1) * chunk  # just after the PUSH chunk
    for cut in (blob[:-chunk], blob[:-1], blob[:data_end]):
        with pytest.raises(crypto.VaultCryptoError):
            crypto.decrypt_bytes(KEY, io.BytesIO(cut))
    # A padding chunk dropped from the middle (the FINAL chunk kept).
    without_one = blob[: len(blob) - 2 * chunk] + blob[len(blob) - chunk :]
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(without_one))


def test_flipping_a_bit_in_the_length_trailer_is_refused():
    blob = bytearray(_encrypt(b"short"))
    blob[-17 - 1] ^= 1  # last plaintext byte: inside the trailer, under the MAC
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(bytes(blob)))


def _hand_made(chunks: list[tuple[bytes, int]], version: int = 2) -> bytes:
    """A stream under KEY with exactly these (plaintext, tag) chunks: what a buggy or hostile
    writer holding the key could produce."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
        state, crypto.subkey(KEY, b"jd:content")
    )
    out = b"JDVAULT" + bytes([version]) + header
    for plain, tag in chunks:
        out += sodium.crypto_secretstream_xchacha20poly1305_push(state, plain, None, tag)
    return out


def _trailer(size: int) -> bytes:
    return crypto.LENGTH_TRAILER.pack(size)


def test_hand_made_canonical_stream_opens():
    # The checks below fail for their own reason, not because _hand_made is wrong.
    good = _hand_made([(b"abc" + bytes(256 - 3 - 8) + _trailer(3), crypto.TAG_FINAL)])
    assert crypto.decrypt_bytes(KEY, io.BytesIO(good)) == b"abc"


@pytest.mark.parametrize(
    "chunks",
    [
        # a length trailer longer than the data there is
        [(b"abc" + bytes(245) + _trailer(300), crypto.TAG_FINAL)],
        # padding that is not zeros
        [(b"abc" + b"\x01" + bytes(244) + _trailer(3), crypto.TAG_FINAL)],
        # too little padding for the rule (a stream whose size would tell the exact length)
        [(b"abc" + _trailer(3), crypto.TAG_FINAL)],
        # too much padding
        [(b"abc" + bytes(512 - 11) + _trailer(3), crypto.TAG_FINAL)],
        # no room for the trailer
        [(b"abc", crypto.TAG_FINAL)],
        # two data-end chunks
        [(bytes(C), crypto.TAG_PUSH), (bytes(C), crypto.TAG_PUSH), (_trailer(0), crypto.TAG_FINAL)],
        # data (not zeros) after the data-end chunk
        [(bytes(C), crypto.TAG_PUSH), (b"\x07" * C, crypto.TAG_MESSAGE), (_trailer(0), 3)],
        # a short data chunk in the middle
        [(b"abc", crypto.TAG_MESSAGE), (bytes(248) + _trailer(3), crypto.TAG_FINAL)],
        # a tag the format does not use
        [(bytes(C), sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY)],
    ],
)
def test_hostile_writer_streams_are_refused(chunks):
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(_hand_made(chunks)))


def test_version_1_streams_still_decrypt():
    data = os.urandom(3 * C + 77)
    old = _encrypt(data, 2, version=1)
    assert old[:8] == b"JDVAULT\x01"
    assert len(old) == 8 + 24 + len(data) + 4 * crypto.ABYTES  # unpadded, as before
    assert crypto.decrypt_bytes(KEY, io.BytesIO(old)) == data


def test_unknown_versions_are_refused():
    blob = bytearray(_encrypt(b"x"))
    blob[7] = 3
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(bytes(blob)))
    with pytest.raises(crypto.VaultCryptoError):
        crypto.StreamEncryptor(KEY, io.BytesIO(), version=3)


def test_resumed_stream_finishes_padded_in_the_version_it_began():
    for version in (1, 2):
        out = io.BytesIO()
        first = crypto.StreamEncryptor(KEY, out, version=version)
        first.write(b"a" * (C + 10))
        state, pending = first.snapshot()
        second = crypto.StreamEncryptor.resume(out, state, pending, C + 10, version=version)
        second.write(b"b" * 5)
        second.finish()
        blob = out.getvalue()
        assert blob[7] == version
        assert crypto.decrypt_bytes(KEY, io.BytesIO(blob)) == b"a" * (C + 10) + b"b" * 5
        if version == 2:
            assert len(blob) == crypto.ciphertext_size(C + 15)


def test_metadata_record_size_does_not_follow_the_name_length():
    short = crypto.seal_meta(KEY, {"name": "a.txt", "size": 1})
    longer = crypto.seal_meta(KEY, {"name": "a" * 60 + ".txt", "size": 123456})
    assert len(short) == len(longer)
    assert crypto.open_meta(KEY, longer) == {"name": "a" * 60 + ".txt", "size": 123456}
