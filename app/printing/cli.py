"""Command line: render a batch's labels to a file, with a progress bar."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from tqdm import tqdm

from app.auth.models import User
from app.errors import APIError
from app.extensions import db
from app.printing import services
from labels import render_pdf, render_zpl

labels_cli = AppGroup("labels", help="Render label sheets.")


@labels_cli.command("render")
@click.option("--batch", "batch_id", type=int, required=True, help="Code batch id.")
@click.option("--template", "template_name", default=services.DEFAULT_TEMPLATE, show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file; .zpl writes ZPL II, anything else PDF.")
@click.option("--as-user", "user_name", required=True, help="Who prints (recorded in the audit).")
@click.option("--skip", default=0, show_default=True, help="Empty cells at the start of sheet 1.")
@click.option("--dpi", default=203, type=click.Choice(["203", "300"]), show_default=True)
@click.option("--reason", default=None, help="Why, when any code was printed before.")
def render_command(batch_id: int, template_name: str, out_path: Path, user_name: str, skip: int,
                   dpi: str, reason: str | None) -> None:
    """Render a batch's labels to a PDF or ZPL file and record the print job."""
    user = db.session.scalar(select(User).where(User.name == user_name))
    if user is None:
        raise click.UsageError(f"no user {user_name!r}")
    fmt = "zpl" if out_path.suffix.lower() == ".zpl" else "pdf"
    try:
        req = services.print_batch(user, batch_id, template_name, fmt, skip, reason)
    except APIError as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    with tqdm(total=len(req.labels), unit="label", file=sys.stderr) as bar:
        if fmt == "pdf":
            done = 0

            def progress(count: int) -> None:
                nonlocal done
                bar.update(count - done)
                done = count

            with out_path.open("wb") as out:
                render_pdf(req.labels, req.template, skip, out, progress)
        else:
            with out_path.open("w", encoding="utf-8") as out:
                for chunk in render_zpl(req.labels, req.template, int(dpi)):
                    out.write(chunk)
                    bar.update(1)
    db.session.commit()
    click.echo(f"wrote {len(req.labels)} labels to {out_path} (print job {req.job.id})")


def register_printing_cli(app: Flask) -> None:
    app.cli.add_command(labels_cli)
