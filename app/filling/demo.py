"""Demo data for the filling point: an entrustment, fills, an overfill, refusals."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.auth.models import Organisation, User
from app.clock import today
from app.extensions import db
from app.filling.entrustments import create_entrustment
from app.filling.services import Presented, present_cylinder
from app.traceability.codes import new_code
from app.traceability.models import Cylinder
from app.traceability.rule_store import spec_for
from app.traceability.services import cylinder_state


def seed_filling_demo(users: dict[str, User], orgs: list[Organisation]) -> None:
    """Entrust the company's cylinders to the first station and show a morning at its scale."""
    company, station = orgs[1], orgs[2]
    year = today().year
    create_entrustment(users["regulator"], company.id, station.id, dt.date(year, 1, 1),
                       dt.date(year, 12, 31))
    cylinders = list(db.session.scalars(
        select(Cylinder).where(Cylinder.owner_org_id == company.id).order_by(Cylinder.id)))
    fit = [c for c in cylinders if cylinder_state(c).status == "in_service"]
    unfit = [c for c in cylinders if cylinder_state(c).status != "in_service"]
    filler, stranger = users["filler"], users["filler2"]
    for number, cyl in enumerate(fit[:6]):
        rated = spec_for(cyl.model).rated_fill_kg
        mass = round(rated + 0.4 if number == 3 else rated - 0.2, 1)  # one overfill, held
        present_cylinder(filler, Presented(cyl.code, net_mass_kg=mass, place="1号充装秤"))
    for cyl in unfit[:1]:
        present_cylinder(filler, Presented(cyl.code, place="1号充装秤"))
    for cyl in fit[:1]:
        present_cylinder(stranger, Presented(cyl.code, place="南郊站卸车区"))
    present_cylinder(filler, Presented(new_code(), place="1号充装秤"))
