"""Pure rules of the filling interlock: which reasons refuse a fill, in which order.

Everything here is a function of plain data and a date, so hypothesis can test it and the
service only has to gather the facts. The operator reads the first reason largest, so reasons
come most serious first: the code itself, then a cylinder that must leave the market, then
whose cylinder it is, then its dates, then the hold, then the station's own pre-fill check.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.traceability.checks import Reason
from app.traceability.rules import (
    CylinderFacts,
    LifeRules,
    ModelSpec,
    next_inspection_due,
    service_life_ends,
)

# code -> (Chinese for a gloved operator at a glance, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "invalid_code": ("码无效，请重扫", "Code misread or mistyped: scan again"),
    "foreign_code": ("非本系统气瓶码", "Not a cylinder code of this system"),
    "unknown_code": ("未发放的码，疑似黑气瓶", "Code never issued: suspected black cylinder"),
    "not_registered": ("气瓶未建档", "Cylinder not registered"),
    "scrapped": ("已报废气瓶", "Scrapped cylinder"),
    "registration_cancelled": ("使用登记已注销", "Registration cancelled"),
    "refurbished": ("翻新气瓶", "Refurbished cylinder"),
    "seized": ("已被查扣", "Seized by the regulator"),
    "banned_model": ("禁用型号", "Banned model"),
    "not_owned": ("非自有且非托管", "Neither ours nor entrusted to us"),
    "beyond_service_life": ("超出使用年限", "Past its service life"),
    "inspection_overdue": ("超期未检", "Periodic inspection overdue"),
    "overfill_hold": ("超装扣留，须复称", "Held for overfill: re-weigh first"),
    "precheck_residual_pressure": ("残压不合格", "Residual pressure check failed"),
    "precheck_damage": ("瓶体损伤", "Cylinder damaged"),
    "precheck_fire_exposure": ("曾受火烤或高温", "Exposed to fire or heat"),
    "precheck_unknown_tare": ("皮重不明", "Tare weight unknown"),
    "precheck_nonstandard_valve": ("瓶阀不合格", "Non-standard valve"),
}
CODE_REASONS = ("invalid_code", "foreign_code", "unknown_code", "not_registered")
# Reasons that mean an unfit cylinder is in someone's hands: regulators must go and get it.
BLACK_CYLINDER_REASONS = frozenset({"unknown_code", "scrapped", "registration_cancelled",
                                    "refurbished"})
# Pre-fill check items as the client sends them (true = passed) and the reason each failure gives.
PRECHECK_ITEMS: dict[str, str] = {
    "residual_pressure_ok": "precheck_residual_pressure",
    "no_damage": "precheck_damage",
    "no_fire_exposure": "precheck_fire_exposure",
    "tare_known": "precheck_unknown_tare",
    "standard_valve": "precheck_nonstandard_valve",
}
PRECEDENCE = tuple(MESSAGES)


def reason(code: str, detail: str | None = None) -> Reason:
    """Build a reason from the catalogue, with an optional short detail (e.g. the model)."""
    zh, en = MESSAGES[code]
    if detail:
        return Reason(code, f"{zh} {detail}", f"{en}: {detail}")
    return Reason(code, zh, en)


@dataclass(frozen=True)
class FillFacts:
    """What the interlock knows about a registered cylinder when a station presents it."""

    cylinder: CylinderFacts
    model: ModelSpec
    refurbished: bool
    owned_or_entrusted: bool
    on_hold: bool


def precheck_reasons(precheck: Mapping[str, bool]) -> list[Reason]:
    """Turn every failed pre-fill check item into a reason; items not sent are not judged."""
    return [reason(code) for item, code in PRECHECK_ITEMS.items() if precheck.get(item) is False]


def cylinder_reasons(facts: FillFacts, life: LifeRules, today: dt.date) -> list[Reason]:
    """List every rule that forbids filling this registered cylinder today."""
    cyl = facts.cylinder
    found: list[Reason] = []
    if cyl.scrapped:
        found.append(reason("scrapped"))
    if cyl.registration_cancelled:
        found.append(reason("registration_cancelled"))
    if facts.refurbished:
        found.append(reason("refurbished"))
    if cyl.seized:
        found.append(reason("seized"))
    if facts.model.banned:
        # the operator sees why (e.g. a recalled dual-phase model), not only that
        why = (facts.model.banned_reason or "").strip()
        found.append(reason("banned_model", f"{facts.model.model}（{why}）" if why
                            else facts.model.model))
    if not facts.owned_or_entrusted:
        found.append(reason("not_owned"))
    if today >= service_life_ends(cyl, life):
        found.append(reason("beyond_service_life"))
    if today > next_inspection_due(cyl, facts.model):
        found.append(reason("inspection_overdue"))
    if facts.on_hold:
        found.append(reason("overfill_hold"))
    return found


def ordered(reasons: Iterable[Reason]) -> list[Reason]:
    """Put reasons in precedence order (checks from other domains after ours) without repeats."""
    rank = {code: i for i, code in enumerate(PRECEDENCE)}
    seen: set[str] = set()
    unique = []
    for item in reasons:
        if item.code not in seen:
            seen.add(item.code)
            unique.append(item)
    # Other domains' checks rank just before the station's own pre-fill check.
    before_precheck = rank["precheck_residual_pressure"] - 0.5
    return sorted(unique, key=lambda r: rank.get(r.code, before_precheck))


def is_overfill(net_mass_kg: float | None, rated_fill_kg: float) -> bool:
    """Tell whether the scale's net mass is above the model's rated fill mass."""
    return net_mass_kg is not None and net_mass_kg > rated_fill_kg


def raises_black_cylinder(reasons: Iterable[Reason]) -> bool:
    """Tell whether these reasons mean a black-market cylinder was presented."""
    return any(r.code in BLACK_CYLINDER_REASONS for r in reasons)


def reason_to_dict(item: Reason) -> dict[str, str]:
    """Render a reason for the API and the event data."""
    return {"code": item.code, "message": item.message, "message_en": item.message_en}
