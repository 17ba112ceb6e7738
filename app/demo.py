"""Demo data for a fresh install: organisations, users, codes and cylinders in every state."""
from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import ApiToken, Organisation
from app.clock import today
from app.database import utcnow
from app.delivery.demo import seed_delivery_demo
from app.extensions import db
from app.filling.demo import seed_filling_demo
from app.oversight.demo import DUE_SOON, register_due_soon, seed_oversight_demo
from app.printing.services import assign_batch
from app.traceability import services as registry
from app.traceability.flags import raise_flag
from app.traceability.models import Cylinder

DEMO_PASSWORD = "demo-pass-2026"
REGISTERED_DAYS_AGO = 60  # before every backdated demo event (fills go back 40 days)
ORGS = [
    ("莲池区市场监督管理局", "regulator"),
    ("保定市莲池燃气有限公司", "gas_company"),
    ("莲池第一液化气充装站", "filling_station"),
    ("南郊液化气充装站", "filling_station"),
    ("保定特种设备检验研究院", "inspection_agency"),
    ("保定华印标签印务", "printer"),
]
USERS = [
    ("admin", 0, "admin", "平台管理员"),
    ("regulator", 0, "regulator", "王监管"),
    ("company", 1, "admin", "李经理"),
    ("filler", 2, "filler", "张充装"),
    ("filler2", 3, "filler", "赵充装"),
    ("driver", 1, "driver", "刘送气"),
    ("inspector", 4, "inspector", "陈检验"),
    ("printer", 5, "printer", "周印务"),
]


def _tokens_file() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "demo-tokens.json"


def seed_demo(cylinder_count: int = 40) -> dict[str, str]:
    """Create the demo world once; return each demo user's API token."""
    first = db.session.scalar(select(Organisation).where(Organisation.name == ORGS[0][0]))
    if first is not None:
        path = _tokens_file()
        return _renew_dead_tokens(json.loads(path.read_text())) if path.exists() else {}
    orgs = [auth.create_org(name, kind) for name, kind in ORGS]
    tokens = {}
    users = {}
    for name, org_index, role, display in USERS:
        user = auth.create_user(None, name, orgs[org_index].id, role, password=DEMO_PASSWORD,
                                display_name=display)
        users[name] = user
        tokens[name] = auth.issue_token(user, label="demo")
    company = orgs[1]
    batch = registry.issue_codes(users["regulator"], company.id, cylinder_count + 20)
    codes = registry.batch_codes(batch)
    rng = random.Random(20261129)
    now = today()
    models = ["YSP35.5"] * 6 + ["YSP118", "YSP12", "YSP26.2"]
    for number, code in enumerate(codes[:cylinder_count], start=1):
        made = dt.date(rng.randint(2016, 2024), rng.randint(1, 12), 1)
        inspected = min(now, made + dt.timedelta(days=rng.randint(30, 1600)))
        if number % 7 == 0:  # some overdue for inspection
            inspected = now.replace(year=now.year - 5)
            made = min(made, inspected)
        if number % 11 == 0:  # some past their service life
            made = dt.date(2010, 3, 1)
            inspected = now - dt.timedelta(days=200)
        reg = registry.Registration(
            code=code, serial_no=f"LC{made.year}{number:05d}",
            manufacturer="河北百工高压容器有限公司",
            model=rng.choice(models), manufactured_on=made, owner_org_id=company.id,
            registration_no=f"TS-冀F-{number:06d}", last_inspected_on=inspected)
        # registered before the demo's backdated fills and rounds, so its history reads in order
        registry.register_cylinder(users["company"], reg,
                                   occurred_at=utcnow() - dt.timedelta(days=REGISTERED_DAYS_AGO))
    # a few falling due within weeks, so the expiry alerts have more than the overdue to show
    register_due_soon(users["company"], company.id,
                      codes[cylinder_count:cylinder_count + len(DUE_SOON)],
                      utcnow() - dt.timedelta(days=REGISTERED_DAYS_AGO))
    db.session.flush()
    assign_batch(users["regulator"], batch.id, orgs[5].id)
    seized = db.session.scalar(select(Cylinder).order_by(Cylinder.id).offset(3).limit(1))
    if seized is not None:
        raise_flag("black_cylinder", cylinder=seized, actor=users["regulator"],
                            details={"note": "demo: presented at a station it does not belong to"})
    seed_filling_demo(users, orgs)
    seed_delivery_demo()
    seed_oversight_demo()
    db.session.commit()
    path = _tokens_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=1))
    path.chmod(0o600)
    return tokens


def _renew_dead_tokens(tokens: dict[str, str]) -> dict[str, str]:
    """Replace demo tokens that expired (or were revoked), so the printed logins keep working."""
    renewed = False
    for name, token in tokens.items():
        row = db.session.scalar(select(ApiToken).where(
            ApiToken.token_hash == auth.hash_token(token)))
        if row is not None and (row.revoked_at is not None or row.expires_at <= utcnow()):
            tokens[name] = auth.issue_token(row.user, label="demo")
            renewed = True
    if renewed:
        db.session.commit()
        _tokens_file().write_text(json.dumps(tokens, indent=1))
    return tokens


@click.command("seed-demo")
@with_appcontext
@click.option("--cylinders", default=40, show_default=True, help="How many demo cylinders.")
def seed_demo_command(cylinders: int) -> None:
    """Load demo data on first run and print the demo logins and API tokens."""
    tokens = seed_demo(cylinders)
    click.echo("Demo logins (web: name / password; API: Authorization: Bearer <token>):")
    for name, _org, role, display in USERS:
        token = tokens.get(name, "?")
        click.echo(f"  {name:<10} {DEMO_PASSWORD}  {role:<9} {display}  token {token}")
