"""The build/run/verify commands and their exit codes: 0 identical, 1 mismatch, 2 bad input,
3 broken rack."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mcugen.boards import all_boards, load_board
from mcugen.cli import main
from mcugen.device.runner import open_device
from mcugen.device.verify import locate_divergence, random_inputs, verify_on_device
from mcugen.firmware.build import build_firmware
from mcugen.model import load_model
from tests.device.conftest import need_tools
from tests.oracle import shared_model

pytestmark = pytest.mark.timeout(300)
KWS = "mlperf_tiny/kws_ref_model.tflite"


def _cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.qemu
def test_verify_default_board_json_and_junit(tmp_path):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    proc = _cli("verify", str(shared_model(KWS)), "--kernels", "portable", "--inputs", "2",
                "--json", str(tmp_path / "v.json"), "--junit", str(tmp_path / "v.xml"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["bit_exact"] and data["board"] == "mps2-an386" and data["n_inputs"] == 2
    assert data["instructions_per_inference"] > 0 and data["arena_bytes"] == 16000
    for key in ("model", "kernels", "mismatches", "flash_bytes", "ram_bytes"):
        assert key in data
    assert 'failures="0"' in (tmp_path / "v.xml").read_text()


def test_run_on_host_board_prints_the_oracle_answer(tmp_path):
    sample = tmp_path / "x.npy"
    from tests.oracle import shared_input
    np.save(sample, shared_input("kws_sample_int8.npy"))
    proc = _cli("run", str(shared_model(KWS)), "--board", "host", "--kernels", "portable",
                "--input", str(sample))
    assert proc.returncode == 0, proc.stderr
    assert "values:      -128 -128 -128 -128 -128 127 -128" in proc.stdout
    assert "top classes: 5 (0.9961)" in proc.stdout      # class 5, as MLPerf Tiny says


@pytest.mark.parametrize("args,message", [
    (("--board", "no-such-board"), "unknown board"),
    (("--board", "microbit"), "does not fit microbit"),
])
def test_bad_requests_exit_2(args, message):
    need_tools("arm-none-eabi-gcc")
    proc = _cli("build", str(shared_model("mlperf_tiny/vww_96_int8.tflite")), "--kernels",
                "portable", "-o", "/tmp/mcugen-test-never", *args)
    assert proc.returncode == 2 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_emulator_exits_3(monkeypatch, capsys):
    need_tools("arm-none-eabi-gcc")
    import mcugen.device.runner as runner
    real = runner.shutil.which
    monkeypatch.setattr(runner.shutil, "which",
                        lambda name: None if name == "qemu-system-arm" else real(name))
    code = main(["verify", str(shared_model("tflm/hello_world_int8.tflite")), "--kernels",
                 "portable", "--inputs", "1"])
    assert code == 3 and "qemu-system-arm not found" in capsys.readouterr().err


def test_float_model_without_calibration_exits_2(capsys):
    code = main(["build", str(shared_model("tflm/hello_world_float.tflite")), "-o", "/tmp/x"])
    assert code == 2 and "--calib" in capsys.readouterr().err


def test_mismatch_names_the_first_diverging_layer(tmp_path):
    """Firmware built from a model with one weight changed in layer 1, checked against the
    original: verify reports the mismatch and the debug build names layer 1."""
    original = load_model(shared_model("tflm/hello_world_int8.tflite"))
    tampered = load_model(shared_model("tflm/hello_world_int8.tflite"))
    op = tampered.operators[1]
    weights = tampered.tensors[op.inputs[1]]
    weights.data = (weights.data.astype(np.int16) + 40).clip(-127, 127).astype(np.int8)
    host = load_board("host")
    fw = build_firmware(tampered, host, tmp_path / "release", kernels="portable")
    samples = random_inputs(original, 5, seed=3)
    with open_device(fw) as device:
        result = verify_on_device(device, original, samples)
    assert not result.bit_exact
    debug = build_firmware(tampered, host, tmp_path / "debug", kernels="portable",
                           debug_keep_all=True)
    with open_device(debug) as device:
        where = locate_divergence(device, original, samples[result.mismatches[0].input_index],
                                  debug.rendered.plan.order)
    assert where.startswith("op 1 FULLY_CONNECTED")


def test_boards_listing_and_real_boards_compile(tmp_path):
    """Every real board (experimental) builds for its CPU; `mcugen boards` lists them all."""
    need_tools("arm-none-eabi-gcc")
    proc = _cli("boards", "--json")
    names = {b["name"] for b in json.loads(proc.stdout)}
    assert names == set(all_boards())
    graph = load_model(shared_model("tflm/hello_world_int8.tflite"))
    for board in all_boards().values():
        if board.run_method == "platformio":
            fw = build_firmware(graph, board, tmp_path / board.name, kernels="portable")
            assert fw.size.flash_bytes < board.flash.length


def test_makefile_carries_the_build_recipe(loop_firmware):
    """The Makefile beside the ELF rebuilds it with the flags the Python build used."""
    from mcugen.firmware.flags import firmware_recipe
    fw = loop_firmware("mps2-an386")
    recipe = firmware_recipe(fw.board)
    makefile = (fw.elf.parent / "Makefile").read_text().splitlines()
    assert f"CFLAGS = {' '.join(recipe.compile)}" in makefile
    assert f"OWN_FLAGS = {' '.join(recipe.own)}" in makefile
    assert f"LIB_FLAGS = {' '.join(recipe.library)}" in makefile
    assert any(line.startswith(f"LDFLAGS = {' '.join(recipe.link)} -T") for line in makefile)
