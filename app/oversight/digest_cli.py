"""`flask chain digest` (daily, from cron), `flask chain check` and `flask chain prove`."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.errors import APIError
from app.extensions import db
from app.oversight import digests
from app.oversight.models import ChainDigest


@click.group("chain")
def chain_cli() -> None:
    """Digests of every cylinder's hash chain, to keep outside the database."""


@chain_cli.command("digest")
@with_appcontext
def digest_command() -> None:
    """Take a digest now (run it daily) and print what to keep outside the database."""
    row = digests.take_digest(None)
    db.session.commit()
    click.echo(f"digest {row.id}: events received before {digests.local_text(row.cutoff)} "
               f"({row.cutoff.isoformat()})")
    click.echo(f"cylinders {row.cylinders}, events {row.events}")
    click.echo(digests.grouped(row.root))


@chain_cli.command("check")
@click.option("--last", type=int, default=None, help="Only the latest N digests.")
@with_appcontext
def check_command(last: int | None) -> None:
    """Recompute stored digests from the events; exit 1 naming each that differs."""
    query = select(ChainDigest.id).order_by(ChainDigest.cutoff.desc())
    ids = list(db.session.scalars(query.limit(last) if last else query))
    differ = 0
    for digest_id in ids:
        check = digests.check_stored(None, digest_id)
        if not check.matches:
            differ += 1
            before = digests.local_text(check.digest.cutoff)
            click.echo(f"DIFFERS digest {digest_id} (before {before}): "
                       f"stored {check.digest.root}, events now give {check.recomputed.root}")
    click.echo(f"checked {len(ids)} digests: {len(ids) - differ} match, {differ} differ")
    sys.exit(1 if differ else 0)


@chain_cli.command("prove")
@click.option("--cutoff", required=True,
              help="The digest's cutoff as printed, e.g. '2026-11-30 08:30 (UTC+0800)'.")
@click.option("--digest", "held", required=True, help="The digest as kept (16+ hex characters).")
@with_appcontext
def prove_command(cutoff: str, held: str) -> None:
    """Compare a digest kept outside the database with the events stored now."""
    try:
        proof = digests.prove(None, digests.parse_cutoff(cutoff), held)
    except APIError as exc:
        raise click.BadParameter(exc.message) from exc
    if proof.matches:
        before = digests.local_text(proof.cutoff)
        click.echo(f"MATCHES: the events received before {before} are as they were "
                   f"when the digest was taken")
        sys.exit(0)
    click.echo(f"DIFFERS: the events now give {digests.grouped(proof.recomputed.root)}")
    sys.exit(1)
