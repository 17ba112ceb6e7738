"""The oversight tables and indexes come from the migration and match the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(ctx):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                db.metadata)
    assert diff == []


def test_the_names_migration_folds_spellings_stored_before_it(clean_app, registry):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, update

    from app.oversight.models import BlacklistEntry
    from app.traceability.models import Cylinder

    cyl = registry.cylinder(manufacturer="ＱＡ厂")
    with clean_app.app_context():
        downgrade(revision="0009_events_index")  # 0010 changes data only
        db.session.execute(update(Cylinder).where(Cylinder.code == cyl["code"]).values(
            manufacturer="保定（集团）\u200b厂", serial_no="ＳＮ１"))
        db.session.add(BlacklistEntry(scope="manufacturer", manufacturer="ＱＡ 　厂",
                                      reason="x", active=True))
        db.session.commit()
        upgrade()
        stored = db.session.execute(select(Cylinder.manufacturer, Cylinder.serial_no).where(
            Cylinder.code == cyl["code"])).one()
        assert tuple(stored) == ("保定(集团)厂", "SN1")
        assert db.session.scalar(select(BlacklistEntry.manufacturer)) == "QA 厂"


def test_the_seen_on_migration_fills_in_the_district_day(clean_app, registry):
    """0012 backfills last_seen_on from last_event_at in the district's time (UTC+8)."""
    import datetime as dt

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, text

    from app.oversight.models import CylinderTrace
    from app.traceability.models import Cylinder

    cyl = registry.cylinder()
    with clean_app.app_context():
        cylinder_id = db.session.scalar(select(Cylinder.id).where(Cylinder.code == cyl["code"]))
        db.session.commit()
        downgrade(revision="0011_refusal_indexes")
        db.session.execute(text("UPDATE cylinder_traces SET last_event_at = :at "
                                "WHERE cylinder_id = :id"),
                           {"at": dt.datetime(2026, 3, 9, 16, 30), "id": cylinder_id})
        db.session.commit()
        upgrade()
        seen = db.session.scalar(select(CylinderTrace.last_seen_on).where(
            CylinderTrace.cylinder_id == cylinder_id))
        assert seen == dt.date(2026, 3, 10)


def test_the_search_keys_migration_fills_in_the_keys(clean_app, registry):
    """0016 adds serial_key and manufacturer_key and fills them in for cylinders before it."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, text

    from app.traceability.models import Cylinder

    cyl = registry.cylinder(serial_no="Ab-12ß", manufacturer="Hebei 百工")
    with clean_app.app_context():
        db.session.commit()
        downgrade(revision="0015_due_index")
        db.session.execute(text("UPDATE cylinders SET serial_no = 'XY-9' WHERE code = :c"),
                           {"c": cyl["code"]})
        db.session.commit()
        upgrade()
        keys = db.session.execute(select(Cylinder.serial_key, Cylinder.manufacturer_key).where(
            Cylinder.code == cyl["code"])).one()
        assert tuple(keys) == ("xy-9", "hebei 百工")
