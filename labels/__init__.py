"""Cylinder label rendering: sheet templates, vector PDF sheets, ZPL, PNG and SVG labels.

Pure Python: no Flask and no database. The web layer passes `Label`s and a `Template`.
"""
from labels.fonts import CjkFont, FontError, load_font
from labels.layout import LabelLayout, layout_label
from labels.model import Label, format_code
from labels.pdf import pages_needed, render_pdf
from labels.qr import DEFAULT_ECC, QUIET_ZONE, qr_matrix
from labels.single import render_label_image, render_label_png, render_label_svg
from labels.template import Template, TemplateError, load_template, load_templates
from labels.zpl import render_zpl

__all__ = [
    "DEFAULT_ECC", "QUIET_ZONE", "CjkFont", "FontError", "Label", "LabelLayout", "Template",
    "TemplateError", "format_code", "layout_label", "load_font", "load_template",
    "load_templates", "pages_needed", "qr_matrix", "render_label_image", "render_label_png",
    "render_label_svg", "render_pdf", "render_zpl",
]
