"""A schema's refusal of a company form, said with the form's own words.

The pages validate with the API's marshmallow schemas, whose messages are English and name
fields by their keys ("driver_id: Not a valid integer."); a Chinese page showed them as they
are. Here each field is named by its label on the page and marshmallow's common messages are
translated, as is a refused character (`InvalidText`); anything else is said as "not valid"
(the form's hints give the limits).
"""
from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.text_fields import InvalidText

# the labels the forms show (the same msgids as the templates)
FIELD_LABELS = {
    "plate": _l("Plate"), "permit_no": _l("Hazardous-goods transport permit"),
    "permit_expires_on": _l("Permit valid until"), "name": _l("Name"),
    "polygon": _l("Outline: one “longitude, latitude” per line"),
    "certificate_no": _l("Certificate"), "certificate_expires_on": _l("Certificate"),
    "driver_id": _l("Driver"), "vehicle_id": _l("Vehicle"), "area_id": _l("Area"),
    "starts_on": _l("From"), "ends_on": _l("To"), "reason": _l("Reason"),
    "id_kind": _l("Identity"), "id_number": _l("ID or licence number"), "kind": _l("Type"),
    "address": _l("Address"), "lat": _l("Latitude"), "lon": _l("Longitude"),
    "premises": _l("Premises"), "has_cylinder_room": _l("Dedicated cylinder room"),
    "storage_capacity_kg": _l("Storage capacity (kg)"), "contact_name": _l("Person responsible"),
    "phone": _l("Phone"),
}
SCHEMA_MESSAGES = {
    "Unknown field.": _l("not a field of this form"),
    "Missing data for required field.": _l("required"),
    "Field may not be null.": _l("required"),
    "Not a valid integer.": _l("not a whole number"),
    "Not a valid number.": _l("not a number"),
    "Not a valid date.": _l("not a date (YYYY-MM-DD)"),
    "Not a valid string.": _l("not text"),
    "Not a valid boolean.": _l("not yes or no"),
}


def field_problem(key: str, problem: Any, limit: int) -> str:
    """One refused field as the reader says it: its label and what is wrong, cut to `limit`."""
    label = str(FIELD_LABELS.get(key, key))
    said = problem if isinstance(problem, list) else [problem]
    english = str(get_locale()) == "en"
    words = [m.said() if isinstance(m, InvalidText)
             else str(SCHEMA_MESSAGES[m]) if isinstance(m, str) and m in SCHEMA_MESSAGES
             else str(m) if english else _("not valid") for m in said]
    return f"{label}: {' '.join(dict.fromkeys(words))}"[:limit]
