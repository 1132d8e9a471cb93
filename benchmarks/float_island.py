"""Float islands kept in float32 on the emulated boards: instructions, flash and arena of the
island that holds every float32 kernel mcugen generates (tests/codegen/test_float_island_c.py's
island_chain: 3 DEQUANTIZE, 16 float layers, QUANTIZE, with float outputs too), verified bit for
bit on each board; a board without an FPU shows its one-line refusal.

    python benchmarks/float_island.py [--boards mps2-an386,mps3-an547]

QEMU -icount counts instructions, not cycles."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.boards import load_board  # noqa: E402
from mcugen.device.runner import open_device  # noqa: E402
from mcugen.device.verify import random_inputs, verify_on_device  # noqa: E402
from mcugen.errors import McugenError  # noqa: E402
from mcugen.firmware.build import build_firmware  # noqa: E402
from tests.codegen.test_float_island_c import island_chain  # noqa: E402

BOARDS = "mps2-an386,mps2-an500,mps2-an505,mps3-an547,mps2-an385"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", default=BOARDS)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    graph = island_chain()
    print(f"{'board':12s} {'core':14s} {'fpu':12s} {'instructions':>13s} {'flash':>7s} "
          f"{'arena':>6s}  result")
    for name in args.boards.split(","):
        board = load_board(name)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                fw = build_firmware(graph, board, Path(tmp), kernels="portable")
                with open_device(fw) as device:
                    result = verify_on_device(device, graph,
                                              random_inputs(graph, args.runs, seed=2))
            count = f"{int(np.median(result.counts)):,}" if result.counts else "n/a"
            print(f"{name:12s} {board.cpu:14s} {board.fpu:12s} {count:>13s} "
                  f"{fw.size.flash_bytes:>7,} {fw.rendered.arena_bytes:>6,}  "
                  f"{'bit-exact' if result.bit_exact else 'NOT BIT-EXACT'}", flush=True)
        except McugenError as exc:
            print(f"{name:12s} {board.cpu:14s} {board.fpu:12s} {'-':>13s} {'-':>7s} {'-':>6s}  "
                  f"refused: {exc}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
