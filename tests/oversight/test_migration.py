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
