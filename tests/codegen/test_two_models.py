"""Two generated models in one application: every symbol a model exports carries its name, so
kws_ref_model (mcugen's kernels) and hello_world_int8 (portable kernels) link into one host
program and one firmware and both compute what the simulator computes.

The firmware is a plain program (mcugen's startup and linker script, no harness): main() runs
both models through their descriptors and through <name>_invoke() on inputs embedded in it and
compares the outputs with the simulator's, also embedded; QEMU's semihosting exit code says
whether every byte matched.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mcugen.boards import load_board
from mcugen.codegen import render_model
from mcugen.firmware.build import linker_script, startup_source
from mcugen.firmware.flags import BARE_METAL_LINK, OPTIMIZATION, STD, WARNINGS, cpu_flags
from mcugen.model import load_model
from mcugen.sim import Simulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MODELS = [("kws_ref_model.tflite", "mcugen"), ("hello_world_int8.tflite", "portable")]


def _c_bytes(data: bytes) -> str:
    return ", ".join(str(b) for b in data) or "0"


def _program(models) -> str:
    """main(): each model via its descriptor, then via <name>_invoke(), checked byte for byte."""
    lines = ["#include <stdint.h>", "#include <string.h>"]
    for m in models:
        lines.append(f'#include "{m["name"]}_model.h"')
    lines.append("static int check(const mcugen_model_t *m, const uint8_t *in, const uint8_t *want)")
    lines.append("{")
    lines.append("    m->reset();")
    lines.append("    const void *inputs[1] = {in};")
    lines.append("    uint8_t out[64];")
    lines.append("    void *outputs[1] = {out};")
    lines.append("    if (m->invoke(inputs, outputs) != MCUGEN_OK) return 1;")
    lines.append("    return memcmp(out, want, m->info->output_bytes[0]) != 0;")
    lines.append("}")
    for m in models:
        n = m["name"]
        lines.append(f"static const uint8_t {n}_in[] = {{{_c_bytes(m['input'])}}};")
        lines.append(f"static const uint8_t {n}_want[] = {{{_c_bytes(m['output'])}}};")
    lines.append("int main(void)")
    lines.append("{")
    lines.append("    int bad = 0;")
    for k, m in enumerate(models):
        n = m["name"]
        lines.append(f"    bad |= check(&{n}_model, {n}_in, {n}_want) << {2 * k};")
        lines.append(f"    int8_t {n}_out[{len(m['output'])}];")
        lines.append(f"    bad |= ({n}_invoke((const int8_t *){n}_in, {n}_out) != 0"
                     f" || memcmp({n}_out, {n}_want, sizeof {n}_out) != 0) << {2 * k + 1};")
    lines.append("    return bad;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _render(tmp_path: Path, cpu: str) -> tuple[list[dict], list[Path], list[Path]]:
    """Both models rendered into their own folders; the sources of one application (each shared
    kernel file once: they are the same text for every model)."""
    models, sources, seen = [], [], {}
    rng = np.random.default_rng(7)
    for file, kernels in MODELS:
        graph = load_model(EXAMPLES / file)
        rendered = render_model(graph, tmp_path / Path(file).stem, kernels=kernels, cpu=cpu)
        x = rng.integers(-128, 128, graph.tensors[graph.inputs[0]].shape, dtype=np.int8)
        y = Simulator(graph).run([x]).outputs[0]
        models.append({"name": rendered.name, "input": x.tobytes(), "output": y.tobytes()})
        for src in rendered.sources:
            if src.name in seen:
                assert src.read_bytes() == seen[src.name].read_bytes(), src.name
                continue
            seen[src.name] = src
            sources.append(src)
    include_dirs = sorted({p.parent for p in seen.values()})
    return models, sources, include_dirs


def test_two_models_in_one_host_program(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no host C compiler")
    models, sources, include_dirs = _render(tmp_path, "host")
    main = tmp_path / "main.c"
    main.write_text(_program(models))
    exe = tmp_path / "two_models"
    subprocess.run([cc, OPTIMIZATION, STD, *WARNINGS, "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", *[f"-I{d}" for d in include_dirs],
                    str(main), *map(str, sources), "-o", str(exe)],
                   check=True, capture_output=True, text=True, timeout=300)
    assert subprocess.run([str(exe)], timeout=60).returncode == 0


def test_two_models_in_one_firmware(tmp_path):
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm (scripts/bootstrap.sh)")
    board = load_board("mps2-an386")
    models, sources, include_dirs = _render(tmp_path, board.cpu)
    main = tmp_path / "main.c"
    main.write_text(_program(models))
    (tmp_path / "linker.ld").write_text(linker_script(board))
    elf = tmp_path / "two_models.elf"
    proc = subprocess.run(["arm-none-eabi-gcc", *cpu_flags(board), OPTIMIZATION, STD, *WARNINGS,
                           *[f"-I{d}" for d in include_dirs], str(main), *map(str, sources),
                           str(startup_source()), *BARE_METAL_LINK,
                           f"-T{tmp_path / 'linker.ld'}", "-o", str(elf)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    symbols = subprocess.run(["arm-none-eabi-nm", "-g", "--defined-only", str(elf)],
                             capture_output=True, text=True, check=True).stdout
    for m in models:
        assert f" {m['name']}_model\n" in symbols and f" {m['name']}_invoke\n" in symbols
    run = subprocess.run(["qemu-system-arm", "-M", board.qemu_machine, "-display", "none",
                          "-monitor", "none", "-serial", "null", "-no-reboot",
                          "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                         capture_output=True, timeout=120)
    assert run.returncode == 0, f"mismatch bits {run.returncode:#x} (model k: bit 2k descriptor, " \
                                f"2k+1 <name>_invoke)"
