"""The graph rewriter: a float graph plus calibrated ranges -> a full-integer graph, int8 or
16x8 (``activations="int16"``: symmetric int16 activations with zero point 0, per-channel int8
weights for every weighted operator, int64 bias, SOFTMAX/LOGISTIC/TANH outputs at 1/32768 —
what the TF converter 2.21 writes for "16-bit activations with 8-bit weights").

Tensor indices are kept: tensor *i* of the result is the int8 image of tensor *i* of the float
graph (the report compares them by index). I/O adapters (QUANTIZE/DEQUANTIZE for ``io="float"``,
uint8<->int8 QUANTIZE for ``io="uint8"``) are appended as new tensors.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UnsupportedOperatorError
from ..model.builder import quantization
from ..model.graph import Graph, Operator, Tensor
from ..ops.registry import FixedOutput, SameParams, Weighted, names, records
from . import params

# The quantizer's tables, read from the operator records (mcugen/ops): weighted operators and
# their channel axis; operators whose data inputs share the output's (scale, zero point) (None:
# every non-int32 input); operators whose int8 output TFLM fixes; the versions written.
WEIGHTED = {n: r.quant.axis for n, r in records().items() if isinstance(r.quant, Weighted)}
SAME_PARAMS = {n: r.quant.inputs for n, r in records().items()
               if isinstance(r.quant, SameParams)}
FIXED_OUTPUT = {n: (r.quant.scale, r.quant.zero_point) for n, r in records().items()
                if isinstance(r.quant, FixedOutput)}
QUANTIZABLE = names(lambda r: r.quantizable)
INT8_VERSIONS = {n: r.version for n, r in records().items() if r.simulated}

FIXED_OUTPUT_INT16 = {n: (params.INT16_FIXED_SCALE, 0) for n in FIXED_OUTPUT}
#: The 16x8 operators: those whose record says the simulator implements int16.
INT16_OPERATORS = names(lambda r: "int16" in r.dtypes)

IO_TYPES = ("int8", "uint8", "float", "int16")
ACTIVATION_TYPES = ("int8", "int16")
#: The I/O types each activation type offers (the first is the default).
IO_FOR = {"int8": ("int8", "uint8", "float"), "int16": ("int16", "float", "int8")}


def refuse_for_16x8(graph: Graph) -> None:
    """The first operator of a float graph mcugen cannot run in 16x8, as a one-line error."""
    for op in graph.operators:
        if op.opcode not in INT16_OPERATORS:
            raise UnsupportedOperatorError(f"{op.opcode} (int16)", op.index, graph.name,
                                           stage="mcugen does not simulate it in int16: "
                                           "cannot quantize to 16x8")


def is_float_model(graph: Graph) -> bool:
    """Float I/O or a float activation that an operator reads or writes (an LSTM's converter
    intermediates are float placeholders no kernel touches: they do not count)."""
    used = {i for op in graph.operators for i in op.inputs + op.outputs if i >= 0}
    return any(graph.tensors[i].dtype == np.float32 for i in graph.inputs + graph.outputs) or \
        any(t.dtype == np.float32 and not t.is_constant and t.index in used
            for t in graph.tensors)


def prepare_float(graph: Graph) -> Graph:
    """A pure-float copy of a float or dynamic-range (hybrid) model, ready to calibrate.

    Hybrid int8 weights are dequantized with their own scales; DEQUANTIZE operators of constants
    (float16 weights) are folded. Raises UnsupportedOperatorError for the first operator that
    cannot be quantized: there is no float fallback.
    """
    g = copy.deepcopy(graph)
    for i in g.inputs:
        if g.tensors[i].dtype != np.float32:
            t = g.tensors[i]
            raise InputError(f"input '{t.name}' is {t.dtype}, a float model has float32 inputs",
                             g.name)
    folded: dict[int, int] = {}
    kept: list[Operator] = []
    for op in g.operators:
        ins = g.op_inputs(op)
        if op.opcode == "DEQUANTIZE" and ins[0] is not None and ins[0].is_constant:
            out = g.tensors[op.outputs[0]]
            out.data = _dequantize_constant(ins[0])
            folded[op.outputs[0]] = op.index
            continue
        if op.opcode not in QUANTIZABLE:
            raise UnsupportedOperatorError(op.opcode, op.index, g.name,
                                           stage="cannot be quantized to int8")
        for t in ins:
            if t is not None and t.is_constant and t.dtype in (np.int8, np.uint8) \
                    and t.quant is not None:
                t.data = _dequantize_constant(t)   # hybrid weights back to float
                t.dtype = np.dtype(np.float32)
                t.quant = None
        kept.append(op)
    for n, op in enumerate(kept):
        op.index = n
    g.operators = kept
    for t in g.tensors:
        if not t.is_constant and t.dtype != np.float32:
            raise InputError(f"tensor '{t.name}' is {t.dtype}; expected a float32 activation",
                             g.name)
    return g


def _dequantize_constant(t: Tensor) -> np.ndarray:
    data = np.asarray(t.data)
    if t.quant is None:
        return data.astype(np.float32)
    scale = t.quant.scale.astype(np.float64)
    zp = t.quant.zero_point.astype(np.float64)
    if scale.size > 1:
        shape = [1] * data.ndim
        shape[t.quant.axis] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return ((data.astype(np.float64) - zp) * scale).astype(np.float32)


@dataclass
class _Groups:
    """Union-find over tensor indices that must share quantization parameters."""

    parent: dict[int, int]

    def find(self, i: int) -> int:
        while self.parent.setdefault(i, i) != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def rewrite(float_graph: Graph, ranges: dict[int, tuple[float, float]], io: str = "int8",
            per_channel_fc: bool = False,
            channel_means: dict[int, np.ndarray] | None = None,
            activations: str = "int8") -> Graph:
    """The int8 graph. ``ranges`` maps every non-constant tensor index to its calibrated range.

    With ``channel_means`` (activation index -> per-channel mean over the calibration set), each
    weighted operator's float bias is corrected for the expected error its weight rounding adds
    (bias correction, Nagel et al. 2019) before it is quantized at the spec's scale.
    """
    if activations not in ACTIVATION_TYPES:
        raise InputError(f"--activations must be one of {', '.join(ACTIVATION_TYPES)}, "
                         f"got '{activations}'")
    if io not in IO_FOR[activations]:
        raise InputError(f"--io with {activations} activations must be one of "
                         f"{', '.join(IO_FOR[activations])}, got '{io}'")
    wide = activations == "int16"
    act_dtype = np.dtype(np.int16 if wide else np.int8)
    choose = params.activation_params_int16 if wide else params.activation_params
    fixed_outputs = FIXED_OUTPUT_INT16 if wide else FIXED_OUTPUT
    g = copy.deepcopy(float_graph)
    acts = [t.index for t in g.tensors if not t.is_constant]
    missing = [g.tensors[i].name for i in acts if i not in ranges]
    if missing:
        raise InputError(f"no calibrated range for tensor '{missing[0]}'", g.name)

    # 1. Activation parameters: groups of tensors that must agree, then one choice per group.
    groups = _Groups({})
    grouped: set[int] = set()
    fixed: dict[int, tuple[float, int]] = {}
    for op in g.operators:
        if op.opcode in SAME_PARAMS:
            which = SAME_PARAMS[op.opcode]
            members = [i for k, i in enumerate(op.inputs) if i >= 0 and
                       (which is None or k in which) and g.tensors[i].dtype == np.float32]
            for i in members:
                groups.union(i, op.outputs[0])
                grouped.update((i, op.outputs[0]))
        if op.opcode in fixed_outputs:
            fixed[op.outputs[0]] = fixed_outputs[op.opcode]
    group_range: dict[int, list[float]] = {}
    group_fixed: dict[int, tuple[float, int]] = {}
    for t in g.tensors:
        if t.dtype != np.float32 or (t.is_constant and t.index not in grouped):
            continue   # non-float tensors stay; lone float constants get their own range below
        root = groups.find(t.index)
        lo, hi = ((float(np.min(t.data)), float(np.max(t.data))) if t.is_constant
                  else ranges[t.index])
        r = group_range.setdefault(root, [0.0, 0.0])
        r[0], r[1] = min(r[0], lo), max(r[1], hi)
        if t.index in fixed:
            if root in group_fixed and group_fixed[root] != fixed[t.index]:
                raise InputError(f"tensor '{t.name}' would need two fixed quantizations", g.name)
            group_fixed[root] = fixed[t.index]
    chosen: dict[int, tuple[np.float32, int]] = {}
    for root, (lo, hi) in group_range.items():
        if root in group_fixed:
            s, z = group_fixed[root]
            chosen[root] = (np.float32(s), z)
        else:
            chosen[root] = choose(lo, hi)

    def act_params(index: int) -> tuple[np.float32, int]:
        return chosen[groups.find(index)]

    for i in acts:
        t = g.tensors[i]
        s, z = act_params(i)
        t.dtype, t.quant = act_dtype, quantization(s, z)

    # 2. Constants: weights and biases of weighted ops; other float constants as activations.
    _unshare_biases(g)
    done: set[int] = set()
    for op in g.operators:
        if op.opcode in WEIGHTED:
            _quantize_weighted(g, op, per_channel_fc or wide, done, channel_means, wide)
        elif op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            _quantize_lstm(g, op, ranges, done, wide)
    for op in g.operators:
        for i in op.inputs:
            if i < 0 or i in done:
                continue
            t = g.tensors[i]
            if t.is_constant and t.dtype == np.float32:
                s, z = act_params(i) if i in grouped else \
                    choose(float(np.min(t.data)), float(np.max(t.data)))
                if wide:
                    t.data = params.quantize_values(t.data, s, z, -params.INT16_MAX,
                                                    params.INT16_MAX, np.int16)
                else:
                    t.data = params.quantize_values(t.data, s, z)
                t.dtype, t.quant = act_dtype, quantization(s, z)
                done.add(i)
        op.version = INT8_VERSIONS.get(op.opcode, op.version)

    # 3. The model's interface.
    _add_io(g, io, ranges if wide else None)
    return g


def _unshare_biases(g: Graph) -> None:
    """A float bias read by several weighted operators (the TF converter shares one all-zero
    bias between convolutions) gets a copy per further reader: each int32 bias has its own
    scale, s_input * s_weight of its operator."""
    seen: set[int] = set()
    for op in g.operators:
        if op.opcode not in WEIGHTED or len(op.inputs) < 3 or op.inputs[2] < 0:
            continue
        b = op.inputs[2]
        if b in seen and g.tensors[b].is_constant:
            t = copy.deepcopy(g.tensors[b])
            t.index = len(g.tensors)
            t.name = f"{t.name}/op{op.index}"
            g.tensors.append(t)
            op.inputs[2] = t.index
        seen.add(op.inputs[2])


def _quantize_weighted(g: Graph, op: Operator, per_channel_fc: bool, done: set[int],
                       channel_means: dict[int, np.ndarray] | None, wide: bool = False) -> None:
    """Weights int8 (per channel, or per tensor for an FC without ``per_channel_fc``); bias
    int32 (``wide``: int64, which needs no weight-scale widening) at s_in * s_w."""
    x, w_index = g.tensors[op.inputs[0]], op.inputs[1]
    b_index = op.inputs[2] if len(op.inputs) > 2 else -1
    w = g.tensors[w_index]
    w_float = None      # the float weights, when this operator quantizes them
    if not w.is_constant:
        raise UnsupportedOperatorError(op.opcode, op.index, g.name,
                                       stage="weights are not constant: cannot be quantized")
    if w_index in done:
        # Shared weights: the first user's choice stands; its scales drive this bias too.
        scales, axis = w.quant.scale, w.quant.axis
    else:
        axis = WEIGHTED[op.opcode] if (op.opcode != "FULLY_CONNECTED" or per_channel_fc) \
            else None
        bias = g.tensors[b_index].data if b_index >= 0 else None
        w_float = w.data
        scales = params.symmetric_weight_scales(w.data, axis)
        if bias is not None and not wide:
            bias_aligned = bias if axis is not None else np.abs(bias).max(initial=0.0)
            scales = params.widen_for_bias(scales, bias_aligned, x.quant.scale[0])
        w.data = params.quantize_weights(w.data, scales, axis)
        w.dtype = np.dtype(np.int8)
        w.quant = quantization(scales, 0, axis or 0)
        done.add(w_index)
    if b_index >= 0 and b_index not in done:
        b = g.tensors[b_index]
        mean_in = (channel_means or {}).get(op.inputs[0]) if _sees_no_padding(op, w) else None
        if w_float is not None and mean_in is not None and mean_in.size in (
                w_float.shape[-1], w_float.shape[-1] // max(1, op.options.get(
                    "depth_multiplier", 1))):
            b.data = (b.data - _weight_error_bias(op.opcode, w_float, w, mean_in)
                      ).astype(np.float32)
        bscales = params.bias_scales(x.quant.scale[0], scales)
        if wide:
            b.data = params.quantize_bias_int64(b.data, bscales)
        else:
            b.data = params.quantize_bias(b.data, bscales)
        b.dtype = np.dtype(np.int64 if wide else np.int32)
        b.quant = quantization(bscales, 0, 0)
        done.add(b_index)


def cell_state_scale(lo: float, hi: float) -> np.float32:
    """An LSTM's int16 cell state scale: the power of two 2^k / 32768 with 2^k the smallest power
    of two covering the calibrated range, as the TF converter chooses it (TFLM's integer LSTM
    needs a power of two)."""
    bound = max(abs(lo), abs(hi), 2.0 ** -20)
    return np.float32(2.0 ** (int(np.ceil(np.log2(bound))) - 15))


def _quantize_lstm(g: Graph, op: Operator, ranges: dict[int, tuple[float, float]],
                   done: set[int], wide: bool) -> None:
    """The integer LSTM TFLM runs (mcugen/ops/lstm.py), in the TF converter's scheme: the eight
    weight matrices int8 symmetric per tensor (TFLM builds the gates per tensor), each gate's
    bias int32 (16x8: int64) at s_input * s_input_weights, the cell state int16 at a power-of-two
    scale covering its calibrated range over every time step; input, output and hidden state
    are activations (the hidden state shares the output's parameters: SameParams)."""
    from ..ops import lstm
    x = g.tensors[op.inputs[lstm.INPUT]]
    lstm.check_variant(g, op)
    for gate in lstm.GATES:
        scales = {}
        for i in (lstm.INPUT_WEIGHTS[gate], lstm.RECURRENT_WEIGHTS[gate]):
            w = g.tensors[op.inputs[i]]
            if not w.is_constant or w.dtype != np.float32 or op.inputs[i] in done:
                raise UnsupportedOperatorError(op.opcode, op.index, g.name,
                                               stage=f"weights at input {i} are not constant "
                                               "float weights of this LSTM alone")
            scales[i] = params.symmetric_weight_scales(w.data, None)
            w.data = params.quantize_weights(w.data, scales[i], None)
            w.dtype, w.quant = np.dtype(np.int8), quantization(scales[i], 0, 0)
            done.add(w.index)
        b = g.tensors[op.inputs[lstm.BIASES[gate]]]
        if not b.is_constant or op.inputs[lstm.BIASES[gate]] in done:
            raise UnsupportedOperatorError(op.opcode, op.index, g.name,
                                           stage=f"bias at input {lstm.BIASES[gate]} is not a "
                                           "constant of this LSTM alone")
        bscales = params.bias_scales(x.quant.scale[0], scales[lstm.INPUT_WEIGHTS[gate]])
        b.data = (params.quantize_bias_int64 if wide else params.quantize_bias)(b.data, bscales)
        b.dtype, b.quant = np.dtype(np.int64 if wide else np.int32), quantization(bscales, 0, 0)
        done.add(b.index)
    cell = g.tensors[op.inputs[lstm.CELL_STATE]]
    cell.dtype = np.dtype(np.int16)
    cell.quant = quantization(cell_state_scale(*ranges[cell.index]), 0)


def _sees_no_padding(op: Operator, w: Tensor) -> bool:
    """Operators bias correction is applied to: FC and 1x1 VALID convolutions, whose every
    output reads real inputs, so E[x] per channel holds at every output position. Measured
    (benchmarks/quantize_quality.py): with SAME-padded convolutions included kws lost 1-3 dB;
    with FC only ad01 gains 9 dB, resnet8 and kws move by < 0.3 dB."""
    if op.opcode == "FULLY_CONNECTED":
        return True
    kernel_hw = w.shape[1:3]
    return op.options.get("padding") == "VALID" and tuple(kernel_hw) == (1, 1)


def _weight_error_bias(opcode: str, w_float: np.ndarray, w: Tensor, mean_in: np.ndarray) -> np.ndarray:
    """Per output channel, the expected value the weight rounding error adds: sum(eps * E[x]).

    Spatial positions are treated alike (padding at the borders is ignored)."""
    scale = w.quant.scale.astype(np.float64)
    axis = w.quant.axis
    shape = [1] * w_float.ndim
    if scale.size > 1:
        shape[axis] = -1
    eps = w.data.astype(np.float64) * scale.reshape(shape) - w_float.astype(np.float64)
    mean_in = np.asarray(mean_in, np.float64)
    if opcode == "DEPTHWISE_CONV_2D":
        per_channel = eps.sum(axis=(0, 1, 2))
        multiplier = per_channel.size // mean_in.size
        return per_channel * np.repeat(mean_in, multiplier)
    if opcode == "CONV_2D":
        return eps.sum(axis=(1, 2)) @ mean_in
    return eps @ mean_in


def _new_tensor(g: Graph, like: Tensor, name: str, dtype, quant) -> int:
    t = Tensor(index=len(g.tensors), name=name, shape=like.shape, dtype=np.dtype(dtype),
               quant=quant, shape_signature=like.shape_signature)
    g.tensors.append(t)
    return t.index


def _add_io(g: Graph, io: str, ranges: dict[int, tuple[float, float]] | None = None) -> None:
    """The adapters at the model's edges. int8 activations: ``int8`` (none), ``uint8``,
    ``float``. 16x8 (``ranges`` given): ``int16`` (none), ``float``, or ``int8`` (QUANTIZE
    int8 -> int16 at each input, int16 -> int8 at each output; the int8 side takes the
    asymmetric int8 parameters of the tensor's calibrated range)."""
    if io in ("int8", "int16") and (ranges is None) == (io == "int8"):
        return
    head: list[Operator] = []
    tail: list[Operator] = []

    def outer(t: Tensor) -> int:
        s, z = t.quant.scale[0], int(t.quant.zero_point[0])
        if io == "float":
            return _new_tensor(g, t, t.name + "_float", np.float32, None)
        if io == "int8":                      # 16x8 with int8 I/O
            s8, z8 = params.activation_params(*ranges[t.index])
            return _new_tensor(g, t, t.name + "_int8", np.int8, quantization(s8, z8))
        return _new_tensor(g, t, t.name + "_uint8", np.uint8, quantization(s, z + 128))

    for pos, i in enumerate(g.inputs):
        new = outer(g.tensors[i])
        head.append(Operator(index=0, opcode="QUANTIZE", inputs=[new], outputs=[i],
                             options={}, options_type="QuantizeOptions",
                             version=INT8_VERSIONS["QUANTIZE"]))
        g.inputs[pos] = new
    for pos, i in enumerate(g.outputs):
        new = outer(g.tensors[i])
        if io == "float":
            tail.append(Operator(index=0, opcode="DEQUANTIZE", inputs=[i], outputs=[new],
                                 options={}, options_type="DequantizeOptions",
                                 version=INT8_VERSIONS["DEQUANTIZE"]))
        else:
            tail.append(Operator(index=0, opcode="QUANTIZE", inputs=[i], outputs=[new],
                                 options={}, options_type="QuantizeOptions",
                                 version=INT8_VERSIONS["QUANTIZE"]))
        g.outputs[pos] = new
    g.operators = head + g.operators + tail
    for n, op in enumerate(g.operators):
        op.index = n
