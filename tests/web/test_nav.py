"""The menu: one order for every role, and every page it names exists."""
from __future__ import annotations

from app.web.nav import NAV, ORDER, nav_for


def test_every_ordered_page_exists_and_every_menu_entry_opens(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(ORDER) <= endpoints  # a renamed page would silently fall to the end
    assert {item.endpoint for item in NAV} <= endpoints


def test_daily_work_comes_before_setting_up_and_accounts_come_last(app):
    company = [item.endpoint for item in nav_for("admin")]
    assert company[0] == "web.index" and company[-1] == "user_pages.users"
    assert company.index("oversight.search") < company.index("registry_pages.register") < \
        company.index("code_batches.batches") < company.index("company_pages.vehicles") < \
        company.index("oversight.reports")
    assert [item.endpoint for item in nav_for("filler")][:2] == ["web.index", "filling.index"]
    assert [item.endpoint for item in nav_for("driver")] == ["web.index",
                                                            "delivery_pages.driver"]
    assert nav_for(None) == []
