"""What the graph optimiser (mcugen/optimize/) does to every shared model: operators, arena and
instructions per inference on an emulated board, before and after.

    python benchmarks/optimize_gain.py [--board mps2-an386] [--kernels mcugen] [--all]

Every shared full-int8 .tflite (as deployed; float models are quantized first) plus the
PyTorch MobileNetV2 PAD pattern built in tests/optimize/test_pad_fold.py (no such model ships).
"before" is the model as read (``--no-optimize``), "after" the optimised graph. Instructions are
measured (QEMU -icount, bit-exact verified on 2 inputs) where the optimiser changed the graph;
an unchanged graph builds the same firmware, so its count is measured once (``--all``) or not at
all. A model that is not deployable as read shows "-" before.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.boards import load_board  # noqa: E402
from mcugen.codegen.cmsis_nn import kernel_chain  # noqa: E402
from mcugen.device.runner import open_device  # noqa: E402
from mcugen.device.verify import random_inputs, verify_on_device  # noqa: E402
from mcugen.errors import McugenError  # noqa: E402
from mcugen.firmware.build import build_firmware  # noqa: E402
from mcugen.model import load_model  # noqa: E402
from mcugen.model.summary import classify  # noqa: E402
from mcugen.optimize import optimize  # noqa: E402
from mcugen.plan import plan_memory  # noqa: E402

SHARED = ROOT.parent / "shared" / "models"


def instructions(graph, board, kernels, cmsis_nn) -> str:
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fw = build_firmware(graph, board, Path(tmp), kernels=kernels, cmsis_nn=cmsis_nn)
            with open_device(fw) as device:
                result = verify_on_device(device, graph, random_inputs(graph, 2, seed=0))
        if not result.bit_exact:
            return "NOT BIT-EXACT"
        return f"{int(np.median(result.counts)):,}" if result.counts else "n/a"
    except McugenError as exc:
        return "-" if "unsupported operator" in str(exc) else f"error: {exc}"[:40]


def arena(graph, chain, cpu) -> str:
    try:
        return f"{plan_memory(graph, kernels=chain, cpu=cpu).arena_bytes:,}"
    except McugenError:
        return "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--kernels", default="mcugen")
    ap.add_argument("--cmsis-nn", default=os.environ.get("MCUGEN_CMSIS_NN"))
    ap.add_argument("--all", action="store_true",
                    help="also measure instructions of the models the optimiser leaves as they are")
    args = ap.parse_args()
    board = load_board(args.board)
    chain = kernel_chain(args.kernels, args.cmsis_nn)
    cases = []
    for path in sorted(SHARED.rglob("*.tflite")):
        graph = load_model(path)
        if classify(graph)[0] != "int8":
            continue
        cases.append((str(path.relative_to(SHARED)), graph))
    from tests.optimize.test_pad_fold import mobilenet_v2_block
    cases.append(("MobileNetV2 PAD pattern (built)", mobilenet_v2_block()))
    print(f"graph optimiser on {board.name} ({board.cpu}), {args.kernels} kernels first")
    header = (f"{'model':42s} {'ops':>9s} {'arena before':>13s} {'arena after':>12s} "
              f"{'instr before':>13s} {'instr after':>12s}  rewrites")
    print(header)
    for name, graph in cases:
        result = optimize(graph)
        after = result.graph
        changed = bool(result.applied)
        a_before, a_after = arena(graph, chain, board.cpu), arena(after, chain, board.cpu)
        if changed or args.all:
            i_after = instructions(after, board, args.kernels, args.cmsis_nn)
            i_before = instructions(graph, board, args.kernels, args.cmsis_nn) if changed \
                else i_after
        else:
            i_before = i_after = "(unchanged)"
        rewrites = ", ".join(sorted({a.rewrite for a in result.applied})) or "none"
        print(f"{name:42s} {len(graph.operators):>4d}->{len(after.operators):<4d} "
              f"{a_before:>13s} {a_after:>12s} {i_before:>13s} {i_after:>12s}  {rewrites}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
