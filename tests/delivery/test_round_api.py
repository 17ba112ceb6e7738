"""A whole round through the API: load, deliver with the check, refuse, flag, return, unload."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from app.extensions import db
from app.traceability.models import Flag
from tests.delivery.conftest import INSIDE, OUTSIDE, PNG_1PX, add_driver, at, checklist


def flags_of(kind: str) -> list[Flag]:
    db.session.rollback()  # end the read snapshot: see what the requests committed
    return list(db.session.scalars(select(Flag).where(Flag.kind == kind, Flag.status == "open")))


def test_whole_round(fleet, api, world):
    home = fleet.customer("home")
    restaurant = fleet.customer("underground", "restaurant", premises="semi_underground")
    full, other = fleet.cylinder(), fleet.cylinder()

    loaded = fleet.dispatch(full)
    assert loaded.status_code == 201, loaded.json
    assert loaded.json["data"]["vehicle_id"] == fleet.ids["vehicle"]
    assert loaded.json["data"]["station_org_id"] == world.orgs["station_a"]
    assert fleet.custody(full)["kind"] == "vehicle"
    assert fleet.dispatch(other).status_code == 201

    check = fleet.check("home", hose_over_2m="fail")
    assert check.status_code == 201, check.json
    assert check.json["result"] == "hazards" and len(check.json["hazards"]) == 1
    delivered = fleet.deliver(full, "home", safety_check_id=check.json["id"])
    assert delivered.status_code == 201, delivered.json
    assert delivered.json["flags"] == []
    assert delivered.json["data"]["safety_check_id"] == check.json["id"]
    assert fleet.custody(full) == {"kind": "customer", "customer_id": home, "org_id":
                                   world.orgs["company"], "vehicle_id": None, "driver_id": None}

    refused = fleet.deliver(other, "underground")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "delivery_refused"
    assert [r["code"] for r in refused.json["error"]["reasons"]] == ["underground_premises"]
    assert fleet.custody(other)["kind"] == "vehicle"  # nothing handed over

    back = fleet.take_back(full, "home")
    assert back.status_code == 201, back.json
    assert fleet.custody(full)["kind"] == "vehicle"
    for code in (full, other):
        unloaded = fleet.unload(code, station_org_id=world.orgs["station_a"])
        assert unloaded.status_code == 201, unloaded.json
        assert fleet.custody(code) == {"kind": "station", "org_id": world.orgs["station_a"],
                                       "vehicle_id": None, "driver_id": None,
                                       "customer_id": None}

    history = api.get(f"/api/v1/cylinders/{full}/history", world.regulator).json
    assert history["chain_ok"] is True
    assert [e["type"] for e in history["events"]] == [
        "registered", "filled", "dispatched", "delivered", "returned", "unloaded"]
    delivery = history["events"][3]
    assert delivery["actor_user_id"] == world.driver.id
    assert (delivery["lat"], delivery["lon"]) == (38.86, 115.47)
    assert delivery["at"].startswith("2026-06-15T01:")  # device time kept (09:xx Beijing)
    other_history = api.get(f"/api/v1/cylinders/{other}/history", world.regulator).json
    assert "delivery_refused" in [e["type"] for e in other_history["events"]]
    assert restaurant


def test_dispatch_refuses_unfilled_overfilled_and_flagged(fleet, world, ctx):
    from app.traceability.flags import raise_flag
    from app.traceability.services import find_cylinder

    empty = fleet.cylinder(filled=False)
    overfilled = fleet.cylinder(overfill=True)
    flagged = fleet.cylinder()
    raise_flag("clone_suspected", cylinder=find_cylinder(flagged), details={"note": "test"})
    db.session.commit()
    for code, reason in ((empty, "not_filled"), (overfilled, "overfill"),
                         (flagged, "clone_suspected")):
        resp = fleet.dispatch(code)
        assert resp.status_code == 409, resp.json
        assert resp.json["error"]["code"] == "dispatch_refused"
        assert reason in [r["code"] for r in resp.json["error"]["reasons"]], resp.json
        assert all(r["message"] and r["message_en"] for r in resp.json["error"]["reasons"])
        assert fleet.custody(code)["kind"] == "station"


def test_a_cylinder_out_of_service_is_refused_in_words_not_a_code_word(fleet):
    """The driver reads 超期未检, not inspection_overdue, when loading or handing it over."""
    fleet.customer("home")
    code = fleet.registry.cylinder(manufactured_on="2020-01-01",
                                   last_inspected_on="2020-01-01")["code"]
    for resp, step in ((fleet.dispatch(code), "不得出站"),
                       (fleet.deliver(code, "home"), "不得交付")):
        assert resp.status_code == 409, resp.json
        (reason,) = [r for r in resp.json["error"]["reasons"] if r["code"] == "not_in_service"]
        assert reason["message"] == f"气瓶状态：超期未检，{step}"
        assert "Periodic inspection overdue" in reason["message_en"]
        assert "inspection_overdue" not in reason["message"] + reason["message_en"]


def test_loading_a_cylinder_not_at_a_station_says_where_it_is_in_words(fleet):
    code = fleet.cylinder()
    assert fleet.dispatch(code).status_code == 201
    again = fleet.dispatch(code)
    assert again.status_code == 409, again.json
    (reason,) = [r for r in again.json["error"]["reasons"] if r["code"] == "at_vehicle"]
    assert reason["message"] == "气瓶不在站内（当前在车上）"
    assert reason["message_en"] == "The cylinder is not at a station but on a vehicle."


def test_delivered_cylinder_must_be_refilled_before_loading_again(fleet):
    fleet.customer("home")
    code = fleet.cylinder()
    assert fleet.dispatch(code).status_code == 201
    fleet.check("home")
    assert fleet.deliver(code, "home").status_code == 201
    assert fleet.take_back(code, "home").status_code == 201
    fleet.unload(code, station_org_id=fleet.world.orgs["station_a"])
    again = fleet.dispatch(code)
    assert again.status_code == 409
    assert [r["code"] for r in again.json["error"]["reasons"]] == ["not_filled"]
    fleet.fill(code)
    assert fleet.dispatch(code).status_code == 201


def test_dispatch_refuses_expired_papers_and_missing_assignment(fleet, api, world, ctx):
    from app.delivery.models import DriverProfile, Vehicle

    code = fleet.cylinder()
    db.session.get(Vehicle, fleet.ids["vehicle"]).permit_expires_on = dt.date(2026, 6, 1)
    db.session.get(DriverProfile, world.driver.id).certificate_expires_on = dt.date(2026, 6, 10)
    db.session.commit()
    resp = fleet.dispatch(code)
    assert resp.status_code == 409
    codes = {r["code"] for r in resp.json["error"]["reasons"]}
    assert codes == {"vehicle_permit_expired", "driver_certificate_expired"}
    idle = add_driver(world, "idle_driver")
    resp = fleet.dispatch(code, actor=idle)
    assert resp.status_code == 409
    assert [r["code"] for r in resp.json["error"]["reasons"]] == ["no_assignment"]


def test_station_filler_loads_onto_the_company_vehicle(fleet, world):
    code = fleet.cylinder()
    resp = fleet.dispatch(code, actor=world.filler_a, vehicle_id=fleet.ids["vehicle"])
    assert resp.status_code == 201, resp.json
    assert resp.json["data"]["driver_id"] == world.driver.id  # the vehicle's driver today
    other = fleet.cylinder()
    assert fleet.dispatch(other, actor=world.filler_b,
                          vehicle_id=fleet.ids["vehicle"]).status_code == 404
    no_vehicle = fleet.dispatch(other, actor=world.filler_a)
    assert (no_vehicle.status_code, no_vehicle.json["error"]["code"]) == (400, "vehicle_required")


def test_out_of_zone_wrong_vehicle_and_missing_check_are_flagged(fleet, api, world):
    fleet.customer("shop", "restaurant")
    code, overnight = fleet.cylinder(), fleet.cylinder()
    assert fleet.dispatch(code).status_code == 201
    # loaded on the last day of June onto the assigned vehicle, handed over on 1 July when the
    # driver has moved to the spare vehicle: the cylinder is on a vehicle not assigned today
    assert fleet.dispatch(overnight, occurred_at=at(0, "2026-06-30")).status_code == 201
    fleet.post("/api/v1/assignments", world.company_admin, {
        "driver_id": world.driver.id, "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-07-01", "ends_on": "2026-07-31"}, 201)
    far = fleet.deliver(code, "shop", position=OUTSIDE)
    assert far.status_code == 201
    assert set(far.json["flags"]) == {"out_of_zone", "no_safety_check"}
    assert far.json["data"]["zone"]["distance_outside_m"] > 4000
    july = at(30, "2026-07-01")
    fleet.post("/api/v1/safety-checks", world.driver, {
        "customer_id": fleet.customers["shop"], "occurred_at": july, **INSIDE,
        "items": checklist()}, 201)
    wrong = fleet.deliver(overnight, "shop", occurred_at=july)
    assert wrong.status_code == 201, wrong.json
    assert wrong.json["flags"] == ["wrong_vehicle"]
    assert len(flags_of("out_of_zone")) == 1
    assert len(flags_of("wrong_vehicle")) == 1
    assert flags_of("no_safety_check")[0].details["customer_id"] == fleet.customers["shop"]


def test_a_flagged_or_hazardous_delivery_tells_the_driver_why(fleet, api, world):
    """Stored but flagged, or with a hazard opened: the answer says so in both languages, so
    the driver at the door can still do the missing check; a retry says it again."""
    fleet.customer("shop", "restaurant")
    code, heavy = fleet.cylinder(), fleet.cylinder(model="YSP118")
    fleet.dispatch(code)
    fleet.dispatch(heavy)
    body = {"code": code, "customer_id": fleet.customers["shop"], "event_id": str(uuid.uuid4()),
            "occurred_at": fleet.when(), **OUTSIDE}
    far = api.post("/api/v1/deliveries", world.driver, json=body)
    assert far.status_code == 201
    notes = {n["code"]: n for n in far.json["notes"]}
    assert set(notes) == {"out_of_zone", "no_safety_check"}
    assert "请当场补做安检" in notes["no_safety_check"]["message"]
    assert "do the check now" in notes["no_safety_check"]["message_en"]
    again = api.post("/api/v1/deliveries", world.driver, json=body)
    assert again.json["status"] == "already_stored" and again.json["notes"] == far.json["notes"]
    fleet.check("shop")
    over = fleet.deliver(heavy, "shop")  # 14.9 + 49.5 kg of LPG and no cylinder room
    assert over.json["hazards"] and [n["code"] for n in over.json["notes"]] == ["storage_hazard"]
    assert "已登记隐患" in over.json["notes"][0]["message"]


def test_dispatch_goes_only_onto_the_drivers_assigned_vehicle(fleet, api, world):
    """人车对应: naming another vehicle, or a driver without an assignment, loads nothing."""
    idle = add_driver(world, "idle_driver")
    other = add_driver(world, "driver2")
    api.put(f"/api/v1/drivers/{other.id}/certificate", world.company_admin,
            json={"certificate_no": "冀F-QP-0002", "certificate_expires_on": "2028-01-01"})
    third = fleet.post("/api/v1/vehicles", world.company_admin, {
        "plate": "冀F10003", "permit_no": "冀交运管危字10003",
        "permit_expires_on": "2027-03-31"}, 201).json["id"]
    fleet.post("/api/v1/assignments", world.company_admin, {
        "driver_id": other.id, "vehicle_id": third, "area_id": fleet.ids["area"],
        "starts_on": "2026-06-01", "ends_on": "2026-06-30"}, 201)
    vehicle, spare = fleet.ids["vehicle"], fleet.ids["spare"]
    code = fleet.cylinder()
    filler = world.filler_a
    for actor, body, reason in (
            (idle, {}, "no_assignment"),
            (idle, {"vehicle_id": vehicle}, "no_assignment"),  # another driver's vehicle
            (idle, {"vehicle_id": spare}, "no_assignment"),  # a vehicle nobody is assigned
            (world.driver, {"vehicle_id": spare}, "not_your_vehicle"),
            (world.driver, {"vehicle_id": third}, "not_your_vehicle"),
            (world.driver, {"occurred_at": at(0, "2026-07-01")}, "no_assignment"),  # ended
            (filler, {"vehicle_id": spare, "driver_id": idle.id}, "no_assignment"),
            (filler, {"vehicle_id": vehicle, "driver_id": idle.id}, "no_assignment"),
            (filler, {"vehicle_id": spare, "driver_id": world.driver.id}, "not_your_vehicle"),
            (filler, {"vehicle_id": third, "driver_id": world.driver.id}, "not_your_vehicle"),
            (filler, {"vehicle_id": spare}, "vehicle_unassigned")):
        resp = fleet.dispatch(code, actor=actor, **body)
        assert resp.status_code == 409, (actor.name, body, resp.json)
        assert resp.json["error"]["code"] == "dispatch_refused"
        assert [r["code"] for r in resp.json["error"]["reasons"]] == [reason], (actor.name, body)
        assert fleet.custody(code)["kind"] == "station"
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert "dispatched" not in [e["type"] for e in history["events"]]

    own = fleet.dispatch(code, vehicle_id=vehicle)  # naming one's own vehicle is fine
    assert own.status_code == 201, own.json
    assert fleet.custody(code)["vehicle_id"] == vehicle
    for_driver = fleet.dispatch(fleet.cylinder(), actor=filler, vehicle_id=vehicle,
                                driver_id=world.driver.id)
    assert for_driver.status_code == 201, for_driver.json
    by_vehicle = fleet.dispatch(fleet.cylinder(), actor=filler, vehicle_id=third)
    assert by_vehicle.status_code == 201, by_vehicle.json
    assert by_vehicle.json["data"]["driver_id"] == other.id


def test_delivery_without_position_counts_as_out_of_zone(fleet):
    fleet.customer("home")
    code = fleet.cylinder()
    fleet.dispatch(code)
    fleet.check("home")
    resp = fleet.deliver(code, "home", position={"lat": None, "lon": None})
    assert resp.status_code == 201
    assert resp.json["flags"] == ["out_of_zone"]
    assert resp.json["data"]["zone"]["position"] == "unknown"


def test_household_check_first_time_then_yearly(fleet):
    fleet.customer("home")
    first, second = fleet.cylinder(), fleet.cylinder()
    fleet.dispatch(first)
    fleet.dispatch(second)
    assert fleet.deliver(first, "home").json["flags"] == ["no_safety_check"]
    fleet.check("home")
    # a household checked this year needs no new check at the next delivery
    assert fleet.deliver(second, "home").json["flags"] == []


def test_business_needs_a_check_at_every_delivery(fleet, api, world):
    fleet.customer("school", "school")
    first, second = fleet.cylinder(), fleet.cylinder()
    fleet.dispatch(first)
    fleet.dispatch(second)
    check = api.post("/api/v1/safety-checks", world.driver, json={
        "customer_id": fleet.customers["school"], "occurred_at": "2026-06-14T10:00:00+08:00",
        "items": checklist()})
    assert check.status_code == 201
    assert fleet.deliver(first, "school").json["flags"] == ["no_safety_check"]  # checked yesterday
    fleet.check("school")
    assert fleet.deliver(second, "school").json["flags"] == []


def test_dual_phase_cylinder_is_refused(fleet, ctx):
    from app.traceability.models import ModelSpecRow

    # an old one, registered before the model was banned
    db.session.get(ModelSpecRow, "YSP118-II").banned = False
    db.session.commit()
    fleet.customer("home")
    code = fleet.cylinder(model="YSP118-II")
    assert fleet.dispatch(code).status_code == 201
    resp = fleet.deliver(code, "home")
    assert resp.status_code == 409
    assert [r["code"] for r in resp.json["error"]["reasons"]] == ["dual_phase_cylinder"]


def test_restaurant_over_50kg_of_lpg_without_room_raises_a_hazard(fleet, api, world):
    fleet.customer("hotpot", "restaurant")
    fleet.customer("roomy", "restaurant", room=True)
    codes = [fleet.cylinder(model="YSP118") for _ in range(4)]
    for code in codes:
        fleet.dispatch(code)
    fleet.check("hotpot")
    fleet.check("roomy")
    assert fleet.deliver(codes[0], "hotpot").json["hazards"] == []  # 49.5 kg: at most 50
    assert fleet.deliver(codes[1], "roomy").json["hazards"] == []
    assert fleet.deliver(codes[2], "roomy").json["hazards"] == []  # 99 kg, in its room
    over = fleet.deliver(codes[3], "hotpot")  # 99 kg of LPG and no room (二(四)2)
    assert over.status_code == 201
    assert len(over.json["hazards"]) == 1
    ledger = api.get("/api/v1/hazards?item=storage_over_100kg_no_room", world.company_admin).json
    assert [h["customer_id"] for h in ledger["hazards"]] == [fleet.customers["hotpot"]]
    assert ledger["hazards"][0]["severity"] == "major"


def test_not_on_your_vehicle_and_not_at_this_customer(fleet, world):
    fleet.customer("home")
    fleet.customer("neighbour")
    other_driver = add_driver(world, "driver2")
    code = fleet.cylinder()
    never_loaded = fleet.deliver(code, "home")
    assert [r["code"] for r in never_loaded.json["error"]["reasons"]] == [
        "not_on_your_vehicle"]
    fleet.dispatch(code)
    stolen = fleet.deliver(code, "home", actor=other_driver)
    assert "not_on_your_vehicle" in [r["code"] for r in stolen.json["error"]["reasons"]]
    fleet.check("home")
    fleet.deliver(code, "home")
    wrong_door = fleet.take_back(code, "neighbour")
    assert wrong_door.status_code == 409
    assert [r["code"] for r in wrong_door.json["error"]["reasons"]] == ["not_at_this_customer"]
    not_loaded = fleet.unload(code, station_org_id=world.orgs["station_a"])
    assert (not_loaded.status_code, not_loaded.json["error"]["code"]) == (409, "not_on_vehicle")


def test_retry_with_the_same_event_id_is_stored_once(fleet, api, world):
    fleet.customer("home")
    code = fleet.cylinder()
    fleet.dispatch(code)
    fleet.check("home")
    body = {"code": code, "customer_id": fleet.customers["home"], "event_id": str(uuid.uuid4()),
            "occurred_at": fleet.when(), "lat": 38.86, "lon": 115.47}
    first = api.post("/api/v1/deliveries", world.driver, json=body)
    again = api.post("/api/v1/deliveries", world.driver, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["status"] == "already_stored"
    assert again.json["event_id"] == first.json["event_id"] == body["event_id"]
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]].count("delivered") == 1
    reused = api.post("/api/v1/returns", world.driver, json={**body, "customer_id":
                                                             fleet.customers["home"]})
    assert (reused.status_code, reused.json["error"]["code"]) == (409, "event_id_reused")


def test_refusal_retried_answers_the_same_refusal(fleet, api, world):
    fleet.customer("cellar", "restaurant", premises="underground")
    code = fleet.cylinder()
    fleet.dispatch(code)
    body = {"code": code, "customer_id": fleet.customers["cellar"],
            "event_id": str(uuid.uuid4()), "occurred_at": fleet.when(), **OUTSIDE}
    first = api.post("/api/v1/deliveries", world.driver, json=body)
    again = api.post("/api/v1/deliveries", world.driver, json=body)
    assert first.status_code == again.status_code == 409
    assert first.json == again.json
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]].count("delivery_refused") == 1


def test_photo_scan_is_the_same_as_a_typed_code(fleet, api, world):
    import base64
    import io

    import segno

    fleet.customer("home")
    code = fleet.cylinder()
    qr = segno.make(f"https://gas.example.cn/c/{code}", error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=8, border=4)
    photo = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    resp = api.post("/api/v1/dispatches", world.driver, json={"photo": photo,
                                                             "occurred_at": fleet.when()})
    assert resp.status_code == 201, resp.json
    assert resp.json["code"] == code
    blank = api.post("/api/v1/dispatches", world.driver, json={"photo": PNG_1PX})
    assert (blank.status_code, blank.json["error"]["code"]) == (400, "no_code_in_photo")
    junk = api.post("/api/v1/dispatches", world.driver,
                    json={"photo": "data:image/png;base64,AAAA"})
    assert junk.status_code == 400


def test_round_access_control(fleet, api, world):
    fleet.customer("home")
    code = fleet.cylinder()
    fleet.dispatch(code)
    body = {"code": code, "customer_id": fleet.customers["home"], **OUTSIDE}
    for actor in (world.company_admin, world.filler_a, world.regulator, world.inspector):
        assert api.post("/api/v1/deliveries", actor, json=body).status_code == 403
    assert api.post("/api/v1/deliveries", None, json=body).status_code == 401
    rival = add_driver(world, "rival_driver", org="station_b")
    resp = api.post("/api/v1/deliveries", rival, json=body)
    assert resp.status_code == 404  # neither the cylinder nor the customer is theirs
    resp = api.get(f"/api/v1/cylinders/{code}/custody", world.filler_b)
    assert resp.status_code == 404


def test_bad_input_is_a_400_never_a_500(fleet, api, world):
    fleet.customer("home")
    bad = [{"customer_id": 1}, {"code": "x", "payload": "y", "customer_id": 1},
           {"code": "ABCD", "customer_id": "1"}, {"code": "ABCD", "customer_id": 1, "lat": 91},
           {"code": "ABCD", "customer_id": 1, "occurred_at": "2026-06-15T09:00:00"},
           {"code": "ABCD", "customer_id": 1, "event_id": "not-a-uuid"}]
    for body in bad:
        resp = api.post("/api/v1/deliveries", world.driver, json=body)
        assert resp.status_code == 400, (body, resp.json)
        assert resp.json["error"]["code"] == "validation_error"
    future = api.post("/api/v1/dispatches", world.driver, json={
        "code": fleet.cylinder(), "occurred_at": "2030-01-01T00:00:00+08:00"})
    assert future.status_code == 400
    assert api.post("/api/v1/deliveries", world.driver, data="{",
                    content_type="application/json").status_code == 400


def test_overfill_from_the_real_interlock_holds_until_reweighed(fleet, world, api):
    code = fleet.cylinder(filled=False)  # station_a is entrusted (the fleet's entrustment)
    fill = api.post("/api/v1/fillings", world.filler_a, json={"code": code, "net_mass_kg": 15.6})
    assert fill.status_code == 201 and fill.json["fill"]["overfill"] is True, fill.json
    held = fleet.dispatch(code)
    assert held.status_code == 409
    assert "overfill" in [r["code"] for r in held.json["reasons"]]
    event_id = fill.json["fill"]["event_id"]
    cleared = api.post(f"/api/v1/fillings/{event_id}/reweigh", world.filler_a,
                       json={"net_mass_kg": 14.8})
    assert cleared.status_code in (200, 201), cleared.json
    assert fleet.dispatch(code).status_code == 201


def test_check_that_found_underground_use_or_dual_phase_refuses_the_delivery(fleet, api, world):
    fleet.customer("diner", "restaurant")  # the record says ground floor
    fleet.customer("home")
    code, other = fleet.cylinder(), fleet.cylinder()
    fleet.dispatch(code)
    fleet.dispatch(other)
    found = fleet.check("diner", underground_use="fail", dual_phase_cylinder="fail",
                        no_gas_detector="fail")
    assert (found.status_code, found.json["result"]) == (201, "hazards")

    refused = fleet.deliver(code, "diner", safety_check_id=found.json["id"])
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["code"] == "delivery_refused"
    reasons = refused.json["error"]["reasons"]
    assert [r["code"] for r in reasons] == ["underground_use_found", "dual_phase_cylinder_found"]
    assert all(r["message"] and r["message_en"] for r in reasons)
    assert fleet.custody(code)["kind"] == "vehicle"  # nothing handed over
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert history["events"][-1]["type"] == "delivery_refused"  # the refusal is history
    ledger = api.get(f"/api/v1/hazards?customer_id={fleet.customers['diner']}",
                     world.company_admin).json
    assert len(ledger["hazards"]) == 3  # every failed item stays in the ledger

    # other failures keep their hazards and the delivery goes ahead
    fixed = fleet.check("diner", no_gas_detector="fail")
    delivered = fleet.deliver(code, "diner", safety_check_id=fixed.json["id"])
    assert delivered.status_code == 201, delivered.json
    # underground use is refused only where the rules ban it (restaurants by default)
    cellar = fleet.check("home", underground_use="fail")
    at_home = fleet.deliver(other, "home", safety_check_id=cellar.json["id"])
    assert at_home.status_code == 201, at_home.json


def test_unknown_or_other_customers_safety_check_is_refused_and_nothing_written(fleet, api,
                                                                                 world):
    fleet.customer("home")
    fleet.customer("neighbour")
    code = fleet.cylinder()
    fleet.dispatch(code)
    theirs = fleet.check("neighbour")
    fleet.check("home")
    unknown = fleet.deliver(code, "home", safety_check_id=str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404,
                                                                    "safety_check_not_found")
    mismatched = fleet.deliver(code, "home", safety_check_id=theirs.json["id"])
    assert (mismatched.status_code, mismatched.json["error"]["code"]) == (
        400, "safety_check_other_customer")
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]] == ["registered", "filled", "dispatched"]
    assert fleet.custody(code)["kind"] == "vehicle"


def test_a_cylinder_is_unloaded_only_at_its_owner_or_a_station_it_entrusted(fleet, api,
                                                                            world):
    """A driver could unload the company's cylinder at a competitor gas company (or at any
    station): custody, and with it the cylinder's records, passed to an organisation with no
    right to it. Now only the owner itself or a station the owner entrusted on the day (the
    one that may fill it) takes it; anywhere else is refused with 409 station_not_entrusted."""
    from app.auth import services as auth

    rival = auth.create_org("竞争燃气公司", "gas_company").id
    db.session.commit()
    code = fleet.cylinder()
    assert fleet.dispatch(code).status_code == 201
    for station in (rival, world.orgs["station_b"], world.orgs["agency"]):
        refused = fleet.unload(code, station_org_id=station)
        assert refused.status_code in (400, 409), refused.json
        assert fleet.custody(code)["kind"] == "vehicle"
    assert [fleet.unload(code, station_org_id=s).json["error"]["code"]
            for s in (rival, world.orgs["station_b"])] == ["station_not_entrusted"] * 2
    revoked = api.post("/api/v1/entrustments", world.company_admin, json={
        "owner_org_id": world.orgs["company"], "station_org_id": world.orgs["station_b"],
        "valid_from": "2026-01-01", "valid_to": "2026-06-14"})  # over the day before
    assert revoked.status_code == 201, revoked.json
    late = fleet.unload(code, station_org_id=world.orgs["station_b"])
    assert late.json["error"]["code"] == "station_not_entrusted"
    done = fleet.unload(code, station_org_id=world.orgs["station_a"])  # entrusted (fleet)
    assert done.status_code == 201, done.json
    fleet.dispatch(code)
    home = fleet.unload(code, station_org_id=world.orgs["company"])  # the owner's own depot
    assert home.status_code == 201, home.json
