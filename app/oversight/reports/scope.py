"""Who may report on what: regulators on anything, a unit's admin on its own unit and areas."""
from __future__ import annotations

from app.auth.models import Organisation, User
from app.errors import N_, Forbidden, NotFound
from app.extensions import db
from app.oversight.services import is_regulator


def report_scope(user: User, org_id: int | None,
                 area_id: int | None = None) -> tuple[int | None, int | None]:
    """Check the unit and delivery area a report asks for; a unit's admin gets its own unit."""
    from app.delivery.models import DeliveryArea

    if area_id is not None:
        area = db.session.get(DeliveryArea, area_id)
        if area is None or (not is_regulator(user) and area.org_id != user.org_id):
            raise NotFound(N_("No such delivery area."), code="area_not_found")
    if org_id is not None and db.session.get(Organisation, org_id) is None:
        raise NotFound(N_("No such organisation."), code="org_not_found")
    if is_regulator(user):
        return org_id, area_id
    if org_id not in (None, user.org_id):
        raise Forbidden(N_("You may report only on your own organisation."), code="own_org_only")
    return user.org_id, area_id
