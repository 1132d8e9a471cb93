"""Quality of mcugen's int8 quantizer beside the TF converter's int8 models.

    python benchmarks/quantize_quality.py [--methods minmax,mse,percentile,auto] [--quick]

* ad01: real DCASE log-mel frames (../shared/models/inputs): calibrate on the windows starting at
  frames 0-99, evaluate on those starting at 100-195. Target: our output SQNR >= ad01_int8's.
* resnet8 / kws: no real data ships, so structured synthetic inputs (smooth images; MFCC-like
  patterns around the real KWS sample) for calibration and (different seeds) evaluation.
  A report, not a target.

The TF converter's model is evaluated on the same float inputs: quantized with its input
parameters, its output dequantized. Both int8 models run on mcugen's simulator (bit-exact with
TFLM, as tests/quantize shows). SQNR is against the float model (for kws: the hybrid model with
its weights dequantized, which is the float network the quantizers see).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.model import load_model  # noqa: E402
from mcugen.quantize import output_quality, quantize_model  # noqa: E402
from mcugen.quantize.rewrite import prepare_float  # noqa: E402
from tests.quantize.synthetic import ad01_windows, mfcc_like, smooth_images  # noqa: E402

MODELS = ROOT.parent / "shared" / "models"


def cases(quick: bool):
    frames = np.load(MODELS / "inputs" / "ad01_dcase_logmel_float32.npy")
    yield ("ad01", "mlperf_tiny/ad01_float.tflite", "mlperf_tiny/ad01_int8.tflite",
           ad01_windows(frames, range(0, 100)), ad01_windows(frames, range(100, 196)))
    n_cal, n_eval = (32, 32) if quick else (200, 200)
    yield ("resnet8", "mlperf_tiny/resnet8_float.tflite", "mlperf_tiny/resnet8_int8.tflite",
           smooth_images(n_cal, seed=0), smooth_images(n_eval, seed=1))
    kws_q = np.load(MODELS / "inputs" / "kws_sample_int8.npy").astype(np.float32)
    template = 0.5847029 * (kws_q - 83)          # kws_ref_model's input parameters
    yield ("kws", "mlperf_tiny/kws_ref_model_hybrid.tflite", "mlperf_tiny/kws_ref_model.tflite",
           mfcc_like(n_cal, template, seed=0), mfcc_like(n_eval, template, seed=1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="minmax,percentile,mse,auto")
    ap.add_argument("--quick", action="store_true", help="fewer synthetic samples")
    args = ap.parse_args()
    console = Console(width=130)
    table = Table(title="int8 output quality vs the float model (higher is better)",
                  title_justify="left")
    for col in ("model", "quantizer", "calib", "eval", "output SQNR dB", "top-1 agree",
                "quantize s"):
        table.add_column(col, justify="left" if col in ("model", "quantizer") else "right")
    for name, float_rel, tf_rel, calib, evaluate in cases(args.quick):
        graph = load_model(MODELS / float_rel)
        float_graph = prepare_float(graph)
        cal = [[x] for x in calib]
        ev = [[x] for x in evaluate]
        tf = output_quality(float_graph, load_model(MODELS / tf_rel), ev, per_layer=False)
        table.add_row(name, "TF converter int8", "-", str(len(ev)),
                      f"{tf.output_sqnr_db[0]:.2f}", _pct(tf.top1_agreement), "-")
        runs = [(m, True) for m in args.methods.split(",")] + [("minmax", False)]
        for method, correct in runs:
            start = time.perf_counter()
            result = quantize_model(graph, cal, method=method, bias_correction=correct)
            seconds = time.perf_counter() - start
            q = output_quality(float_graph, result.graph, ev, per_layer=False)
            label = f"mcugen {method}" + (f" ({result.method})" if method == "auto" else "") \
                + ("" if correct else ", no bias corr.")
            table.add_row(name, label, str(len(cal)), str(len(ev)),
                          f"{q.output_sqnr_db[0]:.2f}", _pct(q.top1_agreement),
                          f"{seconds:.1f}")
        table.add_section()
    console.print(table)
    return 0


def _pct(value):
    return "-" if value is None else f"{100 * value:.1f} %"


if __name__ == "__main__":
    sys.exit(main())
