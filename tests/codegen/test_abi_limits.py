"""The model ABI's limits are checked before any C is written: a model with more inputs or outputs
than mcugen_model_api.h has room for is a one-line input error (exit 2), not a C compiler error
(exit 3) or, without -Werror, an invoke() that writes past its pointer arrays."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mcugen.model import save_model
from mcugen.model.builder import GraphBuilder
from mcugen.resources import c_constants

MAX_IO = c_constants("runtime/mcugen_model_api.h")["MCUGEN_MAX_IO"]


def _sum_of_inputs(n: int):
    """n int8 inputs of shape (1, 4) summed by a chain of ADDs into one output."""
    b = GraphBuilder(f"sum{n}")
    q = dict(scale=0.05, zero_point=0)
    acc = b.input("x0", (1, 4), np.int8, **q)
    for k in range(1, n):
        x = b.input(f"x{k}", (1, 4), np.int8, **q)
        out = b.tensor(f"s{k}", (1, 4), np.int8, scale=0.05 * (k + 1), zero_point=0)
        b.op("ADD", [acc, x], [out], "AddOptions", fused_activation_function="NONE")
        acc = out
    b.output(acc)
    return b.build()


def _generate(graph, tmp_path):
    model = tmp_path / f"{graph.name}.tflite"
    save_model(graph, model)
    return subprocess.run([sys.executable, "-m", "mcugen", "generate", str(model), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)


def test_too_many_inputs_is_a_one_line_input_error(tmp_path):
    proc = _generate(_sum_of_inputs(MAX_IO + 1), tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcugen: error: ")
    assert f"model has {MAX_IO + 1} inputs and 1 output;" in lines[0]
    assert f"at most {MAX_IO}" in lines[0]
    assert not (tmp_path / "out" / f"sum{MAX_IO + 1}_model.c").exists()


@pytest.mark.parametrize("n", [MAX_IO])
def test_as_many_inputs_as_the_abi_holds_generates(n, tmp_path):
    proc = _generate(_sum_of_inputs(n), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / f"sum{n}_model.c").is_file()
