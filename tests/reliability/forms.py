"""Find the server-rendered forms a user can reach, as a browser would, and post to them.

A signed-in (or anonymous) `Browser` opens the pages of a role's navigation and the pages they
link to (GET only, same site; files only when asked), reads every form with the standard
library's HTML parser, and says what a browser would send. Nothing here names a page or a
field: pages merged later are found the same way.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from flask import Flask
from sqlalchemy import text
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.extensions import db

# links that are files, not pages (reports, label sheets, templates, exports, assets); the
# API's GETs are files too (JSON, workbooks, label sheets)
DOWNLOAD = re.compile(r"\.(xlsx|xls|pdf|zpl|csv|png|svg|js|css|json)$|[?&]format=(xlsx|pdf)")
NOT_PAGES = ("/api/",)
# hidden values that tell two forms of one action apart (`form=edit`, `action=seize`); ids,
# tokens and UUIDs do not
WORD = re.compile(r"^[a-z_]{1,30}$")
# what the fuzzer types into text boxes: a page must show it as text, never as markup
MARKUP = "<script>alert(1)</script>"


@dataclass
class Control:
    """One form control: what it sends, and how (its input type, `select`, `textarea`...)."""

    name: str
    value: str
    kind: str
    checked: bool = True
    options: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)  # placeholder, min, required...

    @property
    def submit(self) -> bool:
        return self.kind in ("submit", "image")


@dataclass
class Form:
    """A form as the page rendered it (its method is the list it is kept in)."""

    page: str
    action: str
    multipart: bool
    controls: list[Control] = field(default_factory=list)

    @property
    def fields(self) -> list[Control]:
        """The controls a browser sends (all but unticked boxes and the submit buttons)."""
        return [c for c in self.controls if not c.submit and c.checked]

    @property
    def buttons(self) -> list[Control]:
        return [c for c in self.controls if c.submit]

    @property
    def names(self) -> list[str]:
        """Every name a hostile value may go into: fields, unticked boxes, buttons."""
        return list(dict.fromkeys(c.name for c in self.controls))

    def data(self, button: Control | None = None) -> MultiDict:
        """What a browser sends when `button` (else the first named one) is pressed."""
        sent: MultiDict = MultiDict()
        for control in self.fields:
            sent.add(control.name, _empty_file() if control.kind == "file" else control.value)
        pressed = button or next(iter(self.buttons), None)
        if pressed is not None:
            sent.add(pressed.name, pressed.value)
        return sent

    def signature(self, route: str) -> tuple:
        """Forms that differ only by the object they name (one per table row) are one form."""
        hidden = sorted((c.name, c.value) for c in self.controls
                        if c.kind == "hidden" and WORD.match(c.value))
        return route, tuple(sorted(self.names)), tuple(hidden)


def _empty_file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b""), ""  # what a browser sends for a file input left empty


TEXT_INPUTS = ("text", "search")


def submitted(form: Form, typed: str | None) -> list[str]:
    """The URLs a GET form leads to: with `typed` in its first text box (a user looking
    something up), and as rendered."""
    data = form.data()
    urls = []
    box = next((c.name for c in form.fields if c.kind in TEXT_INPUTS), None)
    if typed and box:
        urls.append(_with_query(form.action, [(k, typed if k == box else v)
                                              for k, v in data.items(multi=True)]))
    urls.append(_with_query(form.action, list(data.items(multi=True))))
    return urls


def _with_query(action: str, pairs: list[tuple[str, Any]]) -> str:
    return f"{action.split('?')[0]}?{urlencode(pairs)}"


class _Parser(HTMLParser):
    def __init__(self, page: str, typed: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.typed = page, typed
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.searches: list[str] = []
        self.get_forms: list[Form] = []
        self.form: Form | None = None
        self.method = "post"
        self.select: Control | None = None
        self.option: dict[str, Any] | None = None
        self.textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            action = urljoin(self.page, a["action"]) if a.get("action") else self.page
            self.form = Form(self.page, action, "multipart" in a.get("enctype", ""))
            self.method = a.get("method", "get").lower()
        elif self.form is None or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                value = a.get("value", "on")
                checked = "checked" in a and not (kind == "radio" and any(
                    c.name == a["name"] and c.checked for c in self.form.controls))
                self.form.controls.append(Control(a["name"], value, kind, checked, attrs=a))
            elif kind not in ("reset", "button"):
                self.form.controls.append(Control(a["name"], a.get("value", ""), kind, attrs=a))
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self.form.controls.append(Control(a["name"], a.get("value", ""), "submit"))
        elif tag == "select" and a.get("name"):
            self.select = Control(a["name"], "", "select", attrs=a)
            self.form.controls.append(self.select)
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and a.get("name"):
            self.textarea = Control(a["name"], "", "textarea", attrs=a)
            self.form.controls.append(self.textarea)

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            self.option["text"] += data
        elif self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self.option is not None and self.select is not None:
            value = self.option["value"]
            value = self.option["text"].strip() if value is None else value
            self.select.options.append(value)
            if self.option["selected"] or len(self.select.options) == 1:
                self.select.value = value
            self.option = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.form is not None:
            if self.method == "post":
                self.forms.append(self.form)
            else:  # a search or filter form: where it leads is a page like any other
                self.searches += submitted(self.form, self.typed)
                self.get_forms.append(self.form)
            self.form = None


def parse(page: str, html: str, typed: str | None = None) -> _Parser:
    """A page's post forms (`forms`), its links (`links`) and where its GET forms lead
    (`searches`, with `typed` in their first text box)."""
    parser = _Parser(page, typed)
    parser.feed(html)
    parser.close()
    return parser


class Browser:
    """One user's browser: a test client whose session survives whatever a form does to it.

    Each request runs in its own app context (its own database session and `g`), as in
    production. After a POST the session is put back as it was, so signing out, switching
    language or signing in through a fuzzed form does not change the next case's user, and
    the rendered CSRF tokens stay valid.
    """

    def __init__(self, app: Flask, user_id: int | None) -> None:
        self.app = app
        self.client = app.test_client()
        with self.client.session_transaction() as sess:
            if user_id is not None:
                sess["_user_id"] = str(user_id)
                sess["_fresh"] = True

    def get(self, url: str) -> Any:
        with self.app.app_context():
            return self.client.get(url, buffered=True)

    def post(self, url: str, data: Any, **kw: Any) -> tuple[Any, list[tuple[str, str]]]:
        """Post as a browser would (or as `kw` says: another body, content type, headers); the
        answer, and the messages it flashed for the next page."""
        with self.client.session_transaction() as sess:
            kept = dict(sess)
        try:
            with self.app.app_context():
                resp = self.client.post(url, data=data, buffered=True, **kw)
        finally:
            with self.client.session_transaction() as sess:
                flashed = list(sess.get("_flashes", []))
                sess.clear()
                sess.update(kept)
        return resp, flashed


def route_of(app: Flask, url: str, method: str = "GET") -> str | None:
    """The route a same-site URL reaches with a method, or None (other site, no route)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http"):
        return None
    try:
        rule, _args = app.url_map.bind("localhost").match(parts.path, method, return_rule=True)
    except HTTPException:
        return None
    return rule.rule


def local(url: str) -> str:
    """A URL as a path with its query, the way the test client is given it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Crawl:
    """What a user reached: every page opened (path -> status), the distinct post forms and
    the distinct GET (search and filter) forms."""

    pages: dict[str, int] = field(default_factory=dict)
    forms: list[Form] = field(default_factory=list)
    get_forms: list[Form] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def crawl(browser: Browser, seeds: list[str], typed: str | None = None, depth: int = 2,
          per_route: int = 2, downloads: bool = False, seen: set[tuple] | None = None) -> Crawl:
    """Open the seeds and what they link to (GET, same site), up to `depth` links away, at
    most `per_route` pages of one route; read each page's post forms, one per signature.
    GET forms are followed as a user submits them, `typed` in the first box. Files linked
    (reports, exports) are fetched too with `downloads`; never a GET form's file (a label
    sheet's download is recorded as a print job). Forms whose signature is in `seen` (an
    earlier crawl's) are left out, and the new ones added to it."""
    app, found = browser.app, Crawl()
    opened: Counter[str] = Counter()
    signatures: set[tuple] = set() if seen is None else seen
    frontier = [(local(url), 0, False) for url in seeds]
    while frontier:
        url, level, linked = frontier.pop(0)
        route = route_of(app, url)
        is_file = a_file(url)
        if (url in found.pages or route is None or opened[route] >= per_route
                or (is_file and not (downloads and linked))):
            continue
        opened[route] += 1
        resp = browser.get(url)
        found.pages[url] = resp.status_code
        found.problems += answer_problems(f"GET {url}", resp)
        if resp.mimetype != "text/html" or is_file:
            continue
        page = parse(f"http://localhost{url}", resp.text, typed)
        searches = [f for f in page.get_forms if not a_file(local(f.action))]
        for method, forms, into in (("POST", page.forms, found.forms),
                                    ("GET", searches, found.get_forms)):
            for form in forms:
                key = (method, *form.signature(route_of(app, form.action, method) or form.action))
                if key not in signatures:
                    signatures.add(key)
                    form.action, form.page = local(form.action), url
                    into.append(form)
        if level < depth:
            frontier += [(local(link), level + 1, True) for link in page.links]
            frontier += [(local(link), level + 1, False) for link in page.searches]
    return found


def a_file(url: str) -> bool:
    """Whether a same-site URL is a file (an export, a label sheet, the API) or a page."""
    return url.startswith(NOT_PAGES) or bool(DOWNLOAD.search(url))


def answer_problems(what: str, resp: Any) -> list[str]:
    """A server error, a traceback shown to the user, or hostile markup shown as markup."""
    problems = []
    if resp.status_code >= 500:
        problems.append(f"{what}: {resp.status_code}")
    if resp.mimetype == "text/html":
        html = resp.get_data(as_text=True)
        if "Traceback (most recent call last)" in html:
            problems.append(f"{what}: the page shows a traceback")
        if MARKUP in html:
            problems.append(f"{what}: the page shows {MARKUP!r} unescaped")
    return problems


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in every table, read in one statement on a connection of its own."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        columns = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables)
        with db.engine.connect() as conn:
            values = conn.execute(text(f"SELECT {columns}")).one()
    return dict(zip(tables, values, strict=True))
