"""mcugen's Python API end to end: load, (quantize), plan, generate, build, verify, profile.

    python examples/python_api.py [MODEL] [--board B] [--out DIR]
                                  [--float FLOAT.tflite --calib DATA]

MODEL defaults to examples/kws_ref_model.tflite and the board to `host` (a native program: no
emulator needed). With --float the float model is quantized first (DATA as `mcugen quantize
--calib` takes it, or `random` for a smoke test) and that model is the one deployed. Exit 0 when
the board's outputs equal the simulator's, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from mcugen import api

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=str(HERE / "kws_ref_model.tflite"))
    ap.add_argument("--board", default="host")
    ap.add_argument("--out", default=None, help="where the sources and the build go "
                    "(default: a temporary folder)")
    ap.add_argument("--float", dest="float_model", help="a float model to quantize first")
    ap.add_argument("--calib", default="random", help="calibration data for --float")
    args = ap.parse_args(argv)

    if args.float_model:
        model = api.quantize(api.load(args.float_model), args.calib)
        print(f"quantized {args.float_model}: {len(model.operators)} operators, full int8")
    else:
        model = api.load(args.model)
        print(f"loaded {model.name}: {len(model.operators)} operators")

    plan = api.plan(model, board=args.board)
    fit = "" if plan.fits is None else (" (fits)" if plan.fits else " (does NOT fit)")
    print(f"plan: arena {plan.arena_bytes:,} bytes, lower bound {plan.lower_bound_bytes:,}, "
          f"{plan.kernels} kernels on {plan.board or plan.cpu}{fit}")

    with tempfile.TemporaryDirectory(prefix="mcugen-api-") as tmp:
        out = Path(args.out or tmp)
        rendered = api.generate(model, out / "src", board=args.board)
        print(f"generate: {len(rendered.sources)} sources, {len(rendered.headers)} headers in "
              f"{rendered.out_dir}; call {rendered.name}_invoke()")

        firmware = api.build(model, out / "build", board=args.board)
        size = (f", flash {firmware.size.flash_bytes:,} bytes, RAM {firmware.size.ram_bytes:,}"
                if firmware.size else "")
        print(f"build: {firmware.elf.name} for {firmware.board.name}{size}")

    result = api.verify(model, board=args.board, inputs=5)
    count = f", {result.counts[0]:,} {result.counter_unit} per inference" if result.counts else ""
    print(f"verify: {result.n_inputs} inputs, bit-exact {'yes' if result.bit_exact else 'NO'}"
          f"{count}")

    report = api.profile(model, board=args.board)
    unit = report["unit"]
    print(f"profile: {len(report['layers'])} layers, {report['total_macs']:,} MACs")
    for layer in report["layers"][:3]:
        counted = f", {layer[unit]:,} {unit}" if unit else ""
        print(f"  layer {layer['layer']}: {layer['operator']} on {layer['backend']}, "
              f"{layer['macs']:,} MACs{counted}")
    return 0 if result.bit_exact else 1


if __name__ == "__main__":
    sys.exit(main())
