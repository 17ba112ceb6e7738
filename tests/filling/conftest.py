"""Helpers for the filling tests: present codes as a station, put cylinders in a state."""
from __future__ import annotations

from typing import Any

import pytest

from app.database import utcnow
from app.extensions import db
from app.traceability.events import record_event
from app.traceability.services import find_cylinder


class Station:
    """Present cylinders at the scale through the API."""

    def __init__(self, api: Any, world: Any) -> None:
        self.api = api
        self.world = world

    def present(self, code: str, actor: Any = None, **body: Any) -> Any:
        actor = actor or self.world.filler_a
        return self.api.post("/api/v1/fillings", actor, json={"code": code, **body})

    def reasons(self, resp: Any) -> list[str]:
        assert resp.status_code == 409, resp.json
        assert resp.json["allowed"] is False
        return [r["code"] for r in resp.json["reasons"]]

    def entrust(self, owner: str = "company", station: str = "station_a",
                valid_from: str = "2026-01-01", valid_to: str = "2026-12-31",
                actor: Any = None) -> Any:
        return self.api.post("/api/v1/entrustments", actor or self.world.regulator, json={
            "owner_org_id": self.world.orgs[owner], "station_org_id": self.world.orgs[station],
            "valid_from": valid_from, "valid_to": valid_to})


@pytest.fixture
def station(api: Any, world: Any) -> Station:
    return Station(api, world)


def set_state(code: str, event: str | None = None, **fields: Any) -> None:
    """Put a cylinder in a state the oversight domain's endpoints produce (seize, scrap...)."""
    cyl = find_cylinder(code)
    assert cyl is not None
    for key, value in fields.items():
        setattr(cyl, key, utcnow() if value is True and key.endswith("_at") else value)
    if event:
        record_event(cyl, event, None, data={"note": "set by test"})
    db.session.commit()


@pytest.fixture
def steady_caches(app: Any, monkeypatch: Any) -> None:
    """The worker's token and blacklist caches stay warm for the whole test.

    They expire after 5 s; a test that counts statements must not see a reload because a
    slow machine took that long (CI once did: one more SELECT, and the count failed).
    """
    for name in ("token_cache", "blacklist_cache"):
        cache = app.extensions[name]
        monkeypatch.setattr(cache, "ttl", 3600.0)
        cache.bump()  # entries held before the patch still carry the short expiry
