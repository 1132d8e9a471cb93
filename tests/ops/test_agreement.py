"""The stages agree on every operator, because they all read its record (mcugen/ops):

- every operator the quantizer accepts is simulated in float and in int8 and lowered by at least
  one backend, with a template for each; every operator simulated in both and lowered is
  quantizable (QUANTIZE/DEQUANTIZE, the quantizer's own I/O adapters, excepted);
- no stage has an operator or a dtype its record does not declare;
- "deployable" in ``inspect`` means ``generate`` succeeds with the same backend choice, on every
  shared model and on a single-operator model of every operator;
- every simulator kernel refuses a dtype it does not declare with a one-line error.

``test_removing_an_operator_from_one_stage_is_caught`` shows that the check fails when any one
stage loses an operator.
"""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from mcugen.codegen import render_model
from mcugen.codegen import lowering as lowering_registry
from mcugen.errors import InputError, UnsupportedOperatorError
from mcugen.model import load_model
from mcugen.model.summary import classify
from mcugen.ops import registry
from mcugen.ops.registry import records, undeployable
from mcugen.resources import templates_dir
from mcugen.sim import Simulator
from mcugen.sim import registry as sim_registry
from tests.oracle import shared_model
from tests.ops.models import single_op, single_op_models

ADAPTERS = {"QUANTIZE", "DEQUANTIZE"}
#: Generated from integer models but not yet quantized from float ones (issue 16's quantizer
#: part: `mcugen quantize` refuses a float SVDF by name). Remove when it lands.
QUANTIZER_PENDING = {"SVDF"}
ARITHMETIC = {"float32": sim_registry.FLOAT, "int8": sim_registry.QUANT,
              "int16": sim_registry.QUANT, "uint8": sim_registry.QUANT}


def _arithmetic(name: str, dtype: str) -> str:
    """The simulator's kernel kind for a dtype (the adapters are integer kernels throughout)."""
    return sim_registry.QUANT if name in ADAPTERS else ARITHMETIC[dtype]


def disagreements() -> list[str]:
    """Every way the stages disagree about an operator, as one line each."""
    sim_registry.lookup("ADD", sim_registry.QUANT)       # load every kernel
    lowering_registry.lookup("ADD")                     # load every lowering
    sim = set(sim_registry._KERNELS)
    problems = []
    for name, r in records().items():
        for dtype in r.dtypes:
            if (name, _arithmetic(name, dtype)) not in sim:
                problems.append(f"{name}: declares {dtype} but has no simulator kernel")
        lowered = lowering_registry.lookup(name) is not None and bool(r.backends)
        for backend in r.backends:
            if not (templates_dir() / lowering_registry.template_path(name, backend)).is_file():
                problems.append(f"{name}: no {backend} template")
        if r.backends and lowering_registry.lookup(name) is None:
            problems.append(f"{name}: declares backends but has no lowering")
        both = {"float32", "int8"} <= r.dtypes
        if r.quantizable and not (both and lowered):
            problems.append(f"{name}: quantizable but not simulated in float and int8 and "
                            "lowered")
        if both and lowered and not r.quantizable and name not in ADAPTERS | QUANTIZER_PENDING:
            problems.append(f"{name}: simulated and lowered but the quantizer refuses it")
    for name, arithmetic in sim:
        r = records().get(name)
        if r is None or arithmetic not in {_arithmetic(name, d) for d in r.dtypes}:
            problems.append(f"{name}: a {arithmetic} simulator kernel its record does not declare")
    for name in lowering_registry.lowered_ops():
        if not records()[name].backends:
            problems.append(f"{name}: lowered but its record names no backend")
    return problems


def test_the_stages_agree():
    assert disagreements() == []


def test_stage_tables_are_the_records():
    from mcugen.plan import lifetimes
    rewrite = importlib.import_module("mcugen.quantize.rewrite")
    assert rewrite.QUANTIZABLE == {n for n, r in records().items() if r.quantizable}
    assert set(rewrite.WEIGHTED) == {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
    assert lifetimes.ALIAS_OPS == {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}
    assert "LEAKY_RELU" in rewrite.QUANTIZABLE and "RELU_N1_TO_1" not in records()


@pytest.mark.parametrize("stage", ["float kernel", "int8 kernel", "lowering", "quantizer",
                                   "template"])
def test_removing_an_operator_from_one_stage_is_caught(stage, monkeypatch):
    sim_registry.lookup("ADD", sim_registry.QUANT)
    lowering_registry.lookup("ADD")
    if stage == "float kernel":
        monkeypatch.delitem(sim_registry._KERNELS, ("LEAKY_RELU", sim_registry.FLOAT))
    elif stage == "int8 kernel":
        monkeypatch.delitem(sim_registry._KERNELS, ("MEAN", sim_registry.QUANT))
    elif stage == "lowering":
        monkeypatch.delitem(lowering_registry._LOWERINGS, "TRANSPOSE")
    elif stage == "quantizer":
        monkeypatch.setitem(registry._RECORDS, "HARD_SWISH",
                            dataclasses.replace(records()["HARD_SWISH"], quant=None))
    else:
        monkeypatch.setattr(lowering_registry, "TEMPLATE_FOLDERS",
                            {**lowering_registry.TEMPLATE_FOLDERS, "cmsis-nn": "nowhere"})
    assert disagreements() != []


# -- deployable <=> generate succeeds ---------------------------------------------------------------
@pytest.fixture(scope="module")
def fake_cmsis_nn(tmp_path_factory):
    """A tree that passes CMSIS-NN discovery (rendering does not compile it)."""
    root = tmp_path_factory.mktemp("cmsis-nn")
    (root / "Include").mkdir()
    (root / "Include" / "arm_nnfunctions.h").write_text(" * $Revision:    V.19.1.0\n")
    return root


CHAINS = [("portable",), ("cmsis-nn", "portable")]


def _agree(graph, tmp_path, cmsis_nn) -> None:
    for chain in CHAINS:
        refused = undeployable(graph, chain)
        try:
            rendered = render_model(graph, tmp_path / "-".join(chain), kernels=chain[0],
                                    cmsis_nn=cmsis_nn)
        except InputError as exc:
            assert refused, f"{chain}: inspect says deployable, generate says: {exc}"
            assert str(exc).count("\n") == 0
        else:
            assert not refused, f"{chain}: inspect says {refused}, generate succeeded"
            layers = (rendered.out_dir / f"{rendered.name}_model.c").read_text()
            for op in graph.operators:
                assert f"op {op.index} {op.opcode} ({rendered.plan.backends[op.index]})" in layers


@pytest.mark.parametrize("label, graph", list(single_op_models()), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_deployable_means_generate_succeeds_single_op(label, graph, tmp_path, fake_cmsis_nn):
    _agree(graph, tmp_path, fake_cmsis_nn)


SHARED = ["mlperf_tiny/kws_ref_model.tflite", "mlperf_tiny/vww_96_int8.tflite",
          "mlperf_tiny/resnet8_int8.tflite", "mlperf_tiny/ad01_int8.tflite",
          "tflm/person_detect_int8.tflite", "tflm/micro_speech_int8.tflite",
          "tflm/hello_world_int8.tflite", "tflm/mnist_lstm_int8.tflite"]


@pytest.mark.parametrize("rel", SHARED)
def test_deployable_means_generate_succeeds_shared(rel, tmp_path, fake_cmsis_nn):
    graph = load_model(shared_model(rel))
    if classify(graph)[0] not in ("int8", "int8-uint8-io", "int8-float-io"):
        pytest.skip(f"{rel} is not an integer model")
    _agree(graph, tmp_path, fake_cmsis_nn)


def test_broadcasting_add_falls_back_to_mcugen_kernel(tmp_path, fake_cmsis_nn):
    """Regression: with CMSIS-NN preferred, a broadcasting ADD used to fail generation."""
    graph = single_op("ADD", broadcast=True)
    rendered = render_model(graph, tmp_path, kernels="cmsis-nn", cmsis_nn=fake_cmsis_nn)
    assert rendered.plan.backends == {0: "portable"}
    same = single_op("ADD")
    assert render_model(same, tmp_path / "same", kernels="cmsis-nn",
                        cmsis_nn=fake_cmsis_nn).plan.backends == {0: "cmsis-nn"}


# -- undeclared dtypes ------------------------------------------------------------------------------
@pytest.mark.parametrize("opcode", sorted(n for n, r in records().items()
                                          if "int8" in r.dtypes and "int16" not in r.dtypes
                                          and n not in ADAPTERS))
def test_simulator_refuses_undeclared_dtype(opcode):
    graph = single_op(opcode, dtype=np.int16)
    with pytest.raises(UnsupportedOperatorError) as info:
        Simulator(graph)
    message = str(info.value)
    assert f"unsupported operator {opcode} (int16) at index 0" in message
    assert "\n" not in message


@pytest.mark.parametrize("opcode", sorted(n for n, r in records().items()
                                          if "int16" in r.dtypes and n not in ADAPTERS))
def test_declared_int16_matches_tflm(opcode):
    """Every operator whose record declares int16 runs its representative int16 model exactly
    as TFLM does (the property tests of tests/sim/test_int16_props.py go wider)."""
    from tests.sim.single_op import check
    check(single_op(opcode, dtype=np.int16))


def test_readme_operator_table_is_current():
    from pathlib import Path

    from mcugen.ops.table import replace_block
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text()
    assert replace_block(text) == text, "run: python -m mcugen.ops.table --write README.md"
