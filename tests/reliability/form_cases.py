"""The cases the form fuzzer posts, and the fuzzer that posts them (test_fuzz_forms.py).

`Filler` types what a careful user would into the boxes a page leaves empty, so a hostile
value in one field reaches the schemas and services instead of another field's "required";
`Fuzzer` posts each case through a `forms.Browser` and keeps every 5xx, traceback, markup
shown as markup and refused post that wrote rows.
"""
from __future__ import annotations

import io
import os
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.auth.policy import access_for
from tests.conftest import TODAY
from tests.delivery.conftest import resident_id
from tests.reliability.forms import (
    MARKUP,
    WORD,
    Browser,
    Control,
    Crawl,
    Form,
    answer_problems,
    row_counts,
)
from tests.reliability.hostile_images import PNG_SIGNATURE

# Each field in turn gets each of these (and, naming an object, another organisation's id).
HOSTILE: dict[str, Any] = {
    "empty": "", "long": "x" * 10_000, "nul": "a\x00b",
    "controls": "\x01\x08\x0b\x1b\x7f\u202e\u2028", "superscript": "²", "circled": "①",
    "full-width": "１２３", "huge": "9" * 40, "negative": "-1", "nan": "NaN", "inf": "inf",
    "date 0000-00-00": "0000-00-00", "date 9999-12-31": "9999-12-31",
    "date 2023-02-30": "2023-02-30", "date 0001-01-01": "0001-01-01",
    "sql": "' OR 1=1; DROP TABLE users; --", "html": MARKUP,
    "formula": '=HYPERLINK("http://evil.example","x")', "emoji": "🧯😀👨‍👩‍👧",
    "invalid utf-8": b"\xff\xfe\xc3",
}
CHOICES = ("select", "radio", "checkbox", "submit")
FOR_CHOICES = ("empty", "long", "nul", "controls", "superscript", "huge", "negative", "html",
               "invalid utf-8")
TRUNCATED_PNG = PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR\x00\x00"
FILES: dict[str, tuple[bytes, str]] = {
    "zero-byte file": (b"", "empty.csv"), "no file name": (b"code\n", ""),
    "not an image": (b"plain text, not a picture\n", "photo.png"),
    "truncated PNG": (TRUNCATED_PNG, "label.png"),
    "binary as xlsx": (b"PK\x03\x04" + b"\0" * 64, "cylinders.xlsx"),
    "control characters": ("代码,序列号\n\x00\u202e,x\n".encode(), "cylinders.csv"),
}
UNKNOWN = "zz_not_a_field"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# per role and round: hypothesis's random text, beside the named hostile values
RANDOM_EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "40"))
# The random texts are the same on every run, so a suite run (CI) judges the code, not the
# draw; FORM_FUZZ_RANDOM=1 draws new ones each run to explore (it found the CR in 'next').
EXPLORE = os.environ.get("FORM_FUZZ_RANDOM") == "1"


class Filler:
    """What a careful user types into the boxes a page leaves empty, fresh for each post.

    Without it most hostile values would only meet another field's "required"; with it they
    reach the schemas and services. Values that must be unique (codes, serial numbers,
    plates, names) are new each time, so one accepted hostile value does not turn every later
    case into a duplicate. Boxes the page filled in (an edit form) keep their value.
    """

    def __init__(self, org_id: int | None, codes: dict[str, list[str]],
                 printed: list[str]) -> None:
        self.org_id, self.codes, self.printed, self.n = org_id, codes, printed, 0

    def data(self, form: Form, button: Control | None = None) -> MultiDict:
        self.n += 1
        data = form.data(button)
        for control in sorted(form.controls, key=lambda c: c.kind != "select"):
            if control.kind == "hidden" and UUID.match(control.value):
                data.setlist(control.name, [str(uuid.uuid4())])  # an idempotency key
            elif control.kind == "checkbox" and not control.checked and "required" in control.attrs:
                data.add(control.name, control.value)  # "tick to confirm"
            elif control.kind == "select" and not control.value:
                chosen = next((o for o in control.options if o), "")
                data.setlist(control.name, [chosen])
            elif control.kind not in ("hidden", "checkbox", "radio", "file", "submit", "select") \
                    and not control.value:
                data.setlist(control.name, [self.typed(control, data)])
        return data

    def typed(self, control: Control, data: MultiDict) -> str:
        """What goes into one empty box (the choices are made first: a code belongs to the
        owner chosen)."""
        n, name, kind = self.n, control.name, control.kind
        if name == "code":  # an issued code of the owner the form registers for
            pool = self.codes.get(data.get("owner_org_id") or str(self.org_id), [])
            return pool.pop() if pool else f"fz{n}"
        known = {"serial_no": f"FZ{n:06d}", "registration_no": f"FZR{n}",
                 "plate": f"冀F{n % 100_000:05d}", "id_number": resident_id(n),
                 "lat": "38.86", "lon": "115.47", "manufactured_on": "2022-03",
                 "outline": _triangle(n),
                 "password": "password-123", "codes": " ".join(self.printed[:1])}
        if name in known:
            return known[name]
        if kind == "date":  # today is neither too early for a start nor too late for a check
            return control.attrs.get("min") or TODAY.isoformat()
        if kind == "month":
            return "2024-05"
        if kind == "number" or control.attrs.get("inputmode") == "numeric":
            return control.attrs.get("min") or "1"
        return {"decimal": "1.5", "tel": "13800138000"}.get(control.attrs.get("inputmode", ""),
                                                           f"fz{n}")


def _triangle(n: int) -> str:
    """A small delivery area of its own (areas of one company may not overlap)."""
    lon, lat = 116 + (n % 500) * 0.01, 39 + (n // 500) * 0.01
    return f"{lon:.2f}, {lat:.2f}\n{lon + 0.005:.3f}, {lat:.2f}\n{lon:.2f}, {lat + 0.005:.3f}"


class Fuzzer:
    """Post cases to one user's forms; collect every 5xx, traceback and refused write."""

    def __init__(self, app: Any, browser: Browser, who: str, filler: Filler,
                 errors: list[str]) -> None:
        self.app, self.browser, self.who, self.errors = app, browser, who, errors
        self.filler = filler
        self.problems: list[str] = []
        self.posts = self.refusals = self.gets = self.logged = 0
        self.counts: dict[str, int] | None = None  # rows now, while nothing else writes

    def post(self, form: Form, case: str, data: Any, **kw: Any) -> None:
        before = self.counts if self.counts is not None else row_counts(self.app)
        logged = len(self.errors)
        resp, flashed = self.browser.post(form.action, data, **kw)
        self.posts += 1
        what = f"{self.who}: POST {form.action} (form on {form.page}) {case}"
        found = answer_problems(what, resp)
        if len(self.errors) > logged:
            found = [f"{p}\n    {self.errors[-1]}" for p in found] or [
                f"{what}: logged an unhandled error\n    {self.errors[-1]}"]
        self.logged = len(self.errors)
        self.counts = None  # an accepted post writes: counted again before the next one
        if resp.status_code >= 400 or any(kind == "bad" for kind, _m in flashed):
            self.refusals += 1
            self.counts = after = row_counts(self.app)
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                found.append(f"{what}: refused ({resp.status_code}) but wrote {changed}")
        self.problems += found

    def fuzz(self, form: Form, foreign: dict[str, str]) -> None:
        """Hostile values, hostile files and missing fields in a filled-in form."""
        self.post(form, "filled in", self.filler.data(form))
        for name in form.names:
            control = next(c for c in form.controls if c.name == name)
            values = hostile(control, foreign)
            if name == "csrf_token":  # one check for every form: a few cases suffice
                values = {"empty": "", "nul": "a\x00b", "tampered": control.value[:-4] + "AAAA"}
            elif control.kind == "file":
                values = {k: (io.BytesIO(b), n) for k, (b, n) in FILES.items()} | {
                    "text instead of a file": "x"}
            for label, value in values.items():
                data = self.filler.data(form, control if control.submit else None)
                data.setlist(name, [_copy(value)])
                self.post(form, f"with {name}={label}", data)
            data = self.filler.data(form)
            data.poplist(name)
            self.post(form, f"without {name}", data)
        only_token = MultiDict([(k, v) for k, v in form.data().items(multi=True)
                                if k == "csrf_token"])
        self.post(form, "with nothing but its CSRF token", only_token)

    def mine(self, found: Crawl) -> list[Form]:
        """The forms this user fuzzes: public ones (sign-in, language, a report) only once,
        by the anonymous visitor."""
        return [f for f in found.forms if self.who == "anonymous" or not public(self.app, f)]

    def crawled(self, found: Crawl) -> None:
        """Keep what opening the pages found wrong, with what the server logged meanwhile."""
        self.problems += found.problems
        if found.problems:
            self.problems += [f"    logged: {e}" for e in self.errors[self.logged:]]
        self.logged = len(self.errors)
        self.counts = None  # downloads write (a label sheet's print job)

    def round(self, found: Crawl, foreign: dict[str, str]) -> None:
        """Every case for every form found: the refusals first (a form posted as rendered may
        delete its object), then the searches, odd bodies, forms as rendered, random text."""
        forms = self.mine(found)
        for form in forms:
            self.fuzz(form, foreign)
        for form in found.get_forms:
            self.search(form, foreign)
        for form in forms:
            self.encodings(form)
        for form in forms:
            self.as_rendered(form)
        random_text(self, forms)

    def encodings(self, form: Form) -> None:
        """The filled-in form in bodies no browser sends: JSON, plain text, multipart without
        a boundary, broken percent-escapes, a text field sent as a file, 1,500 fields."""
        data = self.filler.data(form)
        token = {"X-CSRFToken": data.get("csrf_token", "")}
        pairs = [(k, v) for k, v in data.items(multi=True) if isinstance(v, str | bytes)]
        text = urlencode(pairs)
        self.post(form, "as JSON", None, json=dict(pairs), headers=token)
        self.post(form, "as text/plain", text, content_type="text/plain", headers=token)
        self.post(form, "as multipart without a boundary", text.encode(),
                  content_type="multipart/form-data", headers=token)
        self.post(form, "with broken percent-escapes", text + "&%zz=%&&=&x=%FF%FE%",
                  content_type="application/x-www-form-urlencoded")
        box = next((c.name for c in form.fields if c.kind in ("text", "textarea")), None)
        if box:
            as_file = self.filler.data(form)
            as_file.setlist(box, [(io.BytesIO(b"x"), "x.txt")])
            self.post(form, f"with {box} sent as a file", as_file)
        many = self.filler.data(form)
        for n in range(1500):
            many.add(f"f{n}", "x")
        self.post(form, "with 1,500 fields", many)

    def search(self, form: Form, foreign: dict[str, str]) -> None:
        """A search or filter form (GET) with each field in turn hostile: never a 5xx."""
        base = [(k, v) for k, v in form.data().items(multi=True)]
        for name in form.names:
            control = next(c for c in form.controls if c.name == name)
            for label, value in hostile(control, foreign).items():
                query = urlencode([(k, value if k == name else v) for k, v in base])
                resp = self.browser.get(f"{form.action.split('?')[0]}?{query}")
                self.gets += 1
                self.problems += answer_problems(
                    f"{self.who}: GET {form.action} (form on {form.page}) with {name}={label}",
                    resp)

    def as_rendered(self, form: Form) -> None:
        """The form as a browser sends it (each button), and with unknown and repeated fields."""
        for button in form.buttons or [None]:
            label = f"as rendered{f' ({button.name}={button.value})' if button else ''}"
            self.post(form, label, form.data(button))
        data = self.filler.data(form)
        data.add(UNKNOWN, "<b>unexpected</b>")
        for control in form.fields[:3]:
            if control.kind != "file":
                data.add(control.name, "9" * 30)  # a second value for the same name
        self.post(form, "filled in, with an unknown field and repeated fields", data)


def hostile(control: Control, foreign: dict[str, str]) -> dict[str, Any]:
    """The hostile values for one field; an id of another organisation's object where the
    field names an object (`*_id`, or a number as rendered). A choice the page offers (a
    select, a box, a button, a hidden `form=edit`) is checked against its few values: the
    values that are not free text (dates, SQL, formulas, emoji) say nothing more there."""
    chosen = control.kind in CHOICES or (control.kind == "hidden" and WORD.match(control.value))
    values = {k: v for k, v in HOSTILE.items() if not chosen or k in FOR_CHOICES}
    if control.name.endswith("_id") or control.value.isdigit() or control.name in foreign:
        values["another organisation's id"] = foreign.get(control.name, foreign["*"])
    return values


def _copy(value: Any) -> Any:
    """A fresh file object for each post (the client reads it to the end)."""
    if isinstance(value, tuple):
        return io.BytesIO(value[0].getvalue()), value[1]
    return value


def random_text(fuzzer: Fuzzer, forms: list[Form]) -> None:
    """Any text at all (hypothesis) in one field of a filled-in form: never a 5xx."""
    fields = [(form, name) for form in forms for name in form.names
              if name != "csrf_token" and not any(
                  c.name == name and c.kind == "file" for c in form.controls)]

    @settings(max_examples=RANDOM_EXAMPLES, deadline=None, database=None,
              derandomize=not EXPLORE, suppress_health_check=list(HealthCheck))
    @given(where=st.sampled_from(fields), text=st.text(
        st.characters(blacklist_categories=("Cs",)), max_size=40))
    def post_text(where: tuple[Form, str], text: str) -> None:
        form, name = where
        data = fuzzer.filler.data(form)
        data.setlist(name, [text])
        fuzzer.post(form, f"with {name}={text!r}", data)

    if fields:
        post_text()


def public(app: Any, form: Form) -> bool:
    """A form anyone may post (sign-in, language, a public report): fuzzed once, anonymously."""
    endpoint = app.url_map.bind("localhost").match(form.action.split("?")[0], "POST")[0]
    access = access_for(app, endpoint, "POST")
    return access is not None and access.public
