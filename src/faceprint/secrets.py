"""Access keys and secret keys, and the sealing of secrets at rest.

Mercury Cloud's credentials are an access key (a UUID) and a secret key (32 ASCII letters and digits).
Faceprint keeps secrets only *sealed*: AES-256-GCM under a server key, with the access key as associated
data, so a sealed secret copied onto another key's row does not open. The server key comes from
``settings.server_key`` (base64 of 32 bytes) or is generated once into ``data_dir/server.key`` (mode 0600).
Every API node of one store needs the same server key.

Sealed format: ``b"v1" + nonce (12 bytes) + ciphertext-and-tag``.
"""

from __future__ import annotations

import base64
import os
import secrets
import string
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from faceprint.files import private_dir, tighten
from faceprint.settings import Settings

__all__ = [
    "SECRET_ALPHABET",
    "SECRET_LENGTH",
    "SealError",
    "SecretBox",
    "load_server_key",
    "new_access_key",
    "new_secret_key",
]

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32
_VERSION = b"v1"
_NONCE = 12


class SealError(Exception):
    """A sealed secret could not be opened (wrong server key, or tampered)."""


def new_access_key() -> str:
    """A fresh access key: a random UUID, as Mercury Cloud issues them."""
    return str(uuid.uuid4())


def new_secret_key() -> str:
    """A fresh secret key: 32 random letters and digits (about 190 bits)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def load_server_key(settings: Settings) -> bytes:
    """The 32-byte server key: ``settings.server_key`` (base64), else ``data_dir/server.key``, created
    with mode 0600 the first time. Raises ValueError for a key that is not 32 bytes."""
    if settings.server_key:
        key = base64.b64decode(settings.server_key, validate=True)
    else:
        path = Path(settings.data_dir) / "server.key"
        if not path.exists():
            private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)) + b"\n")
        tighten(path)
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    if len(key) != 32:
        raise ValueError("the server key must be 32 bytes (base64-encoded)")
    return key


class SecretBox:
    """Seals and opens secret keys with AES-256-GCM; the access key is bound as associated data."""

    def __init__(self, server_key: bytes) -> None:
        self._aead = AESGCM(server_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(load_server_key(settings))

    def seal(self, access_key: str, secret_key: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, secret_key.encode(), access_key.encode())

    def open(self, access_key: str, sealed: bytes) -> str:
        """The plain secret. Raises SealError when the server key or the access key does not fit."""
        if not sealed.startswith(_VERSION) or len(sealed) < len(_VERSION) + _NONCE + 16:
            raise SealError("not a sealed secret")
        nonce = sealed[len(_VERSION) : len(_VERSION) + _NONCE]
        try:
            plain = self._aead.decrypt(nonce, sealed[len(_VERSION) + _NONCE :], access_key.encode())
        except InvalidTag as e:
            raise SealError("the sealed secret does not open with this server key") from e
        return plain.decode()
