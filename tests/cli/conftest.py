"""Fixtures of the CLI tests: ``faceprint.cli.main.main([...])`` in process, against the real app served on
a loopback port by a thread of this process, with the config and state folders in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from faceprint.api import create_app
from faceprint.cli.main import main
from tests.client._apps import Tenant, ThreadedServer, make_settings, make_tenant, open_test_store

if TYPE_CHECKING:
    from faceprint.engine import Engine

_ENV = ("FACEPRINT_ENDPOINT", "FACEPRINT_APP_ID", "FACEPRINT_ACCESS_KEY", "FACEPRINT_SECRET_KEY",
        "FACEPRINT_PROFILE", "FACEPRINT_DATA_DIR")


@dataclass
class Run:
    rc: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs ``faceprint ...`` in process and captures its exit status and output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> Run:
        self.capsys.readouterr()
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:  # argparse's usage errors
            rc = int(e.code or 0)
        out, err = self.capsys.readouterr()
        return Run(rc, out, err)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No FACEPRINT_* credentials from outside; ~/.config and ~/.local/state inside tmp_path."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], isolated: Path) -> Cli:
    return Cli(capsys)


def _serve(tmp: Path, engine: Engine | None, model_dir: Path | None) -> Iterator[tuple[ThreadedServer, Tenant]]:
    settings = make_settings(tmp / "server", model_dir)
    store = open_test_store(settings)
    try:
        tenant = make_tenant(store, settings)
        with ThreadedServer(create_app(settings, engine=engine, store=store)) as server:
            yield server, tenant
    finally:
        store.close()


def _login(monkeypatch: pytest.MonkeyPatch, server: ThreadedServer, tenant: Tenant) -> None:
    monkeypatch.setenv("FACEPRINT_ENDPOINT", server.endpoint)
    monkeypatch.setenv("FACEPRINT_APP_ID", tenant.app_id)
    monkeypatch.setenv("FACEPRINT_ACCESS_KEY", tenant.access_key)
    monkeypatch.setenv("FACEPRINT_SECRET_KEY", tenant.secret)


@pytest.fixture
def db_server(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ThreadedServer, Tenant]]:
    """The app without models on a loopback port; the FACEPRINT_* variables point the CLI at it."""
    for server, tenant in _serve(isolated, None, None):
        _login(monkeypatch, server, tenant)
        yield server, tenant


@pytest.fixture
def face_server(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine, model_dir: Path
) -> Iterator[tuple[ThreadedServer, Tenant]]:
    """The app with the real engine on a loopback port; the FACEPRINT_* variables point the CLI at it."""
    for server, tenant in _serve(isolated, engine, model_dir):
        _login(monkeypatch, server, tenant)
        yield server, tenant
