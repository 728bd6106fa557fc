"""SVG charts drawn on the server: no chart library, no CDN, nothing inline to allow in CSP.

Colours are presentation attributes (not style attributes), so a strict
Content-Security-Policy without 'unsafe-inline' still shows them.
"""

from __future__ import annotations

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

COLOURS = {"open": "#1f5fa8", "done": "#2e7d32", "overdue": "#b3261e"}


def _legend(x: int, y: int) -> list[str]:
    parts = []
    names = {"open": _("open"), "done": _("done"), "overdue": _("overdue")}
    for i, key in enumerate(("open", "done", "overdue")):
        lx = x + i * 110
        parts.append(f'<rect x="{lx}" y="{y - 10}" width="12" height="12" '
                     f'fill="{COLOURS[key]}"/>')
        parts.append(f'<text x="{lx + 18}" y="{y}" font-size="13" fill="#1a1a1a">'
                     f'{escape(names[key])}</text>')
    return parts


def over_time_svg(points: list[dict]) -> Markup:
    """Lines of open, done and overdue commitments at each month's end."""
    width, height, left, bottom, top = 640, 260, 44, 40, 30
    plot_w, plot_h = width - left - 40, height - top - bottom
    peak = max([1] + [p[k] for p in points for k in COLOURS])
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        return left + i * step, top + plot_h - value / peak * plot_h

    title = _("Open, done and overdue commitments at the end of each month")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-time-title" class="chart">',
        f'<title id="chart-time-title">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#555"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="12" text-anchor="end" '
        f'fill="#1a1a1a">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="12" text-anchor="end" '
        'fill="#1a1a1a">0</text>',
    ]
    for key, colour in COLOURS.items():
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in
                          (xy(i, p[key]) for i, p in enumerate(points)))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                     'stroke-width="2.5"/>')
        for i, p in enumerate(points):
            x, y = xy(i, p[key])
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
    for i, p in enumerate(points):
        if i % 2 == len(points) % 2 or i == len(points) - 1:
            x, _y = xy(i, 0)
            label = escape(format_date(p["day"], "MMM yy"))
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" font-size="11" '
                         f'text-anchor="middle" fill="#1a1a1a">{label}</text>')
    parts += _legend(left, height - 6)
    parts.append("</svg>")
    return Markup("".join(parts))


def per_partner_svg(rows: list[dict]) -> Markup:
    """Two bars per partner organisation: its open commitments, the overdue ones among them
    drawn first in red, and its done ones; labelled with the words of the review's group
    headings ("2 open, of them 2 overdue"), so both count the same things."""
    bar_h, gap, left, width = 14, 14, 120, 640
    height = 40 + len(rows) * (2 * bar_h + gap) + 20
    peak = max([1] + [max(r["open"], r["done"]) for r in rows])
    scale = (width - left - 200) / peak
    title = _("Open, overdue and done commitments per partner organisation")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-partner-title" class="chart">',
        f'<title id="chart-partner-title">{escape(title)}</title>',
    ]
    y = 20
    for r in rows:
        name = escape(r["name"][:18])
        parts.append(f'<text x="{left - 8}" y="{y + bar_h + 4}" font-size="12" '
                     f'text-anchor="end" fill="#1a1a1a">{name}</text>')
        on_time = r["open"] - r["overdue"]
        segments = [("overdue", 0, r["overdue"]), ("open", r["overdue"], on_time)]
        for key, start, value in segments:
            if value:
                parts.append(f'<rect x="{left + start * scale:.1f}" y="{y}" '
                             f'width="{value * scale:.1f}" height="{bar_h}" '
                             f'fill="{COLOURS[key]}"/>')
        label = ngettext("%(num)d open", "%(num)d open", r["open"])
        if r["overdue"]:
            label += ", " + ngettext("of them %(num)d overdue", "of them %(num)d overdue",
                                     r["overdue"])
        parts.append(f'<text x="{left + r["open"] * scale + 4:.1f}" y="{y + bar_h - 2}" '
                     f'font-size="11" fill="#1a1a1a">{escape(label)}</text>')
        y += bar_h
        w = r["done"] * scale
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{COLOURS["done"]}"/>')
        done = ngettext("%(num)d done", "%(num)d done", r["done"])
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 2}" font-size="11" '
                     f'fill="#1a1a1a">{escape(done)}</text>')
        y += bar_h + gap
    parts += _legend(left, height - 6)
    parts.append("</svg>")
    return Markup("".join(parts))
