"""Float islands inside an int8 model: replaced by the int8 operator where every input agrees,
otherwise kept in float32 where mcugen has a bit-exact float kernel
(tests/codegen/test_float_island_c.py), else refused by name in inspect and in code generation
(never "deployable" and then a compile error)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mcugen.model import save_model
from mcugen.model.builder import GraphBuilder
from mcugen.optimize import optimize
from tests.optimize.helpers import outputs
from tests.sim.compare import assert_matches_tflm

ALL = [[np.arange(-128, 128, dtype=np.int8).reshape(2, 128)]]


def island(opcode: str, out=(0.05, -2)):
    b = GraphBuilder(f"island_{opcode.lower()}")
    x = b.input("x", (2, 128), np.int8, scale=0.1, zero_point=3)
    f = b.tensor("f", (2, 128), np.float32)
    b.op("DEQUANTIZE", [x], [f], "DequantizeOptions")
    g = b.tensor("g", (2, 128), np.float32)
    if opcode == "ADD":
        b.op("ADD", [f, f], [g], "AddOptions", fused_activation_function="NONE")
    else:
        b.op(opcode, [f], [g])
    y = b.tensor("y", (2, 128), np.int8, scale=out[0], zero_point=out[1])
    b.op("QUANTIZE", [g], [y], "QuantizeOptions")
    b.output(y)
    return b.build()


@pytest.mark.parametrize("opcode,out", [("RELU", (0.05, -2)), ("RELU6", (0.1, 3)),
                                        ("LOGISTIC", (1 / 256, -128))])
def test_island_becomes_the_int8_operator(opcode, out):
    graph = island(opcode, out)
    assert_matches_tflm(graph, ALL)
    result = optimize(graph)
    if opcode == "LOGISTIC" and "float-island" not in [a.rewrite for a in result.applied]:
        pytest.skip("the int8 LOGISTIC differs from the float island on some input here")
    assert [op.opcode for op in result.graph.operators] == [opcode]
    assert result.graph.operators[0].source == (0, 1, 2)
    assert outputs(result.graph, ALL) == outputs(graph, ALL)
    assert_matches_tflm(result.graph, ALL)


def _mcugen(*args):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("opcode,out", [("ADD", (0.05, -2)), ("LOGISTIC", (0.05, -2))])
def test_island_that_stays_is_generated_in_float_or_refused(opcode, out, tmp_path):
    """ADD has a bit-exact float32 kernel: the island is generated (and needs an FPU); float
    LOGISTIC has none (TFLM's calls the C library's exp): refused in one line, by name."""
    graph = island(opcode, out)
    assert [op.opcode for op in optimize(graph).graph.operators] == \
        ["DEQUANTIZE", opcode, "QUANTIZE"]
    path = tmp_path / "island.tflite"
    save_model(graph, path)
    r = _mcugen("inspect", str(path), "--json")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    verdict = data["verdict"]
    assert "float island" in verdict
    assert data["float_layers"] == [{"index": 1, "opcode": opcode}]
    r = _mcugen("generate", str(path), "-o", str(tmp_path / "out"))
    if opcode == "ADD":
        assert "deployable on a core with an FPU" in verdict
        assert r.returncode == 0, r.stderr
        assert "mcugen_add_f32(" in (tmp_path / "out" / "island_model.c").read_text()
    else:
        assert "not deployable (LOGISTIC in float32" in verdict
        assert r.returncode == 2
        assert len(r.stderr.strip().splitlines()) == 1 and opcode in r.stderr
