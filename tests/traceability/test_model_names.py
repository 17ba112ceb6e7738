"""The model a person meant, from the model table's names: pure, so checked over many spellings."""
from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.traceability.rule_store import find_spec
from app.traceability.rules import load_defaults

SPECS = {spec.model: spec for spec in load_defaults()[1]}


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.sampled_from(sorted(SPECS)), st.randoms(), st.booleans())
def test_any_case_or_width_of_a_table_model_finds_it(name, rnd, wide):
    typed = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in name)
    typed = _full_width(typed) if wide else typed
    assert find_spec(SPECS, typed).model == name


@given(st.text(max_size=12))
def test_a_name_found_is_a_table_model_spelled_alike(typed):
    spec = find_spec(SPECS, typed)
    if spec is not None:
        folded = unicodedata.normalize("NFKC", typed).strip().casefold()
        assert unicodedata.normalize("NFKC", spec.model).casefold() == folded
