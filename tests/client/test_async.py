"""The asyncio client over httpx.ASGITransport: the same answers as the blocking one."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from faceprint import errors as fe
from faceprint.client import AsyncClient, AuthenticationError
from tests.client._apps import PHOTOS, Tenant
from tests.client.conftest import ENDPOINT

pytestmark = pytest.mark.anyio


def aclient(app: FastAPI, tenant: Tenant, secret: str | None = None) -> AsyncClient:
    return AsyncClient(ENDPOINT, tenant.app_id, tenant.access_key, secret or tenant.secret,
                       transport=httpx.ASGITransport(app=app))


async def test_databases_and_errors(app: FastAPI, tenant: Tenant) -> None:
    async with aclient(app, tenant) as fp:
        d = await fp.create_database("foo", 10, "desc")
        assert (await fp.list_databases()).databases == [d.db_id]
        assert (await fp.get_database(d.db_id)).description == "desc"
        await fp.delete_database(d.db_id)
        with pytest.raises(fe.DatabaseNotFound):
            await fp.get_database(d.db_id)
        assert (await fp.info()).version == "1.5.0"
    async with aclient(app, tenant, secret="wrong") as bad:
        with pytest.raises(AuthenticationError):
            await bad.list_databases()


async def test_detect_add_and_search(full_app: FastAPI, tenant: Tenant, faces_dir: Path) -> None:
    async with aclient(full_app, tenant) as fp:
        det = await fp.detect(faces_dir / PHOTOS["jolie"])
        assert len(det.faces) == 1
        db = await fp.create_database("a", 10)
        added = await fp.add_features(db.db_id, [(faces_dir / PHOTOS[k], k) for k in ("jolie", "musk")])
        assert all(s.ok for s in added.results)
        r = await fp.search(faces_dir / PHOTOS["musk"], db.db_id, top_k=2)
        assert [h.feature.key for h in r.hits] == ["musk", "jolie"]
        c = await fp.compare(faces_dir / PHOTOS["jolie"], faces_dir / PHOTOS["jolie"])
        assert c.score > 0.9
