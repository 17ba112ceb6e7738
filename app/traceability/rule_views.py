"""The rule table's page (规则表): every model's values and source, the banned ones marked, and
each model's change history, for everyone who may read the table. Regulators and platform
admins change a row or add a model through the service the API calls
(rule_changes.change_model_rule), after a confirmation that says which cylinders the change
reaches; a refusal comes back in the form with what was typed kept, and writes nothing."""
from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, validate
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.policy import allow
from app.clock import DISTRICT_TZ
from app.errors import N_, APIError, refusal_text
from app.extensions import db
from app.text_fields import text_refusal
from app.traceability.labels import error_text
from app.traceability.models import ModelSpecRow
from app.traceability.rule_changes import (
    change_entries,
    change_model_rule,
    may_edit_rules,
    plan_model_change,
    require_rule_editor,
)
from app.traceability.rule_store import MODEL_NAME_MAX, life_rules
from app.traceability.schemas import REASON_MAX, ModelSpecIn

bp = Blueprint("rule_pages", __name__, url_prefix="/rules", template_folder="templates")
# the row's fields as the table and its history name them, and as the form asks for them
NAMES = {
    "model": _l("Model"), "nominal_volume_l": _l("Nominal volume (L)"),
    "rated_fill_kg": _l("Rated fill mass (kg)"),
    "inspection_interval_years": _l("Periodic inspection every (years)"),
    "banned": _l("Banned"), "banned_reason": _l("Why it is banned"), "source": _l("Source"),
}
LABELS = {**NAMES, "banned": _l("Banned: refused at filling and at registration"),
          "source": _l("Source (a standard, a plan, a notice)"),
          "reason": _l("Reason for this change, its basis")}
NUMBERS = ("nominal_volume_l", "rated_fill_kg", "inspection_interval_years")
REQUIRED = (*NUMBERS, "source", "reason")
# the API's bounds, so that the page refuses exactly what the API refuses
BOUNDS = {name: (check.min, check.max) for name, field in ModelSpecIn().fields.items()
          for check in field.validators if isinstance(check, validate.Range)}
LENGTHS = {"model": MODEL_NAME_MAX, "reason": REASON_MAX}
# where a service refusal belongs on the form, and the page's words for it
REFUSALS = {
    "no_change": ("", N_("Nothing to change: the values are those of the table already.")),
    "source_required": ("source", N_("Every rule names its source (a standard, a plan, a "
                                     "notice).")),
    "invalid_model_name": ("model", N_("A model name has 1 to %(n)s characters and no spaces "
                                       "at either end.")),
    "model_exists": ("model", N_("The table has this model already (%(model)s); change its "
                                 "row instead.")),
    "unknown_model": ("", N_("This model is not in the table (any more); reload the page.")),
}
WORDING = {code: words for code, (_field, words) in REFUSALS.items()}


def _range_text(name: str) -> str:
    low, high = BOUNDS[name]
    if name == "inspection_interval_years":
        return _("A whole number from %(min)s to %(max)s.", min=low, max=high)
    return _("A number from %(min)s to %(max)s.", min=low, max=high)


def _read_form(form: MultiDict) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The form as typed (to show back), as the API's body, and what is wrong with it."""
    values = {key: (form.get(key) or "").strip() for key in (*LABELS, "mode")}
    values["banned"] = "on" if form.get("banned") else ""
    errors = {key: error_text("required") for key in REQUIRED if not values[key]}
    if values["mode"] == "add" and not values["model"]:
        errors["model"] = error_text("required")
    if values["banned"] and not values["banned_reason"]:
        errors["banned_reason"] = _("Say why the model is banned.")
    for key, limit in LENGTHS.items():
        if len(values[key]) > limit:
            errors.setdefault(key, _("At most %(n)s characters.", n=limit))
    body: dict[str, Any] = {key: values[key] for key in NUMBERS if values[key]}
    interval = body.get("inspection_interval_years", "")
    if interval.isascii() and interval.isdigit():
        body["inspection_interval_years"] = int(interval)  # the API's integer is strict
    body.update(banned=bool(values["banned"]), banned_reason=values["banned_reason"] or None,
                source=values["source"])
    try:
        body = ModelSpecIn().load(body)
    except ValidationError as exc:
        for key, said in exc.messages.items():
            errors.setdefault(str(key), text_refusal(said) or (
                _range_text(key) if key in BOUNDS else error_text("required")))
    return values, body, errors


def _refusal(exc: APIError) -> dict[str, str]:
    """A service's refusal as the form shows it: under its field, in the reader's language."""
    field = REFUSALS.get(exc.code, ("", ""))[0]
    model = exc.details.get("model", "") if isinstance(exc.details, dict) else ""
    return {field: refusal_text(exc, WORDING, n=MODEL_NAME_MAX, model=model)}


def _row_values(row: ModelSpecRow) -> dict[str, str]:
    """A row as its edit form starts: the values it holds, no reason yet."""
    return {"mode": "edit", "model": row.model, "nominal_volume_l": f"{row.nominal_volume_l:g}",
            "rated_fill_kg": f"{row.rated_fill_kg:g}",
            "inspection_interval_years": str(row.inspection_interval_years),
            "banned": "on" if row.banned else "", "banned_reason": row.banned_reason or "",
            "source": row.source, "reason": ""}


def _page(form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          status: int = 200) -> tuple[str, int]:
    """The table, each model's history, the service-life rules; the forms for editors (the
    one sent back open, with what was typed and what is wrong)."""
    rows = list(db.session.scalars(select(ModelSpecRow).order_by(ModelSpecRow.model)))
    entries = sorted(change_entries(), key=lambda e: (e["model"], -e["id"]))
    history = {model: list(group) for model, group in groupby(entries, lambda e: e["model"])}
    errors = dict(errors or {})
    general = errors.pop("", None)
    forms = {row.model: _row_values(row) for row in rows}
    if form and form.get("mode") == "edit" and form.get("model") in forms:
        forms[form["model"]] = form
    return render_template(
        "traceability/rules.html", rows=rows, history=history, life=life_rules(),
        may_edit=may_edit_rules(current_user), forms=forms, errors=errors,
        added=form if form and form.get("mode") == "add" else {"mode": "add"},
        sent=(form or {}).get("mode"), sent_model=(form or {}).get("model"),
        general=general, labels=LABELS, names=NAMES, bounds=BOUNDS, lengths=LENGTHS,
        district_tz=DISTRICT_TZ), status


@bp.route("", methods=["GET"])
@allow("any")
def index() -> tuple[str, int]:
    """Show the rule table with its sources and every model's changes."""
    return _page()


@bp.route("", methods=["POST"])
@allow("admin", "regulator")
def change() -> Response | tuple[str, int]:
    """Check a change (or a new model) and show what it reaches; on confirmation make it."""
    require_rule_editor(current_user)
    values, body, errors = _read_form(request.form)
    step = request.form.get("step")
    if step == "edit":  # back from the confirmation: the form again, as it was sent
        return _page(values)
    if not errors:
        new = values["mode"] == "add"
        try:
            if step != "confirm":
                plan = plan_model_change(current_user, values["model"], body,
                                         allow_unchanged=False, new=new)
                return render_template("traceability/rule_confirm.html", plan=plan,
                                       values=values, names=NAMES), 200
            _row, done = change_model_rule(current_user, values["model"], body,
                                           values["reason"], allow_unchanged=False, new=new)
        except APIError as exc:  # refused: nothing written, the form comes back filled
            db.session.rollback()
            errors = _refusal(exc)
        else:
            flash(_("Model %(model)s added to the rule table.", model=values["model"])
                  if done and done.added else
                  _("The rule table's row of %(model)s was changed; the change is in its "
                    "history.", model=values["model"]), "ok")
            return redirect(url_for(".index", _anchor=f"model-{values['model']}"))
    return _page(values, errors, 400)
