"""Every page of every role's menu on a 360 px phone, in a real Chromium, with the demo data in
it: the page never scrolls sideways, a table wider than the screen sits in its own scroll box,
and no table cell is squeezed to a character or two per line."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import live_app, serve

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
ROLES = ("filler", "driver", "company", "regulator", "inspector", "printer")

# What a phone user would have to fight with on the open page: how wide the document is,
# tables wider than the screen outside a scroll box of their own (.scroll), and cells holding
# text that are under 3 em wide and wrap it (a column squeezed to a character per line; a
# narrow cell whose text fits on one line, "#" or "12", is fine).
MEASURE = """() => {
  const width = window.innerWidth;
  const lines = el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter(r => r.width > 0)
                    .map(r => Math.round(r.bottom))).size;
  };
  const loose = [...document.querySelectorAll('table')]
    .filter(t => t.getBoundingClientRect().width > width && !t.closest('.scroll'))
    .map(t => `table ${t.dataset.testid || ''} ${Math.round(t.getBoundingClientRect().width)}px`);
  const squeezed = [...document.querySelectorAll('td, th')].filter(c => {
    const box = c.getBoundingClientRect();
    const em = parseFloat(getComputedStyle(c).fontSize);
    return c.innerText.trim() && box.width > 0 && box.width < 3 * em && lines(c) > 1;
  }).map(c => `"${c.innerText.trim().slice(0, 12)}" ${Math.round(c.offsetWidth)}px`);
  return {scroll: document.scrollingElement.scrollWidth, width, loose, squeezed};
}"""


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo data of a fresh install (scripts/run), on a real socket."""
    from app.demo import seed_demo

    application = live_app(tmp_path_factory.mktemp("phone"), FIXED_TODAY=None)
    with application.app_context():
        seed_demo()
    with serve(application) as url:
        yield url


@pytest.fixture
def phone(chromium: Any, demo_url: str) -> Iterator[Any]:
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", base_url=demo_url)
    yield context.new_page()
    context.close()


def _sign_in(page: Any, name: str, lang: str) -> None:
    from app.demo import DEMO_PASSWORD

    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    if lang == "en":
        page.click("[data-testid=lang-switch]")
        page.wait_for_selector("html[lang=en]")


def _problems(page: Any, path: str) -> list[str]:
    page.goto(path)
    seen = page.evaluate(MEASURE)
    found = []
    if seen["scroll"] > seen["width"] + 1:
        found.append(f"scrolls sideways: {seen['scroll']}px wide")
    found += [f"{table} outside a scroll box" for table in seen["loose"]]
    found += [f"cell {cell} wraps" for cell in seen["squeezed"]]
    return [f"{path}: {problem}" for problem in found]


def _search_results(page: Any) -> list[str]:
    """A search that lists cylinders, and the first one's page."""
    path = "/oversight/search?manufacturer=%E6%B2%B3%E5%8C%97"  # 河北, every demo cylinder
    page.goto(path)
    first = page.locator("[data-testid=results] a.code").first.get_attribute("href")
    return [path, first]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_menu_page_fits_a_phone(phone, role, lang):
    _sign_in(phone, role, lang)
    menu = phone.locator("nav.nav a").evaluate_all("links => links.map(a => a.pathname)")
    assert len(menu) >= 2, menu
    pages = menu + (_search_results(phone) if "/oversight/search" in menu else [])
    problems = [problem for path in pages for problem in _problems(phone, path)]
    assert not problems, "\n".join(problems)


def test_the_public_page_fits_a_phone(phone):
    _sign_in(phone, "regulator", "zh")
    code = _search_results(phone)[1].rstrip("/").rsplit("/", 1)[-1]
    phone.context.clear_cookies()
    problems = _problems(phone, f"/c/{code}")
    assert not problems, "\n".join(problems)
    assert "<script" not in phone.content()
