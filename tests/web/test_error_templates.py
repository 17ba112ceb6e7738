"""A refusal carries its message template and values apart: the API answers the English text
filled in, as before; a page translates the template first, then fills it in, with the words
among the values (a state, a reason) in the reader's language too."""
from __future__ import annotations

from app.errors import N_, APIError, BadParameter, Conflict, Term, page_message, refusal_text

STATES = {"open": N_("open"), "rectified": N_("rectified")}
HAZARD = N_("The hazard is %(status)s, not open.")
OVERLAP = N_("The area overlaps '%(other)s' by %(m2).0f m².")


def test_the_message_is_the_english_template_filled_in(app):
    exc = Conflict(OVERLAP, values={"other": "东关片区", "m2": 1234.4}, code="area_overlaps")
    assert exc.message == str(exc) == "The area overlaps '东关片区' by 1234 m²."
    assert (exc.template, exc.status, exc.code) == (OVERLAP, 409, "area_overlaps")
    assert page_message(exc) == exc.message  # outside a request: the API's English
    plain = APIError(N_("The request body is not valid JSON."))
    assert plain.message == "The request body is not valid JSON." and plain.values == {}
    literal = APIError("100% full")  # no values: the text as written, nothing formatted
    assert literal.message == "100% full"
    with app.test_request_context("/"):
        assert page_message(literal) == "100% full"


def test_a_page_translates_the_template_and_the_words_among_its_values(app):
    exc = Conflict(HAZARD, values={"status": Term("rectified", STATES)}, code="hazard_not_open")
    assert exc.message == "The hazard is rectified, not open."
    with app.test_request_context("/"):
        assert page_message(exc) == "该隐患已整改；只有未整改的隐患才能整改。"
        overlap = Conflict(OVERLAP, values={"other": "东关片区", "m2": 1234.4})
        assert page_message(overlap) == ("该区域与“东关片区”重叠约 1234 平方米；"
                                         "配送区域之间不能重叠。")
    with app.test_request_context("/?lang=en"):  # English pages say what the API says
        assert page_message(exc) == "The hazard is rectified, not open."
    with app.test_request_context("/"):  # a word the catalogs lack stays as it is
        odd = Conflict(HAZARD, values={"status": Term("archived", STATES)})
        assert page_message(odd) == "该隐患archived；只有未整改的隐患才能整改。"
        empty = Conflict(HAZARD, values={"status": Term("", STATES)})  # never the PO header
        assert "Content-Type" not in page_message(empty)


def test_a_forms_own_wording_may_name_the_refusals_values(app):
    exc = Conflict(HAZARD, values={"status": Term("open", STATES)}, code="hazard_not_open")
    wording = {"hazard_not_open": N_("The hazard is %(status)s, not open.")}
    with app.test_request_context("/"):
        assert refusal_text(exc, wording) == "该隐患未整改；只有未整改的隐患才能整改。"
        assert refusal_text(exc, {}) == page_message(exc)


def test_a_bad_parameter_keeps_its_english_and_its_chinese_page(app):
    exc = BadParameter("org_id", "id")
    assert exc.message == "The query parameter org_id must be an id (a whole number)."
    with app.test_request_context("/"):
        said = page_message(BadParameter("org_id", "id"))
    assert "org_id" in said and "query parameter" not in said
