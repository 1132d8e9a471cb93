"""Issue 18, point 6: one rule picks board, core and kernels in every command (mcugen/target.py),
so `plan --board X` plans the arena `build --board X` links; `plan --board` says whether the
model fits; --board/--cpu are spelled alike in plan, generate, export and inspect; a board-name
typo suggests the near names; a command's inputs are read before anything compiles."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.target import resolve_target
from tests.oracle import shared_model

KWS = "mlperf_tiny/kws_ref_model.tflite"
VWW = "mlperf_tiny/vww_96_int8.tflite"


def _plan(capsys, *args) -> dict:
    assert main(["plan", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("board", ["mps3-an547", "mps2-an386", "mps2-an385", "host"])
def test_plan_and_generate_follow_builds_rule(board, capsys, tmp_path):
    model = str(shared_model(KWS))
    data = _plan(capsys, model, "--board", board)
    target = resolve_target(board)
    assert (data["board"], data["cpu"], data["kernels"]) == (target.name, target.cpu,
                                                             target.kernels)
    assert main(["generate", model, "-o", str(tmp_path), "--board", board]) == 0
    out = capsys.readouterr().out
    out = " ".join(out.split())
    assert f"({target.kernels} kernels, arena {data['arena_bytes']:,} bytes)" in out


@pytest.mark.timeout(300)
def test_plan_board_equals_the_built_arena(capsys, tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is not installed")
    model = str(shared_model(KWS))
    data = _plan(capsys, model, "--board", "mps3-an547")
    assert main(["build", model, "--board", "mps3-an547", "-o", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"arena: {data['arena_bytes']:,} bytes" in out and f"({data['kernels']} kernels" in out
    assert data["fit"]["fits"] is True


def test_plan_board_says_whether_the_model_fits(capsys):
    model = str(shared_model(VWW))
    assert main(["plan", model, "--board", "microbit", "--kernels", "portable"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert ("model does not fit microbit: RAM needs at least 57,344 bytes (arena 55,296, "
            "stack 2,048), the board has 16,384") in captured.err
    assert main(["plan", model, "--board", "mps2-an386"]) == 0
    assert "fits mps2-an386: RAM at least" in " ".join(capsys.readouterr().out.split())
    assert main(["plan", model, "--board", "microbit", "--json", "--kernels", "portable"]) == 2
    assert json.loads(capsys.readouterr().out)["fit"]["fits"] is False


@pytest.mark.parametrize("command", ["plan", "generate", "export", "inspect"])
def test_board_and_cpu_are_spelled_alike(command, capsys, tmp_path):
    model = str(shared_model(KWS))
    out = {"generate": ["-o", str(tmp_path / "g")],
           "export": ["--c-lib", str(tmp_path / "lib")]}.get(command, [])
    for option in (["--board", "mps2-an505"], ["--cpu", "cortex-m33"], ["--board", "rp2040"]):
        assert main([command, model, *out, *option]) == 0, option
    capsys.readouterr()
    assert main([command, model, *out, "--board", "mps2-an386", "--cpu", "cortex-m55"]) == 2
    assert "--board mps2-an386 has a cortex-m4, --cpu says cortex-m55" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["build", "plan", "generate", "export", "run", "verify"])
def test_board_typo_suggests_near_names(command, capsys, tmp_path):
    extra = {"generate": ["-o", str(tmp_path / "g")], "export": ["--c-lib", str(tmp_path / "l")],
             "run": ["--input", str(tmp_path / "x.npy")]}.get(command, [])
    assert main([command, str(shared_model(KWS)), *extra, "--board", "mps2-an368"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean mps2-an386" in err


@pytest.mark.parametrize("command", ["run", "verify"])
def test_inputs_are_checked_before_the_build(command, capsys, tmp_path, monkeypatch):
    import mcugen.firmware.build as fw

    def no_build(*args, **kwargs):
        raise AssertionError("the build started before the inputs were read")
    monkeypatch.setattr(fw, "build_firmware", no_build)
    bad = tmp_path / "x.npy"
    np.save(bad, np.zeros((3, 3), np.float32))       # wrong dtype and size for kws
    option = "--input" if command == "run" else "--inputs"
    assert main([command, str(shared_model(KWS)), option, str(bad), "--board", "host"]) == 2
    assert re.search(r"needs int8\[1, 49, 10, 1\]|int8", capsys.readouterr().err)
