"""Seed a fresh benchmark database: stations, their fillers and tokens, cylinders in every state.

Used by scripts/bench/interlock.py; runs in its own process against DATABASE_URL.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.auth import services as auth  # noqa: E402
from app.extensions import db  # noqa: E402
from app.filling.entrustments import create_entrustment  # noqa: E402
from app.traceability import services as registry  # noqa: E402
from app.traceability.codes import new_code, payload_for  # noqa: E402


def seed(url: str, stations: int, cylinders: int, out: Path, base_url: str) -> None:
    """Create the district and write the codes each station presents (allowed and refused)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": base_url,
                      "INSTANCE_DIR": str(out.parent)})
    rng = random.Random(38059)
    with app.app_context():
        upgrade()
        regulator_org = auth.create_org("基准监管局", "regulator")
        regulator = auth.create_user(None, "bench-regulator", regulator_org.id, "regulator")
        company = auth.create_org("基准燃气公司", "gas_company")
        orgs, fillers = [], []
        for n in range(stations):
            org = auth.create_org(f"基准充装站{n:02d}", "filling_station")
            orgs.append(org)
            fillers.append(auth.create_user(None, f"bench-filler-{n:02d}", org.id, "filler"))
        tokens = [auth.issue_token(user, label="bench") for user in fillers]
        # Half the stations are entrusted with the company's cylinders.
        for org in orgs[::2]:
            create_entrustment(regulator, company.id, org.id, dt.date(2020, 1, 1),
                               dt.date(2030, 12, 31))
        plan = []
        owners = [*orgs, company]
        by_owner: dict[int, list[str]] = {org.id: [] for org in owners}
        for owner in owners:
            count = cylinders // len(owners)
            batch = registry.issue_codes(regulator, owner.id, count)
            codes = registry.batch_codes(batch)
            for number, code in enumerate(codes):
                overdue = rng.random() < 0.1
                reg = registry.Registration(
                    code=code, serial_no=f"B{owner.id:03d}{number:05d}", manufacturer="基准容器",
                    model=rng.choice(["YSP35.5", "YSP35.5", "YSP118", "YSP12"]),
                    manufactured_on=dt.date(2021, rng.randint(1, 12), 1),
                    owner_org_id=owner.id,
                    last_inspected_on=dt.date(2021 if overdue else 2024, 12, 1))
                registry.register_cylinder(regulator, reg)
                by_owner[owner.id].append(code)
            db.session.commit()
        for index, org in enumerate(orgs):
            own = by_owner[org.id]
            entrusted = by_owner[company.id] if index % 2 == 0 else []
            strangers = by_owner[orgs[(index + 1) % len(orgs)].id]
            plan.append({"token": tokens[index], "station": org.name,
                         "allowed_or_own": own + entrusted,
                         "strangers": strangers[:50],
                         "unknown": [payload_for(new_code(), base_url) for _ in range(20)]})
        db.session.commit()
    out.write_text(json.dumps({"stations": plan}, ensure_ascii=False))


if __name__ == "__main__":
    url, stations, cylinders, out, base_url = sys.argv[1:6]
    seed(url, int(stations), int(cylinders), Path(out), base_url)
