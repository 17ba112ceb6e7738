"""Demo data for oversight: a month of fills and deliveries, a clone, a black cylinder, a
blacklisted batch, an inspection and a public report, so every page has something to show."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from app.auth.models import User
from app.clock import today
from app.database import utcnow
from app.delivery.models import Customer, Vehicle
from app.extensions import db
from app.filling.rules import PRECHECK_ITEMS
from app.filling.services import cylinder_on_hold
from app.oversight import blacklist, inspections, public, seizure
from app.traceability import services as registry
from app.traceability.events import record_event
from app.traceability.models import Cylinder
from app.traceability.rule_store import spec_for
from app.traceability.rules import add_years
from app.traceability.services import cylinder_state

# Lianchi district, Baoding: around (38.87 N, 115.46 E).
CENTRE = (38.865, 115.480)


def _user(name: str) -> User:
    user = db.session.scalar(select(User).where(User.name == name))
    assert user is not None, name
    return user


# (inspection due in, service life ends in) days from today, for the expiry alerts' soon-due
# rows; the life ends at most 4 years after the inspection is due (8-year design life).
DUE_SOON = ((6, 1400), (19, 1100), (40, 900), (150, 14), (700, 48), (120, 1300))


def register_due_soon(actor: User, owner_org_id: int, codes: list[str],
                      occurred_at: dt.datetime) -> None:
    """Register a few cylinders whose inspection or service life falls due within weeks."""
    now = today()
    for number, (code, (due_in, ends_in)) in enumerate(zip(codes, DUE_SOON, strict=False), 1):
        inspected = add_years(now + dt.timedelta(days=due_in), -4)
        made = add_years(now + dt.timedelta(days=ends_in), -8)
        registry.register_cylinder(actor, registry.Registration(
            code=code, serial_no=f"LCDUE{number:04d}", manufacturer="河北百工高压容器有限公司",
            model="YSP35.5", manufactured_on=made, owner_org_id=owner_org_id,
            registration_no=f"TS-冀F-D{number:05d}", last_inspected_on=inspected),
            occurred_at=occurred_at)


def seed_oversight_demo(seed: int = 20261129) -> None:
    """Add oversight demo data on top of the registry's demo cylinders."""
    rng = random.Random(seed)
    cylinders = list(db.session.scalars(select(Cylinder).order_by(Cylinder.id)))
    if len(cylinders) < 12:
        return
    filler, filler2, driver = _user("filler"), _user("filler2"), _user("driver")
    regulator, inspector = _user("regulator"), _user("inspector")
    stations = {filler.id: filler.org_id, filler2.id: filler2.org_id}
    now = utcnow().replace(microsecond=0)
    vehicle = db.session.scalar(select(Vehicle).order_by(Vehicle.id))
    # the demo's history obeys the rules it shows: ground-floor customers, fit cylinders only
    customers = list(db.session.scalars(select(Customer).where(Customer.premises == "ground")
                                        .order_by(Customer.id)))
    fit = [c for c in cylinders[6:30]
           if cylinder_state(c).status == "in_service" and not cylinder_on_hold(c)]
    for index, cyl in enumerate(fit):
        at = now - dt.timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 8))
        who = filler if index % 3 else filler2
        rated = spec_for(cyl.model).rated_fill_kg
        overfill = index == 5
        mass = rated + 0.4 if overfill else round(rated * rng.uniform(0.93, 1.0), 2)
        record_event(cyl, "filled", who, occurred_at=at, place=who.org.name, data={
            "station_org_id": stations[who.id], "net_mass_kg": mass, "rated_fill_kg": rated,
            "overfill": overfill, "precheck": dict.fromkeys(PRECHECK_ITEMS, True)})
        lat = CENTRE[0] + rng.uniform(-0.03, 0.03)
        lon = CENTRE[1] + rng.uniform(-0.03, 0.03)
        if vehicle is None or not customers or overfill:
            continue  # no delivery set-up in this demo, or held at the station
        record_event(cyl, "dispatched", driver, occurred_at=at + dt.timedelta(hours=1), data={
            "vehicle_id": vehicle.id, "driver_id": driver.id,
            "station_org_id": stations[who.id]})
        record_event(cyl, "delivered", driver, occurred_at=at + dt.timedelta(hours=2), lat=lat,
                     lon=lon, place="莲池区用户", data={
                         "customer_id": customers[index % len(customers)].id,
                         "vehicle_id": vehicle.id, "driver_id": driver.id,
                         "safety_check_id": None,
                         "out_of_zone": False})
    refused = cylinders[6]
    record_event(refused, "fill_refused", filler2, occurred_at=now - dt.timedelta(days=1),
                 data={"station_org_id": filler2.org_id, "reasons": [
                     {"code": "inspection_overdue", "message": "超期未检",
                      "message_en": "inspection overdue"}]})
    clone = cylinders[8]
    rated = spec_for(clone.model).rated_fill_kg
    for who, hours in ((filler, 3), (filler2, 1)):  # one code at both stations within hours
        record_event(clone, "filled", who, occurred_at=now - dt.timedelta(hours=hours),
                     place=who.org.name, data={"station_org_id": stations[who.id],
                                               "net_mass_kg": round(rated * 0.97, 2),
                                               "rated_fill_kg": rated, "overfill": False,
                                               "precheck": {}})
    black = cylinders[9]
    seizure.seize_cylinder(regulator, black, note="演示：现场查获超期未检气瓶",
                           order_no="莲市监扣〔2026〕8号")
    seizure.hand_to_agency(inspector, black, note="演示：移交特检院")
    seizure.scrap_cylinder(inspector, black, note="演示：压扁报废")
    seizure.cancel_registration(regulator, black, note="演示：注销使用登记")
    record_event(black, "filled", filler2, place="南郊液化气充装站", data={
        "station_org_id": filler2.org_id, "net_mass_kg": spec_for(black.model).rated_fill_kg,
        "rated_fill_kg": spec_for(black.model).rated_fill_kg, "overfill": False, "precheck": {}})
    seizure.seize_cylinder(regulator, cylinders[10], note="演示：疑似翻新瓶，待移交检验")
    overdue = next((c for c in cylinders if c.next_inspection_due < today()
                    and c.scrapped_at is None and c.seized_at is None), None)
    if overdue is not None:
        inspections.record_inspection(inspector, overdue, result="pass",
                                      inspected_on=today(), note="演示：定期检验合格")
    target = cylinders[11]
    blacklist.add_entry(regulator, scope="batch", manufacturer=target.manufacturer,
                        model=target.model, made_in=target.manufactured_on,
                        reason="演示：同批次抽检焊缝不合格")
    public.submit_report(cylinders[7].code, "damaged", "演示：小区里看到这只瓶底锈得厉害", None)
    db.session.flush()
