"""Secrets at rest: AES-GCM sealing bound to the access key, and the server key file."""

from __future__ import annotations

import base64
import re
import stat
import uuid
from pathlib import Path

import pytest

from faceprint.secrets import SealError, SecretBox, load_server_key, new_access_key, new_secret_key
from faceprint.settings import Settings


def test_key_formats() -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{32}", new_secret_key())
    assert new_secret_key() != new_secret_key()
    ak = new_access_key()
    assert str(uuid.UUID(ak)) == ak and uuid.UUID(ak).version == 4


def test_seal_round_trip_and_binding(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(data_dir=tmp_path))
    sealed = box.seal("ak-1", "blFWSvhp9pRz2JnRHnfvkFeAuApClhKg")
    assert b"blFWSvhp9pRz2JnRHnfvkFeAuApClhKg" not in sealed
    assert box.open("ak-1", sealed) == "blFWSvhp9pRz2JnRHnfvkFeAuApClhKg"
    assert box.seal("ak-1", "x" * 32) != box.seal("ak-1", "x" * 32)  # fresh nonce each time
    with pytest.raises(SealError):
        box.open("ak-2", sealed)  # copied onto another key's row
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealError):
        box.open("ak-1", tampered)
    other = SecretBox(b"\x01" * 32)
    with pytest.raises(SealError):
        other.open("ak-1", sealed)


def test_server_key_file_created_once_0600(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "d")
    k1 = load_server_key(s)
    path = tmp_path / "d" / "server.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_server_key(s) == k1 and len(k1) == 32


def test_server_key_from_settings(tmp_path: Path) -> None:
    key = bytes(range(32))
    s = Settings(data_dir=tmp_path, server_key=base64.b64encode(key).decode())
    assert load_server_key(s) == key
    assert not (tmp_path / "server.key").exists()
    with pytest.raises(ValueError):
        load_server_key(Settings(data_dir=tmp_path, server_key=base64.b64encode(b"short").decode()))
