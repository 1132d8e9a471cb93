"""Record and constants of SVDF (TFLM's ``svdf.cc`` / ``svdf_common.cc`` PrepareSvdf), shared by
the simulator and, later, the code generator.

SVDF keeps a window of ``memory_size`` past feature-filter outputs per filter in one variable
tensor (the activation state, [batch, memory_size * num_filters]). TFLM takes an int8 input,
int8 feature weights, int8 or int16 time weights with a state of the same type, an int32 bias
and an int8 output; or float32 throughout. Its Prepare (integer) and Eval (float) read the bias
whether or not there is one, so an SVDF without a bias is refused here (TFLM crashes). Its
integer kernel does not apply the fused activation (only the int8 range): mcugen accepts NONE,
and RELU where the output's zero point is -128 (the int8 range is then the RELU), and refuses
the rest rather than compute something else than the float model says.

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/svdf.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedOperatorError
from ..fixedpoint import quantize_multiplier
from ..model.graph import Graph, Operator
from .common import scale_of, zero_point_of
from .registry import record

INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, BIAS, STATE = range(5)


@dataclass
class SvdfParams:
    batch: int
    n_input: int
    n_filter: int
    n_unit: int
    rank: int
    memory: int
    integer: bool
    activation: str
    input_zero_point: int = 0
    state_zero_point: int = 0
    output_zero_point: int = 0
    multiplier_1: int = 0          # feature dot product -> state
    shift_1: int = 0
    multiplier_2: int = 0          # time dot product + bias -> output
    shift_2: int = 0


def _refuse(graph: Graph, op: Operator, what: str) -> UnsupportedOperatorError:
    return UnsupportedOperatorError(op.opcode, op.index, graph.name, stage=what)


def prepare_svdf(graph: Graph, op: Operator) -> SvdfParams:
    t = graph.tensors
    if len(op.inputs) != 5 or len(op.outputs) != 1 or min(op.inputs[i] for i in (0, 1, 2, 4)) < 0:
        raise _refuse(graph, op, "TFLM takes input, feature and time weights, bias and state")
    x, wf, wt, st = (t[op.inputs[i]] for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, STATE))
    bias = t[op.inputs[BIAS]] if op.inputs[BIAS] >= 0 else None
    y = t[op.outputs[0]]
    rank = int(op.options.get("rank", 1))
    activation = op.options.get("fused_activation_function", "NONE")
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(st.shape) != 2 \
            or len(y.shape) != 2:
        raise _refuse(graph, op, "TFLM takes rank-2 input, weights, state and output")
    batch, n_input = x.shape
    n_filter, memory = wf.shape[0], wt.shape[1]
    if rank < 1 or n_filter % rank:
        raise _refuse(graph, op, f"{n_filter} filters are not a multiple of rank {rank}")
    n_unit = n_filter // rank
    if wf.shape[1] != n_input or wt.shape[0] != n_filter or tuple(st.shape) != \
            (batch, memory * n_filter) or tuple(y.shape) != (batch, n_unit) or \
            (bias is not None and tuple(bias.shape) != (n_unit,)):
        raise _refuse(graph, op, "tensor shapes do not agree (TFLM's Prepare checks)")
    if not st.is_variable:
        raise _refuse(graph, op, "the activation state is not a variable tensor")
    if bias is None:
        raise _refuse(graph, op, "an SVDF without a bias (TFLM reads the bias unconditionally "
                                 "and crashes)")
    if x.dtype == np.float32:
        if any(u.dtype != np.float32 for u in (wf, wt, st, y, bias)):
            raise _refuse(graph, op, "mixed float and integer tensors")
        return SvdfParams(batch, n_input, n_filter, n_unit, rank, memory, False, activation)
    if x.dtype != np.int8 or wf.dtype != np.int8 or y.dtype != np.int8:
        raise _refuse(graph, op, f"{x.dtype.name} input, {wf.dtype.name} feature weights, "
                                 f"{y.dtype.name} output: TFLM takes int8 (or float32)")
    if wt.dtype not in (np.int8, np.int16) or st.dtype != wt.dtype:
        raise _refuse(graph, op, f"{wt.dtype.name} time weights with a {st.dtype.name} state: "
                                 "TFLM takes int8 or int16 for both")
    if bias.dtype != np.int32:
        raise _refuse(graph, op, f"{bias.dtype.name} bias; TFLM's integer SVDF takes int32")
    if any(u.quant is None or u.quant.scale.size != 1 for u in (x, wf, wt, st, y, bias)):
        raise _refuse(graph, op, "per-channel or missing quantization; TFLM takes per tensor")
    if activation != "NONE" and not (activation == "RELU" and zero_point_of(y) == -128):
        raise _refuse(graph, op, f"fused {activation}: TFLM's integer SVDF does not apply it")
    f32 = np.float32
    s_in, s_wf, s_wt, s_st, s_out, s_b = (f32(scale_of(u)) for u in (x, wf, wt, st, y, bias))
    if abs(float(s_b) - float(s_st * s_wt)) >= 1e-5:
        raise _refuse(graph, op, "bias scale is not state scale x time weights scale")
    m1, sh1 = quantize_multiplier(float(f32(s_in * s_wf) / s_st))
    m2, sh2 = quantize_multiplier(float(f32(s_st * s_wt) / s_out))
    return SvdfParams(batch, n_input, n_filter, n_unit, rank, memory, True, activation,
                      zero_point_of(x), zero_point_of(st), zero_point_of(y), m1, sh1, m2, sh2)


def svdf_macs(graph: Graph, op: Operator) -> int:
    """Feature weights over the input, time weights over the memory, per batch."""
    x = graph.tensors[op.inputs[INPUT]]
    wf, wt = graph.tensors[op.inputs[WEIGHTS_FEATURE]], graph.tensors[op.inputs[WEIGHTS_TIME]]
    return x.shape[0] * (wf.size + wt.size)


def portable_check(graph: Graph, op: Operator) -> str | None:
    """mcugen's portable integer SVDF (mcugen_svdf_s8): int8 in and out, int8 or int16 state.
    Its int32 sums wrap as the simulator's and TFLM's reference C do."""
    if graph.tensors[op.inputs[INPUT]].dtype == np.float32:
        return "the float SVDF is not generated (mcugen generates no float kernels)"
    try:
        prepare_svdf(graph, op)
    except UnsupportedOperatorError as exc:
        return exc.message
    return None


def cmsis_nn_check(graph: Graph, op: Operator) -> str | None:
    """CMSIS-NN's arm_svdf_s8 / arm_svdf_state_s16_s8 leave the state's zero point out of both
    dot products (TFLM's reference adds it to the stored feature result and subtracts it in the
    time dot product): they equal the reference only for a state zero point of 0."""
    reason = portable_check(graph, op)
    if reason is None and zero_point_of(graph.tensors[op.inputs[STATE]]) != 0:
        reason = "state zero point is not 0 (CMSIS-NN's SVDF ignores it)"
    return reason


def svdf_cmsis_nn_scratch(graph: Graph, op: Operator, path: str) -> int:
    """arm_svdf_*'s two int32 buffers (time dot products per filter, sums per unit) and, on
    Helium, the feature weights' kernel sums (n_filter int32), computed before each call."""
    x, wf = graph.tensors[op.inputs[INPUT]], graph.tensors[op.inputs[WEIGHTS_FEATURE]]
    rank = int(op.options.get("rank", 1)) or 1
    n_filter = wf.shape[0]
    sums = n_filter * 4 if path == "mve" else 0
    return 4 * x.shape[0] * (n_filter + n_filter // rank) + sums


RECORDS = (
    record("SVDF", "svdf", dtypes=("int8", "float32"), prepare=prepare_svdf, version=1,
           macs=svdf_macs, backends={"cmsis-nn": cmsis_nn_check, "portable": portable_check},
           scratch={"cmsis-nn": svdf_cmsis_nn_scratch}),
)
