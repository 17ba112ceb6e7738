"""One spelling for the names stamped on a cylinder, however they were typed."""
from __future__ import annotations

import unicodedata


def normalise_name(text: str) -> str:
    """Fold full-width forms (NFKC), drop invisible characters, collapse spaces.

    Chinese input methods mix full- and half-width brackets, letters and digits, and text
    pasted from documents carries zero-width characters. Without one spelling, a blacklisted
    manufacturer or an already registered serial number slips past an exact comparison.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def search_key(text: str | None) -> str:
    """The spelling a search compares: one spelling (normalise_name) in one case (casefold).

    Computed here, not by the database's lower(): SQLite folds only ASCII letters and
    PostgreSQL folds by its locale, so the two would find different cylinders.
    """
    return normalise_name(text or "").casefold()


def serial_identity(manufacturer: str, serial_no: str) -> tuple[str, str]:
    """One physical cylinder's stamp, however it was typed: `SN001` and `sn001` from one
    maker are the same steel, and a second code for it would be a clone."""
    return search_key(manufacturer), search_key(serial_no)
