"""The optimiser in the commands: on by default, --no-optimize off, inspect --optimized, and
the original operator indices in plan --json."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.oracle import shared_model

TCN = "real_data/mnist1d_tcn/tf_int8.tflite"


def _mcugen(*args):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=300)


def test_plan_json_names_the_original_operators_and_no_optimize_refuses_in_one_line():
    path = str(shared_model(TCN))
    r = _mcugen("plan", path, "--json")
    assert r.returncode == 0, r.stderr
    ops = json.loads(r.stdout)["operators"]
    assert len(ops) == 25
    assert {"index": 4, "opcode": "CONV_2D", "original_operators": [3, 5, 7]} in ops
    r = _mcugen("plan", path, "--no-optimize")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "SPACE_TO_BATCH_ND at index 3" in r.stderr


def test_inspect_optimized_lists_the_rewrites_and_the_verdict_is_the_deployed_graphs():
    path = str(shared_model(TCN))
    r = _mcugen("inspect", path, "--json")
    data = json.loads(r.stdout)
    assert data["verdict"] == "full int8 with int8 I/O: deployable"
    assert data["optimized"]["operators_before"] == 29
    assert data["optimized"]["operators_after"] == 25
    assert [w["rewrite"] for w in data["optimized"]["rewrites"]] == ["dilated-conv"] * 2
    assert len(data["ops"]) == 29                     # the model as read
    r = _mcugen("inspect", path, "--optimized")
    assert r.returncode == 0
    assert "after the optimiser" in r.stdout and "dilated-conv:" in r.stdout
