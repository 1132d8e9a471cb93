"""Record and constants of UNIDIRECTIONAL_SEQUENCE_LSTM (TFLM's ``unidirectional_sequence_lstm.cc``
with ``lstm_eval_common.cc``'s Prepare), shared by the simulator and, later, the code generator.

TFLM reads the 24 LSTM inputs (the converter's intermediate tensors are ignored) and takes only
the plain LSTM: every gate present (no CIFG), no peephole, no projection, no layer norm; hidden
and cell state are variable tensors. The integer LSTM is int8 activations (input, output, hidden
state), int8 per-tensor weights, int32 biases and an int16 cell state whose scale is a power of
two; every gate's fully connected layer writes int16 at the fixed scale 2^-12 (Q3.12), the
sigmoid/tanh write 2^-15 (Q0.15), and the three gate products are requantized by plain
multipliers. TFLM's 16x8 LSTM is the same with int16 activations, int64 biases and the int64
fully connected requantization. TFLM builds the gate parameters per tensor (``FullyConnectedParamsQuantized`` copies
one multiplier), so per-channel weights are refused here rather than computed differently.

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/lstm.py``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedOperatorError
from ..fixedpoint import quantize_multiplier
from ..model.graph import Graph, Operator
from .common import QMAX, QMIN, effective_scale, scale_of, zero_point_of
from .registry import SameParams, record

# TFLM's input indices (lstm_shared.h)
INPUT = 0
INPUT_WEIGHTS = {"input": 1, "forget": 2, "cell": 3, "output": 4}
RECURRENT_WEIGHTS = {"input": 5, "forget": 6, "cell": 7, "output": 8}
PEEPHOLE = (9, 10, 11)
BIASES = {"input": 12, "forget": 13, "cell": 14, "output": 15}
PROJECTION = (16, 17)
HIDDEN_STATE = 18
CELL_STATE = 19
LAYER_NORM = (20, 21, 22, 23)
GATES = ("forget", "input", "cell", "output")     # TFLM's evaluation order

GATE_FC_SCALE = 2.0 ** -12          # fully connected output of every gate: Q3.12
GATE_OUT_SCALE = 2.0 ** -15         # sigmoid / tanh output: Q0.15


@dataclass
class FcParams:
    """One gate's fully connected half (input or recurrent): int16 output at 2^-12, zero point 0."""
    input_zero_point: int
    weights_zero_point: int
    multiplier: int
    shift: int


@dataclass
class MulParams:
    """An inter-gate product (reference_integer_ops::MulElementwise, input offsets 0)."""
    multiplier: int
    shift: int
    output_zero_point: int
    act_min: int
    act_max: int


@dataclass
class LstmParams:
    time_major: bool
    batch: int
    time_steps: int
    n_input: int
    n_state: int
    integer: bool
    wide: bool                       # int16 activations (int64 biases): TFLM's 16x8 LSTM
    input_fc: dict[str, FcParams]
    recurrent_fc: dict[str, FcParams]
    forget_cell_mul: MulParams | None
    input_mul: MulParams | None
    output_mul: MulParams | None
    cell_clip: float
    quantized_cell_clip: int
    cell_scale_power: int


def _refuse(graph: Graph, op: Operator, what: str) -> UnsupportedOperatorError:
    return UnsupportedOperatorError(op.opcode, op.index, graph.name, stage=what)


def check_variant(graph: Graph, op: Operator) -> None:
    """TFLM's ValidateTensorStatus, as one-line refusals naming the missing feature."""
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        raise _refuse(graph, op, f"{len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                                 "TFLM takes 24 and 1")

    def present(i: int) -> bool:
        return op.inputs[i] >= 0

    features = (("CIFG (no input gate)", (1, 5, 12), False), ("peephole", PEEPHOLE, True),
                ("projection", PROJECTION, True), ("layer norm", LAYER_NORM, True))
    for name, indices, refused_when_present in features:
        if refused_when_present and any(present(i) for i in indices):
            raise _refuse(graph, op, f"{name} LSTM is not supported (nor by TFLM)")
        if not refused_when_present and not all(present(i) for i in indices):
            raise _refuse(graph, op, f"{name} LSTM is not supported (nor by TFLM)")
    for i in (0, 2, 3, 4, 6, 7, 8, 13, 14, 15, HIDDEN_STATE, CELL_STATE):
        if not present(i):
            raise _refuse(graph, op, f"input {i} is missing")
    for i, name in ((HIDDEN_STATE, "hidden state"), (CELL_STATE, "cell state")):
        if not graph.tensors[op.inputs[i]].is_variable:
            raise _refuse(graph, op, f"the {name} is not a variable tensor")
    activation = op.options.get("fused_activation_function", "TANH")
    if activation != "TANH":
        raise _refuse(graph, op, f"cell activation {activation}; TFLM evaluates TANH only")


def _fc(x, w) -> FcParams:
    if w.quant is None or w.quant.scale.size != 1:
        raise ValueError(w.name)
    mult, shift = quantize_multiplier(float(effective_scale(scale_of(x), w.quant.scale,
                                                            GATE_FC_SCALE)[0]))
    return FcParams(zero_point_of(x), int(w.quant.zero_point[0]), mult, shift)


def _mul(s1: float, s2: float, out_scale: float, out_dtype, out_zp: int = 0) -> MulParams:
    real = float(np.float32(s1)) * float(np.float32(s2)) / float(np.float32(out_scale))
    mult, shift = quantize_multiplier(real)
    dtype = np.dtype(out_dtype)
    return MulParams(mult, shift, out_zp, QMIN[dtype], QMAX[dtype])


def prepare_lstm(graph: Graph, op: Operator) -> LstmParams:
    check_variant(graph, op)
    t = graph.tensors
    x, hidden, cell = t[op.inputs[INPUT]], t[op.inputs[HIDDEN_STATE]], t[op.inputs[CELL_STATE]]
    y = t[op.outputs[0]]
    time_major = bool(op.options.get("time_major", False))
    if len(x.shape) != 3 or len(y.shape) != 3:
        raise _refuse(graph, op, f"input rank {len(x.shape)}; TFLM takes rank 3")
    batch, steps = (x.shape[1], x.shape[0]) if time_major else (x.shape[0], x.shape[1])
    n_input, n_state = x.shape[2], hidden.shape[-1]
    if hidden.size != batch * n_state or cell.size != batch * n_state \
            or tuple(y.shape[:2]) != tuple(x.shape[:2]) or y.shape[2] != n_state:
        raise _refuse(graph, op, "state or output shape does not match the input")
    for gate in GATES:
        for i, cols in ((INPUT_WEIGHTS[gate], n_input), (RECURRENT_WEIGHTS[gate], n_state)):
            if tuple(t[op.inputs[i]].shape) != (n_state, cols):
                raise _refuse(graph, op, f"weights at input {i} have shape "
                                         f"{list(t[op.inputs[i]].shape)}")
        if tuple(t[op.inputs[BIASES[gate]]].shape) != (n_state,):
            raise _refuse(graph, op, f"bias at input {BIASES[gate]} has shape "
                                     f"{list(t[op.inputs[BIASES[gate]]].shape)}; TFLM takes "
                                     f"[{n_state}]")
    clip = float(op.options.get("cell_clip", 0.0) or 0.0)
    if x.dtype == np.float32:
        params = [t[op.inputs[i]] for g in GATES
                  for i in (INPUT_WEIGHTS[g], RECURRENT_WEIGHTS[g], BIASES[g])]
        if any(u.dtype != np.float32 for u in [hidden, cell, y] + params):
            raise _refuse(graph, op, "mixed float and integer tensors")
        return LstmParams(time_major, batch, steps, n_input, n_state, False, False, {}, {},
                          None, None, None, clip, 0, 0)
    if x.dtype not in (np.int8, np.int16) or hidden.dtype != x.dtype or y.dtype != x.dtype:
        raise _refuse(graph, op, f"{x.dtype.name} input, {hidden.dtype.name} hidden state and "
                                 f"{y.dtype.name} output: TFLM's LSTM takes int8 or int16 "
                                 "throughout, or float32")
    for u in (x, hidden, cell, y):
        if u.quant is None or u.quant.scale.size != 1:
            raise _refuse(graph, op, f"tensor '{u.name}' is not quantized per tensor")
    wide = x.dtype == np.int16
    bias_dtype = np.int64 if wide else np.int32
    if cell.dtype != np.int16:
        raise _refuse(graph, op, f"cell state is {cell.dtype.name}; TFLM's integer LSTM takes "
                                 "int16")
    if (scale_of(y), zero_point_of(y)) != (scale_of(hidden), zero_point_of(hidden)):
        raise _refuse(graph, op, "output quantization differs from the hidden state's (TFLM "
                                 "copies the hidden state into the output)")
    cell_scale = scale_of(cell)
    power = math.log2(cell_scale) if 0 < cell_scale < math.inf else 0.5
    if power != round(power):
        raise _refuse(graph, op, f"cell state scale {cell_scale} is not a power of two")
    power = round(power)
    # TFLM's int16 tanh of the cell scales its input in int32: (3 << (12 + power)) * cell
    # overflows from power 3 on (no oracle there); below, the shift must stay within int64 math
    if not -42 <= power <= 2:
        raise _refuse(graph, op, f"cell state scale 2^{power} is out of range (2^-42 .. 2^2: "
                                 "TFLM's int16 tanh overflows int32 above)")
    input_fc, recurrent_fc = {}, {}
    for gate in GATES:
        for i, table, src in ((INPUT_WEIGHTS[gate], input_fc, x),
                              (RECURRENT_WEIGHTS[gate], recurrent_fc, hidden)):
            w = t[op.inputs[i]]
            if w.dtype != np.int8:
                raise _refuse(graph, op, f"{w.dtype.name} weights at input {i}; TFLM takes int8")
            try:
                table[gate] = _fc(src, w)
            except ValueError:
                raise _refuse(graph, op, f"weights at input {i} are not quantized per tensor "
                                         "(TFLM builds the LSTM gates per tensor)") from None
        b = t[op.inputs[BIASES[gate]]]
        if b.dtype != bias_dtype:
            raise _refuse(graph, op, f"{b.dtype.name} bias at input {BIASES[gate]}; "
                                     f"{x.dtype.name} activations take {np.dtype(bias_dtype).name}")
    if not clip > 0:                # TFLM clips only when cell_clip > 0 (NaN: never)
        clip = 0.0
    quantized_clip = int(np.clip(np.float64(np.float32(clip)) / np.float64(np.float32(cell_scale)),
                                 -32768.0, 32767.0))
    return LstmParams(
        time_major, batch, steps, n_input, n_state, True, wide, input_fc, recurrent_fc,
        forget_cell_mul=_mul(GATE_OUT_SCALE, cell_scale, cell_scale, np.int16),
        input_mul=_mul(GATE_OUT_SCALE, GATE_OUT_SCALE, cell_scale, np.int16),
        output_mul=_mul(GATE_OUT_SCALE, GATE_OUT_SCALE, scale_of(hidden), hidden.dtype,
                        zero_point_of(hidden)),
        cell_clip=clip, quantized_cell_clip=quantized_clip, cell_scale_power=power)


def lstm_macs(graph: Graph, op: Operator) -> int:
    """Per step and batch: four gates of (input + state) x state multiply-accumulates."""
    x = graph.tensors[op.inputs[INPUT]]
    n_state = graph.tensors[op.inputs[HIDDEN_STATE]].shape[-1]
    steps_batches = x.size // x.shape[-1]
    return steps_batches * 4 * n_state * (x.shape[-1] + n_state)


def portable_check(graph: Graph, op: Operator) -> str | None:
    """mcugen's portable integer LSTM (templates/kernels/portable: mcugen_lstm_integer): the
    integer LSTM (8x8 with an int16 cell, or 16x8) whose fully connected sums stay inside the
    accumulator the simulator's arithmetic assumes (int32 for int8 activations, |acc| < 2^47 for
    int16) and whose int64 requantization shifts TFLM's contract allows."""
    x = graph.tensors[op.inputs[INPUT]]
    if x.dtype == np.float32:
        return "the float LSTM is not generated (mcugen generates no float kernels)"
    try:
        p = prepare_lstm(graph, op)
    except UnsupportedOperatorError as exc:
        return exc.message
    limit = 2 ** 47 if p.wide else 2 ** 31
    span = 65535 if p.wide else 255
    t = graph.tensors
    for gate in GATES:
        bias = t[op.inputs[BIASES[gate]]].data
        b = int(np.abs(bias.astype(np.int64)).max()) if bias is not None and bias.size else 0
        for width, w in ((p.n_input, INPUT_WEIGHTS[gate]), (p.n_state, RECURRENT_WEIGHTS[gate])):
            bound = b + width * span * 255
            if bound >= limit:
                return (f"the {gate} gate's accumulator may reach {bound} (input {w}); the "
                        f"kernel's {'int64 requantization' if p.wide else 'int32 sum'} takes "
                        f"less than 2^{47 if p.wide else 31}")
            b = 0
        if p.wide and max(p.input_fc[gate].shift, p.recurrent_fc[gate].shift) >= 8:
            return f"the {gate} gate's effective scale is >= 128 (TFLM's int64 requantization)"
    return None


def cmsis_nn_check(graph: Graph, op: Operator) -> str | None:
    """CMSIS-NN's arm_lstm_unidirectional_s8 equals TFLM's reference (and the simulator) only
    where the host can prove its differences away, per instance:
    - it takes the 8x8 LSTM with symmetric weights (no weights zero point; the input and hidden
      zero points ride in host-computed effective biases);
    - it adds the recurrent half's requantized sum to the input half's before it saturates
      (the reference saturates each half first): every recurrent row's bound, sum |w| times
      the largest |h - zp|, requantized, must stay inside int16;
    - its tanh scales the cell state in int32 (3 << (12 + power)): cell scales up to 2^1;
      its input x cell-gate product is added unsaturated: cell scales from 2^-15."""
    reason = portable_check(graph, op)
    if reason is not None:
        return reason
    p = prepare_lstm(graph, op)
    if p.wide:
        return "the 16x8 LSTM (arm_lstm_unidirectional_s16 is not proven here)"
    from .registry import CMSIS_NN_FEATURES
    if "lstm_hidden_state" not in CMSIS_NN_FEATURES:
        return ("this CMSIS-NN tree's LSTM context has no hidden state (v7.0.0): it cannot "
                "carry the state between invocations as TFLM does")
    t = graph.tensors
    for gate in GATES:
        for i in (INPUT_WEIGHTS[gate], RECURRENT_WEIGHTS[gate]):
            if int(t[op.inputs[i]].quant.zero_point[0]) != 0:
                return f"weights at input {i} have a zero point (CMSIS-NN takes none)"
    if not -15 <= p.cell_scale_power <= 1:
        return f"cell state scale 2^{p.cell_scale_power} (CMSIS-NN's int32 arithmetic takes " \
               "2^-15 .. 2^1)"
    zp_h = zero_point_of(t[op.inputs[HIDDEN_STATE]])
    span = max(127 - zp_h, zp_h + 128)
    for gate in GATES:
        w = t[op.inputs[RECURRENT_WEIGHTS[gate]]].data.astype(np.int64)
        bound = int(np.abs(w).sum(axis=1).max()) * span if w.size else 0
        f = p.recurrent_fc[gate]
        from ..fixedpoint import multiply_by_quantized_multiplier
        if bound >= 2 ** 31 or int(multiply_by_quantized_multiplier(
                np.int64(bound), f.multiplier, f.shift)) >= 32767:
            return (f"the {gate} gate's recurrent sum may leave int16 before CMSIS-NN "
                    "saturates it")
    return None


def lstm_scratch(graph: Graph, op: Operator, path: str) -> int:
    """The portable kernel's four int16 gate vectors of one batch row."""
    return 4 * 2 * graph.tensors[op.inputs[HIDDEN_STATE]].shape[-1]


def lstm_cmsis_nn_scratch(graph: Graph, op: Operator, path: str) -> int:
    """CMSIS-NN's two int16 temporaries over every batch (its time-major steps run all batches
    at once)."""
    return 2 * 2 * graph.tensors[op.inputs[HIDDEN_STATE]].size


RECORDS = (
    # quantized by mcugen/quantize/rewrite.py's _quantize_lstm; the hidden state (input 18)
    # shares the output's parameters
    record("UNIDIRECTIONAL_SEQUENCE_LSTM", "lstm", dtypes=("int8", "int16", "float32"),
           prepare=prepare_lstm, version=1, macs=lstm_macs, quant=SameParams((HIDDEN_STATE,)),
           backends={"cmsis-nn": cmsis_nn_check, "portable": portable_check},
           scratch={"cmsis-nn": lstm_cmsis_nn_scratch, "portable": lstm_scratch}),
)
