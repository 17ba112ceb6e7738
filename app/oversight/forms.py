"""What the oversight pages' forms share: a fresh event id per form, and refusals in words."""
from __future__ import annotations

import uuid

from werkzeug.datastructures import MultiDict

from app.errors import N_, APIError, ValidationFailed, page_message

STALE_FORM = N_("This form is out of date: open the page again.")
UNCONFIRMED = N_("Nothing was recorded: tick the box to confirm, as this cannot be undone.")
UNCONFIRMED_LIFT = N_("Nothing was changed: confirm the lift first.")
# steps on a cylinder's page that no one can take back: seizing stops every fill, scrapping
# and cancelling end the cylinder's life, and a failed inspection or assessment scraps it
IRREVERSIBLE = ("seize", "scrap", "cancel")


def new_event_id() -> str:
    """A fresh event id for one rendered form: sent twice, it records one event."""
    return str(uuid.uuid4())


def form_event_id(form: MultiDict) -> uuid.UUID | None:
    """The form's event id; a mangled one is refused (only a tampered form sends it)."""
    value = (form.get("event_id") or "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed(STALE_FORM, code="invalid_event_id") from exc


def require_confirmation(action: str, form: MultiDict) -> None:
    """Refuse an irreversible step unless its form's confirmation box was ticked.

    The page's forms carry the box; one misplaced tap on a red button used to seize or scrap
    a cylinder at once, as a failed inspection did.
    """
    if action in IRREVERSIBLE or (action in ("inspect", "assess")
                                  and form.get("result") == "fail"):
        require_ticked(form)


def require_ticked(form: MultiDict, message: str = UNCONFIRMED) -> None:
    """Refuse a form whose `confirm` is not "yes" (its box unticked, its confirmation skipped)."""
    if form.get("confirm") != "yes":
        raise ValidationFailed(message, code="confirmation_required")


def refusal(exc: APIError) -> str:
    """A service's refusal in the reader's language, with the values it names."""
    return page_message(exc)
