"""Seed a district for load and crash runs: stations, a gas company, regulators, a print shop.

The data goes in through the services (fast, no HTTP) before the server starts; what the
clients need (tokens, codes, batch ids) comes back as a JSON-ready dict.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class District:
    """Who and what the load clients play with."""

    regulators: list[str] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)
    company: dict[str, Any] = field(default_factory=dict)
    printer: dict[str, Any] = field(default_factory=dict)
    admin: str = ""
    all_codes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, path: Path) -> District:
        return cls(**json.loads(path.read_text()))


def make_app(database_url: str, instance_dir: Path) -> Any:
    """An app on the run's database, migrated (the server's start migrates again: a no-op)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_DIR": str(instance_dir),
                      "SECRET_KEY": "reliability-run", "PUBLIC_BASE_URL": "https://gas.example.cn",
                      "APP_ENV": "testing"})
    with app.app_context():
        upgrade()
    return app


def seed_district(database_url: str, instance_dir: Path, stations: int = 3,
                  cylinders: int = 10, spare_codes: int = 20, drivers: int = 2) -> District:
    """Create the district and return its tokens and codes."""
    from app.auth import services as auth
    from app.extensions import db
    from app.printing.services import assign_batch
    from app.traceability import services as registry

    app = make_app(database_url, instance_dir)
    district = District()
    with app.app_context():
        regulator_org = auth.create_org("区市场监督管理局", "regulator")
        regulators = [auth.create_user(None, f"reg{i}", regulator_org.id, "regulator")
                      for i in range(2)]
        admin = auth.create_user(None, "platform", regulator_org.id, "admin")
        district.admin = auth.issue_token(admin)
        district.regulators = [auth.issue_token(u) for u in regulators]
        printer_org = auth.create_org("标签印务", "printer")
        printer = auth.create_user(None, "printer", printer_org.id, "printer")
        district.printer = {"org_id": printer_org.id, "token": auth.issue_token(printer),
                            "batches": []}
        company = auth.create_org("燃气公司", "gas_company")
        company_admin = auth.create_user(None, "company-admin", company.id, "admin")
        driver_users = [auth.create_user(None, f"driver{i}", company.id, "driver")
                        for i in range(drivers)]
        owners = [(company, [company_admin])]
        for number in range(stations):
            org = auth.create_org(f"充装站{number:03d}", "filling_station")
            fillers = [auth.create_user(None, f"filler{number}-{i}", org.id, "filler")
                       for i in range(2)]
            owners.append((org, fillers))
        serial = 0
        for org, users in owners:
            batch = registry.issue_codes(regulators[0], org.id, cylinders + spare_codes)
            codes = registry.batch_codes(batch)
            for code in codes[:cylinders]:
                serial += 1
                registry.register_cylinder(regulators[0], registry.Registration(
                    code=code, serial_no=f"LOAD{serial:07d}", manufacturer="百工容器",
                    model="YSP35.5", manufactured_on=dt.date(2021, 3, 1), owner_org_id=org.id,
                    registration_no=f"R{serial}", last_inspected_on=dt.date(2024, 3, 1)))
            small = registry.issue_codes(regulators[0], org.id, 24)
            assign_batch(regulators[0], small.id, printer_org.id)
            district.printer["batches"].append(small.id)
            entry = {"org_id": org.id, "tokens": [auth.issue_token(u) for u in users],
                     "codes": codes[:cylinders], "spare": codes[cylinders:]}
            district.all_codes += codes[:cylinders]
            if org is company:
                entry["driver_tokens"] = [auth.issue_token(u) for u in driver_users]
                district.company = entry
            else:
                district.stations.append(entry)
        db.session.commit()
        db.engine.dispose()
    return district
