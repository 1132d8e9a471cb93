"""Instructions per inference, arena, stack and flash on an emulated board, per kernel backend,
beside TFLM + CMSIS-NN measured the same way (QEMU -icount, a board timer around the invoke call).

    python benchmarks/device_instructions.py [--board mps2-an386] [--inputs 2] [--models kws,vww]
        [--kernels cmsis-nn,mcugen,portable]

Ratios: mcugen's kernels against TFLM + CMSIS-NN (the peer, ../shared/benchmarks) and against
mcugen + CMSIS-NN on the same board. The compiler and QEMU versions are printed with the table.
Per layer: benchmarks/layer_instructions.py.

The CMSIS-NN column needs MCUGEN_CMSIS_NN (or --cmsis-nn DIR). Counts are instructions, not
cycles: QEMU does not model cycles.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._peer import MODELS, model_path, peer  # noqa: E402
from mcugen.boards import load_board  # noqa: E402
from mcugen.firmware.build import build_firmware  # noqa: E402
from mcugen.model import load_model  # noqa: E402
from mcugen.device.runner import open_device  # noqa: E402
from mcugen.device.verify import random_inputs, verify_on_device  # noqa: E402


def measure(graph, board, kernels, cmsis_nn, n_inputs):
    with tempfile.TemporaryDirectory() as tmp:
        fw = build_firmware(graph, board, Path(tmp), kernels=kernels, cmsis_nn=cmsis_nn)
        # the peer's input: rng(0) bytes; plus more random inputs
        samples = random_inputs(graph, n_inputs, seed=0)
        size = sum(graph.tensors[i].size for i in graph.inputs)
        peer_input = np.random.default_rng(0).integers(-128, 128, size=size, dtype=np.int8)
        samples[0] = [peer_input.reshape(graph.tensors[graph.inputs[0]].shape)]
        with open_device(fw) as device:
            result = verify_on_device(device, graph, samples)
        return fw, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--inputs", type=int, default=2)
    ap.add_argument("--cmsis-nn", default=os.environ.get("MCUGEN_CMSIS_NN"))
    ap.add_argument("--models", help="comma-separated substrings of the model names")
    ap.add_argument("--kernels", default="cmsis-nn,mcugen,portable")
    args = ap.parse_args()
    board = load_board(args.board)
    backends = [k for k in args.kernels.split(",") if k != "cmsis-nn" or args.cmsis_nn]
    # mcugen + CMSIS-NN first: the other rows' "vs mcugen+CMSIS-NN" needs its count
    backends.sort(key=lambda k: k != "cmsis-nn")
    print(_versions())
    table = Table(title=f"per inference on {board.name} ({board.cpu}), QEMU -icount: "
                        "instructions, not cycles", title_justify="left")
    for col in ("model", "kernels", "mcugen instr.", "TFLM+CMSIS-NN instr.", "ratio",
                "vs mcugen+CMSIS-NN", "arena", "TFLM arena*", "stack", "flash", "code flash**",
                "TFLM flash w/o model", "code ratio", "bit-exact"):
        table.add_column(col, justify="left" if col in ("model", "kernels") else "right")
    for rel in MODELS:
        path = model_path(rel)
        if not path.exists() or (args.models and not any(m in rel for m in
                                                         args.models.split(","))):
            continue
        graph = load_model(path)
        p = peer(rel, board.name)
        counts = {}
        for kernels in backends:
            fw, result = measure(graph, board, kernels, args.cmsis_nn, args.inputs)
            count = result.counts[0] if result.counts else None
            counts[kernels] = count
            tflm = p.get("instructions_per_inference")
            code = fw.size.code_flash_bytes
            tflm_code = p.get("flash_bytes_excluding_model_and_input")
            own_cmsis = counts.get("cmsis-nn")
            table.add_row(graph.name, kernels, f"{count:,}" if count else "-",
                          f"{tflm:,}" if tflm else "-",
                          f"{count / tflm:.3f}" if count and tflm else "-",
                          f"{count / own_cmsis:.3f}" if count and own_cmsis else "-",
                          f"{fw.rendered.arena_bytes:,}", f"{p.get('arena_used_bytes', 0):,}",
                          f"{result.stack_bytes:,}",
                          f"{fw.size.flash_bytes:,}", f"{code:,}",
                          f"{tflm_code:,}" if tflm_code else "-",
                          f"{code / tflm_code:.3f}" if tflm_code else "-",
                          "yes" if result.bit_exact else "NO")
    console = Console(width=200)
    console.print(table)
    console.print("* TFLM's arena_used_bytes also holds its runtime structures. ** flash minus the "
                  "model's constant data (weights, biases, requantization tables).")


def _versions() -> str:
    import subprocess
    gcc = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True, text=True)
    qemu = subprocess.run(["qemu-system-arm", "--version"], capture_output=True, text=True)
    return (f"compiler: {gcc.stdout.splitlines()[0] if gcc.stdout else '?'}; "
            f"QEMU: {qemu.stdout.splitlines()[0] if qemu.stdout else '?'}")


if __name__ == "__main__":
    main()
