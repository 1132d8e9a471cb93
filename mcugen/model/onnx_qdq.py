"""QDQ ONNX (QuantizeLinear/DequantizeLinear pairs, as onnxruntime's ``quantize_static`` writes
them) -> an int8 graph that keeps the model's own scales and zero points.

How: the QDQ model is rewritten into its float model plus annotations (every Q -> DQ pair on an
activation becomes an Identity and records (scale, zero point) for both names; every DQ of an
initializer becomes the dequantized float constant and records its int8 parameters); the float
importer (:mod:`.onnx_io`) builds the NHWC graph; then each tensor takes the recorded parameters.
Weights and biases are re-quantized from their dequantized values with the given scales, which
gives back the file's integers exactly (checked). Where TFLite's int8 kernels fix an output
(SOFTMAX/LOGISTIC 1/256 at -128, TANH 1/128 at 0; pools, reshapes, transpose, pad and concat keep
their input's parameters) and the QDQ parameters differ, an int8 -> int8 QUANTIZE is inserted.

What cannot be mapped exactly is a one-line error naming the tensor and the rule: uint8 or
asymmetric weights, a tensor with no QDQ parameters, QOperator models (QLinearConv ...) and
dynamic quantization.

ONNX's QuantizeLinear rounds half to even; TFLite (and so the simulator) rounds half away from
zero: the model's graph input is int8, quantized by the caller.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np

from ..errors import InputError
from .graph import Graph, Operator, Quantization, Tensor

QOPERATOR = {"QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearAveragePool",
             "QLinearGlobalAveragePool", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearConcat",
             "QLinearSoftmax", "QGemm", "QLinearReduceMean", "QLinearPool"}
DYNAMIC = {"DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "DynamicQuantizeMatMul"}


def is_qdq(model: Any) -> bool:
    return any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in model.graph.node)


def refuse_other_formats(model: Any) -> None:
    for i, n in enumerate(model.graph.node):
        if n.op_type in QOPERATOR:
            raise InputError(f"QOperator-format ONNX model ({n.op_type}) is not supported: "
                             "export QDQ instead (onnxruntime quantize_static with "
                             "quant_format=QuantFormat.QDQ)", f"node {i} '{n.name}'")
        if n.op_type in DYNAMIC:
            raise InputError(f"dynamically quantized ONNX model ({n.op_type}) is not supported: "
                             "export the float model (and quantize with mcugen) or a static QDQ "
                             "model", f"node {i} '{n.name}'")


class Annotations:
    def __init__(self):
        self.acts: dict[str, tuple[np.float32, int]] = {}      # value -> (scale, zero point)
        self.consts: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}  # -> scale, zp, axis


def to_float(model: Any) -> tuple[Any, Annotations]:
    """The float model a QDQ model stands for, and the parameters its Q/DQ nodes give."""
    from onnx import helper, numpy_helper
    m = copy.deepcopy(model)
    g = m.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consts = dict(inits)
    for n in g.node:                       # Constant nodes hold Q/DQ parameters too
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    notes = Annotations()
    producers = {o: n for n in g.node for o in n.output}

    def param(node, k: int, idx: int):
        name = node.input[k] if k < len(node.input) else ""
        if not name:
            return None
        if name not in consts:
            raise InputError(f"{node.op_type} parameter '{name}' must be a constant",
                             f"node {idx} '{node.name}'")
        return consts[name]

    new_nodes = []
    new_inits = []
    for idx, n in enumerate(g.node):
        where = f"node {idx} '{n.name}'"
        if n.op_type == "DequantizeLinear" and n.input[0] in consts:
            q = consts[n.input[0]]
            scale = np.asarray(param(n, 1, idx), np.float32).reshape(-1)
            zp = param(n, 2, idx)
            zp = np.zeros(scale.shape, np.int64) if zp is None else \
                np.asarray(zp).astype(np.int64).reshape(-1)
            axis = 1
            for a in n.attribute:
                if a.name == "axis":
                    axis = int(a.i)
                elif a.name == "block_size" and a.i:
                    raise InputError("blocked quantization is not supported", where)
            axis = axis % max(q.ndim, 1)
            shape = [1] * q.ndim
            if scale.size > 1:
                shape[axis] = -1
            real = ((q.astype(np.float64) - zp.reshape(shape if scale.size > 1 else [1] * q.ndim))
                    * scale.astype(np.float64).reshape(shape if scale.size > 1 else
                                                       [1] * q.ndim)).astype(np.float32)
            notes.consts[n.output[0]] = (scale, zp, axis if scale.size > 1 else 0)
            notes.consts[n.output[0] + "#dtype"] = (np.array([]), np.array([]),
                                                    0 if q.dtype == np.int8 else
                                                    (1 if q.dtype == np.int32 else 2))
            consts[n.output[0]] = real
            new_inits.append(numpy_helper.from_array(real, n.output[0]))
            continue
        if n.op_type == "QuantizeLinear":
            continue                       # paired with its DequantizeLinear below
        if n.op_type == "DequantizeLinear":
            q = producers.get(n.input[0])
            if q is None or q.op_type != "QuantizeLinear":
                raise InputError("DequantizeLinear of a computed tensor that no QuantizeLinear "
                                 "writes is not supported", where)
            scale = np.asarray(param(n, 1, idx), np.float32).reshape(-1)
            zp = param(n, 2, idx)
            if scale.size != 1:
                raise InputError("per-channel activation quantization is not supported "
                                 "(TFLite int8 activations are per tensor)", where)
            if zp is not None and np.asarray(zp).dtype != np.int8:
                raise InputError(f"activation '{n.input[0]}' is {np.asarray(zp).dtype}: "
                                 "mcugen's int8 kernels need int8 activations (quantize with "
                                 "activation_type=QuantType.QInt8)", where)
            z = 0 if zp is None else int(np.asarray(zp).reshape(-1)[0])
            p = (np.float32(scale[0]), z)
            src = q.input[0]
            for name in (src, n.output[0]):
                if name in notes.acts and notes.acts[name] != p and name == src:
                    # one float tensor quantized twice with different parameters: keep the first
                    continue
                notes.acts.setdefault(name, p)
            new_nodes.append(helper.make_node("Identity", [src], [n.output[0]],
                                              name=f"{n.name}_qdq"))
            continue
        new_nodes.append(n)
    new_nodes = _hard_swish(new_nodes, helper)
    del g.node[:]
    g.node.extend(new_nodes)
    # initializers only the Q/DQ nodes read are dropped with them; keep the rest
    used = {x for n in g.node for x in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    return m, notes


def _hard_swish(nodes: list, helper) -> list:
    """HardSigmoid(x; 1/6, 1/2) -> [Q/DQ] -> Mul(x, .): onnxruntime's QDQ form of HardSwish
    (its function body) is TFLite's HARD_SWISH from x's to the Mul's parameters."""
    alias = {n.output[0]: n.input[0] for n in nodes if n.op_type == "Identity"}

    def source(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    drop: set[int] = set()
    replace: dict[int, Any] = {}
    for k, n in enumerate(nodes):
        if n.op_type != "Mul" or len(n.input) != 2:
            continue
        a, b = (source(x) for x in n.input)
        for x, h in ((a, b), (b, a)):
            hs = next((j for j, m in enumerate(nodes) if m.op_type == "HardSigmoid"
                       and m.output[0] == h and source(m.input[0]) == x), None)
            if hs is None:
                continue
            attrs = {at.name: at.f for at in nodes[hs].attribute}
            if abs(attrs.get("alpha", 0.2) - 1 / 6) > 1e-6 or attrs.get("beta", 0.5) != 0.5:
                continue
            drop.add(hs)
            replace[k] = helper.make_node("HardSwish", [n.input[0] if source(n.input[0]) == x
                                                        else n.input[1]], [n.output[0]],
                                          name=n.name or nodes[hs].name)
            break
    gone = {nodes[k].output[0] for k in drop}
    for k, n in enumerate(nodes):      # the HardSigmoid's own Q/DQ pair goes with it
        if n.op_type == "Identity" and n.input[0] in gone:
            drop.add(k)
            gone.add(n.output[0])
    out = []
    for k, n in enumerate(nodes):
        if k in drop:
            continue
        out.append(replace.get(k, n))
    return out


def to_int8(graph: Graph, vals: dict[str, Any], notes: Annotations) -> Graph:
    """The float graph from the importer, with the QDQ model's parameters on every tensor."""
    from ..ops.registry import FixedOutput, SameParams, lookup
    from ..quantize import params
    from ..quantize.rewrite import INT8_VERSIONS, WEIGHTED

    g = copy.deepcopy(graph)
    act: dict[int, tuple[np.float32, int]] = {}
    for name, p in notes.acts.items():
        v = vals.get(name)
        if v is not None and name not in notes.consts:
            act.setdefault(v.index, p)
    # tensors the importer made (layout moves, reshapes) inherit through SameParams operators
    changed = True
    while changed:
        changed = False
        for op in g.operators:
            r = lookup(op.opcode)
            if r is None or not isinstance(r.quant, SameParams) or not op.inputs:
                continue
            src, dst = op.inputs[0], op.outputs[0]
            if src in act and dst not in act:
                act[dst] = act[src]
                changed = True
            elif dst in act and src not in act and not g.tensors[src].is_constant:
                act[src] = act[dst]
                changed = True
    for t in g.tensors:
        if t.is_constant or t.dtype != np.float32:
            continue
        if t.index not in act:
            raise InputError(f"tensor '{t.name}' has no QuantizeLinear/DequantizeLinear "
                             "parameters in the QDQ model", g.name)
    for i, (s, z) in act.items():
        t = g.tensors[i]
        t.dtype, t.quant = np.dtype(np.int8), _q(s, z)

    ops: list[Operator] = []
    for op in g.operators:
        r = lookup(op.opcode)
        if r is None or not r.quantizable:
            raise InputError(f"{op.opcode} cannot run in int8", f"operator {op.index}")
        if op.opcode in WEIGHTED:
            _weighted(g, op, notes, params)
        else:
            for k, i in enumerate(op.inputs):
                t = g.tensors[i] if i >= 0 else None
                if t is None or not t.is_constant or t.dtype != np.float32:
                    continue
                spec = notes.consts.get(t.name)
                if spec is None or spec[0].size != 1:
                    raise InputError(f"constant '{t.name}' has no per-tensor QDQ parameters",
                                     f"operator {op.index} {op.opcode}")
                s, z = np.float32(spec[0][0]), int(spec[1][0])
                t.data = params.quantize_values(t.data, s, z)
                t.dtype, t.quant = np.dtype(np.int8), _q(s, z)
        # the output TFLite fixes (or ties to the input) where the QDQ parameters differ
        out = g.tensors[op.outputs[0]]
        want = None
        if isinstance(r.quant, FixedOutput):
            want = (np.float32(r.quant.scale), int(r.quant.zero_point))
        elif isinstance(r.quant, SameParams):
            which = r.quant.inputs
            first = next(g.tensors[i] for k, i in enumerate(op.inputs)
                         if i >= 0 and (which is None or k in which))
            want = (first.quant.scale[0], int(first.quant.zero_point[0]))
            if which is None:      # concat: each input is requantized to the output's
                want = None
                for k, i in enumerate(op.inputs):
                    t = g.tensors[i]
                    if _params(t) != _params(out):
                        mid = Tensor(index=len(g.tensors), name=f"{t.name}_requantized",
                                     shape=t.shape, dtype=np.dtype(np.int8),
                                     quant=_q(*_params(out)))
                        g.tensors.append(mid)
                        ops.append(Operator(index=0, opcode="QUANTIZE", inputs=[i],
                                            outputs=[mid.index], options={},
                                            options_type="QuantizeOptions",
                                            version=INT8_VERSIONS["QUANTIZE"]))
                        op.inputs[k] = mid.index
        op.version = INT8_VERSIONS.get(op.opcode, op.version)
        if want is not None and (out.quant.scale[0], int(out.quant.zero_point[0])) != want:
            mid = Tensor(index=len(g.tensors), name=f"{out.name}_tflite", shape=out.shape,
                         dtype=np.dtype(np.int8), quant=_q(*want))
            g.tensors.append(mid)
            op.outputs[0] = mid.index
            ops.append(op)
            ops.append(Operator(index=0, opcode="QUANTIZE", inputs=[mid.index],
                                outputs=[out.index], options={},
                                options_type="QuantizeOptions",
                                version=INT8_VERSIONS["QUANTIZE"]))
            continue
        ops.append(op)
    for n, op in enumerate(ops):
        op.index = n
    g.operators = ops
    return g


REQUANTIZE_ENV = "MCUGEN_REQUANTIZE_QDQ_WEIGHTS"


def requantize_weights() -> bool:
    """Whether QDQ weights TFLite's int8 rules cannot take (uint8, asymmetric, per-channel on
    another axis, -128) are re-quantized from their real values instead of refused: the global
    option --requantize-qdq-weights (which sets MCUGEN_REQUANTIZE_QDQ_WEIGHTS=1)."""
    return os.environ.get(REQUANTIZE_ENV) == "1"


def _params(t: Tensor) -> tuple:
    return (t.quant.scale[0], int(t.quant.zero_point[0]))


def _q(s, z) -> Quantization:
    return Quantization(scale=np.array([s], np.float32), zero_point=np.array([z], np.int64))


def _weighted(g: Graph, op: Operator, notes: Annotations, params) -> None:
    from ..quantize.rewrite import WEIGHTED
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    where = f"operator {op.index} {op.opcode}"
    spec = notes.consts.get(w.name)
    if spec is None:
        raise InputError(f"weights '{w.name}' are float: the QDQ model gives no DequantizeLinear "
                         "for them", where)
    kind = notes.consts.get(w.name + "#dtype", (None, None, 0))[2]
    scale, zp, _ = spec
    axis = WEIGHTED[op.opcode]
    channels = w.shape[axis]
    problem = short = None
    if kind != 0:
        short = "not int8"
        problem = (f"weights '{w.name}' are not int8: TFLite int8 needs symmetric int8 weights "
                   "(quantize with weight_type=QuantType.QInt8)")
    elif np.any(zp != 0):
        short = f"zero point {int(zp[zp != 0][0])}"
        problem = (f"weights '{w.name}' have zero point {int(zp[zp != 0][0])}: TFLite int8 "
                   "needs symmetric weights (zero point 0)")
    elif scale.size not in (1, channels):
        short = "per-channel on another axis"
        problem = (f"weights '{w.name}' have {scale.size} scales for {channels} output channels: "
                   "per-channel quantization must be on the output axis")
    if problem is None:
        if scale.size == 1 and op.opcode != "FULLY_CONNECTED":
            scale = np.full(channels, scale[0], np.float32)    # TFLite convs are per channel
        q = params.quantize_weights(w.data, scale.astype(np.float32),
                                    axis if scale.size > 1 else None)
        # the file's integers back, exactly (|q| <= 127: the float round trip is exact)
        real = q.astype(np.float64) * (scale.astype(np.float64).reshape(
            [-1 if d == axis else 1 for d in range(q.ndim)]) if scale.size > 1
            else float(scale[0]))
        if not np.allclose(real, w.data, rtol=1e-5, atol=1e-12):
            short = "values outside [-127, 127]"
            problem = (f"weights '{w.name}' lie outside [-127, 127] x scale (int8 value -128?): "
                       "the TFLite spec's range is [-127, 127]")
    if problem is not None:
        if not requantize_weights():
            raise InputError(f"{problem}; or let mcugen re-quantize them: "
                             f"--requantize-qdq-weights", where)
        # the weights' real values (the file's integers dequantized) quantized anew the way
        # mcugen's quantizer does: symmetric int8, per channel for convolutions
        per_axis = axis if op.opcode != "FULLY_CONNECTED" else None
        scale = params.symmetric_weight_scales(w.data, per_axis).astype(np.float32)
        q = params.quantize_weights(w.data, scale, per_axis)
        g.description = (g.description + "; " if g.description else "") + \
            f"weights '{w.name}' re-quantized to symmetric int8 (were: {short})"
    w.data, w.dtype = q, np.dtype(np.int8)
    w.quant = Quantization(scale=scale.astype(np.float32),
                           zero_point=np.zeros(scale.size, np.int64),
                           axis=axis if scale.size > 1 else 0)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = g.tensors[op.inputs[2]]
        bscales = params.bias_scales(x.quant.scale[0], w.quant.scale)
        if b.dtype == np.float32:
            b.data = params.quantize_bias(b.data, bscales)
        b.dtype = np.dtype(np.int32)
        b.quant = Quantization(scale=bscales, zero_point=np.zeros(bscales.size, np.int64),
                               axis=0)
