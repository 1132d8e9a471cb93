"""Instructions per inference, arena and flash on an emulated board, per kernel backend, beside
TFLM + CMSIS-NN measured the same way (QEMU -icount, a board timer around the invoke call).

    python benchmarks/device_instructions.py [--board mps2-an386] [--inputs 2]

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
    args = ap.parse_args()
    board = load_board(args.board)
    backends = ["portable"] + (["cmsis-nn"] if args.cmsis_nn else [])
    table = Table(title=f"per inference on {board.name} ({board.cpu}), QEMU -icount: "
                        "instructions, not cycles", title_justify="left")
    for col in ("model", "kernels", "mcugen instr.", "TFLM+CMSIS-NN instr.", "ratio",
                "arena", "TFLM arena*", "flash", "code flash**", "TFLM flash w/o model",
                "code ratio", "bit-exact"):
        table.add_column(col, justify="left" if col in ("model", "kernels") else "right")
    for rel in MODELS:
        path = model_path(rel)
        if not path.exists():
            continue
        graph = load_model(path)
        p = peer(rel, board.name)
        for kernels in backends:
            fw, result = measure(graph, board, kernels, args.cmsis_nn, args.inputs)
            count = result.counts[0] if result.counts else None
            tflm = p.get("instructions_per_inference")
            code = fw.size.code_flash_bytes
            tflm_code = p.get("flash_bytes_excluding_model_and_input")
            table.add_row(graph.name, kernels if kernels == "portable" else
                          f"cmsis-nn", f"{count:,}" if count else "-",
                          f"{tflm:,}" if tflm else "-",
                          f"{count / tflm:.3f}" if count and tflm else "-",
                          f"{fw.rendered.arena_bytes:,}", f"{p.get('arena_used_bytes', 0):,}",
                          f"{fw.size.flash_bytes:,}", f"{code:,}",
                          f"{tflm_code:,}" if tflm_code else "-",
                          f"{code / tflm_code:.3f}" if tflm_code else "-",
                          "yes" if result.bit_exact else "NO")
    console = Console(width=200)
    console.print(table)
    console.print("* TFLM's arena_used_bytes also holds its runtime structures. ** flash minus the "
                  "model's constant data (weights, biases, requantization tables).")


if __name__ == "__main__":
    main()
