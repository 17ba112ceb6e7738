"""Single-label PNG and SVG: true size, and the QR code decodes back to the payload."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from labels import render_label_png, render_label_svg
from tests.labels.label_helpers import OWNER, decode, make_labels

SVG = "{http://www.w3.org/2000/svg}"
PRESETS = ["a4-3x8-70x37", "a4-2x7-99x38", "a4-4x10-48x25", "roll-60x40", "roll-50x30"]


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("name", PRESETS)
def test_png_is_true_size_and_decodes(templates, name, dpi):
    t = templates[name]
    label = make_labels(3, seed=dpi)[2]
    image = Image.open(io.BytesIO(render_label_png(label, t, dpi)))
    assert image.format == "PNG"
    assert image.size == (round(t.label_width / 25.4 * dpi), round(t.label_height / 25.4 * dpi))
    assert tuple(round(v) for v in image.info["dpi"]) == (dpi, dpi)
    assert [f.text for f in decode(image)] == [label.payload]


def _rasterise_qr_path(root: ET.Element, px_per_module: int = 8) -> Image.Image:
    """Draw the SVG's QR path (runs of 'M x y h n v1 h-n z') with a 4-module quiet zone."""
    path = root.find(f"{SVG}path[@id='qr']")
    n = int(path.get("data-modules"))
    canvas = np.full((n + 8, n + 8), 255, dtype=np.uint8)
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path.get("d"))
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in runs) == path.get("d")
    for x, y, w, w2 in runs:
        assert w == w2
        canvas[4 + int(y), 4 + int(x):4 + int(x) + int(w)] = 0
    big = canvas.repeat(px_per_module, 0).repeat(px_per_module, 1)
    return Image.fromarray(big)


@pytest.mark.parametrize("name", PRESETS)
def test_svg_is_millimetre_sized_vector_and_decodes(templates, name):
    t = templates[name]
    label = make_labels(2, seed=11)[1]
    svg = render_label_svg(label, t)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.get("width") == f"{t.label_width:g}mm"
    assert root.get("viewBox") == f"0 0 {t.label_width:g} {t.label_height:g}"
    path = root.find(f"{SVG}path[@id='qr']")
    tx, ty, scale = (float(v) for v in re.findall(r"[\d.]+", path.get("transform")))
    n = int(path.get("data-modules"))
    assert 4 * scale <= tx + 1e-6 and tx + (n + 4) * scale <= t.label_width
    assert 4 * scale <= ty + 1e-6 and ty + (n + 4) * scale <= t.label_height
    assert [f.text for f in decode(_rasterise_qr_path(root))] == [label.payload]
    texts = {el.get("class"): [] for el in root.iter(f"{SVG}text")}
    for el in root.iter(f"{SVG}text"):
        texts[el.get("class")].append(el.text)
    assert "".join(texts["owner"]) == OWNER
    assert "-".join(texts["code"]) == label.code_text


def test_svg_renders_with_cairo_when_available(templates):
    cairosvg = pytest.importorskip("cairosvg")
    t = templates["a4-4x10-48x25"]
    label = make_labels(1, seed=5)[0]
    png = cairosvg.svg2png(bytestring=render_label_svg(label, t).encode(), dpi=300, scale=1,
                           output_width=round(t.label_width / 25.4 * 300))
    assert [f.text for f in decode(Image.open(io.BytesIO(png)))] == [label.payload]


def test_outline_option_draws_the_cut_line(templates):
    t = templates["roll-60x40"]
    label = make_labels(1)[0]
    plain = np.asarray(Image.open(io.BytesIO(render_label_png(label, t, 150))))
    framed = np.asarray(Image.open(io.BytesIO(render_label_png(label, t, 150, outline=True))))
    assert plain[:, 0].min() == 255 and framed[:, 0].min() < 255
    assert 'id="cut-line"' in render_label_svg(label, t, outline=True)
    assert 'id="cut-line"' not in render_label_svg(label, t)
