"""Simulator speed vs the TFLM host interpreter (reference kernels), per shared model.

    python benchmarks/simulate_speed.py [--repeats N]

Both run the same random input after one warm-up inference; the figure is the median wall time
of N inferences. TFLM runs without preserving intermediate tensors; mcugen frees them too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.model import load_model  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402
from tests.oracle import FLOAT_MODELS, INT8_MODELS, SHARED_MODELS, Tflm  # noqa: E402
from tests.sim.compare import random_inputs  # noqa: E402


def _median_ms(fn, repeats: int) -> float:
    fn()                                   # warm-up (Prepare caches, BLAS threads)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    console = Console()
    table = Table(title="mcugen simulate vs TFLM host interpreter (median ms / inference)",
                  title_justify="left")
    for col in ("model", "ops", "mcugen ms", "TFLM ms", "TFLM / mcugen"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for rel in INT8_MODELS + FLOAT_MODELS:
        path = SHARED_MODELS / rel
        if not path.exists():
            table.add_row(rel, "-", "absent", "", "")
            continue
        graph = load_model(path)
        inputs = random_inputs(graph, np.random.default_rng(0))
        sim = Simulator(graph)
        tflm = Tflm(path, preserve_all=False)
        ours = _median_ms(lambda: sim.run(inputs), args.repeats)
        theirs = _median_ms(lambda: tflm.run(inputs), args.repeats)
        table.add_row(rel, str(len(graph.operators)), f"{ours:.2f}", f"{theirs:.2f}",
                      f"{theirs / ours:.2f}×")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
