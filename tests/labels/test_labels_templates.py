"""Templates are data files: presets load, deployments add files, bad geometry is refused."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labels import TemplateError, load_template, load_templates
from labels.template import parse_template

PRESETS = {
    "a4-3x8-70x37": (3, 8, 70.0, 37.0),
    "a4-2x7-99x38": (2, 7, 99.1, 38.1),
    "a4-4x10-48x25": (4, 10, 48.5, 25.4),
    "roll-60x40": (1, 1, 60.0, 40.0),
    "roll-50x30": (1, 1, 50.0, 30.0),
}

VALID = {"page_width": 100, "page_height": 50, "rows": 2, "columns": 2,
         "label_width": 45, "label_height": 20, "margin_top": 4, "margin_left": 4, "gap_x": 2}


def test_presets_load_with_their_geometry(templates):
    assert set(PRESETS) <= set(templates)
    for name, (cols, rows, width, height) in PRESETS.items():
        t = templates[name]
        assert (t.columns, t.rows, t.label_width, t.label_height) == (cols, rows, width, height)


def test_roll_presets_put_one_label_on_a_page_of_its_size(templates):
    for name in ("roll-60x40", "roll-50x30"):
        t = templates[name]
        assert t.is_roll and (t.page_width, t.page_height) == (t.label_width, t.label_height)


def test_cells_are_row_major(templates):
    t = templates["a4-2x7-99x38"]
    assert t.cell_origin(0) == (4.65, 15.15)
    assert t.cell_origin(1) == pytest.approx((4.65 + 99.1 + 2.5, 15.15))
    assert t.cell_origin(2) == pytest.approx((4.65, 15.15 + 38.1))


def test_extra_folder_adds_and_overrides_by_file_name(tmp_path: Path):
    (tmp_path / "square-40.toml").write_text(
        'page_width = 40\npage_height = 40\nrows = 1\ncolumns = 1\n'
        'label_width = 40\nlabel_height = 40\n', encoding="utf-8")
    data = dict(VALID, title="narrow roll override")
    (tmp_path / "roll-50x30.json").write_text(json.dumps(data), encoding="utf-8")
    loaded = load_templates([tmp_path])
    assert loaded["square-40"].label_width == 40.0
    assert loaded["roll-50x30"].title == "narrow roll override"
    assert "a4-3x8-70x37" in loaded


@pytest.mark.parametrize("change, field", [
    ({"label_width": 60}, "page_width"),
    ({"gap_x": 20}, "page_width"),
    ({"rows": 3}, "page_height"),
    ({"margin_top": 15}, "page_height"),
    ({"label_width": -1}, "label_width"),
    ({"rows": 0}, "rows"),
    ({"rows": 2.5}, "rows"),
    ({"columns": True}, "columns"),
    ({"gap_y": "2mm"}, "gap_y"),
    ({"corner_radius": 15}, "corner_radius"),
    ({"crop_marks": "yes"}, "crop_marks"),
    ({"qr_ecc": "X"}, "qr_ecc"),
    ({"lable_width": 10}, "lable_width"),
    ({"padding": 6}, "padding"),
])
def test_invalid_templates_are_refused_naming_the_field(change, field):
    with pytest.raises(TemplateError, match=f"'{field}'|{field}"):
        parse_template(dict(VALID, **change), "t", "t.toml")


def test_missing_field_is_named():
    data = dict(VALID)
    del data["label_height"]
    with pytest.raises(TemplateError, match="missing required field 'label_height'"):
        parse_template(data, "t")


def test_unparsable_file_and_missing_folder_are_refused(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("rows = = 2", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"bad\.toml: cannot parse"):
        load_template(bad)
    with pytest.raises(TemplateError, match="does not exist"):
        load_templates([tmp_path / "nowhere"])


def test_two_files_with_one_name_in_a_folder_are_refused(tmp_path: Path):
    text = "".join(f"{k} = {v}\n" for k, v in VALID.items())
    (tmp_path / "dup.toml").write_text(text, encoding="utf-8")
    (tmp_path / "dup.json").write_text(json.dumps(VALID), encoding="utf-8")
    with pytest.raises(TemplateError, match="already defines template 'dup'"):
        load_templates([tmp_path])


lengths = st.floats(min_value=0, max_value=120, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(cols=st.integers(1, 5), rows=st.integers(1, 12), w=st.floats(10, 120),
       h=st.floats(10, 60), top=lengths, left=lengths, gx=st.floats(0, 10), gy=st.floats(0, 10))
def test_accepted_templates_keep_every_cell_on_the_page(cols, rows, w, h, top, left, gx, gy):
    data = {"page_width": 210, "page_height": 297, "rows": rows, "columns": cols,
            "label_width": w, "label_height": h, "margin_top": top, "margin_left": left,
            "gap_x": gx, "gap_y": gy}
    try:
        t = parse_template(data, "h")
    except TemplateError:
        fits_x = left + cols * w + (cols - 1) * gx <= 210.05
        fits_y = top + rows * h + (rows - 1) * gy <= 297.05
        assert not (fits_x and fits_y)
        return
    for index in range(t.per_page):
        x, y = t.cell_origin(index)
        assert x + w <= 210.05 and y + h <= 297.05
