"""16x8 vs int8 on real data: mcugen's quantizer beside the TF converter's models.

    python benchmarks/quantize_16x8.py [--methods minmax,mse,auto]

For each real-data model of ../shared/models/real_data that ships a TF 16x8 file (digits_dscnn):
quantize ``float.tflite`` with ``calib.npy`` (int8 and ``--activations int16``, every method
asked for), run every integer model on mcugen's simulator (bit-exact with TFLM: the TF files in
tests/sim/test_int16_models.py, mcugen's in tests/quantize/test_16x8.py) over the whole
``test.npz`` split, and print output SQNR against the float model's outputs (``float_out``) and
top-1 accuracy against the labels. Inputs are quantized with each model's input parameters,
outputs dequantized with its output parameters. Target (issue 14): mcugen's 16x8 SQNR >= the TF
converter's 16x8 - 0.5 dB, same top-1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.model import load_model  # noqa: E402
from mcugen.model.graph import Graph  # noqa: E402
from mcugen.quantize import quantize_model  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402

REAL = ROOT.parent / "shared" / "models" / "real_data"
MODELS = ("digits_dscnn",)


def _to_input(graph: Graph, x: np.ndarray) -> np.ndarray:
    t = graph.tensors[graph.inputs[0]]
    if t.dtype == np.float32:
        return x.astype(np.float32).reshape(t.shape)
    info = np.iinfo(t.dtype)
    s, z = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    q = np.floor(np.abs(x / s) + 0.5) * np.sign(x) + z
    return np.clip(q, info.min, info.max).astype(t.dtype).reshape(t.shape)


def _from_output(graph: Graph, y: np.ndarray) -> np.ndarray:
    t = graph.tensors[graph.outputs[0]]
    if t.dtype == np.float32:
        return y.astype(np.float64).ravel()
    return (y.astype(np.float64).ravel() - int(t.quant.zero_point[0])) * float(t.quant.scale[0])


def evaluate(graph: Graph, x: np.ndarray, y: np.ndarray, reference: np.ndarray) -> tuple:
    sim = Simulator(graph)
    out = np.stack([_from_output(graph, sim.run([_to_input(graph, s)]).outputs[0]) for s in x])
    noise = np.sum((out - reference) ** 2)
    sqnr = 10 * np.log10(np.sum(reference ** 2) / noise) if noise > 0 else float("inf")
    top1 = float(np.mean(np.argmax(out, axis=1) == y))
    return sqnr, top1


def _kind(graph: Graph) -> str:
    acts = {t.dtype.name for t in graph.tensors if not t.is_constant} - {"float32"}
    return "16x8" if "int16" in acts else "int8"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="minmax,mse,auto")
    args = ap.parse_args()
    console = Console(width=120)
    table = Table(title="output SQNR vs the float model and top-1 on the test split",
                  title_justify="left")
    for col in ("model", "quantizer", "scheme", "I/O", "output SQNR dB", "top-1"):
        table.add_column(col)
    for name in MODELS:
        folder = REAL / name
        data = np.load(folder / "test.npz")
        x, y, reference = data["x"], data["y"], data["float_out"].astype(np.float64)
        calib = [[s[None].astype(np.float32)] for s in np.load(folder / "calib.npy")]
        rows = []
        for rel in ("tf_int8.tflite", "tf_16x8.tflite", "tf_16x8_floatio.tflite"):
            g = load_model(folder / rel)
            io = g.tensors[g.inputs[0]].dtype.name
            rows.append(("TF converter", _kind(g), io, g))
        float_graph = load_model(folder / "float.tflite")
        for method in args.methods.split(","):
            for acts in ("int8", "int16"):
                g = quantize_model(float_graph, calib, method=method, activations=acts).graph
                rows.append((f"mcugen {method}", _kind(g), acts, g))
        for who, scheme, io, g in rows:
            sqnr, top1 = evaluate(g, x, y, reference)
            table.add_row(name, who, scheme, io, f"{sqnr:.2f}", f"{100 * top1:.1f} %")
        float_top1 = float(np.mean(np.argmax(reference, axis=1) == y))
        table.add_row(name, "float model", "float32", "float32", "-", f"{100 * float_top1:.1f} %")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
