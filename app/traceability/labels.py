"""Words the registry's pages use: its columns, and its refusals by their stable code.

The services answer the API in English; a page says the same refusal in the reader's
language by looking up the error's code here, so the API's messages never change.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.errors import APIError, page_message

# The registry's fields (the importer's column keys), as the form and the error lists name them.
COLUMN_LABELS = {
    "code": _l("Code"), "serial_no": _l("Serial number"), "manufacturer": _l("Manufacturer"),
    "model": _l("Model"), "manufactured_on": _l("Date of manufacture"), "owner": _l("Owner"),
    "registration_no": _l("Registration number"), "last_inspected_on": _l("Last inspected"),
    "design_life_years": _l("Design life"),
}

ERROR_TEXTS = {
    "required": _l("Required."),
    "invalid_code": _l("The code fails its check; it was mistyped or misread."),
    "foreign_code": _l("This is not a cylinder code of this system."),
    "unknown_code": _l("This code was never issued."),
    "code_already_bound": _l("This code is already bound to a cylinder."),
    "already_registered": _l("Imported before: this code is bound to this manufacturer's "
                             "serial number already."),
    "code_owner_mismatch": _l("This code was issued to another organisation."),
    "duplicate_serial": _l("This manufacturer's serial number is registered already."),
    "duplicate_in_file": _l("Repeats an earlier row of this file (the same code, or the same "
                            "manufacturer and serial number)."),
    "unknown_model": _l("Not a model of the rule table."),
    "banned_model": _l("This model is banned: such cylinders are recalled and scrapped, not "
                       "registered."),
    "unknown_org": _l("No such organisation."),
    "org_not_found": _l("No such organisation."),
    "forbidden": _l("You may register cylinders only for your own organisation."),
    "invalid_date": _l("Not a date: write it as 2023-05-01, 2023/5/1, 2023-05 or 2023年5月."),
    "invalid_number": _l("Not a whole number of years."),
    "control_character": _l("Holds an invisible control character: type it again."),
    "in_future": _l("This date lies in the future."),
    "before_manufacture": _l("The last inspection is before the date of manufacture."),
    "out_of_range": _l("Design life must be 1 to 30 years."),
    # the file as a whole
    "file_required": _l("Choose a CSV or XLSX file."),
    "unreadable_file": _l("This file cannot be read as a table: open it in Excel, remove any "
                          "password and save it again as .xlsx or CSV (UTF-8)."),
    "empty_file": _l("The file is empty."),
    "too_many_rows": _l("The file has too many rows; split it into smaller files."),
}

# Where a registration refusal belongs on the form, by its code (else above the form).
FIELD_OF = {
    "invalid_code": "code", "foreign_code": "code", "unknown_code": "code",
    "code_already_bound": "code", "code_owner_mismatch": "code",
    "duplicate_serial": "serial_no", "unknown_model": "model", "banned_model": "model",
    "forbidden": "owner_org_id", "org_not_found": "owner_org_id",
}


def error_text(code: str) -> str:
    """A refusal's words in the reader's language, by its code."""
    text = ERROR_TEXTS.get(code)
    return str(text) if text is not None else code


def refusal_text(exc: APIError) -> str:
    """What a page says for a service's refusal: by its code, else its (marked) message."""
    if exc.code == "missing_columns":
        return missing_columns_text((exc.details or {}).get("missing", []))
    if exc.code in ERROR_TEXTS:
        return error_text(exc.code)
    return page_message(exc)


def missing_columns_text(keys: list[str]) -> str:
    """Name the columns a file's header row lacks, as the template spells them."""
    from app.traceability.import_files import chinese_header

    names = ", ".join(f"{chinese_header(k)} ({k})" for k in keys)
    return gettext("The header row lacks: %(columns)s.", columns=names)


def registration_problems(exc: APIError) -> dict[str, str]:
    """The form fields a refused registration names, each with what is wrong."""
    details: Any = exc.details if isinstance(exc.details, dict) else {}
    problems = details.get("all") or []
    if problems:  # every problem of the stamped data at once, not only the first
        found: dict[str, str] = {}
        for field, code, _message in problems:
            found.setdefault(field, error_text(code))
        return found
    return {FIELD_OF.get(exc.code, ""): refusal_text(exc)}
