"""The vault's crypto facade: fixed test vectors (also in docs/crypto.md), round trips, and
hostile inputs (truncation, tampering, wrong keys, foreign formats, absurd KDF parameters)."""

import hashlib
import io
import threading

import pytest
from argon2.low_level import Type, hash_secret_raw
from nacl.public import PrivateKey

from jiandu.vault import crypto

KEY = bytes(range(32))
# docs/crypto.md, "Test vectors": the 18-byte text "Jiandu test vector" encrypted under KEY.
STREAM_VECTOR = bytes.fromhex(
    "4a445641554c5401bd6615b9f86aee53e6be5a41bce4750408620cb7b989f5f2551336c22899f16543d9210a"
    "179a369b61d1c5bcc0d4893c70ef9c64cefec5b841a3d4"
)
SEALED_VECTOR = bytes.fromhex(
    "f929b6dc9c88b4e8165403844d7e995b1fecb6a7622675e68582fcda36d090738b8b1cda5d918853f30b3e36"
    "eaca3869e34bdbf6c7b4a9b7c0d4618e70a6ab"
)
META_VECTOR = bytes.fromhex(
    "f0aaf86b48fe65da51f9c35d7cb8060ede38b156054a216e46802143ccdb46b3a9678858d92c166907689d85"
    "8314700cb2435093ecf24b08b7"
)


def test_stream_vector_decrypts():
    assert crypto.decrypt_bytes(KEY, io.BytesIO(STREAM_VECTOR)) == b"Jiandu test vector"
    assert STREAM_VECTOR[:8] == b"JDVAULT\x01"
    assert len(STREAM_VECTOR) == 8 + 24 + 18 + 17


def test_subkey_is_keyed_blake2b_with_person():
    expected = hashlib.blake2b(
        b"", key=KEY, person=b"jd:content".ljust(16, b"\0"), digest_size=32
    ).hexdigest()
    assert crypto.subkey(KEY, b"jd:content").hex() == expected
    assert expected == "744a194c2a1f96f70215df3ef06c9150844fa17004a051565b9a01f7f99ae2c1"


@pytest.mark.real_kdf
def test_argon2id_vector_matches_an_independent_implementation():
    params = crypto.KdfParams(3, 64 * 1024 * 1024)
    ours = crypto.argon2id_kdf(b"correct horse", b"jiandu-salt-16by", params)
    theirs = hash_secret_raw(
        b"correct horse", b"jiandu-salt-16by", 3, 64 * 1024, 1, 32, Type.ID, version=19
    )
    assert ours == theirs
    assert ours.hex() == "64817800fb4c45e72fc6a047a2249784acb4c5529deeeb58a8b0053bfca0828b"
    assert crypto.DEFAULT_KDF.memlimit >= 64 * 1024 * 1024


def test_sealed_and_meta_vectors_open():
    private = bytes(range(32, 64))
    assert crypto.unseal(private, SEALED_VECTOR) == b"item key vector"
    assert crypto.open_meta(KEY, META_VECTOR) == {"name": "a.txt"}


@pytest.mark.parametrize(
    "size", [0, 1, crypto.CHUNK_SIZE - 1, crypto.CHUNK_SIZE, crypto.CHUNK_SIZE * 3 + 5]
)
def test_stream_round_trip_in_odd_pieces(size):
    data = bytes((i * 7) % 251 for i in range(size))
    out = io.BytesIO()
    encryptor = crypto.StreamEncryptor(KEY, out)
    for start in range(0, size, 10_000):
        encryptor.write(data[start : start + 10_000])
    encryptor.finish()
    assert encryptor.plaintext_size == size
    assert encryptor.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
    assert crypto.decrypt_bytes(KEY, io.BytesIO(out.getvalue())) == data


def _encrypted(data: bytes) -> bytes:
    out = io.BytesIO()
    crypto.encrypt_bytes(KEY, data, out)
    return out.getvalue()


def test_truncated_stream_is_refused():
    blob = _encrypted(b"x" * (crypto.CHUNK_SIZE * 2 + 10))
    whole_chunks = 8 + 24 + 2 * (crypto.CHUNK_SIZE + crypto.ABYTES)
    with pytest.raises(crypto.VaultCryptoError, match="truncated"):
        crypto.decrypt_bytes(KEY, io.BytesIO(blob[:whole_chunks]))
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(blob[:-1]))


@pytest.mark.parametrize("position", [0, 7, 8, 40, -1])
def test_tampered_or_foreign_data_is_refused(position):
    blob = bytearray(_encrypted(b"evidence" * 100))
    blob[position] ^= 1
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(bytes(blob)))


def test_wrong_key_and_appended_data_are_refused():
    blob = _encrypted(b"evidence")
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(bytes(32), io.BytesIO(blob))
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(blob + b"more"))
    with pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(KEY, io.BytesIO(b""))


def test_password_wrap_round_trip_and_wrong_password():
    params = crypto.KdfParams(1, 8192)
    private, _public = crypto.new_keypair()
    wrapped = crypto.wrap_with_password(private, "hunter2 hunter2", params)
    assert wrapped[:4] == b"JDPW"
    assert crypto.password_wrap_params(wrapped) == params
    assert crypto.unwrap_with_password(wrapped, "hunter2 hunter2") == private
    with pytest.raises(crypto.WrongSecret):
        crypto.unwrap_with_password(wrapped, "hunter3 hunter3")


def test_hostile_kdf_parameters_are_refused_before_allocating():
    private, _public = crypto.new_keypair()
    wrapped = bytearray(crypto.wrap_with_password(private, "pw", crypto.KdfParams(1, 8192)))
    wrapped[9:17] = (64 * 1024**3).to_bytes(8, "big")  # ask for 64 GiB
    with pytest.raises(crypto.VaultCryptoError, match="out of bounds"):
        crypto.unwrap_with_password(bytes(wrapped), "pw")
    with pytest.raises(crypto.VaultCryptoError):
        crypto.unwrap_with_password(b"JDPW", "pw")


def test_recovery_key_round_trip_tolerates_case_and_spacing():
    private, _public = crypto.new_keypair()
    recovery = crypto.new_recovery_key()
    wrapped = crypto.wrap_with_recovery_key(private, recovery)
    sloppy = " " + recovery.lower().replace("-", " ") + "\n"
    assert crypto.unwrap_with_recovery_key(wrapped, sloppy) == private
    with pytest.raises(crypto.WrongSecret):
        crypto.unwrap_with_recovery_key(wrapped, crypto.new_recovery_key())
    with pytest.raises(crypto.WrongSecret):
        crypto.unwrap_with_recovery_key(wrapped, "not a key !!")


def test_sealing_to_a_key_pair():
    private, public = crypto.new_keypair()
    assert bytes(PrivateKey(private).public_key) == public
    sealed = crypto.seal(public, b"k" * 32)
    assert crypto.unseal(private, sealed) == b"k" * 32
    other, _ = crypto.new_keypair()
    with pytest.raises(crypto.VaultCryptoError):
        crypto.unseal(other, sealed)


def test_kdf_pool_is_bounded(monkeypatch):
    """With every slot taken, a further derivation waits and then reports KdfBusy."""
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(crypto, "_slots", slots)
    monkeypatch.setattr(crypto, "KDF_WAIT_SECONDS", 0.05)
    crypto.argon2id_kdf(b"pw", b"s" * 16, crypto.KdfParams(1, 8192))  # a free slot: runs
    slots.acquire()
    try:
        with pytest.raises(crypto.KdfBusy):
            crypto.argon2id_kdf(b"pw", b"s" * 16, crypto.KdfParams(1, 8192))
    finally:
        slots.release()


def test_export_mac_vector_is_keyed_blake2b_under_the_export_subkey():
    # docs/crypto.md, "Test vectors".
    data = b"JDARCHIVE2\n{}"
    mac = crypto.export_mac(KEY, data)
    independent = hashlib.blake2b(
        data, key=crypto.subkey(KEY, b"jd:export-mac"), digest_size=32
    ).digest()
    assert mac == independent
    assert mac.hex() == "bcfe7839e714d0e51b3b7b4d0230827d6a5d0aa272bb14e4c59404c2b0dd18ec"
    assert crypto.export_mac_matches(KEY, data, mac)
    assert not crypto.export_mac_matches(KEY, data + b" ", mac)
    assert not crypto.export_mac_matches(bytes(32), data, mac)
