"""The code format: round trip, check character, parser refusals (property-based)."""
from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.traceability.codes import (
    ALPHABET,
    BODY_LEN,
    CODE_LEN,
    ForeignCode,
    InvalidCode,
    check_char,
    format_code,
    is_valid,
    new_code,
    parse_code,
    payload_for,
)

BASE = "https://gas.example.cn"
codes = st.integers(min_value=0, max_value=2 ** (BODY_LEN * 5) - 1).map(
    lambda bits: _code_or_none(bits)).filter(lambda c: c is not None)


def _code_or_none(bits: int) -> str | None:
    try:
        return new_code(bits)
    except ValueError:
        return None


def test_fresh_codes_are_valid_and_distinct():
    drawn = {new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(c) == CODE_LEN and is_valid(c) for c in drawn)


def test_codes_carry_at_least_60_random_bits():
    # 15 random symbols of 5 bits, less the 5/37 of bodies that are never issued
    import math

    assert BODY_LEN * 5 + math.log2(32 / 37) >= 60


@given(codes)
def test_round_trip_through_display_form_and_payload(code):
    assert parse_code(format_code(code)).code == code
    assert parse_code(format_code(code).lower()).code == code
    assert parse_code(" " + code[:8] + " " + code[8:] + "\n").code == code
    assert parse_code(payload_for(code, BASE), BASE).code == code


@given(codes, st.integers(0, CODE_LEN - 1), st.sampled_from(ALPHABET))
def test_any_single_wrong_character_is_caught(code, position, replacement):
    assume(code[position] != replacement)
    wrong = code[:position] + replacement + code[position + 1:]
    assert not is_valid(wrong)
    with pytest.raises(InvalidCode):
        parse_code(wrong)


@given(codes, st.integers(0, CODE_LEN - 2))
def test_any_adjacent_swap_is_caught(code, position):
    assume(code[position] != code[position + 1])
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    assert not is_valid(swapped)


def test_check_character_stays_inside_the_alphabet():
    assert all(check_char(new_code()[:BODY_LEN]) in ALPHABET for _ in range(500))


def test_crockford_aliases_are_accepted():
    code = new_code()
    misread = code.replace("0", "O").replace("1", "I")
    assert parse_code(misread).code == code


@pytest.mark.parametrize("text", [
    "https://evil.example.com/c/0000000000000000",
    "http://gas.example.cn.evil.com/c/x",
    "WIFI:S:cafe;T:WPA;P:secret;;",
    "hello, world",
    "1234",
    "9787115428028",
    "http://[gas.example.cn/c/0000000000000000",  # no URL: urlsplit raised (a 500)
])
def test_foreign_content_is_refused_as_foreign(text):
    with pytest.raises(ForeignCode):
        parse_code(text, BASE)


def test_our_url_with_a_broken_code_is_invalid_not_foreign():
    code = new_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidCode):
        parse_code(payload_for(bad, BASE), BASE)
    with pytest.raises(InvalidCode):
        parse_code("")


def test_a_code_that_starts_like_a_url_scheme_is_still_a_code():
    bits = 0
    for ch in "HTTP":
        bits = bits * 32 + ALPHABET.index(ch)
    for tail in range(50):
        code = _code_or_none((bits << 55) | tail)
        if code:
            break
    assert code.startswith("HTTP")
    assert parse_code(code).code == code
