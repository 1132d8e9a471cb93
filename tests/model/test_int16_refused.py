"""Never silently wrong: an operator whose dtype mcugen does not implement is refused by every
command with one line naming operator, dtype and index, exit 2 — in the simulator (an int16
operator its record does not declare) and in code generation (an int16 layer no backend takes);
``inspect`` lists such layers as not deployable and exits 0."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.errors import UnsupportedOperatorError
from mcugen.model import load_model, save_model
from mcugen.ops.registry import backend_chain, choose_backend, lookup
from tests.ops.models import single_op

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^mcugen: error: unsupported operator ([A-Z_0-9]+) \((int16)\) at index (\d+)")
CANDIDATES = ("HARD_SWISH", "MAXIMUM", "MINIMUM", "LOGISTIC", "TANH", "ADD", "MUL", "SUB",
              "LEAKY_RELU", "PAD", "TRANSPOSE", "MEAN", "CONCATENATION", "STRIDED_SLICE", "RELU",
              "RELU6")


def _undeployable_model(tmp_path: Path) -> tuple[Path, str]:
    """A single-op int16 model the simulator runs but no backend generates: a TRANSPOSE_CONV
    whose output_shape is a graph input (simulated, values checked; never generated)."""
    from tests.sim.test_int16_props import _fixed_deconv, transpose_conv_graph
    graph = transpose_conv_graph(_fixed_deconv(), np.int16, "int64", shape_input=True)
    try:
        choose_backend(graph, graph.operators[0], backend_chain("portable"))
    except UnsupportedOperatorError:
        path = tmp_path / "transpose_conv_int16.tflite"
        save_model(graph, path)
        return path, "TRANSPOSE_CONV"
    for opcode in CANDIDATES:
        r = lookup(opcode)
        if "int16" not in r.dtypes:
            continue
        graph = single_op(opcode, dtype=np.int16)
        try:
            choose_backend(graph, graph.operators[0], backend_chain("portable"))
        except UnsupportedOperatorError:
            path = tmp_path / f"{opcode.lower()}_int16.tflite"
            save_model(graph, path)
            return path, opcode
    pytest.skip("every candidate int16 operator has a backend")


def _input(tmp_path: Path, model: Path) -> Path:
    graph = load_model(model)
    path = tmp_path / "x.npz"
    np.savez(path, *[np.zeros(graph.tensors[i].shape, graph.tensors[i].dtype)
                     for i in graph.inputs])
    return path


@pytest.mark.parametrize("command", ["generate", "build", "run", "verify", "profile", "export"])
def test_every_deploying_command_refuses_int16_layers(tmp_path, capsys, command):
    model, opcode = _undeployable_model(tmp_path)
    args = {"generate": ["-o", str(tmp_path / "out")],
            "run": ["--input", str(_input(tmp_path, model))],
            "verify": ["--inputs", str(_input(tmp_path, model))],
            "export": ["--c-lib", str(tmp_path / "lib")]}.get(command, [])
    assert main([command, str(model), "--kernels", "portable"] + args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    m = LINE.match(err)
    assert m is not None, err
    assert (m.group(1), int(m.group(3))) == (opcode, 0)


def test_inspect_lists_undeployable_int16_layers(tmp_path, capsys):
    model, opcode = _undeployable_model(tmp_path)
    assert main(["inspect", str(model)]) == 0
    assert f"not yet deployable: {opcode} at 0" in capsys.readouterr().out.replace("\n", " ")


def test_simulate_refuses_an_undeclared_int16_operator(tmp_path):
    """The real command line: exit 2, one line, no traceback."""
    opcode = next((n for n in CANDIDATES if "int16" not in lookup(n).dtypes), None)
    if opcode is None:
        pytest.skip("every candidate operator simulates int16")
    path = tmp_path / "m.tflite"
    save_model(single_op(opcode, dtype=np.int16), path)
    proc = subprocess.run([sys.executable, "-m", "mcugen", "simulate", str(path), "--input",
                           str(_input(tmp_path, path))], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert f"unsupported operator {opcode} (int16) at index 0" in proc.stderr


def test_planner_refuses_an_undeclared_int16_operator(tmp_path, capsys):
    """plan (and inspect's plan line) refuse before any prepare computes int8 constants."""
    opcode = next((n for n in CANDIDATES if "int16" not in lookup(n).dtypes), None)
    if opcode is None:
        pytest.skip("every candidate operator simulates int16")
    path = tmp_path / "m.tflite"
    save_model(single_op(opcode, dtype=np.int16), path)
    assert main(["plan", str(path)]) == 2
    assert LINE.match(capsys.readouterr().err)
    assert main(["inspect", str(path)]) == 0
    assert "arena: not planned (unsupported operator" in capsys.readouterr().out
