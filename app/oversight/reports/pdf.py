"""Write the monthly report as a PDF with tables and bar charts (reportlab, Chinese CID font).

The fixed text is in the request's language; the CID font stays in either, since names of
units, areas and people are Chinese in an English report too.
"""
from __future__ import annotations

import io
import math
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.oversight.reports.data import BASIS, MonthlyReport, Section, generated_at

FONT = "STSong-Light"
# Which column of which section is charted, and its label column.
CHARTS = {"fills": (0, 1), "refusals": (1, 2), "flags": (0, 2), "black": (0, 1),
          "deliveries": (0, 1)}
LABEL_SIZE, LABEL_ROOM = 8, 112  # a bar's label: font size, and room for 14 Chinese characters


def _fit(text: str, room: float = LABEL_ROOM, size: int = LABEL_SIZE) -> str:
    """Shorten a label to the room it has, by its drawn width (14 characters held 14 Chinese
    ones but cut 'Without a safety check' to 'Without a safe')."""
    if pdfmetrics.stringWidth(text, FONT, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _chart(section: Section, width: float) -> Drawing | None:
    if section.key not in CHARTS or not section.rows:
        return None
    label_col, value_col = CHARTS[section.key]
    rows = section.rows[:12]
    values = [float(r[value_col] or 0) for r in rows]
    if not any(values):
        return None
    height = 24 + 18 * len(rows)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, width - 140, height - 20
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = [_fit(str(r[label_col])) for r in reversed(rows)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    # counts: whole-number ticks (reportlab's own steps gave 0.5 for a count of 2)
    chart.valueAxis.valueStep = max(1, math.ceil(max(values) / 5))
    chart.valueAxis.labelTextFormat = "%d"
    chart.bars[0].fillColor = colors.HexColor("#0b5cab")
    chart.barLabelFormat = "%d"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 8
    drawing.add(chart)
    return drawing


def report_title(month: str) -> str:
    """The report's title, as the PDF's heading and its document title."""
    return _('LPG cylinders "one cylinder, one code": monthly progress report (%(month)s)',
             month=month)


def report_pdf(report: MonthlyReport) -> bytes:
    """Render the report as an A4 PDF: title, then each section's table and chart."""
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    # a section's heading and note stay on the page of its table, never alone at a page foot
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=8,
                             keepWithNext=1)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    note = ParagraphStyle("note", parent=body, keepWithNext=1)
    out = io.BytesIO()
    heading_text = report_title(report.month)
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=heading_text)
    story: list = [
        Paragraph(escape(heading_text), title),
        # names are typed by people: text, never reportlab's markup ('<' broke the build)
        Paragraph(escape(_("Scope: %(scope)s. Generated (Beijing time): %(time)s",
                           scope=report.scope, time=generated_at())), body),
        Paragraph(escape(_("Basis: %(basis)s.", basis=BASIS)), body),
    ]
    for section in report.sections:
        story.append(Paragraph(escape(section.title), heading))
        if section.note:
            story.append(Paragraph(escape(section.note), note if section.rows else body))
        if not section.rows:
            if not section.note:
                story.append(Paragraph(escape(_("Nothing this month.")), body))
            continue
        table = Table([section.headers, *section.rows], repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
        ]))
        story.append(table)
        chart = _chart(section, doc.width)
        if chart is not None:
            story.extend([Spacer(1, 4), chart])
    doc.build(story)
    return out.getvalue()
