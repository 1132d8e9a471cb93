"""Issue 18, point 5 (the library half): `mcugen export --platformio-lib --kernels cmsis-nn` is a
library that builds offline where a user drops it — a plain PlatformIO project on mcugen's local
platform, no other library, no registry — with only the CMSIS-NN sources the model calls, and
its example prints the simulator's output bytes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mcugen.cli import main as cli_main
from mcugen.codegen.cmsis_nn import find_cmsis_nn
from mcugen.model import load_model
from mcugen.optimize import optimize_graph
from mcugen.platformio import build_with_platformio, flash_with_platformio
from mcugen.sim.executor import Simulator
from tests.oracle import shared_model
from tests.platformio.conftest import cmsis_nn_tree

KWS = "mlperf_tiny/kws_ref_model.tflite"


@pytest.mark.qemu
@pytest.mark.cmsis_nn
@pytest.mark.timeout(600)
def test_exported_cmsis_nn_library_builds_offline_and_runs(tmp_path, pio_core):
    tree = cmsis_nn_tree()
    if tree is None:
        pytest.skip("MCUGEN_CMSIS_NN is not set to a CMSIS-NN tree")
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip("arm-none-eabi-gcc and qemu-system-arm are needed (scripts/bootstrap.sh)")
    model = shared_model(KWS)
    app = tmp_path / "app"
    lib = app / "lib" / "kws"
    assert cli_main(["export", str(model), "--name", "kws", "--platformio-lib", str(lib),
                     "--kernels", "cmsis-nn", "--cmsis-nn", str(tree)]) == 0
    assert cli_main(["export", "--platformio-platform", str(tmp_path / "platform")]) == 0

    text = (lib / "library.json").read_text()
    manifest = json.loads(text)
    assert "\\u00" not in text and "dependencies" not in manifest
    assert manifest["license"] and manifest["repository"]["url"]
    assert manifest["build"]["extraScript"] == "mcugen_cmsis_nn.py"
    script = (lib / "mcugen_cmsis_nn.py").read_text()
    listed = sorted(line.strip().strip('",') for line in script.splitlines()
                    if line.strip().startswith('"Source/'))
    cmsis = find_cmsis_nn(tree)
    graph = optimize_graph(load_model(model))
    needed = cmsis.sources_for((lib / "src" / "kws_model.c").read_text(), "cortex-m4")
    assert listed == sorted(p.relative_to(cmsis.root).as_posix() for p in needed)
    assert 10 <= len(listed) <= 30 < len(cmsis.sources())
    assert not list(lib.rglob("arm_*.c"))                  # referenced, never copied

    (app / "src").mkdir()
    shutil.copyfile(lib / "examples" / "kws_example" / "main.c", app / "src" / "main.c")
    (app / "platformio.ini").write_text(
        f"[env:app]\nplatform = symlink://{tmp_path / 'platform'}\n"
        "board = mcugen_mps2_an386\nboard_upload.timeout = 300\n")
    out = build_with_platformio(app, core_dir=pio_core, timeout=400)
    assert "[SUCCESS]" in out
    out = flash_with_platformio(app, core_dir=pio_core, timeout=400)
    line = next(ln for ln in out.splitlines() if ln.startswith("output:"))
    t = graph.tensors[graph.inputs[0]]
    x = (((np.arange(t.size) * 7 + 3) & 0x7F).astype(np.int8)).reshape(t.shape)  # main.c's input
    expected = Simulator(graph).run([x]).outputs[0].ravel().tolist()
    assert [int(v) for v in line.split()[1:]] == expected
