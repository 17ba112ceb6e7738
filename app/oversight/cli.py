"""`flask report monthly --month YYYY-MM`: write the monthly report without the web server."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from app.errors import APIError
from app.oversight.reports.data import monthly_report
from app.oversight.reports.pdf import report_pdf
from app.oversight.reports.xlsx import report_xlsx


@click.group("report")
def report_cli() -> None:
    """Reports for the regulators."""


@report_cli.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--org-id", type=int, default=None, help="A company or station; else the district.")
@click.option("--area-id", type=int, default=None, help="A delivery area (flags, deliveries, "
              "hazards there).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf", "both"]), default="both",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write into.")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True,
              help="Language of the files' titles, headings and labels.")
@with_appcontext
def monthly_command(month: str, org_id: int | None, area_id: int | None, fmt: str,
                    out: Path, lang: str) -> None:
    """Write the monthly progress report (seed plan 五(三)) as XLSX and/or PDF."""
    started = time.perf_counter()
    with force_locale(lang):
        try:
            report = monthly_report(month, org_id, area_id)
        except APIError as exc:
            raise click.BadParameter(exc.message, param_hint="--month") from exc
        out.mkdir(parents=True, exist_ok=True)
        suffix = (f"-{org_id}" if org_id else "") + (f"-area{area_id}" if area_id else "")
        for kind in ("xlsx", "pdf") if fmt == "both" else (fmt,):
            path = out / f"monthly-report-{month}{suffix}.{kind}"
            path.write_bytes(report_xlsx(report) if kind == "xlsx" else report_pdf(report))
            click.echo(f"wrote {path}")
    click.echo(f"fills {report.totals['fills']}, refusals {report.totals['refusals']}, "
               f"flags {report.totals['flags_raised']}/{report.totals['flags_resolved']}, "
               f"deliveries {report.totals['deliveries']} "
               f"in {time.perf_counter() - started:.1f} s")


@click.group("oversight")
def oversight_cli() -> None:
    """Oversight maintenance."""


@oversight_cli.command("rebuild-traces")
@click.option("--batch", default=2000, show_default=True, help="Cylinders per transaction.")
@with_appcontext
def rebuild_traces_command(batch: int) -> None:
    """Rebuild the derived trace tables from the events (after an import or a restore)."""
    from sqlalchemy import delete, select

    from app.extensions import db
    from app.oversight.models import CylinderParty, CylinderTrace
    from app.oversight.watch import update_trace
    from app.traceability.models import Cylinder, Event

    db.session.execute(delete(CylinderParty))
    db.session.execute(delete(CylinderTrace))
    db.session.commit()
    last_id, done = 0, 0
    while True:
        ids = list(db.session.scalars(select(Cylinder.id).where(Cylinder.id > last_id)
                                      .order_by(Cylinder.id).limit(batch)))
        if not ids:
            break
        for cylinder_id in ids:
            trace = None
            for event in db.session.scalars(select(Event).where(Event.cylinder_id == cylinder_id)
                                            .order_by(Event.seq)):
                trace = update_trace(cylinder_id, trace, event)
        db.session.commit()
        last_id, done = ids[-1], done + len(ids)
        click.echo(f"\r{done} cylinders", nl=False)
    click.echo()
