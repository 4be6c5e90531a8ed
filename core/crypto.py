"""Encryption at rest for dashboard snapshots: Fernet keys, newest first.

``PULSE_SNAPSHOT_KEYS`` holds one or more Fernet keys separated by commas, the newest
first. :class:`SnapshotCipher` encrypts with the first and decrypts with any of them
(``cryptography``'s ``MultiFernet``), so a key rotation is: put a new key in front,
restart, re-encrypt every snapshot with it (``pulse snapshots rotate-keys``, which
calls :meth:`SnapshotCipher.rotate` on each), then drop the old key. A Fernet token is
authenticated: a snapshot altered in the database, or encrypted with a key no longer
listed, fails to decrypt instead of reading back as something else.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS_VARIABLE = "PULSE_SNAPSHOT_KEYS"


class SnapshotKeyError(ValueError):
    """A snapshot key is malformed, or none is given; the message names which."""


class SnapshotDecryptError(Exception):
    """Stored snapshot data could not be decrypted with any configured key (it was
    encrypted with a key no longer listed, or altered)."""


def generate_key() -> str:
    """A new random Fernet key (URL-safe base64 of 32 bytes), as text."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(value: str, source: str = KEYS_VARIABLE) -> list[str]:
    """The keys of a comma- (or newline-) separated list, newest first.

    Raises:
        SnapshotKeyError: no key, or one that is not a Fernet key (named by its
            position, never repeated).
    """
    keys = [part.strip() for part in value.replace("\n", ",").split(",")]
    keys = [key for key in keys if key]
    if not keys:
        raise SnapshotKeyError(
            f"{source} holds no key; generate one with `pulse snapshots generate-key`"
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SnapshotKeyError(
                f"{source}: key {position} of {len(keys)} is not a Fernet key (32 "
                "url-safe base64-encoded bytes); generate one with `pulse snapshots "
                "generate-key`"
            ) from None
    return keys


class SnapshotCipher:
    """Encrypts with the newest key, decrypts with any of ``keys``.

    Args:
        keys: Fernet keys, newest first (see :func:`parse_keys`).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SnapshotKeyError(f"{KEYS_VARIABLE} holds no key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, data: bytes) -> bytes:
        """``data`` encrypted and authenticated with the newest key."""
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        """The plain bytes of ``token``.

        Raises:
            SnapshotDecryptError: no configured key opens it, or it was altered.
        """
        try:
            return self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise SnapshotDecryptError(
                "snapshot data cannot be decrypted with the configured "
                f"{KEYS_VARIABLE} (was its key removed before `pulse snapshots "
                "rotate-keys` ran?)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted with the newest key (same plain bytes).

        Raises:
            SnapshotDecryptError: as :meth:`decrypt`.
        """
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise SnapshotDecryptError(
                f"snapshot data cannot be decrypted with the configured {KEYS_VARIABLE}"
            ) from None
