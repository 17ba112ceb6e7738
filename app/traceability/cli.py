"""Command-line tools of the registry: chain verification and bulk import."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from app.auth.models import User
from app.errors import APIError
from app.extensions import db
from app.traceability.events import verify_events
from app.traceability.importer import import_cylinders
from app.traceability.models import Cylinder, Event

cylinders_cli = AppGroup("cylinders", help="Register and import cylinders.")


@click.command("verify-chain")
@with_appcontext
@click.option("--quiet", is_flag=True, help="Print only broken cylinders.")
def verify_chain(quiet: bool) -> None:
    """Verify every cylinder's hash chain; exit 1 naming each broken cylinder."""
    broken = 0
    total = 0
    cylinders = db.session.scalars(select(Cylinder).order_by(Cylinder.id)).all()
    for start in range(0, len(cylinders), 500):
        chunk = cylinders[start:start + 500]
        events: dict[int, list[Event]] = {c.id: [] for c in chunk}
        for event in db.session.scalars(select(Event).where(
                Event.cylinder_id.in_(list(events))).order_by(Event.cylinder_id, Event.seq)):
            events[event.cylinder_id].append(event)
        for cyl in chunk:
            total += 1
            report = verify_events(cyl, events[cyl.id])
            if not report.ok:
                broken += 1
                click.echo(f"BROKEN {cyl.code}: {'; '.join(report.problems)}")
        db.session.expunge_all()
    if not quiet or broken:
        click.echo(f"checked {total} cylinders: {total - broken} intact, {broken} broken")
    sys.exit(1 if broken else 0)


@cylinders_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-user", "user_name", required=True, help="Name of the importing user.")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows, report the rest.")
@click.option("--dry-run", is_flag=True, help="Validate only.")
def import_command(path: Path, user_name: str, skip_invalid: bool, dry_run: bool) -> None:
    """Import cylinders from a CSV or XLSX file, with a progress bar."""
    user = db.session.scalar(select(User).where(User.name == user_name))
    if user is None:
        raise click.UsageError(f"no user {user_name!r}")
    data = path.read_bytes()
    with tqdm(desc="validating rows", unit="row", file=sys.stderr) as bar:
        try:
            report = import_cylinders(user, data, path.name, skip_invalid=skip_invalid,
                                      dry_run=dry_run, max_rows=10_000_000, progress=bar.update)
        except APIError as exc:
            db.session.rollback()
            bar.close()
            click.echo(f"error: {exc.message}", err=True)
            for err in (exc.details or {}).get("errors", [])[:200]:
                click.echo(f"  {_where(err)}: {err['message']}", err=True)
            sys.exit(1)
    db.session.commit()
    click.echo(f"rows {report.rows}, imported {report.imported}, skipped {report.skipped}")
    for err in report.errors[:200]:
        click.echo(f"  {_where(err.__dict__)}: {err.message}")


def _where(err: dict) -> str:
    """'cell F4 (制造日期)' where the file's column is known, else the line and field."""
    if err.get("cell"):
        return f"cell {err['cell']} ({err['header']})"
    return f"line {err['line']}, {err['column']}"


def register_registry_cli(app: Flask) -> None:
    app.cli.add_command(verify_chain)
    app.cli.add_command(cylinders_cli)
