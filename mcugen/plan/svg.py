"""The plan as a picture a person can read: time across (one column per operator in execution
order, each named under the axis), arena addresses down, one rectangle per buffer.

Why a picture: a table of 60 offsets and lifetimes does not show where the arena's bytes go; the
picture shows which tensors are alive together at the peak and how close the placement is to the
lower bound. Every buffer is labelled: inside its rectangle when it is big enough (``b7 name`` and
its size), always by its number in the key under the picture; hovering shows the details (an SVG
``<title>``: tensor name, size, offset, first and last operator, the tensors sharing its bytes).
The peak operator's column and the lower bound (a dashed line) are marked, and a legend names the
colours. The same string is ``plan --svg FILE`` and the picture in ``--report`` pages: plain SVG
text, no script, no external font or stylesheet.
"""

from __future__ import annotations

from html import escape

from ..model.graph import Graph

# kind of buffer -> (legend text, fill colours cycled so neighbours differ, text colour)
KINDS = {
    "input": ("model input", ("#7d3c98", "#9b59b6"), "#fff"),
    "output": ("model output", ("#1e8449", "#27ae60"), "#fff"),
    "tensor": ("intermediate tensor", ("#2471a3", "#3498db", "#1a5276", "#5499c7"), "#fff"),
    "state": ("model state (variable)", ("#b7950b", "#d4ac0d"), "#000"),
    "scratch": ("kernel scratch", ("#ca6f1e", "#e67e22"), "#fff"),
}
PEAK_FILL = "#fadbd8"
BOUND_COLOUR = "#c0392b"
CHAR_W = 6.0          # average width of one 10 px sans-serif character


def buffer_kind(graph: Graph, b) -> str:
    if b.kind == "scratch":
        return "scratch"
    members = set(b.members or []) | ({b.tensor} if b.tensor is not None else set())
    if any(graph.tensors[t].is_variable for t in members):
        return "state"
    if members & set(graph.outputs):
        return "output"
    if members & set(graph.inputs):
        return "input"
    return "tensor"


def short_name(name: str) -> str:
    """What tells a tensor apart in a label: converter names repeat the model's scope and join
    fused ops' names with ';' ("model/activation_3/Relu;model/batch_normalization_3/..."), so
    the first name without its leading scope ("activation_3/Relu"); hover shows the whole."""
    first = name.split(";")[0]
    parts = first.split("/")
    return "/".join(parts[1:]) if len(parts) >= 2 and all(parts[1:]) else first


def op_label(graph: Graph, op_index: int) -> str:
    return f"{op_index} {graph.operators[op_index].opcode}" if graph.operators else "-"


def buffer_rows(graph: Graph, plan) -> list[dict]:
    """One row per buffer, numbered as the picture numbers them (``b0``, ``b1``, ...)."""
    rows = []
    for i, b in enumerate(plan.buffers):
        members = [t for t in (b.members or []) if t != b.tensor]
        rows.append({
            "id": f"b{i}", "name": b.name, "short": short_name(b.name),
            "kind": buffer_kind(graph, b),
            "offset": b.offset, "size": b.size, "end": b.offset + b.size,
            "first_op": plan.order[b.first_op], "last_op": plan.order[b.last_op],
            "first": op_label(graph, plan.order[b.first_op]),
            "last": op_label(graph, plan.order[b.last_op]),
            "shares_with": [graph.tensors[t].name for t in members],
            "scratch_of": op_label(graph, b.op) if b.kind == "scratch" and b.op is not None
            else ""})
    return rows


def _ticks(limit: int, count: int = 5) -> list[int]:
    if limit <= 0:
        return [0]
    raw = limit / count
    mag = 10 ** (len(str(int(raw))) - 1)
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    step = max(int(step), 1)
    return list(range(0, limit + 1, step))


def _fit(text: str, width: float) -> str:
    n = int((width - 4) // CHAR_W)
    if n <= 0:
        return ""
    return text if len(text) <= n else (text[:n - 1] + "…" if n > 1 else "")


def plan_svg(graph: Graph, plan, width: int | None = None, plot_height: int = 440) -> str:
    """The picture of ``plan`` for ``graph`` as one SVG document (see the module)."""
    steps = max(len(plan.order), 1)
    arena = max(plan.arena_bytes, 1)
    col_w = max(18.0, min(64.0, 960.0 / steps))
    left, top, right = 84, 84, 24
    plot_w = col_w * steps
    total_w = int(max(width or 0, left + plot_w + right, 760))
    label_h = 12 + CHAR_W * max([len(op_label(graph, o)) for o in plan.order] or [4]) * 0.72
    x = lambda step: left + col_w * step                    # noqa: E731
    y = lambda addr: top + plot_height * addr / arena        # noqa: E731
    peak_step = plan.order.index(plan.peak_op) if plan.peak_op in plan.order else 0
    peak_name = op_label(graph, plan.peak_op) if graph.operators else "-"
    rows = buffer_rows(graph, plan)
    state = getattr(plan, "state_bytes", 0)     # the persistent region of variable tensors

    # the key (every buffer by number) and the legend, under the axis labels
    legend_y = top + plot_height + label_h + 22
    key_top = legend_y + 30
    key_col_w = 300
    key_cols = max(1, int((total_w - 20) // key_col_w))
    key_rows = -(-len(rows) // key_cols)
    total_h = int(key_top + 16 + 13 * key_rows + 10)

    p = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
         f'viewBox="0 0 {total_w} {total_h}" font-family="sans-serif" font-size="10" '
         f'role="img" aria-label="memory plan of {escape(graph.name)}">',
         '<style>.buf:hover rect{stroke:#000;stroke-width:2}.buf text{pointer-events:none}'
         '</style>',
         f'<rect x="0" y="0" width="{total_w}" height="{total_h}" fill="#fff"/>',
         f'<text x="{left}" y="22" font-size="15" font-weight="bold">{escape(graph.name)}: '
         f'tensor arena {plan.arena_bytes:,} bytes</text>',
         f'<text x="{left}" y="40" font-size="11">lower bound {plan.lower_bound_bytes:,} bytes '
         f'(peak at op {escape(peak_name)}) · {len(rows)} buffers · {escape(str(plan.kernels))} '
         f'kernels, {escape(str(plan.cpu))}'
         f'{f" · model state {state:,} bytes at offset 0" if state else ""}</text>',
         f'<text x="{left}" y="55" font-size="11" fill="#566573">time → (operators in '
         f'execution order) · arena address ↓ · hover a buffer for its details</text>']
    # peak column
    p.append(f'<g class="peak"><title>peak: op {escape(peak_name)}: the live tensors and scratch '
             f'here need {plan.lower_bound_bytes:,} bytes, which no placement can beat</title>'
             f'<rect x="{x(peak_step):.1f}" y="{top - 14}" width="{col_w:.1f}" '
             f'height="{plot_height + 14}" fill="{PEAK_FILL}"/>'
             f'<text x="{x(peak_step) + col_w / 2:.1f}" y="{top - 4}" text-anchor="middle" '
             f'fill="{BOUND_COLOUR}" font-weight="bold">peak</text></g>')
    # column separators
    for s in range(1, steps):
        p.append(f'<line x1="{x(s):.1f}" y1="{top}" x2="{x(s):.1f}" y2="{top + plot_height}" '
                 f'stroke="#eee"/>')
    # buffers
    for i, (b, row) in enumerate(zip(plan.buffers, rows)):
        name, fills, ink = KINDS[row["kind"]]
        fill = fills[i % len(fills)]
        bx, by = x(b.first_op), y(b.offset)
        bw = x(b.last_op + 1) - bx
        bh = max(y(b.offset + b.size) - by, 1.5)
        tip = (f"{row['id']} {b.name} ({name})\n{b.size:,} bytes at offset {b.offset:,}"
               f"–{b.offset + b.size:,}\nlive from op {row['first']} to op {row['last']}")
        if row["scratch_of"]:
            tip += f"\nscratch of op {row['scratch_of']}"
        if row["shares_with"]:
            tip += f"\nshares its bytes with: {', '.join(row['shares_with'])}"
        g = [f'<g class="buf" data-buffer="{row["id"]}"><title>{escape(tip)}</title>'
             f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
             f'fill="{fill}" stroke="#fff" stroke-width="0.6"/>']
        if bh >= 11 and bw >= 16:
            first = _fit(f"{row['id']} {row['short']}", bw) or _fit(row["id"], bw)
            g.append(f'<text x="{bx + 3:.1f}" y="{by + min(bh / 2 + 3.5, 11):.1f}" '
                     f'fill="{ink}">{escape(first)}</text>')
            if bh >= 24:
                size = _fit(f"{b.size:,} B", bw)
                g.append(f'<text x="{bx + 3:.1f}" y="{by + 22:.1f}" fill="{ink}" '
                         f'opacity="0.9">{escape(size)}</text>')
        g.append("</g>")
        p.append("".join(g))
    # the peak column again, over the buffers
    p.append(f'<rect x="{x(peak_step):.1f}" y="{top}" width="{col_w:.1f}" height="{plot_height}" '
             f'fill="none" stroke="{BOUND_COLOUR}" stroke-width="2" pointer-events="none"/>')
    # frame, lower bound, address axis
    p.append(f'<rect x="{left}" y="{top}" width="{plot_w:.1f}" height="{plot_height}" '
             f'fill="none" stroke="#000"/>')
    yb = y(plan.lower_bound_bytes)
    p.append(f'<g class="bound"><title>lower bound: the bytes live at the busiest operator '
             f'({plan.lower_bound_bytes:,}); the arena is {plan.arena_bytes:,}</title>'
             f'<line x1="{left}" y1="{yb:.1f}" x2="{left + plot_w:.1f}" y2="{yb:.1f}" '
             f'stroke="{BOUND_COLOUR}" stroke-width="2" stroke-dasharray="6 3"/>'
             f'<text x="{left + plot_w - 2:.1f}" y="{yb - 3:.1f}" text-anchor="end" '
             f'fill="{BOUND_COLOUR}" font-weight="bold">lower bound '
             f'{plan.lower_bound_bytes:,} B</text></g>')
    for t in _ticks(plan.arena_bytes):
        ty = y(t)
        if t and plan.arena_bytes - t < plan.arena_bytes * 0.04:
            continue        # too close to the arena's end, which is labelled
        p.append(f'<line x1="{left - 4}" y1="{ty:.1f}" x2="{left}" y2="{ty:.1f}" '
                 f'stroke="#000"/><text x="{left - 6}" y="{ty + 3:.1f}" '
                 f'text-anchor="end">{t:,}</text>')
    p.append(f'<text x="{left - 6}" y="{top + plot_height + 3:.1f}" text-anchor="end" '
             f'font-weight="bold">{plan.arena_bytes:,}</text>')
    p.append(f'<text x="14" y="{top + plot_height / 2:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 14 {top + plot_height / 2:.1f})">arena offset (bytes)'
             f'</text>')
    # operator names along the time axis
    for s, op_index in enumerate(plan.order):
        cx = x(s) + col_w / 2
        ly = top + plot_height + 8
        colour = BOUND_COLOUR if s == peak_step else "#000"
        p.append(f'<text x="{cx:.1f}" y="{ly:.1f}" text-anchor="end" fill="{colour}" '
                 f'transform="rotate(-55 {cx:.1f} {ly:.1f})">'
                 f'{escape(op_label(graph, op_index))}</text>')
    # legend
    lx = left
    used = {r["kind"] for r in rows}
    for kind, (name, fills, _) in KINDS.items():
        if kind not in used:
            continue
        p.append(f'<rect x="{lx}" y="{legend_y - 9}" width="12" height="12" fill="{fills[0]}"/>'
                 f'<text x="{lx + 16}" y="{legend_y + 1}">{escape(name)}</text>')
        lx += 26 + CHAR_W * len(name)
    p.append(f'<rect x="{lx}" y="{legend_y - 9}" width="12" height="12" fill="{PEAK_FILL}" '
             f'stroke="{BOUND_COLOUR}" stroke-width="0.5"/><text x="{lx + 16}" '
             f'y="{legend_y + 1}">peak operator</text>')
    lx += 26 + CHAR_W * 13
    p.append(f'<line x1="{lx}" y1="{legend_y - 3}" x2="{lx + 20}" y2="{legend_y - 3}" '
             f'stroke="{BOUND_COLOUR}" stroke-width="2" stroke-dasharray="6 3"/>'
             f'<text x="{lx + 24}" y="{legend_y + 1}">lower bound</text>')
    # key: every buffer by number
    p.append(f'<text x="{left}" y="{key_top}" font-weight="bold">buffers (hover a rectangle '
             f'for details)</text>')
    for i, row in enumerate(rows):
        col, line = divmod(i, key_rows) if key_rows else (0, 0)
        kx = 10 + col * key_col_w
        ky = key_top + 16 + 13 * line
        text = _fit(f"{row['id']} {row['short']}", key_col_w - 80)
        p.append(f'<g class="key"><title>{escape(row["name"])}</title>'
                 f'<rect x="{kx}" y="{ky - 8}" width="8" height="8" '
                 f'fill="{KINDS[row["kind"]][1][0]}"/><text x="{kx + 12}" y="{ky}">'
                 f'{escape(text)}</text><text x="{kx + key_col_w - 12}" y="{ky}" '
                 f'text-anchor="end">{row["size"]:,} B</text></g>')
    p.append("</svg>")
    return "\n".join(p) + "\n"
