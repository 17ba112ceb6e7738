"""The shared text rule, pure: what a single-line and a multi-line field refuse, checked by
examples and by hypothesis."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.text_rules import BIDI_CONTROLS, INVISIBLE, SEPARATORS, is_clean, text_problem

# what people type: Chinese, letters, digits, punctuation of both widths, symbols and emoji
ORDINARY = st.text(st.characters(categories=("L", "N", "P", "S", "Zs"),
                                 exclude_characters="".join(INVISIBLE)))
CONTROLS = st.sampled_from([chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))])
HIDDEN = st.sampled_from(sorted(BIDI_CONTROLS | SEPARATORS))


@pytest.mark.parametrize("text", [
    "张三", "冀F·A1234", "莲池区东关大街1号（后院）", "ＡＢＣ１２３", "Zoë O'Brien", "🙂🔥",
    "👨\u200d👩\u200d👧", "👩🏽\u200d💻", "🏳️\u200d🌈", "🏴\U000e0067\U000e0062\U000e0073"
    "\U000e0063\U000e0074\U000e007f", "١٢٣ مرحبا", ""])
def test_ordinary_names_and_emoji_pass_both_kinds(text):
    assert is_clean(text) and is_clean(text, multiline=True)


@pytest.mark.parametrize(("text", "char", "kind"), [
    ("京A\u202e54321", "\u202e", "bidi"), ("张\u2066三\u2069", "\u2066", "bidi"),
    ("冀F1\u200b2345", "\u200b", "invisible"), ("\ufeff张三", "\ufeff", "invisible"),
    ("张\u200d三", "\u200d", "invisible"), ("\u3164", "\u3164", "invisible"),
    ("a\U000e0061b", "\U000e0061", "invisible"),
    ("张三\u2028", "\u2028", "separator"), ("张\x1b[31m三", "\x1b", "control"),
    ("张三\x85", "\x85", "control"), ("张\t三", "\t", "control"), ("张三\n", "\n", "control")])
def test_single_line_refusals_name_the_character_and_where(text, char, kind):
    problem = text_problem(text)
    assert problem is not None
    assert (problem.char, problem.kind, text[problem.position]) == (char, kind, char)
    assert problem.codepoint == f"U+{ord(char):04X}"


def test_a_note_keeps_tabs_line_breaks_and_zero_width_but_not_bidi_or_controls():
    assert is_clean("第一行\r\n\t第二行\n付款：✅\u200b", multiline=True)
    for char in ("\u202e", "\u2029", "\x07", "\x0b", "\x7f", "\x9b"):
        assert not is_clean(f"备注{char}", multiline=True), repr(char)


@given(ORDINARY)
def test_typed_text_is_always_clean(text):
    assert text_problem(text) is None and text_problem(text, multiline=True) is None


@given(ORDINARY, st.one_of(CONTROLS, HIDDEN), ORDINARY, st.booleans())
def test_a_control_or_bidi_character_anywhere_is_refused(before, char, after, multiline):
    text = before + char + after
    problem = text_problem(text, multiline=multiline)
    if multiline and char in "\t\n\r":
        assert problem is None
    else:
        assert problem is not None and problem.position == len(before)
        assert problem.char == char


@given(ORDINARY, st.sampled_from(sorted(INVISIBLE - {"\u200d"})), ORDINARY)
def test_invisible_characters_are_refused_in_one_line_and_kept_in_notes(before, char, after):
    text = before + char + after
    problem = text_problem(text)
    assert problem is not None and (problem.char, problem.position) == (char, len(before))
    assert is_clean(text, multiline=True)


@given(st.text(max_size=40))
def test_any_text_either_passes_or_names_a_character_it_holds(text):
    for multiline in (False, True):
        problem = text_problem(text, multiline=multiline)
        if problem is not None:
            assert text[problem.position] == problem.char
            assert text_problem(text[:problem.position], multiline=multiline) is None
            assert (unicodedata.category(problem.char) in ("Cc", "Cf", "Zl", "Zp")
                    or problem.char in INVISIBLE)
