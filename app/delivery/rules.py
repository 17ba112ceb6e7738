"""Pure rules of the delivery round: who may get LPG, when a safety check is due, what a
checklist says, when a hazard is overdue. Functions of plain data, tested with hypothesis."""
from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.filling.rules import MESSAGES
from app.traceability.checks import Reason

DEFAULTS_FILE = Path(__file__).with_name("rule_defaults.toml")
CUSTOMER_KINDS = ("household", "restaurant", "school", "hospital", "canteen", "other")
PREMISES = ("ground", "semi_underground", "underground")
ID_KINDS = ("person", "business_licence")
ITEM_STATES = ("pass", "fail", "na")
BLOCKING_FLAGS = ("overfill", "black_cylinder", "clone_suspected", "blacklisted")
SEVERITIES = ("major", "general")


@dataclass(frozen=True)
class ItemSpec:
    code: str
    severity: str
    zh: str
    en: str


@dataclass(frozen=True)
class DeliveryRules:
    room_threshold_kg: float
    underground_banned_kinds: tuple[str, ...]
    dual_phase_models: tuple[str, ...]
    household_check_interval_days: int
    deadline_days: Mapping[str, int]
    items: tuple[ItemSpec, ...] = field(default_factory=tuple)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> ItemSpec:
        """Return one checklist item's spec."""
        for spec in self.items:
            if spec.code == code:
                return spec
        raise KeyError(code)


def load_rules(overrides: Mapping[str, Any] | None = None,
               path: Path = DEFAULTS_FILE) -> DeliveryRules:
    """Read the shipped defaults and apply a deployment's overrides."""
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    data.update(overrides or {})
    items = tuple(ItemSpec(code, spec["severity"], spec["zh"], spec["en"])
                  for code, spec in data["items"].items())
    return DeliveryRules(
        room_threshold_kg=float(data["room_threshold_kg"]),
        underground_banned_kinds=tuple(data["underground_banned_kinds"]),
        dual_phase_models=tuple(data["dual_phase_models"]),
        household_check_interval_days=int(data["household_check_interval_days"]),
        deadline_days=dict(data["deadline_days"]), items=items)


# --- loading at the station ----------------------------------------------------------------

@dataclass(frozen=True)
class FillFacts:
    """What the history says about a cylinder's fills and handovers."""

    status: str
    last_fill_seq: int | None
    last_fill_overfill: bool
    last_handover_seq: int | None  # last delivered or returned
    open_flag_kinds: frozenset[str] = frozenset()


def not_in_service(status: str, step_zh: str, step_en: str) -> Reason:
    """Refuse a step for a cylinder out of service, its state in words, not its code word."""
    zh, en = MESSAGES.get(status, (status, status))
    return Reason("not_in_service", f"气瓶状态：{zh}，{step_zh}",
                  f"The cylinder is not in service ({en}): {step_en}.")


def dispatch_reasons(facts: FillFacts) -> list[Reason]:
    """Refuse to load a cylinder whose last fill did not pass or that a hold blocks."""
    reasons = []
    if facts.status != "in_service":
        reasons.append(not_in_service(facts.status, "不得出站", "it must not leave the station"))
    handed_over_since = (facts.last_handover_seq is not None and facts.last_fill_seq is not None
                         and facts.last_handover_seq > facts.last_fill_seq)
    if facts.last_fill_seq is None or handed_over_since:
        reasons.append(Reason("not_filled", "气瓶上次交付后未充装",
                              "The cylinder has not been filled since it last came back."))
    elif facts.last_fill_overfill:
        reasons.append(Reason("overfill", "上次充装超装，不得出站",
                              "The last fill was an overfill; it must not leave the station."))
    present = {reason.code for reason in reasons}
    for kind in BLOCKING_FLAGS:
        if kind in facts.open_flag_kinds and kind not in present:
            reasons.append(Reason(kind, f"气瓶有未关闭的标记：{kind}",
                                  f"The cylinder has an open {kind} flag."))
    return reasons


# --- at the door ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerFacts:
    kind: str
    premises: str
    has_cylinder_room: bool
    storage_capacity_kg: float | None = None


def customer_reasons(customer: CustomerFacts, model: str, rules: DeliveryRules) -> list[Reason]:
    """Refuse a handover that the customer rules forbid (二(二)1, 二(四)3)."""
    reasons = []
    if customer.kind in rules.underground_banned_kinds and customer.premises != "ground":
        reasons.append(Reason("underground_premises",
                              "不得向餐饮企业地下或半地下场所配送瓶装液化石油气",
                              "No LPG to a restaurant's underground or semi-underground premises."))
    if model in rules.dual_phase_models:
        reasons.append(Reason("dual_phase_cylinder", "气液双相气瓶已淘汰，不得配送",
                              "Gas-liquid dual-phase cylinders are recalled; do not deliver."))
    return reasons


def found_reasons(customer: CustomerFacts, failed: Iterable[str],
                  rules: DeliveryRules) -> list[Reason]:
    """Refuse a handover when the linked doorstep check found what the customer rules forbid.

    The customer record may be stale; what the driver saw at the door counts the same way.
    """
    found = set(failed)
    reasons = []
    if "underground_use" in found and customer.kind in rules.underground_banned_kinds:
        reasons.append(Reason("underground_use_found",
                              "安检发现在地下或半地下场所使用瓶装液化石油气，不得配送",
                              "The safety check found LPG used underground or "
                              "semi-underground; do not deliver."))
    if "dual_phase_cylinder" in found:
        reasons.append(Reason("dual_phase_cylinder_found",
                              "安检发现在用50公斤气液双相气瓶，不得配送",
                              "The safety check found a 50 kg dual-phase cylinder in use; "
                              "do not deliver."))
    return reasons


def storage_hazard(customer: CustomerFacts, stored_kg: float, rules: DeliveryRules) -> bool:
    """A restaurant holding more LPG than the threshold needs a dedicated cylinder room."""
    return (customer.kind == "restaurant" and not customer.has_cylinder_room
            and stored_kg > rules.room_threshold_kg)


def is_business(kind: str) -> bool:
    return kind != "household"


def check_satisfied(kind: str, last_check_on: dt.date | None, on: dt.date,
                    rules: DeliveryRules) -> bool:
    """Tell whether the safety checks on record cover a delivery on a day."""
    if last_check_on is None or last_check_on > on:
        return False
    if is_business(kind):
        return last_check_on == on
    return (on - last_check_on).days < rules.household_check_interval_days


# --- the checklist and the ledger ----------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str


def checklist_problems(items: Mapping[str, str], photo_items: Iterable[str],
                       rules: DeliveryRules) -> list[Problem]:
    """Every item answered pass / fail / n.a., and a photo for every failed item."""
    problems = []
    known = set(rules.item_codes)
    photos = set(photo_items)
    for code in sorted(set(items) - known):
        problems.append(Problem(code, "unknown_item", f"Unknown checklist item {code!r}."))
    for code in rules.item_codes:
        state = items.get(code)
        if state is None:
            problems.append(Problem(code, "item_missing", f"Answer the item {code}."))
        elif state not in ITEM_STATES:
            problems.append(Problem(code, "invalid_state",
                                    f"{code} must be pass, fail or na, not {state!r}."))
        elif state == "fail" and code not in photos:
            problems.append(Problem(code, "photo_required", f"A failed {code} needs a photo."))
    for code in sorted(photos - known):
        problems.append(Problem(code, "unknown_item", f"Photo for unknown item {code!r}."))
    return problems


def failed_items(items: Mapping[str, str], rules: DeliveryRules) -> list[str]:
    """The failed items, in checklist order."""
    return [code for code in rules.item_codes if items.get(code) == "fail"]


def hazard_deadline(found_on: dt.date, severity: str, rules: DeliveryRules) -> dt.date:
    """The day by which a hazard must be rectified."""
    return found_on + dt.timedelta(days=rules.deadline_days[severity])


def is_overdue(status: str, deadline: dt.date, on: dt.date) -> bool:
    """An open hazard is overdue the day after its deadline."""
    return status == "open" and on > deadline
