"""Sheet and roll templates: label geometry as data files in millimetres."""
from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

BUILTIN_PACKAGE = "labels"
BUILTIN_DIR = "templates"
SUFFIXES = (".toml", ".json")
FIT_TOLERANCE_MM = 0.05
ECC_LEVELS = ("L", "M", "Q", "H")


class TemplateError(ValueError):
    """A template file is malformed or its labels do not fit on its page."""


@dataclass(frozen=True, slots=True)
class Template:
    """Geometry of one label stock; every length is in millimetres, origin top-left."""

    name: str
    title: str
    page_width: float
    page_height: float
    rows: int
    columns: int
    label_width: float
    label_height: float
    margin_top: float = 0.0
    margin_left: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    corner_radius: float = 0.0
    crop_marks: bool = False
    padding: float = 1.0
    qr_ecc: str = "H"

    @property
    def per_page(self) -> int:
        """Return how many labels one page holds."""
        return self.rows * self.columns

    @property
    def pitch_x(self) -> float:
        """Return the distance between the left edges of neighbouring columns."""
        return self.label_width + self.gap_x

    @property
    def pitch_y(self) -> float:
        """Return the distance between the top edges of neighbouring rows."""
        return self.label_height + self.gap_y

    @property
    def is_roll(self) -> bool:
        """Tell whether this is a roll (one label per page) rather than a sheet."""
        return self.per_page == 1

    def cell_origin(self, index: int) -> tuple[float, float]:
        """Return the top-left corner of cell `index` (row-major) from the page's top-left."""
        row, col = divmod(index, self.columns)
        return self.margin_left + col * self.pitch_x, self.margin_top + row * self.pitch_y


_REQUIRED = ("page_width", "page_height", "rows", "columns", "label_width", "label_height")
_FIELD_NAMES = {f.name for f in fields(Template)}


def _number(source: str, key: str, value: Any, *, positive: bool) -> float:
    """Coerce one length, naming the field when it is unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TemplateError(f"{source}: field '{key}' must be a number (mm), got {value!r}")
    if positive and value <= 0:
        raise TemplateError(f"{source}: field '{key}' must be greater than 0, got {value!r}")
    if value < 0:
        raise TemplateError(f"{source}: field '{key}' must not be negative, got {value!r}")
    return float(value)


def _count(source: str, key: str, value: Any) -> int:
    """Coerce a row or column count, naming the field when it is unusable."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TemplateError(f"{source}: field '{key}' must be a whole number >= 1, got {value!r}")
    return value


def parse_template(data: dict[str, Any], name: str, source: str = "<template>") -> Template:
    """Build and validate a template from a parsed TOML/JSON mapping."""
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: a template must be a table/object of fields")
    unknown = sorted(set(data) - _FIELD_NAMES)
    if unknown:
        raise TemplateError(f"{source}: unknown field '{unknown[0]}' (known: "
                            f"{', '.join(sorted(_FIELD_NAMES - {'name'}))})")
    if "name" in data and data["name"] != name:
        raise TemplateError(f"{source}: field 'name' must equal the file name stem {name!r}")
    for key in _REQUIRED:
        if key not in data:
            raise TemplateError(f"{source}: missing required field '{key}'")
    values: dict[str, Any] = {"name": name, "title": str(data.get("title", name))}
    for key in ("rows", "columns"):
        values[key] = _count(source, key, data[key])
    for key in ("page_width", "page_height", "label_width", "label_height"):
        values[key] = _number(source, key, data[key], positive=True)
    for key in ("margin_top", "margin_left", "gap_x", "gap_y", "corner_radius", "padding"):
        if key in data:
            values[key] = _number(source, key, data[key], positive=False)
    if "crop_marks" in data:
        if not isinstance(data["crop_marks"], bool):
            raise TemplateError(f"{source}: field 'crop_marks' must be true or false")
        values["crop_marks"] = data["crop_marks"]
    if "qr_ecc" in data:
        if data["qr_ecc"] not in ECC_LEVELS:
            raise TemplateError(f"{source}: field 'qr_ecc' must be one of {ECC_LEVELS}, "
                                f"got {data['qr_ecc']!r}")
        values["qr_ecc"] = data["qr_ecc"]
    template = Template(**values)
    _check_fit(template, source)
    return template


def _check_fit(t: Template, source: str) -> None:
    """Refuse geometry whose labels run off the page or cannot hold a QR code."""
    used_w = t.margin_left + t.columns * t.label_width + (t.columns - 1) * t.gap_x
    if used_w > t.page_width + FIT_TOLERANCE_MM:
        raise TemplateError(
            f"{source}: labels do not fit across the page: margin_left + columns*label_width + "
            f"(columns-1)*gap_x = {used_w:.2f} mm > page_width {t.page_width:.2f} mm")
    used_h = t.margin_top + t.rows * t.label_height + (t.rows - 1) * t.gap_y
    if used_h > t.page_height + FIT_TOLERANCE_MM:
        raise TemplateError(
            f"{source}: labels do not fit down the page: margin_top + rows*label_height + "
            f"(rows-1)*gap_y = {used_h:.2f} mm > page_height {t.page_height:.2f} mm")
    if t.corner_radius > min(t.label_width, t.label_height) / 2:
        raise TemplateError(f"{source}: field 'corner_radius' ({t.corner_radius} mm) exceeds "
                            f"half the label's shorter side")
    if 2 * t.padding >= min(t.label_width, t.label_height) / 2:
        raise TemplateError(f"{source}: field 'padding' ({t.padding} mm) leaves no room "
                            f"for the QR code")


def load_template(path: Path) -> Template:
    """Load one template file; its name is the file name without suffix."""
    source = str(path)
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            raise TemplateError(f"{source}: a template file must end in .toml or .json")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{source}: cannot parse: {exc}") from exc
    return parse_template(data, path.stem, source)


def _load_dir(directory: Path) -> dict[str, Template]:
    """Load every template file of one folder, refusing two files with one name."""
    found: dict[str, Template] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        if path.stem in found:
            raise TemplateError(f"{path}: another file in {directory} already defines "
                                f"template {path.stem!r}")
        found[path.stem] = load_template(path)
    return found


def load_templates(extra_dirs: list[Path] | None = None) -> dict[str, Template]:
    """Load the built-in presets, then each extra folder (later files override by name)."""
    builtin = resources.files(BUILTIN_PACKAGE).joinpath(BUILTIN_DIR)
    with resources.as_file(builtin) as directory:
        templates = _load_dir(Path(directory))
    for extra in extra_dirs or []:
        extra = Path(extra)
        if not extra.is_dir():
            raise TemplateError(f"{extra}: template folder does not exist")
        templates.update(_load_dir(extra))
    return templates
