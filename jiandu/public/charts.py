"""Server-rendered SVG charts: readable without JavaScript, with a text alternative beside.

The chart draws, for each measured span, one bar per case from publication to the event, and
where the dates' precision leaves room, a thin line from the shortest to the longest span the
dates allow. Colours and text come from attributes (CSP allows no inline style).
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from jiandu.cases.metrics import Distribution

WIDTH = 520
LEFT = 8
VALUE_W = 120  # room right of the longest bar for its value
ROW_H = 46
TITLE_H = 30
TOP = 34


@dataclass(frozen=True)
class Series:
    title: str
    distribution: Distribution


def _ticks(max_hours: float) -> tuple[list[float], str]:
    """Tick positions in hours and the unit named on the axis."""
    if max_hours <= 72:
        step, unit = 12.0, "h"
    elif max_hours <= 24 * 30:
        step, unit = 24.0 * 7, "d"
    else:
        step, unit = 24.0 * 90, "d"
    ticks, t = [], 0.0
    while t <= max_hours * 1.0001:
        ticks.append(t)
        t += step
    return ticks, unit


def response_chart(
    series: list[Series], title: str, description: str, hours_label: str
) -> SafeString:
    rows = [(s.title, label, span) for s in series for label, span in s.distribution.values]
    if not rows:
        return mark_safe("")
    max_hours = max(max(span.high_hours, span.hours) for _t, _l, span in rows) or 1.0
    ticks, unit = _ticks(max_hours)
    scale_max = max(ticks[-1], max_hours)
    plot_w = WIDTH - LEFT - VALUE_W

    def x(hours: float) -> float:
        return LEFT + plot_w * hours / scale_max

    height = TOP + ROW_H * len(rows) + TITLE_H * len(series) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for t in ticks:
        label = f"{t:g}h" if unit == "h" else f"{t / 24:g}d"
        out.append(
            f'<line x1="{x(t):.1f}" y1="{TOP - 6}" x2="{x(t):.1f}" y2="{height - 22}" '
            'stroke="#d9d6cf" stroke-width="1"/>'
            f'<text x="{x(t):.1f}" y="{height - 6}" font-size="13" text-anchor="middle" '
            f'fill="#55606a">{escape(label)}</text>'
        )
    out.append(
        f'<text x="{WIDTH}" y="16" font-size="13" text-anchor="end" '
        f'fill="#55606a">{escape(hours_label)}</text>'
    )
    y = TOP
    for s in series:
        out.append(
            f'<text x="{LEFT}" y="{y + 18}" font-size="15" font-weight="600" fill="#1d2328">'
            f"{escape(s.title)}</text>"
        )
        y += TITLE_H
        for label, span in s.distribution.values:
            short = label if len(label) <= 40 else label[:39] + "…"
            end = x(max(span.hours, span.high_hours))
            out.append(
                f'<text x="{LEFT}" y="{y + 14}" font-size="13" fill="#55606a">'
                f"{escape(short)}</text>"
                f'<rect x="{LEFT}" y="{y + 22}" width="{max(2.0, x(span.hours) - LEFT):.1f}" '
                f'height="14" fill="#8a1c1c" rx="2"/>'
            )
            if not span.exact:
                out.append(
                    f'<line x1="{x(span.low_hours):.1f}" y1="{y + 29}" '
                    f'x2="{x(span.high_hours):.1f}" y2="{y + 29}" stroke="#1d2328" '
                    'stroke-width="2"/>'
                    f'<line x1="{x(span.low_hours):.1f}" y1="{y + 24}" '
                    f'x2="{x(span.low_hours):.1f}" y2="{y + 34}" stroke="#1d2328" '
                    'stroke-width="2"/>'
                    f'<line x1="{x(span.high_hours):.1f}" y1="{y + 24}" '
                    f'x2="{x(span.high_hours):.1f}" y2="{y + 34}" stroke="#1d2328" '
                    'stroke-width="2"/>'
                )
            out.append(
                f'<text x="{end + 6:.1f}" y="{y + 34}" font-size="14" font-weight="600" '
                f'fill="#1d2328">{escape(span.text())}</text>'
            )
            y += ROW_H
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
