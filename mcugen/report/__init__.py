"""``--report DIR`` of build, verify, plan and profile: one HTML page a person can look at, plus
CSV files for spreadsheets and scripts (as Vela's summary CSV).

Why: the terminal tables answer "does it fit, is it exact" for someone who reads numbers; a
reviewer, a manager or the person choosing a board would rather see where the RAM goes and which
layers cost the time. The page is **self-contained**: inline CSS, inline SVG, a few lines of
inline script (sortable tables), no web font, no CDN, and a Content-Security-Policy that forbids
the page any network access, so it opens offline, from a CI artifact or an e-mail attachment.
It holds no timestamp: the same inputs give the same bytes.

Sections (each only where the command knows it): model summary; board, kernels, flash and RAM
broken down (code, weights, arena, state, stack, other) against the board's capacity; the memory
plan picture (the same as ``plan --svg``, :func:`mcugen.plan.svg.plan_svg`) and its buffers;
per-layer table and bar chart (operator, shapes, backend, MACs, and from a profile
instructions/cycles, per MAC and share); the verify verdict, the data, top-1 and SQNR, and one
row per input.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import InputError
from ..model.graph import Graph
from ..plan.svg import buffer_rows, plan_svg
from . import charts
from .page import Page

REPORT_FILE = "report.html"


def layer_rows(graph: Graph, plan) -> list[dict]:
    """The per-layer rows without measurements: the same keys as ``profile --json``'s
    layers (layer, op, operator, inputs, outputs, backend, variant, macs)."""
    from ..model.summary import op_macs
    from ..ops.variants import kernel_variant
    rows = []
    for k, op_index in enumerate(plan.order):
        op = graph.operators[op_index]
        backend = plan.backends.get(op.index)
        rows.append({"layer": k, "op": op.index, "operator": op.opcode,
                     "inputs": [list(graph.tensors[i].shape) for i in op.inputs
                                if i >= 0 and not graph.tensors[i].is_constant],
                     "outputs": [list(graph.tensors[i].shape) for i in op.outputs],
                     "backend": backend, "variant": kernel_variant(graph, op, backend),
                     "macs": op_macs(graph, op)})
    return rows


def memory_parts(graph: Graph, plan, firmware=None) -> dict:
    """Flash and RAM by part, in bytes, with the board's capacity (None when unknown)."""
    state = sum(b.size for b in plan.buffers if b.kind == "tensor" and any(
        graph.tensors[t].is_variable for t in (set(b.members or []) | {b.tensor})
        if t is not None))
    arena = plan.arena_bytes
    ram = [("arena: tensors and scratch", arena - state), ("arena: model state", state)]
    flash = []
    size = getattr(firmware, "size", None) if firmware is not None else None
    if size is not None:
        flash = [("code", size.code_flash_bytes), ("weights and constants", size.model_data_bytes)]
        ram += [("stack reserve", size.stack_bytes),
                ("other static data", max(size.ram_bytes - arena - size.stack_bytes, 0))]
    return {"flash": flash, "ram": ram}


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["x".join(map(str, v)) if isinstance(v, list) and v and not
                    isinstance(v[0], list) else
                    " ".join("x".join(map(str, s)) for s in v) if isinstance(v, list) else
                    "" if v is None else v for v in (r.get(c) for c in columns)])
    return out.getvalue()


def _shapes(shapes: list[list[int]]) -> str:
    return ", ".join("x".join(map(str, s)) or "scalar" for s in shapes) or "-"


def write_report(directory: str | Path, *, command: str, graph: Graph, plan, board=None,
                 firmware=None, kernels: str | None = None, layers: list[dict] | None = None,
                 unit: str | None = None, totals: dict | None = None,
                 verify: dict | None = None, accuracy=None) -> Path:
    """Write ``DIR/report.html`` and the CSV files; returns the HTML file's path."""
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the report directory: {exc.strerror}",
                         str(directory)) from None
    if out.exists() and not out.is_dir():
        raise InputError("the report path is a file, expected a directory", str(directory))
    from ..model.summary import summarize
    summary = summarize(graph)
    layers = layers if layers is not None else layer_rows(graph, plan)
    buffers = buffer_rows(graph, plan)
    memory = memory_parts(graph, plan, firmware)
    kernels = kernels or getattr(getattr(firmware, "rendered", None), "kernels", None) \
        or plan.kernels
    page = Page(f"{graph.name}: mcugen {command}")
    files: dict[str, str] = {}

    # --- verdict first: it is what a verify reader came for
    if verify is not None:
        page.verdict(verify)

    # --- summary
    facts = [("model", graph.name), ("command", f"mcugen {command}"),
             ("operators", f"{len(graph.operators)}"),
             ("MACs per inference", f"{summary.total_macs:,}"),
             ("parameter bytes", f"{summary.total_param_bytes:,}"),
             ("quantization", summary.kind)]
    for label, tensors in (("input", summary.inputs), ("output", summary.outputs)):
        for f in tensors:
            q = f.get("quantization") or {}
            qtext = (f", scale {q['scale']:.6g}, zero point {q['zero_point']}"
                     if "scale" in q else "")
            facts.append((f"{label} '{f['name']}'", f"{f['dtype']}{f['shape']}{qtext}"))
    if board is not None:
        facts.append(("board", f"{board.name} ({board.cpu}; {board.description})"
                      if getattr(board, "description", "") else f"{board.name} ({board.cpu})"))
    facts.append(("kernels", kernels + (f" ({firmware.rendered.kernels_version})"
                                        if firmware is not None and
                                        firmware.rendered.kernels_version else "")))
    facts.append(("tensor arena", f"{plan.arena_bytes:,} bytes (lower bound "
                  f"{plan.lower_bound_bytes:,})"))
    if firmware is not None and firmware.size is not None:
        facts.append(("flash", f"{firmware.size.flash_bytes:,} bytes"))
        facts.append(("RAM", f"{firmware.size.ram_bytes:,} bytes"))
    if totals:
        for k, v in totals.items():
            facts.append((k, f"{v:,}" if isinstance(v, int) else str(v)))
    page.facts("summary", "Model summary", facts)
    files["summary.csv"] = _csv([{"key": k, "value": v} for k, v in facts], ["key", "value"])

    # --- memory
    cap_flash = board.flash.length if board is not None and not board.is_host else None
    cap_ram = board.ram.length if board is not None and not board.is_host else None
    svgs = []
    if memory["flash"]:
        svgs.append(charts.stacked_bar("flash", memory["flash"], cap_flash))
    svgs.append(charts.stacked_bar("RAM" if memory["flash"] else "RAM (the arena; build for "
                                   "the rest)", memory["ram"], cap_ram))
    mem_rows = [{"memory": m, "part": n, "bytes": v,
                 "capacity": cap_flash if m == "flash" else cap_ram}
                for m in ("flash", "RAM") for n, v in memory[m.lower()] if v]
    page.section("memory", "Flash and RAM",
                 "".join(svgs) + page.table(mem_rows, [("memory", "memory"), ("part", "part"),
                                                       ("bytes", "bytes"),
                                                       ("capacity", "board capacity")]))
    files["memory.csv"] = _csv(mem_rows, ["memory", "part", "bytes", "capacity"])

    # --- the plan picture
    picture = plan_svg(graph, plan).replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)
    page.section("plan", "Memory plan",
                 '<p class="note">Time runs across (one column per operator in execution '
                 'order), arena addresses down. Hover a buffer for its details.</p>'
                 f'<div class="picture">{picture}</div>'
                 + page.table(buffers, [("id", "#"), ("short", "buffer"), ("kind", "kind"),
                                        ("offset", "offset"), ("size", "bytes"),
                                        ("first", "first op"), ("last", "last op")],
                              css="buffers", tips={"short": "name"}))
    files["buffers.csv"] = _csv(buffers, ["id", "name", "kind", "offset", "size", "end",
                                          "first_op", "last_op"])

    # --- layers
    if accuracy is not None and accuracy.layers:
        sqnr = {r["op"]: r["sqnr_db"] for r in accuracy.layers}
        layers = [dict(r, sqnr_db=sqnr.get(r["op"])) for r in layers]
    value_key = unit if unit and any(r.get(unit) is not None for r in layers) else "macs"
    chart = charts.layer_bars(layers, value_key, unit if value_key == unit else "MACs")
    shown = [dict(r, shapes=f"{_shapes(r['inputs'])} → {_shapes(r['outputs'])}",
                  backend_text=(r.get("backend") or "") + (f" ({r['variant']})"
                                                           if r.get("variant") else ""),
                  share_pct=None if r.get("share") is None else f"{100 * r['share']:.1f} %")
             for r in layers]
    columns = [("layer", "#"), ("op", "op"), ("operator", "operator"), ("shapes", "shapes"),
               ("backend_text", "backend"), ("macs", "MACs")]
    if unit and value_key == unit:
        columns += [(unit, unit), (f"{unit}_per_mac", f"{unit}/MAC"), ("share_pct", "share")]
    if any(r.get("sqnr_db") is not None for r in layers):
        columns.append(("sqnr_db", "SQNR vs float (dB)"))
    note = "" if value_key == unit else ('<p class="note">No per-layer counts here (run '
                                          '<code>mcugen profile --report</code>): the bars '
                                          'show MACs.</p>')
    page.section("layers", "Layers", note + chart + page.table(shown, columns))
    files["layers.csv"] = _csv(layers, ["layer", "op", "operator", "inputs", "outputs",
                                        "backend", "variant", "macs"] +
                               ([unit, f"{unit}_per_mac", "share"] if unit else []) +
                               (["sqnr_db"] if any("sqnr_db" in r for r in layers) else []))

    # --- verify
    if verify is not None:
        body = ""
        data = verify.get("data")
        if data:
            body += (f'<p class="data">{data["samples"]:,} samples from '
                     f'<code>{_e(data["source"])}</code>'
                     + "".join(f"<br>{_e(n)}" for n in data["notes"]) + "</p>")
        else:
            body += f'<p class="data">{verify["n_inputs"]} random inputs.</p>'
        if accuracy is not None:
            acc_rows = []
            if accuracy.labelled:
                acc_rows += [{"what": f"top-1, device ({verify['board']})",
                              "value": _pct(accuracy.top1["device"])},
                             {"what": "top-1, simulator",
                              "value": _pct(accuracy.top1["simulator"])}]
                if accuracy.float_model:
                    acc_rows.append({"what": "top-1, float model",
                                     "value": _pct(accuracy.top1["float"])})
            if accuracy.output_sqnr_db is not None:
                acc_rows.append({"what": "output SQNR, device vs float",
                                 "value": ", ".join(f"{s:.2f} dB" for s in
                                                    accuracy.output_sqnr_db)})
                if accuracy.top1_agreement_float is not None:
                    acc_rows.append({"what": "same class as the float model",
                                     "value": _pct(accuracy.top1_agreement_float)})
            body += page.table(acc_rows, [("what", "measure"), ("value", "value")],
                               css="accuracy")
            files["accuracy.csv"] = _csv(acc_rows, ["what", "value"])
        rows = verify.get("per_input") or []
        keys = [k for k in ("input", "bit_exact", "differing_bytes", "instructions", "cycles",
                            "label", "device_top1", "simulator_top1", "float_top1")
                if any(k in r for r in rows)]
        titles = {"input": "input", "bit_exact": "bit-exact", "differing_bytes":
                  "differing bytes", "label": "label", "device_top1": "device class",
                  "simulator_top1": "simulator class", "float_top1": "float class"}
        shown = [dict(r, bit_exact="yes" if r["bit_exact"] else "NO") for r in rows]
        body += page.table(shown, [(k, titles.get(k, k)) for k in keys], css="inputs",
                           flag=lambda r: r["bit_exact"] == "NO")
        page.section("verify", "Verification: every input", body)
        files["inputs.csv"] = _csv(rows, keys)

    page.files(list(files))
    for name, text in files.items():
        (out / name).write_text(text)
    path = out / REPORT_FILE
    path.write_text(page.render())
    return path


def _e(text) -> str:
    from html import escape
    return escape(str(text))


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


# --- one call per command -------------------------------------------------------------------

def write_plan_report(directory, graph: Graph, plan, board=None) -> Path:
    return write_report(directory, command="plan", graph=graph, plan=plan, board=board)


def write_build_report(directory, graph: Graph, firmware) -> Path:
    return write_report(directory, command="build", graph=graph, plan=firmware.rendered.plan,
                        board=firmware.board, firmware=firmware)


def write_profile_report(directory, graph: Graph, firmware, data: dict) -> Path:
    unit = data.get("unit")
    totals = {}
    if unit:
        totals = {f"{unit} per inference": data[f"{unit}_per_inference"],
                  f"{unit}, sum of layers": data[f"{unit}_sum_of_layers"]}
    return write_report(directory, command="profile", graph=graph,
                        plan=firmware.rendered.plan, board=firmware.board, firmware=firmware,
                        layers=data["layers"], unit=unit, totals=totals)


def write_verify_report(directory, graph: Graph, firmware, data: dict, accuracy=None) -> Path:
    totals = {}
    for unit in ("instructions", "cycles"):
        if data.get(f"{unit}_per_inference") is not None:
            totals[f"{unit} per inference (median)"] = data[f"{unit}_per_inference"]
    if data.get("stack_bytes"):
        totals["stack used"] = f"{data['stack_bytes']:,} bytes"
    return write_report(directory, command="verify", graph=graph,
                        plan=firmware.rendered.plan, board=firmware.board, firmware=firmware,
                        totals=totals, verify=data, accuracy=accuracy)
