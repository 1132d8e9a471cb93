"""Issue 18, point 7: the Python API (mcugen/api.py) reaches what the commands do, and the
example script the README shows runs on the host board."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcugen import api
from mcugen.cli import main
from mcugen.errors import InputError
from tests.oracle import shared_model

REPO = Path(__file__).resolve().parent.parent


def _run_example(*args):
    env = {k: v for k, v in os.environ.items() if k != "MCUGEN_CMSIS_NN"}   # a fresh machine
    env["PYTHONPATH"] = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, str(REPO / "examples" / "python_api.py"), *args],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_example_script_runs_on_the_host_board():
    """(The default tier runs the script through the README's example: tests/docs.)"""
    proc = _run_example()            # examples/kws_ref_model.tflite on the host board
    assert proc.returncode == 0, proc.stderr
    for line in ("loaded kws_ref_model: 13 operators",
                 "plan: arena 16,000 bytes, lower bound 16,000, portable kernels on host",
                 "build: firmware-host for host", "verify: 5 inputs, bit-exact yes",
                 "profile: 13 layers, 2,656,768 MACs"):
        assert line in proc.stdout, proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_example_script_quantizes_a_float_model_first():
    proc = _run_example("--float", str(shared_model("tflm/hello_world_float.tflite")))
    assert proc.returncode == 0, proc.stderr
    assert "full int8" in proc.stdout and "bit-exact yes" in proc.stdout


def test_api_plan_equals_the_command(capsys):
    path = str(shared_model("mlperf_tiny/vww_96_int8.tflite"))
    for board in ("mps2-an386", "microbit"):
        plan = api.plan(api.load(path), board=board, kernels="portable")
        code = main(["plan", path, "--board", board, "--kernels", "portable", "--json"])
        data = json.loads(capsys.readouterr().out)
        assert data["arena_bytes"] == plan.arena_bytes
        assert data["fit"] == plan.fit and (code == 0) == plan.fits
    assert api.plan(path, cpu="cortex-m55", kernels="portable").board is None


def test_api_simulate_and_quantize_take_arrays(tmp_path):
    graph = api.load(shared_model("tflm/hello_world_float.tflite"))
    calib = np.linspace(0, 6.28, 32, dtype=np.float32).reshape(32, 1, 1)
    q = api.quantize(graph, calib)
    t = q.tensors[q.inputs[0]]
    out = api.simulate(q, [np.zeros(t.shape, t.dtype)])
    assert out[0].dtype == np.int8
    with pytest.raises(InputError, match="unknown board 'mps2-an368' \\(did you mean mps2-an386"):
        api.plan(q, board="mps2-an368")
