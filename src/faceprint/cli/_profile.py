"""Where the CLI finds its endpoint and keys: flags, then ``FACEPRINT_*`` variables, then a profile file.

The profile is JSON ``{"endpoint", "app_id", "access_key", "secret_key"}`` (``api_url`` is accepted for
``endpoint``, as Mercury's ``api_parameters.py`` names it), written with mode 0600 by
``faceprint configure``. Its path: ``--profile``, else ``$FACEPRINT_PROFILE``, else
``$XDG_CONFIG_HOME/faceprint/profile.json`` (``~/.config/faceprint/profile.json``), else, when that does
not exist, the ``<data_dir>/credentials.json`` that ``faceprint serve`` writes (same keys, mode 0600; data_dir
from ``FACEPRINT_DATA_DIR``, default ``./var``), so a local server works with no configuration at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceprint.client import Client

__all__ = [
    "ENV",
    "FIELDS",
    "Credentials",
    "MissingCredentials",
    "config_dir",
    "default_profile_path",
    "profile_path",
    "read_profile",
    "resolve",
    "server_credentials_path",
    "write_profile",
]

log = logging.getLogger("faceprint.cli")

FIELDS = ("endpoint", "app_id", "access_key", "secret_key")
#: The environment variable of each field.
ENV = {f: f"FACEPRINT_{f.upper()}" for f in FIELDS}


class MissingCredentials(ValueError):
    """Some of endpoint, app_id, access_key, secret_key were given nowhere."""


@dataclass(frozen=True, slots=True)
class Credentials:
    endpoint: str
    app_id: str
    access_key: str
    secret_key: str

    def client(self, *, timeout: float = 60.0, retries: int = 3) -> Client:
        return Client(self.endpoint, self.app_id, self.access_key, self.secret_key,
                      timeout=timeout, retries=retries)


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/faceprint`` (``~/.config/faceprint``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "faceprint"


def default_profile_path() -> Path:
    return config_dir() / "profile.json"


def server_credentials_path() -> Path | None:
    """``<data_dir>/credentials.json`` of the local ``faceprint serve`` (data_dir from ``FACEPRINT_DATA_DIR``,
    default ``./var``), or None when the settings cannot be read."""
    try:
        from faceprint.settings import Settings

        return Path(Settings().data_dir) / "credentials.json"
    except ValueError:
        return None


def profile_path(explicit: str | None, *, for_reading: bool = True) -> Path:
    """The profile file: ``explicit``, else ``$FACEPRINT_PROFILE``, else ``~/.config/faceprint/profile.json``;
    when reading and that does not exist, the credentials file of a local ``faceprint serve`` if it does."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("FACEPRINT_PROFILE")
    if env:
        return Path(env).expanduser()
    default = default_profile_path()
    if for_reading and not default.exists():
        served = server_credentials_path()
        if served is not None and served.is_file():
            return served
    return default


def read_profile(path: Path) -> dict[str, str]:
    """The profile's fields ({} when the file does not exist). Warns when others may read it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s holds a secret key but is readable by others (mode %o): chmod 600 it",
                    path, stat.S_IMODE(mode))
    data: Any = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a profile is a JSON object")
    if "endpoint" not in data and isinstance(data.get("api_url"), str):
        data["endpoint"] = data["api_url"]
    return {f: str(data[f]) for f in FIELDS if isinstance(data.get(f), str) and data[f]}


def write_profile(path: Path, values: dict[str, str]) -> None:
    """Write the profile with mode 0600 (the file never exists with wider permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({k: values[k] for k in FIELDS if k in values}, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def resolve(args: argparse.Namespace) -> Credentials:
    """Each field from its flag, else its environment variable, else the profile file."""
    profile = read_profile(profile_path(getattr(args, "profile", None)))
    values: dict[str, str] = {}
    for f in FIELDS:
        v = getattr(args, f, None) or os.environ.get(ENV[f]) or profile.get(f)
        if v:
            values[f] = v
    missing = [f for f in FIELDS if f not in values]
    if missing:
        flags = ", ".join(f"--{m.replace('_', '-')} / {ENV[m]}" for m in missing)
        raise MissingCredentials(
            f"missing {flags}; give them as flags or environment variables, or run `faceprint configure`"
        )
    return Credentials(**values)
