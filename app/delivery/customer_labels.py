"""Names of customer kinds and premises for pages, in the reader's language (forms post codes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CUSTOMER_KIND_LABELS = {
    "household": _l("Household"), "restaurant": _l("Restaurant"), "school": _l("School"),
    "hospital": _l("Hospital"), "canteen": _l("Canteen"), "other": _l("Other"),
}
PREMISES_LABELS = {"ground": _l("Above ground"), "semi_underground": _l("Semi-underground"),
                   "underground": _l("Underground")}
