"""Instructions per inference, arena, stack and flash on an emulated board, per kernel backend,
beside TFLM + CMSIS-NN measured the same way (QEMU -icount, a board timer around the invoke call).

    python benchmarks/device_instructions.py [--board mps2-an386] [--inputs 2] [--models kws,vww]
        [--kernels cmsis-nn,mcugen,portable] [--per-layer]

Ratios: mcugen's kernels against TFLM + CMSIS-NN (the peer, ../shared/benchmarks) and against
mcugen + CMSIS-NN on the same board. The compiler and QEMU versions are printed with the table.
--per-layer prints, per model, each backend's `mcugen profile` (the firmware's counter around every
layer, with mcugen's kernel variant) side by side; benchmarks/layer_instructions.py instead cuts
every layer out as a model of its own.

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
    ap.add_argument("--per-layer", action="store_true",
                    help="per model, the profile of each backend side by side, layer by layer")
    args = ap.parse_args()
    board = load_board(args.board)
    if args.per_layer:
        per_layer(args, board)
        return
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
    for rel, graph in selected_models(args):
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


def selected_models(args):
    """(name, graph) of the shared models present here that --models names (all by default)."""
    for rel in MODELS:
        path = model_path(rel)
        if path.exists() and (not args.models or any(m in rel for m in args.models.split(","))):
            yield rel, load_model(path)


def profile_backend(graph, board, kernels, cmsis_nn) -> dict:
    """`mcugen profile`'s report for one backend, on the peer's input."""
    from mcugen.cli.profile import peer_input, profile_layers
    from mcugen.device.verify import run_on_device
    with tempfile.TemporaryDirectory() as tmp:
        fw = build_firmware(graph, board, Path(tmp), kernels=kernels, cmsis_nn=cmsis_nn,
                            profile=True)
        with open_device(fw) as device:
            info = device.hello()
            _, inference = run_on_device(device, graph, peer_input(graph))
            profile = device.profile()
        return profile_layers(graph, fw, info, inference, profile)


def per_layer(args, board) -> None:
    """--per-layer: mcugen's kernels and the others requested (CMSIS-NN first), layer by layer."""
    backends = [k for k in args.kernels.split(",") if k != "cmsis-nn" or args.cmsis_nn]
    backends.sort(key=lambda k: (k != "mcugen", k != "cmsis-nn"))
    print(_versions())
    console = Console(width=200)
    for rel, graph in selected_models(args):
        reports = {k: profile_backend(graph, board, k, args.cmsis_nn) for k in backends}
        unit = reports[backends[0]]["unit"] or "instructions"
        table = Table(title=f"{graph.name} on {board.name}: {unit} per layer (profile)",
                      title_justify="left")
        for col in ["#", "operator", "MACs"] + [f"{k} (variant)" for k in backends] + \
                [f"{k} {unit}" for k in backends] + [f"{k} /MAC" for k in backends] + \
                ([f"{backends[0]} / {backends[1]}"] if len(backends) > 1 else []):
            table.add_column(col, justify="left" if col in ("operator",) or "variant" in col
                             else "right")
        rows = {k: reports[k]["layers"] for k in backends}
        for n, first in enumerate(rows[backends[0]]):
            cells = [str(n), first["operator"], f"{first['macs']:,}" if first["macs"] else ""]
            layer = {k: rows[k][n] for k in backends}
            cells += [f"{layer[k]['backend']}" + (f" ({layer[k]['variant']})"
                                                   if layer[k].get("variant") else "")
                      for k in backends]
            cells += [f"{layer[k].get(unit, 0):,}" for k in backends]
            cells += [f"{layer[k].get(f'{unit}_per_mac'):.2f}"
                      if layer[k].get(f"{unit}_per_mac") is not None else "" for k in backends]
            if len(backends) > 1:
                a, b = layer[backends[0]].get(unit), layer[backends[1]].get(unit)
                cells.append(f"{a / b:.3f}" if a and b else "")
            table.add_row(*cells)
        totals = [reports[k].get(f"{unit}_per_inference") for k in backends]
        table.add_row("", "whole inference", "", *[""] * len(backends),
                      *[f"{t:,}" if t else "" for t in totals], *[""] * len(backends),
                      *([f"{totals[0] / totals[1]:.3f}"] if len(backends) > 1 and all(totals)
                        else []))
        console.print(table)


def _versions() -> str:
    import subprocess
    gcc = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True, text=True)
    qemu = subprocess.run(["qemu-system-arm", "--version"], capture_output=True, text=True)
    return (f"compiler: {gcc.stdout.splitlines()[0] if gcc.stdout else '?'}; "
            f"QEMU: {qemu.stdout.splitlines()[0] if qemu.stdout else '?'}")


if __name__ == "__main__":
    main()
