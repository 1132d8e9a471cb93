"""The plan as a picture: time (operators in execution order) across, arena addresses down, one
rectangle per buffer, the peak operator marked. Plain SVG text: the format is the whole job."""

from __future__ import annotations

from html import escape

from ..model.graph import Graph


def plan_svg(graph: Graph, plan, width: int = 900, height: int = 520) -> str:
    steps = max(len(plan.order), 1)
    arena = max(plan.arena_bytes, 1)
    left, top, plot_w, plot_h = 70, 40, width - 90, height - 80
    x = lambda step: left + plot_w * step / steps          # noqa: E731
    y = lambda addr: top + plot_h * addr / arena           # noqa: E731
    state = getattr(plan, "state_bytes", 0)
    peak_step = plan.order.index(plan.peak_op) if plan.order else 0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="20" font-size="14">{escape(graph.name)}: arena '
             f'{plan.arena_bytes:,} bytes, lower bound {plan.lower_bound_bytes:,} '
             f'({plan.kernels}, {plan.cpu})'
             f'{f", state {state:,} bytes (persistent)" if state else ""}</text>',
             f'<rect x="{x(peak_step):.1f}" y="{top}" width="{plot_w / steps:.1f}" '
             f'height="{plot_h}" fill="#fde0dc"/>',
             f'<text x="{x(peak_step):.1f}" y="{top + plot_h + 30}" fill="#c0392b">peak: op '
             f'{plan.peak_op} {graph.operators[plan.peak_op].opcode if graph.operators else ""}'
             f'</text>']
    if state:
        parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{y(state) - top:.1f}" '
                     f'fill="#f7dc6f" fill-opacity="0.35"/>')
        parts.append(f'<text x="{left + plot_w + 2}" y="{top + 10}" font-size="9">state</text>')
    for i, b in enumerate(plan.buffers):
        color = "#e67e22" if b.kind == "scratch" else "#d4ac0d" if b.offset < state \
            else ("#3498db", "#2ecc71", "#9b59b6")[i % 3]
        bx, by = x(b.first_op), y(b.offset)
        bw, bh = x(b.last_op + 1) - bx, max(y(b.offset + b.size) - by, 1)
        parts.append(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                     f'fill="{color}" fill-opacity="0.75" stroke="#333" stroke-width="0.5">'
                     f'<title>{escape(b.name)}: offset {b.offset}, {b.size} bytes, ops '
                     f'{b.first_op}-{b.last_op}</title></rect>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
                 f'stroke="#000"/>')
    parts.append(f'<text x="{left}" y="{top + plot_h + 15}">op 0</text>')
    parts.append(f'<text x="{left + plot_w - 40}" y="{top + plot_h + 15}">op {steps - 1}</text>')
    parts.append(f'<text x="5" y="{top + 10}">0</text>')
    parts.append(f'<text x="5" y="{top + plot_h}">{plan.arena_bytes:,}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
