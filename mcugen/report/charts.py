"""Small inline SVG charts for the report: per-layer bars and memory breakdowns.

Why hand-written SVG: the report must open anywhere, offline, years later; a charting library
from a CDN (or a bundled one of 300 KB) would break the first rule or bloat every report. Bars
and stacked bars are a few rectangles; each carries a ``<title>`` so hovering gives the numbers.
"""

from __future__ import annotations

from html import escape

BAR = "#3498db"
HOT = "#e74c3c"
PALETTE = ("#2471a3", "#e67e22", "#27ae60", "#8e44ad", "#b7950b", "#7f8c8d")


def layer_bars(rows: list[dict], value_key: str, unit: str, width: int = 860) -> str:
    """One horizontal bar per layer (in execution order), length by ``value_key``; the three
    largest are drawn in red."""
    values = [r.get(value_key) or 0 for r in rows]
    biggest = max(values) if values else 0
    top3 = set(sorted(range(len(values)), key=lambda i: -values[i])[:3]) if biggest else set()
    total = sum(values) or 1
    label_w, right_w, line = 230, 170, 17
    plot_w = width - label_w - right_w
    height = 24 + line * len(rows) + 8
    p = [f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
         f'font-family="sans-serif" font-size="11" role="img" aria-label="{escape(unit)} per '
         f'layer">',
         f'<text x="{label_w}" y="14" font-weight="bold">{escape(unit)} per layer (share of '
         f'the whole)</text>']
    for i, (r, v) in enumerate(zip(rows, values)):
        yy = 24 + i * line
        w = plot_w * v / biggest if biggest else 0
        name = f"{r['layer']} {r['operator']}"
        tip = f"layer {name}: {v:,} {unit} ({100 * v / total:.1f} %)"
        if r.get("macs"):
            tip += f", {r['macs']:,} MACs"
        if r.get("backend"):
            tip += f", {r['backend']}" + (f" ({r['variant']})" if r.get("variant") else "")
        p.append(f'<g class="bar"><title>{escape(tip)}</title>'
                 f'<text x="{label_w - 6}" y="{yy + 11}" text-anchor="end">'
                 f'{escape(name[:36])}</text>'
                 f'<rect x="{label_w}" y="{yy + 2}" width="{max(w, 0.5):.1f}" height="{line - 4}" '
                 f'fill="{HOT if i in top3 else BAR}"/>'
                 f'<text x="{label_w + w + 4:.1f}" y="{yy + 11}">{v:,} '
                 f'({100 * v / total:.1f} %)</text></g>')
    p.append("</svg>")
    return "\n".join(p)


def stacked_bar(title: str, parts: list[tuple[str, int]], capacity: int | None,
                width: int = 860) -> str:
    """The bytes of one memory (flash or RAM) as a stacked bar of its parts, and under it a
    gauge of the total against the board's capacity."""
    parts = [(n, v) for n, v in parts if v > 0]
    used = sum(v for _, v in parts) or 1
    left, plot_w = 10, width - 20
    p = [f'<svg class="chart" width="{width}" height="96" viewBox="0 0 {width} 96" '
         f'font-family="sans-serif" font-size="11" role="img" aria-label="{escape(title)}">',
         f'<text x="{left}" y="14" font-weight="bold">{escape(title)}: {used:,} bytes'
         + (f" of {capacity:,} ({100 * used / capacity:.1f} %)" if capacity else "")
         + '</text>']
    x = left
    for i, (name, v) in enumerate(parts):
        w = plot_w * v / used
        colour = PALETTE[i % len(PALETTE)]
        p.append(f'<g class="part"><title>{escape(name)}: {v:,} bytes '
                 f'({100 * v / used:.1f} % of the used bytes)</title>'
                 f'<rect x="{x:.1f}" y="22" width="{w:.1f}" height="24" fill="{colour}"/>'
                 + (f'<text x="{x + 4:.1f}" y="38" fill="#fff">{escape(name)} {v:,}</text>'
                    if w > 8 * (len(name) + len(f"{v:,}") + 1) else "") + '</g>')
        x += w
    lx = left
    for i, (name, v) in enumerate(parts):
        colour = PALETTE[i % len(PALETTE)]
        p.append(f'<rect x="{lx}" y="54" width="10" height="10" fill="{colour}"/>'
                 f'<text x="{lx + 14}" y="63">{escape(name)} ({v:,})</text>')
        lx += 30 + 6.5 * (len(name) + len(f"{v:,}"))
    if capacity:
        frac = min(used / capacity, 1.0)
        colour = HOT if used > capacity else "#7f8c8d"
        p.append(f'<g class="gauge"><title>{used:,} of {capacity:,} bytes on the board'
                 f'</title><rect x="{left}" y="74" width="{plot_w}" height="10" fill="#eee" '
                 f'stroke="#aaa"/><rect x="{left}" y="74" width="{plot_w * frac:.1f}" '
                 f'height="10" fill="{colour}"/><text x="{left + plot_w}" y="94" '
                 f'text-anchor="end">board capacity {capacity:,} bytes</text></g>')
    p.append("</svg>")
    return "\n".join(p)
