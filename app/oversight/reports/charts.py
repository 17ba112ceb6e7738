"""Server-drawn SVG charts for pages: no script, nothing fetched from elsewhere."""
from __future__ import annotations

import datetime as dt
from html import escape

from markupsafe import Markup

PALETTE = ("#0b5cab", "#c62828", "#b26a00", "#0a7d32", "#6a1b9a", "#00838f", "#5f6b76")


def trend_svg(days: list[dt.date], series: dict[str, list[int]], labels: dict[str, str],
              width: int = 640, height: int = 220) -> Markup:
    """Draw one line per series over the days, with axes, a legend and a text alternative."""
    pad_l, pad_r, pad_t, pad_b = 34, 10, 12, 48
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    top = max([1, *(v for values in series.values() for v in values)])
    step = plot_w / max(1, len(days) - 1)

    def xy(i: int, v: int) -> str:
        return f"{pad_l + i * step:.1f},{pad_t + plot_h - v / top * plot_h:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" class="chart" data-testid="trend-chart">',
             f"<title>{escape(' · '.join(labels.get(k, k) for k in series))}</title>",
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_r}" '
             f'y2="{pad_t + plot_h}" stroke="#b8c2cc"/>',
             f'<text x="4" y="{pad_t + 8}" font-size="10" fill="#5f6b76">{top}</text>',
             f'<text x="4" y="{pad_t + plot_h}" font-size="10" fill="#5f6b76">0</text>']
    for i, day in enumerate(days):
        if i % max(1, len(days) // 6) == 0 or i == len(days) - 1:
            parts.append(f'<text x="{pad_l + i * step:.1f}" y="{pad_t + plot_h + 14}" '
                         f'font-size="10" text-anchor="middle" fill="#5f6b76">'
                         f"{day:%m-%d}</text>")
    for n, (key, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(xy(i, v) for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{points}" data-series="{escape(key)}"/>')
        lx = pad_l + (n % 4) * (plot_w / 4)
        ly = height - 18 + (n // 4) * 12
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 8}" width="10" height="10" '
                     f'fill="{colour}"/><text x="{lx + 14:.1f}" y="{ly + 1}" font-size="11">'
                     f"{escape(labels.get(key, key))} ({sum(values)})</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_svg(labels: list[str], series: dict[str, list[int]], names: dict[str, str],
             width: int = 400, height: int = 190, sublabels: list[str] | None = None) -> Markup:
    """Draw stacked bars, one per label, with counts on top, a legend and a text alternative.

    Narrow by default, so that its text stays readable on a phone; `sublabels` go under the
    labels (a year under its first month).
    """
    pad_l, pad_r, pad_t, pad_b = 4, 4, 16, 52
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max([1, *totals])
    slot = plot_w / max(1, len(labels))
    bar_w = slot * 0.7
    alt = "; ".join(f"{label}: " + ", ".join(f"{names.get(k, k)} {v[i]}"
                                             for k, v in series.items())
                    for i, label in enumerate(labels))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" class="chart" data-testid="bars-chart">',
             f"<title>{escape(alt)}</title>",
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_r}" '
             f'y2="{pad_t + plot_h}" stroke="#b8c2cc"/>']
    for i, label in enumerate(labels):
        x = pad_l + i * slot + (slot - bar_w) / 2
        base = pad_t + plot_h
        for n, (key, values) in enumerate(series.items()):
            h = values[i] / top * plot_h
            if h:
                parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                             f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}" '
                             f'data-series="{escape(key)}" data-month="{escape(label)}">'
                             f"<title>{escape(label)} {escape(names.get(key, key))}: "
                             f"{values[i]}</title></rect>")
            base -= h
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - 3:.1f}" font-size="10" '
                     f'text-anchor="middle" fill="#1b1f23">{totals[i] or ""}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{pad_t + plot_h + 13}" font-size="11" '
                     f'text-anchor="middle" fill="#5f6b76">{escape(label)}</text>')
        if sublabels and sublabels[i]:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{pad_t + plot_h + 25}" '
                         f'font-size="10" text-anchor="middle" fill="#5f6b76">'
                         f"{escape(sublabels[i])}</text>")
    for n, key in enumerate(series):
        lx = pad_l + n * (plot_w / 2)
        ly = height - 6
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 10}" width="11" height="11" '
                     f'fill="{PALETTE[n % len(PALETTE)]}"/><text x="{lx + 15:.1f}" y="{ly}" '
                     f'font-size="12">{escape(names.get(key, key))} ({sum(series[key])})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
