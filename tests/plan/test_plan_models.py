"""Plans for the shared models: valid, at the lower bound, and against independent figures."""

from __future__ import annotations

import json

import pytest

from mcugen.cli import main
from mcugen.model import load_model
from mcugen.plan import plan_memory, validate_plan
from mcugen.plan.lifetimes import compute_lifetimes
from tests.oracle import INT8_MODELS, SHARED_MODELS, published_figures, shared_model

CORES = ["cortex-m4", "cortex-m55", "cortex-m3"]


@pytest.mark.parametrize("rel", INT8_MODELS)
@pytest.mark.parametrize("kernels", ["portable", "cmsis-nn"])
@pytest.mark.parametrize("cpu", CORES)
def test_plan_valid_and_within_2_percent_of_bound(rel, kernels, cpu):
    graph = load_model(shared_model(rel))
    plan = plan_memory(graph, kernels=kernels, cpu=cpu)
    validate_plan(graph, plan)
    assert plan.arena_bytes <= plan.lower_bound_bytes * 1.02


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_debug_plan_keeps_every_tensor(rel):
    graph = load_model(shared_model(rel))
    plan = plan_memory(graph, keep_all=True)
    validate_plan(graph, plan)
    total = sum(t.nbytes for t in graph.activations())
    assert plan.arena_bytes >= sum(t.nbytes for t in graph.activations()
                                   if plan.aliases[t.index] == t.index)
    assert plan.arena_bytes <= total + 4 * len(graph.tensors)


@pytest.mark.parametrize("key,rel", [
    ("kws", "mlperf_tiny/kws_ref_model.tflite"), ("vww", "mlperf_tiny/vww_96_int8.tflite"),
    ("resnet8", "mlperf_tiny/resnet8_int8.tflite"), ("ad01", "mlperf_tiny/ad01_int8.tflite"),
    ("person_detect", "tflm/person_detect_int8.tflite")])
def test_activation_bound_matches_published(key, rel):
    """Without in-place reuse, in the graph's order, our live-bytes peak is the published
    activations-only lower bound (computed independently for ../shared/benchmarks)."""
    graph = load_model(shared_model(rel))
    order = list(range(len(graph.operators)))
    lifetimes, _ = compute_lifetimes(graph, order, keep_all=False)
    # undo in-place sharing: every tensor counts on its own, aliases (reshape) stay shared
    from mcugen.plan.lifetimes import ALIAS_OPS
    producer = {t: op for op in graph.operators for t in op.outputs}
    peak = 0
    for step in range(len(order)):
        live = 0
        for life in lifetimes.values():
            for t in life.members:
                p = producer.get(t)
                if p is not None and p.opcode in ALIAS_OPS:
                    continue
                first = order.index(p.index) if p else 0
                reads = [order.index(op.index) for op in graph.operators if t in op.inputs]
                last = len(order) - 1 if t in graph.outputs else max(reads + [first])
                # an aliased tensor's readers extend its owner's life
                for m in life.members:
                    q = producer.get(m)
                    if q is not None and q.opcode in ALIAS_OPS and t in q.inputs:
                        last = max([last] + [order.index(op.index) for op in graph.operators
                                             if m in op.inputs])
                if first <= step <= last:
                    live += graph.tensors[t].nbytes
        peak = max(peak, live)
    assert peak == published_figures("Activation lower bound")[key]


@pytest.mark.parametrize("key,rel,ratio", [
    ("kws", "mlperf_tiny/kws_ref_model.tflite", 0.73),
    ("vww", "mlperf_tiny/vww_96_int8.tflite", 0.57),
    ("resnet8", "mlperf_tiny/resnet8_int8.tflite", 0.92),
    ("person_detect", "tflm/person_detect_int8.tflite", 0.69)])
def test_beats_tflm_arena_on_m4(key, rel, ratio):
    peer = SHARED_MODELS.parent / "benchmarks" / "tflm-cmsis-nn-qemu.json"
    if not peer.exists():
        pytest.skip(f"{peer} is absent")
    results = json.loads(peer.read_text())["results"]
    tflm = next(v for k, v in results.items() if k.endswith(rel.split("/")[-1]))
    graph = load_model(shared_model(rel))
    plan = plan_memory(graph, kernels="cmsis-nn", cpu="cortex-m4")
    assert plan.arena_bytes <= ratio * tflm["mps2-an386"]["arena_used_bytes"]


def test_plan_is_deterministic():
    graph = load_model(shared_model("mlperf_tiny/resnet8_int8.tflite"))
    assert plan_memory(graph, "cmsis-nn").to_json() == plan_memory(graph, "cmsis-nn").to_json()


def test_cli_json_and_svg(tmp_path, capsys):
    path = shared_model("mlperf_tiny/kws_ref_model.tflite")
    svg = tmp_path / "plan.svg"
    assert main(["plan", str(path), "--json", "--svg", str(svg), "--kernels", "cmsis-nn"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("arena_bytes", "lower_bound_bytes", "peak_op", "buffers"):
        assert key in data
    for b in data["buffers"]:
        assert {"name", "offset", "size", "first_op", "last_op"} <= set(b)
    assert svg.read_text().startswith("<svg") and svg.read_text().count("<rect") > 5


def test_inspect_shows_arena(capsys):
    path = str(shared_model("mlperf_tiny/kws_ref_model.tflite"))
    assert main(["inspect", path, "--cpu", "cortex-m4"]) == 0    # CMSIS-NN or portable: 16,000
    assert "arena: 16,000 bytes" in capsys.readouterr().out
    assert main(["plan", path, "--json"]) == 0                   # build's default board
    arena = json.loads(capsys.readouterr().out)["arena_bytes"]
    assert main(["inspect", path]) == 0
    assert f"arena: {arena:,} bytes" in capsys.readouterr().out


def test_cli_rejects_unknown_kernels(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "x.tflite", "--kernels", "tvm"])
    assert exc.value.code == 2


@pytest.mark.parametrize("damage", ["overlap", "outside", "misaligned", "order"])
def test_validator_catches_broken_plans(damage):
    from mcugen.plan import PlanError
    graph = load_model(shared_model("mlperf_tiny/kws_ref_model.tflite"))
    plan = plan_memory(graph)
    tensors = [b for b in plan.buffers if b.kind == "tensor"]
    if damage == "overlap":     # put two buffers live at the same step on the same bytes
        a = next(b for b in tensors if b.first_op < b.last_op)
        other = next(b for b in tensors if b is not a and b.first_op <= a.last_op
                     and a.first_op <= b.last_op)
        other.offset = a.offset
    elif damage == "outside":
        tensors[0].offset = plan.arena_bytes
    elif damage == "misaligned":
        tensors[0].offset += 1
    else:
        plan.order = list(reversed(plan.order))
    with pytest.raises(PlanError):
        validate_plan(graph, plan)
