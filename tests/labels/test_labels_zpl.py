"""ZPL II: parse the generated commands and check each label's QR field, positions and text."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from labels import layout_label, load_font, qr_matrix, render_zpl
from labels.zpl import acs_compress
from tests.labels.label_helpers import OWNER, decode, make_labels

PRESETS = ["a4-3x8-70x37", "a4-2x7-99x38", "a4-4x10-48x25", "roll-60x40", "roll-50x30"]


@dataclass
class Field:
    kind: str
    x: int
    y: int
    origin: str
    params: list[str]
    data: str = ""


@dataclass
class Format:
    commands: list[tuple[str, str]]
    fields: list[Field] = field(default_factory=list)
    by_height: int = 10

    def one(self, name: str) -> str:
        values = [arg for cmd, arg in self.commands if cmd == name]
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


def _unescape(data: str) -> str:
    return re.sub(r"_([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), data)


def parse(zpl: str) -> Format:
    """Split a ^XA..^XZ format into commands and fields, the way a printer reads it."""
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    commands = []
    for token in re.findall(r"\^[^\^]*", zpl.replace("\n", "")):
        name = token[1:2] if token[1] == "A" and token[2:3] in "0@" else token[1:3]
        arg = token[2:] if name == "A" else token[3:]
        commands.append((name, arg))
    fmt = Format(commands)
    current: Field | None = None
    hex_escape = False
    for name, arg in commands:
        if name == "BY":
            fmt.by_height = int(arg.split(",")[2])
        elif name in ("FO", "FT"):
            x, y = (int(v) for v in arg.split(",")[:2])
            current = Field("", x, y, name, [])
        elif name in ("BQ", "A", "GF"):
            assert current is not None, f"{name} without a field origin"
            current.kind = "A" + arg[0] if name == "A" else name
            current.params = arg.split(",")
        elif name == "FH":
            hex_escape = True
        elif name == "FD":
            assert current is not None
            current.data = _unescape(arg) if hex_escape else arg
        elif name == "FS":
            assert current is not None
            fmt.fields.append(current)
            current, hex_escape = None, False
    return fmt


def acs_decode(data: str, row_bytes: int) -> np.ndarray:
    """Expand ZPL ASCII-compressed ^GF data into a boolean bitmap (independent of labels.zpl)."""
    width = 2 * row_bytes
    rows: list[str] = []
    cur, count = "", 0
    for ch in data:
        if "G" <= ch <= "Y":
            count += ord(ch) - ord("G") + 1
        elif "g" <= ch <= "z":
            count += (ord(ch) - ord("g") + 1) * 20
        elif ch == ",":
            rows.append(cur.ljust(width, "0"))
            cur = ""
        elif ch == "!":
            rows.append(cur.ljust(width, "F"))
            cur = ""
        elif ch == ":":
            assert cur == "" and rows
            rows.append(rows[-1])
        else:
            cur += ch * (count or 1)
            count = 0
            if len(cur) == width:
                rows.append(cur)
                cur = ""
        assert len(cur) <= width
    assert cur == ""
    packed = np.array([bytes.fromhex(r) for r in rows], dtype=object)
    bits = np.unpackbits(np.frombuffer(b"".join(packed), dtype=np.uint8).reshape(len(rows), -1),
                         axis=1)
    return bits.astype(bool)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("name", PRESETS)
def test_each_label_carries_its_payload_at_the_template_positions(templates, name, dpi):
    t = templates[name]
    font = load_font()
    labels = make_labels(4, seed=dpi)
    formats = list(render_zpl(labels, t, dpi))
    assert len(formats) == len(labels)
    dpm = dpi / 25.4
    width, height = round(t.label_width / 25.4 * dpi), round(t.label_height / 25.4 * dpi)
    for label, zpl in zip(labels, formats, strict=True):
        fmt = parse(zpl)
        assert fmt.one("CI") == "28"
        assert (int(fmt.one("PW")), int(fmt.one("LL"))) == (width, height)
        qr = [f for f in fmt.fields if f.kind == "BQ"]
        assert len(qr) == 1
        qr = qr[0]
        orientation, model, mag, ecc = qr.params[:4]
        assert (orientation, model, ecc) == ("N", "2", t.qr_ecc)
        prefix, payload = qr.data.split(",", 1)
        assert prefix == f"{t.qr_ecc}M" and payload.startswith("B")
        assert int(payload[1:5]) == len(label.payload.encode())
        assert payload[5:] == label.payload and payload.endswith("/c/" + label.code)

        n = qr_matrix(label.payload, t.qr_ecc).shape[0]
        layout = layout_label(label, t, n, font)
        m = int(mag)
        assert m == int(layout.module * dpm)
        sx, sy, side = qr.x, qr.y + fmt.by_height, n * m
        box = [v * dpm for v in (layout.qr_x, layout.qr_y, layout.qr_x + layout.qr_size,
                                 layout.qr_y + layout.qr_size)]
        assert abs(sx + side / 2 - (box[0] + box[2]) / 2) <= 1
        assert abs(sy + side / 2 - (box[1] + box[3]) / 2) <= 1
        assert sx - 4 * m >= box[0] - 1 and sx + side + 4 * m <= box[2] + 1
        assert sy - 4 * m >= 0 and sy + side + 4 * m <= height

        text = [f for f in fmt.fields if f.kind == "A0"]
        code_lines = [f.data for f in text if f.data.replace("-", "").isalnum()
                      and f.data.replace("-", "") in label.code]
        assert "-".join(code_lines) == label.code_text
        for f in text:
            assert box[2] - 1 <= f.x < width and 0 < f.y <= height
        graphics = [f for f in fmt.fields if f.kind == "GF"]
        assert graphics, "the Chinese owner name must be sent as a ^GF bitmap"
        for f in graphics:
            _, total, _, row_bytes, data = f.params[0], *f.params[1:4], ",".join(f.params[4:])
            bitmap = acs_decode(data, int(row_bytes))
            assert bitmap.size // 8 == int(total) and bitmap.any()
            assert f.x >= box[2] - 1 and f.x + bitmap.shape[1] <= width + 8
            assert f.y >= 0 and f.y + bitmap.shape[0] <= height


@pytest.mark.parametrize("dpi", [203, 300])
def test_printed_label_decodes_with_an_independent_encoder(templates, dpi):
    """Draw the ZPL like a printer would (segno picks the version) and scan the result."""
    t = templates["a4-4x10-48x25"]
    label = make_labels(1, seed=7)[0]
    fmt = parse(next(render_zpl([label], t, dpi)))
    canvas = np.full((int(fmt.one("LL")), int(fmt.one("PW"))), 255, dtype=np.uint8)
    qr = next(f for f in fmt.fields if f.kind == "BQ")
    data = qr.data.split(",", 1)[1][5:]
    symbol = segno.make_qr(data, error=qr.params[3].lower(), mode="byte", boost_error=False)
    assert symbol.symbol_size(border=0)[0] <= qr_matrix(label.payload).shape[0]
    m = int(qr.params[2])
    modules = np.array(symbol.matrix, dtype=bool).repeat(m, 0).repeat(m, 1)
    y0 = qr.y + fmt.by_height
    canvas[y0:y0 + modules.shape[0], qr.x:qr.x + modules.shape[1]][modules] = 0
    for f in (f for f in fmt.fields if f.kind == "GF"):
        bitmap = acs_decode(",".join(f.params[4:]), int(f.params[3]))
        region = canvas[f.y:f.y + bitmap.shape[0], f.x:f.x + bitmap.shape[1]]
        assert (region[bitmap[:region.shape[0], :region.shape[1]]] == 255).all(), "overlap"
        region[bitmap[:region.shape[0], :region.shape[1]]] = 0
    found = decode(Image.fromarray(canvas).resize((canvas.shape[1] * 2, canvas.shape[0] * 2)))
    assert [f.text for f in found] == [label.payload]


def test_printer_font_mode_sends_utf8_text(templates):
    label = make_labels(1)[0]
    fmt = parse(next(render_zpl([label], templates["roll-60x40"], 300,
                                printer_font="E:SIMSUN.TTF")))
    owner = [f for f in fmt.fields if f.kind == "A@"]
    assert "".join(f.data for f in owner) == OWNER
    assert all(f.params[-1] == "E:SIMSUN.TTF" for f in owner)
    assert not [f for f in fmt.fields if f.kind == "GF"]


def test_control_characters_in_text_are_escaped(templates):
    from labels import Label

    label = Label("7K3MQX9P2HBDW4TZ", "https://x.cn/c/7K3M?a=^b~c_d", OWNER, model="A^B~C_D")
    zpl = next(render_zpl([label], templates["roll-50x30"], 203))
    fmt = parse(zpl)
    assert next(f for f in fmt.fields if f.kind == "BQ").data.endswith("/c/7K3M?a=^b~c_d")
    assert "~" not in zpl and "^b" not in zpl


def test_unsupported_dpi_is_refused(templates):
    with pytest.raises(ValueError, match="dpi"):
        render_zpl(make_labels(1), templates["roll-50x30"], 250)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0, 0, 0, 255, 0x0F, 0xF0, 0x81]), min_size=3,
                         max_size=3), min_size=1, max_size=30))
def test_acs_compression_round_trips(rows):
    hex_rows = [bytes(r).hex().upper() for r in rows]
    bitmap = acs_decode(acs_compress(hex_rows), 3)
    expected = np.unpackbits(np.array(rows, dtype=np.uint8), axis=1).astype(bool)
    assert (bitmap == expected).all()
