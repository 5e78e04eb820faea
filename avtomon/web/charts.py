"""Charts drawn on the server as inline SVG: no script, nothing loaded from another host, readable with
styles off, and a tooltip (<title>) on every bar. Labels are escaped like any other text of a page."""

from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = ("#2f6db5", "#e07b28", "#3a9a5b", "#b8433f")  # series colours, also in style.css's legend


def _ticks(labels: list[str], most: int = 8) -> set[int]:
    """Which x labels to print: all when few, else about `most` evenly spaced, the last one included."""
    if len(labels) <= most:
        return set(range(len(labels)))
    step = -(-len(labels) // most)
    shown = set(range(0, len(labels), step))
    last = len(labels) - 1
    return (shown - {max(shown)} if last - max(shown) < step else shown) | {last}


def bars(labels: list[str], series: dict[str, list[int]], title: str, width: int = 720, height: int = 200) -> Markup:
    """Grouped bars: one group per label (a day, a month), one bar per series (articles, events).

    Args:
        labels: the x values, in order.
        series: name → one value per label.
        title: what the chart shows (the SVG's accessible name).
    """
    left, bottom, top = 36, 22, 10
    plot_w, plot_h = width - left - 4, height - bottom - top
    peak = max([1, *(v for values in series.values() for v in values)])
    group = plot_w / max(1, len(labels))
    bar = min(48.0, max(1.0, (group * 0.8) / max(1, len(series))))
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}"/>',
             f'<text class="tick" x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>',
             f'<text class="tick" x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>']
    for s, (name, values) in enumerate(series.items()):
        colour = COLOURS[s % len(COLOURS)]
        for i, value in enumerate(values):
            h = plot_h * value / peak
            x = left + i * group + (group - bar * len(series)) / 2 + s * bar
            parts.append(f'<rect class="bar" data-series="{escape(name)}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{escape(labels[i])}: {escape(name)} {value}</title></rect>")
    for i in sorted(_ticks(labels)):
        x = left + i * group + group / 2
        anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else "middle"  # the last label stays inside
        x = min(x, width - 2) if anchor == "end" else x
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}">'
                     f"{escape(labels[i])}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(values: list[int], title: str, width: int = 80, height: int = 22) -> Markup:
    """A small line of daily values (the trend beside a name in a ranking)."""
    if not values:
        return Markup("")
    peak = max(1, *values)
    step = width / max(1, len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / peak:.1f}" for i, v in enumerate(values))
    return Markup(f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
                  f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
                  f'<polyline points="{points}" fill="none" stroke="{COLOURS[0]}" stroke-width="1.5"/></svg>')
