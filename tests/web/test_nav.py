"""The menu: one order for every role, and every page it names exists."""
from __future__ import annotations

import re

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


def test_no_menu_entry_answers_403(client, world):
    """A station's admin and the platform admin got the gas company's fleet and customer pages
    in their menu, each a 403 page; every entry a user sees now opens."""
    menus = {}
    for name in ("station_a_admin", "admin", "company_admin", "regulator", "filler_a"):
        with client.session_transaction() as session:
            session["_user_id"] = str(world.users[name].id)
            session["_fresh"] = True
        with client.application.app_context():  # each request its own context, as served
            home = client.get("/").get_data(as_text=True)
        links = re.findall(r'<nav class="nav">(.*?)</nav>', home, re.S)[0]
        hrefs = re.findall(r'href="([^"]+)"', links)
        assert len(hrefs) > 1
        for href in hrefs:
            with client.application.app_context():
                assert client.get(href).status_code == 200, (name, href)
        menus[name] = hrefs
    assert "/company/vehicles" not in menus["station_a_admin"] + menus["admin"]
    assert "/company/vehicles" in menus["company_admin"]
    assert "/company/hazards" in menus["admin"] and "/company/hazards" in menus["regulator"]
