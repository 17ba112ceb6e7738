"""Command-line user management."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth import services
from app.auth.models import Organisation
from app.extensions import db

PLATFORM_ORG = "一瓶一码平台 (platform)"

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create-admin")
@click.argument("name")
@click.option("--password", help="Password for the web login (8+ characters).")
def create_admin(name: str, password: str | None) -> None:
    """Create a platform admin; the new API token is the last line printed."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == PLATFORM_ORG))
    if org is None:
        org = services.create_org(PLATFORM_ORG, "regulator")
    user = services.create_user(None, name, org.id, "admin", password=password)
    token = services.issue_token(user, label="create-admin")
    db.session.commit()
    click.echo(f"created platform admin {name} (id {user.id}) in {org.name}")
    click.echo(token)


def register_auth_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
