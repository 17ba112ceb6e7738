"""The text rule (`app.text_rules`) where user text comes in: schema fields and services.

API bodies and the pages that validate with the same schemas use `SingleLine` / `MultiLine`
fields; services that pages call with a form's raw value use `require_clean_text`. Either way
the refusal is 400 `invalid_text` naming the field and the character, and on a page the same
in the reader's language; nothing is stored.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields

from app.errors import N_, APIError, CodedMessage, Term, first_coded_message, page_message
from app.text_rules import TextProblem, text_problem

KINDS = {
    "control": N_("a control character"),
    "separator": N_("a line or paragraph separator"),
    "bidi": N_("a character that reorders the text around it"),
    "invisible": N_("an invisible character"),
}
IN_TEXT = N_("holds %(what)s (%(char)s) at character %(position)s; remove it and type the "
             "text again.")
IN_FIELD = N_("The field %(name)s holds %(what)s (%(char)s) at character %(position)s; "
              "remove it and type the text again.")


def _values(problem: TextProblem) -> dict[str, Any]:
    """What a refusal names: the kind of character (a word pages translate), where, which."""
    return {"what": Term(KINDS[problem.kind]), "position": problem.position + 1,
            "char": problem.codepoint if problem.kind == "control"
            else f"{problem.codepoint} {problem.name}"}


class InvalidText(CodedMessage):
    """A schema field's refusal of its text: the English message, and the problem so the error
    answer can say `invalid_text` and a page can say it in the reader's language."""

    problem: TextProblem

    def __new__(cls, problem: TextProblem) -> InvalidText:
        text = super().__new__(cls, IN_TEXT % _values(problem))
        text.problem = problem
        return text

    def error(self, field: str) -> APIError:
        """The 400 `invalid_text` answer naming the field."""
        return invalid_text_error(field, self.problem)

    def said(self) -> str:
        """The refusal in the reader's language (without the field's name)."""
        return page_message(APIError(IN_TEXT, values=_values(self.problem)))


class SingleLine(fields.String):
    """A one-line text a person reads: a name, plate, number, address, reason."""

    multiline = False

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, multiline=self.multiline)
        if problem is not None:
            raise ValidationError(InvalidText(problem))
        return text


class MultiLine(SingleLine):
    """A note: may also hold tabs and line breaks (and zero-width characters of writing)."""

    multiline = True


def text_refusal(messages: Any) -> str | None:
    """What a page says when a schema refused a field's text (None: refused for another
    reason), so its form does not say "required" or "check this field" for it."""
    found = first_coded_message(messages)
    return found[1].said() if found and isinstance(found[1], InvalidText) else None


def invalid_text_error(name: str, problem: TextProblem, label: str | None = None) -> APIError:
    """The 400 `invalid_text` refusal of field `name`; a page names it by `label` (a msgid)."""
    named = Term(name, {name: label}) if label else name  # a label: the page's word for it
    return APIError(IN_FIELD, values={"name": named, **_values(problem)},
                    code="invalid_text", details={"field": name, "character": problem.codepoint,
                                                  "position": problem.position + 1})


def require_clean_text(value: str | None, name: str, *, multiline: bool = False,
                       label: str | None = None) -> str | None:
    """Refuse a form's text the schemas would refuse (for services pages call directly);
    `label` is the msgid the page shows the field by."""
    if value:
        problem = text_problem(value, multiline=multiline)
        if problem is not None:
            raise invalid_text_error(name, problem, label)
    return value
