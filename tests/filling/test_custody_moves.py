"""Custody at the scale: a refill where the cylinder is writes nothing; a fill elsewhere moves."""
from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from tests.delivery.conftest import stored_custody


def test_a_refill_at_the_holding_station_keeps_when_it_came(registry, station, world, app):
    code = registry.cylinder(owner="station_a")["code"]
    registered = stored_custody(code)
    assert registered[:2] == ("station", world.orgs["station_a"])
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.lstrip().upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(2):
            assert station.present(code).status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert not [s for s in statements if s.startswith(("UPDATE CUSTODY", "INSERT INTO CUSTODY"))]
    assert stored_custody(code) == registered

    assert station.entrust(owner="station_a", station="station_b").status_code == 201
    fill = station.present(code, actor=world.filler_b)
    assert fill.status_code == 201, fill.json
    kind, org_id, since, event_id = stored_custody(code)
    assert (kind, org_id) == ("station", world.orgs["station_b"])
    assert str(event_id) == fill.json["event"]["id"]
    assert since > registered[2]
