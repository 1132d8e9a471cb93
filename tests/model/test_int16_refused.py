"""Never silently wrong: an operator whose dtype mcugen does not implement (the int16 layers of
the TF converter's 16x8 models) is refused by every command with one line naming operator, dtype
and index, exit 2; ``inspect`` lists it as not deployable and exits 0."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.model import load_model
from mcugen.ops.registry import lookup, op_dtypes
from tests.oracle import shared_model

REPO = Path(__file__).resolve().parents[2]
DSCNN = "real_data/digits_dscnn"
LINE = re.compile(r"^mcugen: error: unsupported operator ([A-Z_0-9]+) \((int16)\) at index (\d+)")


def _first_unimplemented(model: Path) -> tuple[str, int]:
    graph = load_model(model)
    for op in graph.operators:
        r = lookup(op.opcode)
        if any(d not in r.dtypes for d in op_dtypes(graph, op)):
            return op.opcode, op.index
    pytest.skip("every operator of this model is implemented")


def _input(tmp_path: Path, model: Path) -> Path:
    graph = load_model(model)
    t = graph.tensors[graph.inputs[0]]
    path = tmp_path / "x.npy"
    np.save(path, np.zeros(t.shape, t.dtype))
    return path


@pytest.mark.parametrize("name", ["tf_16x8", "tf_16x8_floatio"])
@pytest.mark.parametrize("command", ["simulate", "plan", "generate", "build", "run", "verify",
                                     "profile", "export"])
def test_every_command_refuses_int16_operators(tmp_path, capsys, name, command):
    model = shared_model(f"{DSCNN}/{name}.tflite")
    opcode, index = _first_unimplemented(model)
    args = {"simulate": ["--input", str(_input(tmp_path, model))],
            "generate": ["-o", str(tmp_path / "out")],
            "build": ["--kernels", "portable"],
            "run": ["--input", str(_input(tmp_path, model))],
            "verify": ["--input", str(_input(tmp_path, model))],
            "export": ["--c-lib", str(tmp_path / "lib")]}.get(command, [])
    assert main([command, str(model)] + args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    m = LINE.match(err)
    assert m is not None, err
    assert (m.group(1), int(m.group(3))) == (opcode, index)


def test_inspect_lists_int16_operators(capsys):
    model = shared_model(f"{DSCNN}/tf_16x8.tflite")
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "arena: not planned (unsupported operator" in out
    assert "not deployable" in out


def test_simulate_refusal_in_a_subprocess(tmp_path):
    """The real command line: exit 2, one line, no traceback."""
    model = shared_model(f"{DSCNN}/tf_16x8.tflite")
    opcode, index = _first_unimplemented(model)
    proc = subprocess.run([sys.executable, "-m", "mcugen", "simulate", str(model), "--input",
                           str(_input(tmp_path, model))], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert f"unsupported operator {opcode} (int16) at index {index}" in proc.stderr
