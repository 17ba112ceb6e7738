"""Command-line tools of the delivery round: flag overdue hazards (run daily from cron)."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from app.delivery.safety import flag_overdue_hazards
from app.extensions import db

hazards_cli = AppGroup("hazards", help="The hazard ledger.")


@hazards_cli.command("flag-overdue")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Day to judge by (default today).")
def flag_overdue_command(on: dt.datetime | None) -> None:
    """Raise a hazard_overdue flag for every open hazard past its deadline."""
    count = flag_overdue_hazards(on.date() if on else None)
    db.session.commit()
    click.echo(f"flagged {count} overdue hazards")
