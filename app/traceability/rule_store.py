"""Read and edit the rule table stored in the database."""
from __future__ import annotations

import unicodedata

from flask import g, has_request_context
from sqlalchemy import select

from app.database import utcnow
from app.errors import N_, ValidationFailed
from app.extensions import db
from app.traceability.models import LifeRuleRow, ModelSpecRow
from app.traceability.rules import LifeRules, ModelSpec, load_defaults


def _spec(row: ModelSpecRow) -> ModelSpec:
    return ModelSpec(model=row.model, nominal_volume_l=row.nominal_volume_l,
                     rated_fill_kg=row.rated_fill_kg,
                     inspection_interval_years=row.inspection_interval_years,
                     banned=row.banned, banned_reason=row.banned_reason, source=row.source)


def model_specs() -> dict[str, ModelSpec]:
    """Return the model rows of the rule table, cached for the request."""
    if has_request_context() and "model_specs" in g:
        return g.model_specs
    specs = {row.model: _spec(row) for row in db.session.scalars(select(ModelSpecRow))}
    if has_request_context():
        g.model_specs = specs
    return specs


def life_rules() -> LifeRules:
    """Return the service-life rules."""
    if has_request_context() and "life_rules" in g:
        return g.life_rules
    row = db.session.get(LifeRuleRow, 1)
    if row is None:
        rules, _ = load_defaults()
    else:
        rules = LifeRules(row.gb5842_2006_from, row.life_years_from_2006_standard,
                          row.life_years_before_2006_standard, row.extension_max_years,
                          row.source)
    if has_request_context():
        g.life_rules = rules
    return rules


def fold_model_name(name: str) -> str:
    """A model's name as people's spellings of it compare: NFKC, no outer spaces, one case."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def find_spec(specs: dict[str, ModelSpec], typed: str) -> ModelSpec | None:
    """The model a person meant: its exact name, or the one name that differs only in width
    or case (`ysp35.5`, full-width `ＹＳＰ３５．５` typed on a Chinese keyboard). The spec's own
    `model` is the spelling to store."""
    exact = specs.get(typed)
    if exact is not None:
        return exact
    key = fold_model_name(typed)
    matches = [spec for name, spec in specs.items() if fold_model_name(name) == key]
    return matches[0] if len(matches) == 1 else None


def spec_for(model: str) -> ModelSpec:
    """Return one model's rules or refuse an unknown model."""
    spec = find_spec(model_specs(), model)
    if spec is None:
        known = ", ".join(sorted(model_specs()))
        raise ValidationFailed(N_("Unknown cylinder model %(model)s; known: %(known)s."),
                               values={"model": repr(model), "known": known},
                               code="unknown_model")
    return spec


MODEL_NAME_MAX = 32  # as long as a cylinder's model may be (Cylinder.model)


def update_model_spec(model: str, values: dict) -> ModelSpecRow:
    """Write checked values into a model's row, adding the row if it is new (the checks, the
    record of the change and the due dates are rule_changes.change_model_rule's)."""
    row = db.session.get(ModelSpecRow, model)
    if row is None:
        row = ModelSpecRow(model=model)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    db.session.flush()
    if has_request_context():
        g.pop("model_specs", None)
    return row
