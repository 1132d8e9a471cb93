"""Top-1 accuracy and output SQNR of digits_lstm_cols (a Keras LSTM over the 8 columns of an
8x8 digit) on its 450 labelled test samples: the float model, the TF converter's int8 model and
mcugen's int8 quantization of the float model (``mcugen quantize --calib calib.npy``).

    python benchmarks/lstm_accuracy.py

Every model runs on mcugen's simulator, each sample after a reset of the LSTM's state (the
integer models' simulator is bit-exact with the pinned TFLM: tests/sim/test_lstm_models.py and
tests/quantize/test_lstm_quantize.py); SQNR is of the dequantized softmax output against the float
model's. Target (issue 16): mcugen's top-1 within 1 point of the TF converter's and SQNR within
1 dB.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.model import load_model  # noqa: E402
from mcugen.quantize import quantize_model  # noqa: E402
from mcugen.quantize.report import sqnr_db, to_model_input, to_real  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402

DATA = ROOT.parent / "shared" / "models" / "real_data" / "digits_lstm_cols"


def outputs(graph, x: np.ndarray) -> np.ndarray:
    """The real-valued output of every sample, each from a reset state."""
    sim = Simulator(graph)
    t_in, t_out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    rows = []
    for sample in x:
        sim.reset()
        y = sim.run([to_model_input(sample.reshape(t_in.shape), t_in)]).outputs[0]
        rows.append(to_real(y, t_out).ravel())
    return np.stack(rows)


def figures() -> dict[str, tuple[float, float]]:
    """model -> (top-1 %, SQNR dB vs float)."""
    test = np.load(DATA / "test.npz")
    x, y = test["x"], test["y"]
    float_graph = load_model(DATA / "float.tflite")
    calib = np.load(DATA / "calib.npy")
    ours = quantize_model(float_graph, [[c.reshape(1, *c.shape)] for c in calib]).graph
    ref = outputs(float_graph, x)
    result = {}
    for name, graph in (("float", float_graph), ("TF converter int8", load_model(
            DATA / "tf_int8.tflite")), ("mcugen int8", ours)):
        out = ref if name == "float" else outputs(graph, x)
        top1 = 100.0 * float(np.mean(out.argmax(1) == y))
        noise = float(np.mean((out - ref) ** 2))
        result[name] = (top1, sqnr_db(float(np.mean(ref ** 2)), noise) if name != "float"
                        else float("inf"))
    return result


def main() -> int:
    if not (DATA / "float.tflite").exists():
        print(f"{DATA} is absent (../shared/models/real_data/digits_lstm_cols)", file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.table import Table
    table = Table(title="digits_lstm_cols, 450 test samples", title_justify="left")
    for col in ("model", "top-1 %", "SQNR dB vs float"):
        table.add_column(col, justify="right" if col != "model" else "left")
    for name, (top1, sqnr) in figures().items():
        table.add_row(name, f"{top1:.2f}", "" if name == "float" else f"{sqnr:.2f}")
    Console(width=100).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
