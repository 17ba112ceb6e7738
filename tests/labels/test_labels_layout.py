"""Layout: for any texts, every line stays on the label, off the QR quiet zone, in order."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labels import Label, format_code, layout_label, load_font, qr_matrix

PRESETS = ["a4-3x8-70x37", "a4-2x7-99x38", "a4-4x10-48x25", "roll-60x40", "roll-50x30"]
HANZI = "保定市莲池燃气有限公司石家庄北京液化石油气能源集团股份河北省区县镇乡新华"
EPS = 0.01

owners = st.text(alphabet=HANZI + "ABC (1)", min_size=1, max_size=28).filter(str.strip)
ascii_field = st.one_of(st.none(), st.text(alphabet="ABCXYZ0123456789-.", min_size=1,
                                           max_size=16))
codes = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=16, max_size=16)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(PRESETS), owner=owners, model=ascii_field, serial=ascii_field,
       code=codes)
def test_lines_stay_on_the_label_and_off_the_qr_code(templates, name, owner, model, serial,
                                                     code):
    t = templates[name]
    font = load_font()
    label = Label(code, f"https://cyl.example.cn/c/{code}", owner, model, serial)
    layout = layout_label(label, t, qr_matrix(label.payload, t.qr_ecc).shape[0], font)
    assert layout.qr_x >= 0 and layout.qr_y >= 0
    assert layout.qr_x + layout.qr_size <= t.label_width + EPS
    assert layout.qr_y + layout.qr_size <= t.label_height + EPS
    previous_bottom = 0.0
    for line in layout.lines:
        descent = font.descent * line.size_pt * 25.4 / 72
        assert line.x >= t.padding - EPS and line.x + line.width <= t.label_width + EPS
        assert line.top >= previous_bottom - EPS
        assert line.baseline + descent <= t.label_height + EPS
        previous_bottom = line.baseline + descent
        assert line.x >= layout.qr_x + layout.qr_size - EPS or \
            line.top >= layout.qr_y + layout.qr_size - EPS
    roles = [line.role for line in layout.lines]
    assert roles == sorted(roles, key=["owner", "code", "detail"].index)
    owner_text = "".join(line.text for line in layout.lines if line.role == "owner")
    assert owner_text.replace(" ", "") == owner.strip().replace(" ", "")
    assert "-".join(line.text for line in layout.lines if line.role == "code") == \
        label.code_text


def test_code_is_grouped_in_fours():
    assert format_code("7k3m qx9p-2hbd w4tz") == "7K3M-QX9P-2HBD-W4TZ"


def test_long_company_name_breaks_at_a_word_boundary(templates):
    label = Label("7K3MQX9P2HBDW4TZ", "https://cyl.example.cn/c/7K3MQX9P2HBDW4TZ",
                  "保定市莲池燃气有限公司")
    font = load_font()
    layout = layout_label(label, templates["a4-4x10-48x25"], 37, font)
    assert [line.text for line in layout.lines if line.role == "owner"] == \
        ["保定市莲池", "燃气有限公司"]


def test_payload_too_long_for_the_label_is_refused(templates):
    label = Label("7K3MQX9P2HBDW4TZ", "https://cyl.example.cn/c/" + "X" * 400, "燃气公司")
    n = qr_matrix(label.payload, "H").shape[0]
    with pytest.raises(ValueError, match="QR module"):
        layout_label(label, templates["a4-4x10-48x25"], n, load_font())


def test_label_refuses_empty_code_and_control_characters():
    with pytest.raises(ValueError, match="code"):
        Label(" ", "https://x/c/", "燃气")
    with pytest.raises(ValueError, match="control"):
        Label("7K3M", "https://x/c/7K3M", "燃气\n公司")
