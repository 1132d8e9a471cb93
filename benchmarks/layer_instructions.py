"""Instructions per layer on an emulated board, per kernel backend: each layer of a model is cut
out as a one-operator model (its own tensors, quantization and constants) and run alone, so the
count is the layer's kernel plus the harness's fixed per-inference cost (shown as the "empty"
row: a RESHAPE-only model, whose layer runs no code).

    python benchmarks/layer_instructions.py MODEL [--board mps2-an386] [--kernels mcugen,cmsis-nn]

CMSIS-NN needs MCUGEN_CMSIS_NN (or --cmsis-nn DIR). Instructions (QEMU -icount), not cycles.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mcugen.boards import load_board  # noqa: E402
from mcugen.device.runner import open_device  # noqa: E402
from mcugen.device.verify import random_inputs, verify_on_device  # noqa: E402
from mcugen.firmware.build import build_firmware  # noqa: E402
from mcugen.model import load_model  # noqa: E402
from mcugen.model.graph import Graph  # noqa: E402
from mcugen.model.summary import op_macs  # noqa: E402


def layer_graph(graph: Graph, op) -> Graph:
    """One operator of ``graph`` as a model of its own (tensors renumbered)."""
    keep = [i for i in op.inputs if i >= 0] + list(op.outputs)
    index = {old: new for new, old in enumerate(dict.fromkeys(keep))}
    tensors = []
    for old, new in index.items():
        t = copy.deepcopy(graph.tensors[old])
        t.index = new
        tensors.append(t)
    layer = copy.deepcopy(op)
    layer.index = 0
    layer.inputs = [index[i] if i >= 0 else -1 for i in op.inputs]
    layer.outputs = [index[i] for i in op.outputs]
    inputs = [index[i] for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant]
    return Graph(tensors=tensors, operators=[layer], inputs=list(dict.fromkeys(inputs)),
                 outputs=[index[i] for i in op.outputs], name=f"{graph.name}_op{op.index}")


def measure(graph: Graph, board, kernels: str, cmsis_nn) -> tuple[int | None, bool, str]:
    with tempfile.TemporaryDirectory() as tmp:
        fw = build_firmware(graph, board, Path(tmp), kernels=kernels, cmsis_nn=cmsis_nn)
        with open_device(fw) as device:
            result = verify_on_device(device, graph, random_inputs(graph, 1, seed=0))
        backend = fw.rendered.plan.backends.get(0, "-")
        return (result.counts[0] if result.counts else None), result.bit_exact, backend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--kernels", default="mcugen,cmsis-nn")
    ap.add_argument("--cmsis-nn", default=os.environ.get("MCUGEN_CMSIS_NN"))
    ap.add_argument("--ops", help="comma-separated operator indices (default: all)")
    args = ap.parse_args()
    board = load_board(args.board)
    graph = load_model(args.model)
    kernels = args.kernels.split(",")
    wanted = {int(i) for i in args.ops.split(",")} if args.ops else None
    table = Table(title=f"{graph.name} per layer on {board.name}: instructions (QEMU -icount)",
                  title_justify="left")
    for col in ["op", "operator", "MACs"] + [f"{k}" for k in kernels] + \
            [f"{k} / MAC" for k in kernels] + ([f"{kernels[0]} / {kernels[1]}"]
                                               if len(kernels) > 1 else []):
        table.add_column(col, justify="left" if col == "operator" else "right")
    totals = dict.fromkeys(kernels, 0)
    for op in graph.operators:
        if wanted is not None and op.index not in wanted:
            continue
        g = layer_graph(graph, op)
        macs = op_macs(graph, op)
        counts = {}
        for k in kernels:
            count, exact, backend = measure(g, board, k, args.cmsis_nn)
            counts[k] = count
            totals[k] += count or 0
            if not exact:
                print(f"op {op.index}: {k} NOT bit-exact", file=sys.stderr)
        row = [str(op.index), f"{op.opcode}", f"{macs:,}"]
        row += [f"{counts[k]:,}" if counts[k] else "-" for k in kernels]
        row += [f"{counts[k] / macs:.2f}" if counts[k] and macs else "" for k in kernels]
        if len(kernels) > 1 and counts[kernels[0]] and counts[kernels[1]]:
            row.append(f"{counts[kernels[0]] / counts[kernels[1]]:.3f}")
        table.add_row(*row)
    table.add_row("", "total", "", *[f"{totals[k]:,}" for k in kernels])
    Console(width=200).print(table)
    np.set_printoptions()


if __name__ == "__main__":
    main()
