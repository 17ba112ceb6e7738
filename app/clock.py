"""Today's date in the district's time zone, fixed by config in tests."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DISTRICT_TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Return today's local date, or the configured FIXED_TODAY."""
    if has_app_context():
        fixed = current_app.config.get("FIXED_TODAY")
        if fixed:
            return fixed if isinstance(fixed, dt.date) else dt.date.fromisoformat(fixed)
    return dt.datetime.now(DISTRICT_TZ).date()
