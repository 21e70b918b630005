"""``faceprint serve`` and the tenant admin: ``apps create|list``, ``keys create|list|revoke``.

Secrets are shown once, when created, and kept only sealed (see :mod:`faceprint.secrets`). ``serve``
creates a first app and key pair when the store has none, prints them once and writes them to
``data_dir/credentials.json`` (mode 0600).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from faceprint.errors import FaceprintError
from faceprint.files import private_dir
from faceprint.logsafe import printable
from faceprint.secrets import SecretBox, new_access_key, new_secret_key
from faceprint.settings import Settings
from faceprint.storage.base import Store, TenantStore

__all__ = ["create_app_with_key", "ensure_first_app", "register"]

log = logging.getLogger("faceprint.admin")


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _settings(args: argparse.Namespace) -> Settings:
    over: dict[str, Any] = {}
    for name in ("host", "port", "data_dir"):
        v = getattr(args, name, None)
        if v is not None:
            over[name] = v
    return Settings(**over)


def _open_store(settings: Settings) -> Store:
    from faceprint.storage.factory import open_store

    return open_store(settings)


def create_app_with_key(
    store: TenantStore, settings: Settings, name: str, quota: int | None = None
) -> dict[str, str]:
    """A new app and its first key pair: ``{"app_id", "access_key", "secret_key"}`` (the only time the
    plain secret exists outside the client)."""
    app = store.create_app(name, quota or settings.default_quota)
    ak, sk = new_access_key(), new_secret_key()
    store.add_key(app.app_id, ak, SecretBox.from_settings(settings).seal(ak, sk))
    return {"app_id": app.app_id, "access_key": ak, "secret_key": sk}


def _write_private(path: Path, data: dict[str, Any]) -> None:
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(tmp, 0o600)  # an old .tmp left by a crash keeps its mode through O_TRUNC
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def ensure_first_app(store: TenantStore, settings: Settings, endpoint: str) -> dict[str, str] | None:
    """Create app "default" with a key pair when the store has no app; write ``credentials.json``."""
    if store.list_apps():
        return None
    cred = create_app_with_key(store, settings, "default")
    _write_private(Path(settings.data_dir) / "credentials.json", {"endpoint": endpoint, **cred})
    return cred


def _refresh_endpoint(path: Path, endpoint: str) -> None:
    """Keep credentials.json pointing at this server's current address."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if isinstance(data, dict) and data.get("endpoint") != endpoint:
        _write_private(path, {**data, "endpoint": endpoint})


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from faceprint.api import create_app
    from faceprint.engine import Engine
    from faceprint.engine.processes import EngineProcesses

    settings = _settings(args)
    if not getattr(args, "verbose", False):
        logging.getLogger().setLevel(settings.log_level)
    try:
        store = _open_store(settings)  # first: a second `serve` on the same store stops before loading models
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    processes = settings.engine_process_count()
    try:
        engine = EngineProcesses(settings, processes) if processes else Engine.from_settings(settings)
    except FaceprintError as e:
        log.error("%s", e.message)
        store.close()
        return 1
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    endpoint = f"http://{host}:{settings.port}/openapi/face/v1"
    cred = ensure_first_app(store, settings, endpoint)
    creds_path = Path(settings.data_dir) / "credentials.json"
    if cred is None and creds_path.exists():
        _refresh_endpoint(creds_path, endpoint)
    _out(f"Faceprint serving the Mercury Cloud face OpenAPI v1.5.0 at {endpoint}")
    _out(f"  docs:        http://{host}:{settings.port}/docs")
    _out(f"  console:     http://{host}:{settings.port}/console/  (sign in with the app id, access key, secret key)")
    if cred is not None:
        _out("  first app created (the secret is shown once; also in "
             f"{creds_path}, mode 0600):")
        _out(f"  app_id:      {cred['app_id']}")
        _out(f"  access_key:  {cred['access_key']}")
        _out(f"  secret_key:  {cred['secret_key']}")
    else:
        for app in store.list_apps():
            _out(f"  app_id:      {app.app_id}  ({printable(app.name)})")
        if creds_path.exists():
            _out(f"  credentials of the first app: {creds_path}")
    # the app closes the engine's worker processes and the store at shutdown
    asgi = create_app(settings, engine=engine, store=store, owned=True)
    uvicorn.run(asgi, host=settings.host, port=settings.port, access_log=False,
                log_level=settings.log_level.lower())
    return 0


def _with_store(args: argparse.Namespace, fn: Any) -> int:
    """Runs an apps/keys command on the store, opened for tenants only: beside a running `serve` too."""
    from faceprint.storage.factory import open_tenant_store

    settings = _settings(args)
    try:
        store = open_tenant_store(settings)
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    try:
        rc: int = fn(store, settings)
        return rc
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    finally:
        store.close()


def _apps_create(args: argparse.Namespace) -> int:
    def run(store: TenantStore, settings: Settings) -> int:
        cred = create_app_with_key(store, settings, args.name, args.quota)
        if args.json:
            _out(json.dumps(cred))
        else:
            _out(f"app_id:      {cred['app_id']}\naccess_key:  {cred['access_key']}\n"
                 f"secret_key:  {cred['secret_key']}   (shown once: keep it safe)")
        return 0

    return _with_store(args, run)


def _apps_list(args: argparse.Namespace) -> int:
    def run(store: TenantStore, settings: Settings) -> int:
        for a in store.list_apps():
            use = store.app_usage(a.app_id)
            active = sum(1 for k in store.list_keys(a.app_id) if k.active)
            _out(f"{a.app_id}  name={printable(a.name)!r} quota={a.quota} used={use.reserved} "
                 f"databases={use.databases} active_keys={active}")
        return 0

    return _with_store(args, run)


def _keys_create(args: argparse.Namespace) -> int:
    def run(store: TenantStore, settings: Settings) -> int:
        ak, sk = new_access_key(), new_secret_key()
        store.add_key(args.app, ak, SecretBox.from_settings(settings).seal(ak, sk))
        if args.json:
            _out(json.dumps({"app_id": args.app, "access_key": ak, "secret_key": sk}))
        else:
            _out(f"access_key:  {ak}\nsecret_key:  {sk}   (shown once: keep it safe)")
        return 0

    return _with_store(args, run)


def _keys_list(args: argparse.Namespace) -> int:
    def run(store: TenantStore, settings: Settings) -> int:
        store.get_app(args.app)
        for k in store.list_keys(args.app):
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(k.created_at))
            state = "active" if k.active else "revoked " + time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(k.revoked_at or 0))
            _out(f"{k.access_key}  created={created}  {state}")
        return 0

    return _with_store(args, run)


def _keys_revoke(args: argparse.Namespace) -> int:
    def run(store: TenantStore, settings: Settings) -> int:
        store.revoke_key(args.access_key)
        _out(f"revoked {args.access_key}")
        return 0

    return _with_store(args, run)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=None, help="store folder (default: FACEPRINT_DATA_DIR)")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``serve``, ``apps`` and ``keys``."""
    ps = sub.add_parser("serve", help="serve the Mercury Cloud face OpenAPI on the embedded store")
    ps.add_argument("--host", default=None, help="bind address (default: FACEPRINT_HOST or 127.0.0.1)")
    ps.add_argument("--port", type=int, default=None, help="TCP port (default: FACEPRINT_PORT or 8866)")
    _common(ps)
    ps.set_defaults(func=_serve)

    pa = sub.add_parser("apps", help="tenants (apps) and their quotas")
    asub = pa.add_subparsers(dest="apps_command", required=True)
    pac = asub.add_parser("create", help="create an app and its first key pair (secret shown once)")
    pac.add_argument("--name", default="app", help="a label")
    pac.add_argument("--quota", type=int, default=None, help="feature ids the app may reserve")
    pac.add_argument("--json", action="store_true", help="print JSON")
    _common(pac)
    pac.set_defaults(func=_apps_create)
    pal = asub.add_parser("list", help="every app with its quota use")
    _common(pal)
    pal.set_defaults(func=_apps_list)

    pk = sub.add_parser("keys", help="access keys (at most 2 active per app, for rotation)")
    ksub = pk.add_subparsers(dest="keys_command", required=True)
    pkc = ksub.add_parser("create", help="a new key pair for an app (secret shown once)")
    pkc.add_argument("--app", required=True, help="app_id")
    pkc.add_argument("--json", action="store_true", help="print JSON")
    _common(pkc)
    pkc.set_defaults(func=_keys_create)
    pkl = ksub.add_parser("list", help="an app's access keys (never the secrets)")
    pkl.add_argument("--app", required=True, help="app_id")
    _common(pkl)
    pkl.set_defaults(func=_keys_list)
    pkr = ksub.add_parser("revoke", help="revoke an access key (a running service refuses it within "
                          "FACEPRINT_KEY_CACHE_SECONDS, 2 s by default)")
    pkr.add_argument("access_key")
    _common(pkr)
    pkr.set_defaults(func=_keys_revoke)
