"""Demo data of the round: a vehicle, two areas, an assigned driver, customers, a loaded
vehicle, a delivery with a failed checklist item, a clean visit and a refused door."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from stdnum.cn import ric, uscc

from app.auth.models import Organisation, User
from app.clock import DISTRICT_TZ, today
from app.database import utcnow
from app.delivery import door, fleet, safety, services
from app.extensions import db
from app.filling.rules import PRECHECK_ITEMS
from app.traceability.events import record_event
from app.traceability.models import Cylinder
from app.traceability.services import cylinder_state

EAST = [[115.47, 38.85], [115.50, 38.85], [115.50, 38.875], [115.47, 38.875]]
WEST = [[115.44, 38.85], [115.47, 38.85], [115.47, 38.875], [115.44, 38.875]]
PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
       "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


# From the first fill to the last delivery of the demo round (all of it in the past).
ROUND_LENGTH = dt.timedelta(hours=2, minutes=30)


def _person(n: int) -> str:
    body = f"13060619850312{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def _licence(n: int) -> str:
    body = f"91130606MA0{n:06d}"
    return body + uscc.calc_check_digit(body)


def seed_delivery_demo() -> None:
    """Set up the demo gas company's round (idempotent: skips when it has vehicles)."""
    company = db.session.scalar(select(Organisation).where(Organisation.kind == "gas_company"))
    admin = db.session.scalar(select(User).where(User.name == "company"))
    driver = db.session.scalar(select(User).where(User.name == "driver"))
    filler = db.session.scalar(select(User).where(User.name == "filler"))
    if None in (company, admin, driver, filler) or fleet.areas_of(company.id):
        return
    on = today()
    vehicle = fleet.register_vehicle(admin, "冀F6A218", "冀交运管危字130606000218",
                                     on + dt.timedelta(days=300))
    fleet.register_vehicle(admin, "冀F6B305", "冀交运管危字130606000305",
                           on + dt.timedelta(days=20))
    east = fleet.create_area(admin, "东关片区", EAST)
    fleet.create_area(admin, "西关片区", WEST)
    fleet.set_certificate(admin, driver.id, "冀F-QP-2024-0088", on + dt.timedelta(days=400))
    fleet.create_assignment(admin, driver.id, vehicle.id, east.id, on - dt.timedelta(days=10),
                            on + dt.timedelta(days=60))
    people = [("张桂兰", "household", "东关大街18号3单元201", 38.862, 115.481, "ground"),
              ("李建国", "household", "东关大街22号1单元502", 38.866, 115.486, "ground"),
              ("聚香园饭店", "restaurant", "裕华东路56号", 38.858, 115.492, "ground"),
              ("老北京涮肉（地下一层）", "restaurant", "东风路9号负一层", 38.869, 115.476,
               "underground"),
              ("莲池区第三小学食堂", "school", "永华路100号", 38.860, 115.455, "ground")]
    customers = []
    for n, (name, kind, address, lat, lon, premises) in enumerate(people, start=1):
        person = kind == "household"
        customers.append(fleet.register_customer(admin, fleet.CustomerData(
            name=name, id_kind="person" if person else "business_licence",
            id_number=_person(n) if person else _licence(n), kind=kind, address=f"莲池区{address}",
            lat=lat, lon=lon, premises=premises, contact_name=name if person else "王经理",
            phone=f"1393120{n:04d}", storage_capacity_kg=None if person else 150.0)))
    station = db.session.get(Organisation, filler.org_id)
    ready = [c for c in db.session.scalars(select(Cylinder).where(
        Cylinder.owner_org_id == company.id, Cylinder.model == "YSP35.5").order_by(Cylinder.id))
        if cylinder_state(c).status == "in_service"][:6]
    if len(ready) < 4:
        return  # too few cylinders in service for a demo round; the set-up above stays
    when = dt.datetime.combine(on, dt.time(8, 0), DISTRICT_TZ)
    if when + ROUND_LENGTH > utcnow():  # seeded before this morning's round: yesterday's
        when = min(when - dt.timedelta(days=1), utcnow() - ROUND_LENGTH)
    for cyl in ready:
        record_event(cyl, "filled", filler, occurred_at=when, data={
            "station_org_id": station.id, "net_mass_kg": 14.8, "rated_fill_kg": 14.9,
            "overfill": False, "precheck": dict.fromkeys(PRECHECK_ITEMS, True)})
    for minute, cyl in enumerate(ready[:4]):
        services.dispatch_cylinder(driver, services.Step(
            code=cyl.code, occurred_at=when + dt.timedelta(minutes=30 + minute)))
    home, _neighbour, diner, cellar, _school = customers
    visit = when + dt.timedelta(hours=1)
    check, _ = safety.record_safety_check(driver, safety.CheckIn(
        customer_id=home.id, occurred_at=visit, lat=home.lat, lon=home.lon,
        items={item: "fail" if item == "hose_over_2m" else "pass"
               for item in services.delivery_rules().item_codes},
        photos={"hose_over_2m": PNG}))
    door.deliver_cylinder(driver, services.Step(
        code=ready[0].code, occurred_at=visit, lat=home.lat, lon=home.lon), home.id, check.id)
    later = visit + dt.timedelta(minutes=40)
    safety.record_safety_check(driver, safety.CheckIn(
        customer_id=diner.id, occurred_at=later, lat=diner.lat, lon=diner.lon,
        items=dict.fromkeys(services.delivery_rules().item_codes, "pass"), photos={}))
    door.deliver_cylinder(driver, services.Step(
        code=ready[1].code, occurred_at=later, lat=diner.lat, lon=diner.lon), diner.id)
    door.deliver_cylinder(driver, services.Step(
        code=ready[2].code, occurred_at=later + dt.timedelta(minutes=30), lat=cellar.lat,
        lon=cellar.lon), cellar.id)
    db.session.flush()
