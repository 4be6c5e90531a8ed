"""Snapshot encryption: the newest key encrypts, any listed key decrypts, a rotation
re-encrypts with the newest, and an altered token or a removed key is refused."""

from __future__ import annotations

import pytest

from core.crypto import (
    SnapshotCipher,
    SnapshotDecryptError,
    SnapshotKeyError,
    generate_key,
    parse_keys,
)


def test_the_newest_key_encrypts_and_every_listed_key_decrypts():
    old, new = generate_key(), generate_key()
    sealed_old = SnapshotCipher([old]).encrypt(b"revenue 125430.50")
    both = SnapshotCipher([new, old])
    assert both.decrypt(sealed_old) == b"revenue 125430.50"
    sealed_new = both.encrypt(b"spend")
    assert SnapshotCipher([new]).decrypt(sealed_new) == b"spend"
    with pytest.raises(SnapshotDecryptError):
        SnapshotCipher([old]).decrypt(sealed_new)
    assert b"125430" not in sealed_old


def test_rotation_re_encrypts_with_the_newest_key():
    old, new = generate_key(), generate_key()
    sealed = SnapshotCipher([old]).encrypt(b"kpis")
    rotated = SnapshotCipher([new, old]).rotate(sealed)
    assert SnapshotCipher([new]).decrypt(rotated) == b"kpis"
    with pytest.raises(SnapshotDecryptError):
        SnapshotCipher([generate_key()]).rotate(sealed)


def test_an_altered_token_is_refused():
    cipher = SnapshotCipher([generate_key()])
    sealed = bytearray(cipher.encrypt(b"widgets"))
    sealed[-5] ^= 1
    with pytest.raises(SnapshotDecryptError, match="PULSE_SNAPSHOT_KEYS"):
        cipher.decrypt(bytes(sealed))


def test_keys_are_parsed_newest_first_and_bad_ones_named_by_position():
    first, second = generate_key(), generate_key()
    assert parse_keys(f"{first},\n{second}\n") == [first, second]
    with pytest.raises(SnapshotKeyError, match="holds no key"):
        parse_keys(" , ")
    with pytest.raises(SnapshotKeyError, match="key 1 of 2 is not a Fernet key"):
        parse_keys(f"short,{first}")
    with pytest.raises(SnapshotKeyError):
        SnapshotCipher([])
