"""The CLI's database, feature-error, credential and exit-status paths against the real app (no models)."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from faceprint.cli.commands import (
    EXIT_AUTH,
    EXIT_EXHAUSTED,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_SERVER,
    EXIT_USAGE,
)
from tests.cli.conftest import Cli
from tests.client._apps import Tenant, ThreadedServer


def test_db_create_list_show_delete(cli: Cli, db_server: tuple[ThreadedServer, Tenant]) -> None:
    made = cli("db", "create", "foo", "--max-size", "1000", "--description", "Sample feature database.", "--json")
    assert made.rc == EXIT_OK
    db = made.json()
    assert (db["name"], db["max_size"], db["size"], db["object_type"]) == ("foo", 1000, 0, "OBJECT_FACE")

    listed = cli("db", "list")
    assert listed.rc == EXIT_OK
    assert db["db_id"] in listed.out and "foo" in listed.out and "0/1000" in listed.out
    assert cli("db", "list", "--json").json()["databases"] == [db["db_id"]]

    shown = cli("db", "show", db["db_id"])
    assert shown.rc == EXIT_OK and "Sample feature database." in shown.out and "0 of 1000" in shown.out

    assert cli("db", "delete", db["db_id"]).rc == EXIT_OK
    gone = cli("db", "show", db["db_id"], "--json")
    assert gone.rc == EXIT_NOT_FOUND
    err = gone.json()["error"]
    assert (err["status"], err["code"], err["internal_code"]) == (404, 5, 2002)
    assert len(err["trace_id"]) == 32 and "error" in gone.err


def test_exit_statuses_say_what_failed(cli: Cli, db_server: tuple[ThreadedServer, Tenant]) -> None:
    db = cli("db", "create", "small", "--max-size", "5", "--json").json()
    assert cli("features", "get", db["db_id"], "no-such-feature").rc == EXIT_NOT_FOUND
    assert cli("features", "delete", db["db_id"], "no-such-feature").rc == EXIT_NOT_FOUND
    assert cli("db", "create", "huge", "--max-size", "100000000").rc == EXIT_EXHAUSTED
    assert cli("db", "create", "zero", "--max-size", "0").rc == EXIT_INVALID
    assert cli("db", "create").rc == EXIT_USAGE  # argparse: NAME missing
    assert cli("compare", "missing-a.jpg", "missing-b.jpg").rc == EXIT_INVALID  # local file absent
    assert cli("db", "list", "--secret-key", "wrong").rc == EXIT_AUTH


def test_missing_credentials_and_an_unreachable_server(cli: Cli, isolated: Path) -> None:
    r = cli("db", "list")
    assert r.rc == EXIT_USAGE and "FACEPRINT_ENDPOINT" in r.err and "faceprint configure" in r.err
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli("info", "--endpoint", f"http://127.0.0.1:{port}/openapi/face/v1", "--app-id", "a",
            "--access-key", "b", "--secret-key", "c", "--retries", "0")
    assert r.rc == EXIT_SERVER and "failed" in r.err


def test_configure_writes_a_private_profile_that_later_commands_use(
    cli: Cli, db_server: tuple[ThreadedServer, Tenant], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tenant = db_server
    assert cli("configure").rc == EXIT_OK  # from the FACEPRINT_* variables of the fixture
    profile = isolated / "config" / "faceprint" / "profile.json"
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    saved = json.loads(profile.read_text())
    assert saved == {"endpoint": server.endpoint, "app_id": tenant.app_id, "access_key": tenant.access_key,
                     "secret_key": tenant.secret}
    for name in ("FACEPRINT_ENDPOINT", "FACEPRINT_APP_ID", "FACEPRINT_ACCESS_KEY", "FACEPRINT_SECRET_KEY"):
        monkeypatch.delenv(name)
    assert cli("db", "create", "from-profile").rc == EXIT_OK
    # a flag overrides the profile
    assert cli("db", "list", "--secret-key", "wrong").rc == EXIT_AUTH


def test_the_credentials_file_of_faceprint_serve_is_found_without_configuration(
    cli: Cli, db_server: tuple[ThreadedServer, Tenant], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tenant = db_server
    creds = {"endpoint": server.endpoint, "app_id": tenant.app_id, "access_key": tenant.access_key,
             "secret_key": tenant.secret}
    for name in ("FACEPRINT_ENDPOINT", "FACEPRINT_APP_ID", "FACEPRINT_ACCESS_KEY", "FACEPRINT_SECRET_KEY"):
        monkeypatch.delenv(name)
    (isolated / "var").mkdir()
    path = isolated / "var" / "credentials.json"  # ./var is serve's default data_dir
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(creds, f)
    assert cli("info", "--json").json()["app_id"] == tenant.app_id
    # and `configure --from` copies it into the profile
    assert cli("configure", "--from", str(path)).rc == EXIT_OK
    assert json.loads((isolated / "config" / "faceprint" / "profile.json").read_text()) == creds
