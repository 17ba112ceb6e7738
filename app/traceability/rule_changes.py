"""Changing the rule table's model rows, each change recorded: who, when, why, every field from
what to what. The API (`PUT /api/v1/rules/models/<model>`) and the rule-table page both change
the table through here, so a refused change writes neither the row nor its record."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select

from app.auth.models import Organisation, User
from app.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.traceability.models import Cylinder, ModelSpecRow, RuleChange
from app.traceability.rule_store import (
    MODEL_NAME_MAX,
    fold_model_name,
    model_specs,
    update_model_spec,
)
from app.traceability.services import recompute_model

# the row's fields a change may set, in the order the page and the history show them
EDITABLE = ("nominal_volume_l", "rated_fill_kg", "inspection_interval_years", "banned",
            "banned_reason", "source")
REQUIRED_NEW = ("nominal_volume_l", "rated_fill_kg", "inspection_interval_years", "source")
# the only input of a cylinder's stored due dates that a model's row holds
DUE_DATE_FIELDS = ("inspection_interval_years",)
NO_MODEL = N_("No model %(model)s in the rule table.")


def may_edit_rules(user: User) -> bool:
    """Regulators and platform admins change the rule table; everyone signed in reads it."""
    return user.role == "regulator" or user.is_platform_admin


def require_rule_editor(user: User) -> None:
    """Refuse anyone else a change of the rule table."""
    if not may_edit_rules(user):
        raise Forbidden(N_("Only regulators and platform admins edit the rule table."))


@dataclass(frozen=True)
class ModelChangePlan:
    """What a change would do: the fields it changes, and the cylinders it reaches."""

    model: str
    added: bool
    diff: dict[str, tuple[Any, Any]]  # field -> (from, to), only the fields that differ
    registered: int  # registered cylinders of the model
    in_use: int  # of them, neither scrapped nor cancelled: refused at filling once banned

    @property
    def banning(self) -> bool:
        return self.diff.get("banned", (None, False))[1] is True

    @property
    def unbanning(self) -> bool:
        return self.diff.get("banned", (None, True))[1] is False and not self.added

    @property
    def moves_due_dates(self) -> bool:
        return any(field in self.diff for field in DUE_DATE_FIELDS)


def _check_new_model(model: str, changes: dict[str, Any]) -> None:
    if not model.strip() or model != model.strip() or len(model) > MODEL_NAME_MAX:
        raise ValidationFailed(N_("A model name has 1 to %(n)s characters and no spaces at "
                                  "either end."), values={"n": MODEL_NAME_MAX},
                               code="invalid_model_name")
    # another spelling of a model in the table would make both unfindable as typed
    # (rule_store.find_spec answers only a single match)
    alike = [name for name in model_specs() if fold_model_name(name) == fold_model_name(model)]
    if alike:
        raise Conflict(N_("%(typed)s is another spelling of the model %(model)s; change that "
                          "row instead."), values={"typed": repr(model), "model": alike[0]},
                       code="model_exists", details={"model": alike[0]})
    missing = [name for name in REQUIRED_NEW if name not in changes]
    if missing:
        raise ValidationFailed(N_("A new model needs %(fields)s."),
                               values={"fields": ", ".join(missing)}, details={"missing": missing})


def _cylinders_of(model: str) -> tuple[int, int]:
    in_use = and_(Cylinder.scrapped_at.is_(None), Cylinder.registration_cancelled_at.is_(None))
    registered, active = db.session.execute(
        select(func.count(), func.count().filter(in_use)).where(Cylinder.model == model)).one()
    return registered, active


def plan_model_change(actor: User, model: str, changes: dict[str, Any], *,
                      allow_unchanged: bool = True, new: bool | None = None) -> ModelChangePlan:
    """Check a change of a model's row (or a new model) and say what it would do; write
    nothing. A change to the values the row holds already is refused unless `allow_unchanged`
    (a repeated PUT is answered as the first one was, and records nothing). `new` says
    whether the model must be new (True) or in the table (False); None takes either."""
    require_rule_editor(actor)
    changes = {key: changes[key] for key in EDITABLE if key in changes}
    row = db.session.get(ModelSpecRow, model)
    if new is True and row is not None:
        raise Conflict(N_("The model %(model)s is in the table already."), values={"model": model},
                       code="model_exists", details={"model": model})
    if new is False and row is None:
        raise NotFound(NO_MODEL, values={"model": repr(model)}, code="unknown_model")
    if row is None:
        _check_new_model(model, changes)
        diff = {key: (None, value) for key, value in changes.items()}
    else:
        diff = {key: (getattr(row, key), value) for key, value in changes.items()
                if getattr(row, key) != value}
        if not changes or (not diff and not allow_unchanged):
            raise ValidationFailed(N_("Nothing to change: the values are those of the table "
                                      "already."), code="no_change")
    if "source" in changes and not (changes["source"] or "").strip():
        raise ValidationFailed(N_("Every rule names its source (a standard, a plan, a notice)."),
                               code="source_required")
    registered, in_use = _cylinders_of(model)
    return ModelChangePlan(model, row is None, diff, registered, in_use)


def change_model_rule(actor: User, model: str, changes: dict[str, Any],
                      reason: str | None = None, *, allow_unchanged: bool = True,
                      new: bool | None = None) -> tuple[ModelSpecRow, RuleChange | None]:
    """Change or add a model's row, record who changed what and why, and recompute its
    cylinders' due dates when their input changed: all in the caller's one transaction."""
    # locked first, so that the record's "from" values are the ones this change replaces
    db.session.get(ModelSpecRow, model, with_for_update=True)
    plan = plan_model_change(actor, model, changes, allow_unchanged=allow_unchanged, new=new)
    if not plan.diff:
        return db.session.get(ModelSpecRow, model), None
    row = update_model_spec(model, {key: new for key, (_old, new) in plan.diff.items()})
    change = RuleChange(model=model, added=plan.added, reason=reason, changed_by_id=actor.id,
                        changes={key: [old, new] for key, (old, new) in plan.diff.items()})
    db.session.add(change)
    db.session.flush()
    if plan.moves_due_dates:
        recompute_model(model)
    return row, change


def history_query(model: str | None = None) -> Select:
    """The changes with who made them, newest first; of one model, or of every model."""
    query = (select(RuleChange, User, Organisation)
             .join(User, User.id == RuleChange.changed_by_id)
             .join(Organisation, Organisation.id == User.org_id)
             .order_by(RuleChange.id.desc()))
    return query if model is None else query.where(RuleChange.model == model)


def change_entries(model: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """The changes as the API answers them (`at` is the time itself, for pages)."""
    return [{"id": change.id, "model": change.model, "added": change.added,
             "at": change.changed_at, "changed_at": change.changed_at.isoformat(),
             "reason": change.reason,
             "changed_by": {"id": user.id, "name": user.name, "display_name": user.display_name,
                            "org_id": org.id, "org_name": org.name},
             "changes": [{"field": key, "from_": change.changes[key][0],
                          "to": change.changes[key][1]}
                         for key in EDITABLE if key in change.changes]}
            for change, user, org in db.session.execute(history_query(model).limit(limit))]


def model_history(model: str) -> list[dict[str, Any]]:
    """One model's changes, newest first; an unknown model is answered 404."""
    if db.session.get(ModelSpecRow, model) is None:
        raise NotFound(NO_MODEL, values={"model": repr(model)}, code="unknown_model")
    return change_entries(model)
