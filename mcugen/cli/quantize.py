"""``mcugen quantize MODEL --calib DATA -o OUT``: float/hybrid .tflite -> full-int8 .tflite, or
16x8 (int16 activations, int8 weights) with ``--activations int16``."""

from __future__ import annotations

import argparse
import math
import time

from rich.table import Table

from ..errors import InputError
from ..model import load_model, save_model
from ..quantize import ACTIVATION_TYPES, IO_FOR, IO_TYPES, METHODS, quality, quantize_model
from ..quantize.data import RANDOM, load_samples
from ..npdata import writable_file
from ._output import console, err_console, print_json

NAME = "quantize"
HELP = ("post-training full-integer quantization (int8, or 16x8 with --activations int16) of "
        "a float or hybrid .tflite model")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="float32 or dynamic-range (hybrid) .tflite, or a float .onnx")
    p.add_argument("--calib", required=True, metavar="DATA",
                   help="calibration samples: .npy (N x input shape), .npz (one array per input "
                        "name), a directory of .npy files, module:function returning an "
                        "iterable of samples, or 'random' (smoke test only)")
    p.add_argument("--calib-as-float", action="store_true",
                   help="integer calibration data for a float input: take its values as "
                   "they are (scale 1, zero point 0); without this flag it is refused")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="int8 .tflite to write")
    p.add_argument("--activations", choices=ACTIVATION_TYPES, default="int8",
                   help="activation type (default int8); int16 writes a 16x8 model as the TF "
                        "converter does: symmetric int16 activations, per-channel int8 weights "
                        "(fully connected too), int64 bias")
    p.add_argument("--io", choices=IO_TYPES, default=None,
                   help="input/output type (default: the activation type; float keeps float "
                        "I/O with QUANTIZE/DEQUANTIZE at the ends; int8 activations also take "
                        "uint8, int16 activations int8)")
    p.add_argument("--method", choices=METHODS, default="minmax",
                   help="activation range calibration (default minmax; auto picks the best "
                        "output SQNR on the calibration set)")
    p.add_argument("--per-channel-fc", action="store_true",
                   help="per-channel weights for FULLY_CONNECTED too (default per tensor)")
    p.add_argument("--no-bias-correction", dest="bias_correction", action="store_false",
                   help="quantize every bias as round(b / (s_in * s_w)) without correcting it "
                        "for the weights' rounding error")
    p.add_argument("--samples", type=int, default=None, metavar="N",
                   help="use at most the first N calibration samples")
    p.add_argument("--report", action="store_true",
                   help="per-layer and output SQNR vs the float model, top-1 agreement")
    p.add_argument("--json", action="store_true", help="print the summary/report as JSON")


def run(args: argparse.Namespace) -> int:
    writable_file(args.output, "-o output")       # before minutes of calibration
    graph = load_model(args.model)
    if args.samples is not None and args.samples < 1:
        raise InputError("--samples must be at least 1")
    samples = load_samples(args.calib, graph, limit=args.samples,
                           integers_as_float=args.calib_as_float)
    if args.calib == RANDOM:
        err_console.print("mcugen: warning: --calib random: ranges come from random data, the "
                          "quantized model's accuracy is meaningless (smoke test only)")
    start = time.perf_counter()
    io = args.io or IO_FOR[args.activations][0]
    if io not in IO_FOR[args.activations]:
        raise InputError(f"--io {io} is not offered with --activations {args.activations} "
                         f"(choose {', '.join(IO_FOR[args.activations])})")
    result = quantize_model(graph, samples, io=io, method=args.method,
                            per_channel_fc=args.per_channel_fc,
                            bias_correction=args.bias_correction, progress=not args.json,
                            activations=args.activations)
    seconds = time.perf_counter() - start
    save_model(result.graph, args.output)
    summary = {"model": args.model, "output": args.output, "samples": len(samples),
               "method": result.method, "io": io, "activations": args.activations,
               "seconds": round(seconds, 3),
               "bias_correction": args.bias_correction, "passthrough": result.passthrough}
    if result.auto_scores:
        summary["auto_output_sqnr_db"] = result.auto_scores
    report = None
    if args.report and not result.passthrough:
        report = quality(result, samples, progress=not args.json)
    if args.json:
        if report is not None:
            summary["report"] = report.as_dict()
        print_json(summary)
        return 0
    if result.passthrough:
        console.print(f"{args.model} is already full int8 (or 16x8) and follows the spec: "
                      f"written unchanged to {args.output}")
        return 0
    console.print(f"quantized {args.model} -> {args.output}: {len(samples)} samples, "
                  f"method {result.method}, {io} I/O, {seconds:.1f} s")
    for m, s in result.auto_scores.items():
        console.print(f"  auto: {m} output SQNR {s:.2f} dB")
    if report is not None:
        _print_report(report)
    return 0


def _db(value: float) -> str:
    return "exact" if math.isinf(value) and value > 0 else f"{value:.2f}"


def _print_report(report) -> None:
    table = Table(title=f"int8 vs float over {report.samples} samples (worst first)",
                  title_justify="left")
    for col, justify in (("#", "right"), ("operator", "left"), ("tensor", "left"),
                         ("SQNR dB", "right")):
        table.add_column(col, justify=justify)
    for layer in report.layers:
        table.add_row(str(layer.op_index), layer.opcode, layer.tensor, _db(layer.sqnr_db))
    console.print(table)
    console.print("output SQNR: " + ", ".join(_db(s) + " dB" for s in report.output_sqnr_db))
    if report.top1_agreement is not None:
        console.print(f"top-1 agreement with the float model: {100 * report.top1_agreement:.1f} %")
