"""int8 vs 16x8 on the device: instructions per inference, arena and flash on mps2-an386 (QEMU,
exact instruction counts), per kernel backend, for each real-data model shipping both TF files.

    python benchmarks/device_16x8.py [--board mps2-an386] [--cmsis-nn DIR]

16x8 layers run mcugen's portable int16 kernels, or with a CMSIS-NN tree CMSIS-NN's s16 kernels
where the registry's per-instance checks prove them exact (conv, depthwise, pools); mcugen's own
kernels refuse int16 layers. The int8 rows show what each backend does for int8.
Every run is checked bit-exact against the simulator (verify_on_device).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.boards import load_board  # noqa: E402
from mcugen.device.runner import open_device  # noqa: E402
from mcugen.device.verify import random_inputs, verify_on_device  # noqa: E402
from mcugen.firmware.build import build_firmware  # noqa: E402
from mcugen.model import load_model  # noqa: E402

REAL = ROOT.parent / "shared" / "models" / "real_data"
MODELS = ("digits_dscnn",)


def measure(graph, board, kernels: str, cmsis_nn):
    with tempfile.TemporaryDirectory() as tmp:
        fw = build_firmware(graph, board, Path(tmp), kernels=kernels, cmsis_nn=cmsis_nn)
        with open_device(fw) as device:
            result = verify_on_device(device, graph, random_inputs(graph, 3, seed=0))
        backends = sorted(set(fw.rendered.plan.backends.values()))
        return (result.counts[0], fw.rendered.arena_bytes, fw.size.flash_bytes,
                result.bit_exact, "+".join(backends))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--cmsis-nn", default=None, help="CMSIS-NN tree (adds the cmsis-nn rows)")
    args = ap.parse_args()
    board = load_board(args.board)
    console = Console(width=130)
    table = Table(title=f"int8 vs 16x8 on {args.board}", title_justify="left")
    for col in ("model", "file", "kernels asked", "layers ran", "instructions", "arena",
                "flash", "bit-exact"):
        table.add_column(col)
    kernel_sets = ["portable", "mcugen"] + (["cmsis-nn"] if args.cmsis_nn else [])
    for name in MODELS:
        for rel in ("tf_int8", "tf_16x8", "tf_16x8_floatio"):
            graph = load_model(REAL / name / f"{rel}.tflite")
            for kernels in kernel_sets:
                count, arena, flash, exact, ran = measure(graph, board, kernels, args.cmsis_nn)
                table.add_row(name, rel, kernels, ran, f"{count:,}", f"{arena:,}",
                              f"{flash:,}", "yes" if exact else "NO")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
