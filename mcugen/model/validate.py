"""The model validator: run once after reading, before any stage trusts the graph.

Every check raises :class:`InputError` with one line naming the tensor or operator (index and
name), so a malformed or hostile file is refused with exit 2 in every command instead of crashing,
running away with memory or being computed silently wrong:

- the graph: at least one operator; inputs and outputs in range, not constant, every output
  produced by an operator; every tensor written once; operators in dataflow order;
- tensors: rank <= ``MAX_RANK``, no negative dimension, size bounded by ``max_tensor_bytes()``
  (``MCUGEN_MAX_TENSOR_BYTES``, default 256 MiB) before anything is allocated;
- quantization: scales finite and positive, zero points as many as scales and within the dtype,
  per-channel axis in range with one scale per channel;
- operators: enum codes known (padding, fused activation), strides / dilations / filter sizes
  >= 1, operand ranks, and the declared output shape equal to the one the operator computes
  from its inputs and options (every operator mcugen simulates); the simulator's largest
  intermediate (im2col rows, padded windows) bounded like a tensor.

Operator facts (which operators exist, their dtypes) come from the registry
(``mcugen/ops/registry.py``); the shape rules below are the operators' TFLite semantics.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..errors import InputError
from .graph import Graph, Operator, Tensor
from .schema import ACTIVATION_NAMES, PADDING_NAMES

DEFAULT_MAX_TENSOR_BYTES = 256 * 1024 * 1024
MAX_RANK = 8
_ACTIVATIONS = frozenset(ACTIVATION_NAMES.values())
#: "EXPLICIT" is mcugen's own: a conv the optimiser folded a PAD into (per-side padding in the
#: option ``explicit_padding`` = (top, bottom, left, right)); the writer turns it back into TFLite
_PADDINGS = frozenset(PADDING_NAMES.values()) | {"EXPLICIT"}
_QRANGE = {np.dtype(np.int8): (-128, 127), np.dtype(np.uint8): (0, 255),
           np.dtype(np.int16): (-32768, 32767)}


def max_tensor_bytes() -> int:
    """The largest tensor or intermediate mcugen will allocate (env MCUGEN_MAX_TENSOR_BYTES)."""
    raw = os.environ.get("MCUGEN_MAX_TENSOR_BYTES")
    if not raw:
        return DEFAULT_MAX_TENSOR_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"MCUGEN_MAX_TENSOR_BYTES must be a number of bytes, got '{raw}'",
                         "environment") from None
    if value <= 0:
        raise InputError("MCUGEN_MAX_TENSOR_BYTES must be positive", "environment")
    return value


def _t(graph: Graph, index: int) -> str:
    return f"tensor {index} '{graph.tensors[index].name}'"


def _o(op: Operator) -> str:
    return f"operator {op.index} {op.opcode}"


def check_tensor_size(shape, itemsize: int, where: str, what: str = "tensor",
                      limit: int | None = None) -> int:
    """Bytes of ``shape`` x ``itemsize`` (Python ints: no overflow); refused beyond the limit."""
    limit = max_tensor_bytes() if limit is None else limit
    count = math.prod(int(d) for d in shape) if len(shape) else 1
    size = count * itemsize
    if size > limit:
        raise InputError(f"{what} needs {size:,} bytes, more than the limit of {limit:,} "
                         "(MCUGEN_MAX_TENSOR_BYTES)", where)
    return size


# -- the graph ------------------------------------------------------------------------------------
def validate_graph(graph: Graph) -> None:
    """Raise InputError on the first defect; return None for a well-formed graph."""
    n = len(graph.tensors)
    limit = max_tensor_bytes()
    for t in graph.tensors:
        _check_tensor(graph, t, limit)
    if not graph.operators:
        raise InputError("model has no operators", graph.name)
    for kind, indices in (("input", graph.inputs), ("output", graph.outputs)):
        if not indices:
            raise InputError(f"model has no {kind}s", graph.name)
        for k, i in enumerate(indices):
            if not 0 <= i < n:
                raise InputError(f"graph {kind} {k} is tensor index {i}, out of range "
                                 f"(0..{n - 1})", graph.name)
            if graph.tensors[i].is_constant:
                raise InputError(f"graph {kind} {k} is a constant tensor", _t(graph, i))
    if len(set(graph.inputs)) != len(graph.inputs):
        raise InputError("a tensor is listed twice as graph input", graph.name)

    available = set(graph.inputs) | {t.index for t in graph.tensors
                                     if t.is_constant or t.is_variable}
    written: dict[int, int] = {}
    for op in graph.operators:
        if not op.outputs:
            raise InputError("operator has no outputs", _o(op))
        for i in op.inputs:
            if not -1 <= i < n:
                raise InputError(f"input tensor index {i} out of range", _o(op))
            if i >= 0 and i not in available:
                later = i in {t for o in graph.operators[op.index + 1:] for t in o.outputs}
                raise InputError(
                    ("reads a tensor an operator later in the schedule writes (operators out "
                     "of order)" if later else "reads a tensor nothing writes") + f": "
                    f"{_t(graph, i)}", _o(op))
        for i in op.outputs:
            if not 0 <= i < n:
                raise InputError(f"output tensor index {i} out of range", _o(op))
            t = graph.tensors[i]
            if t.is_constant:
                raise InputError(f"writes the constant {_t(graph, i)}", _o(op))
            if i in graph.inputs:
                raise InputError(f"writes the graph input {_t(graph, i)}", _o(op))
            if i in written:
                raise InputError(f"{_t(graph, i)} is written by operator {written[i]} and "
                                 f"operator {op.index}", _o(op))
            written[i] = op.index
            available.add(i)
        _check_operator(graph, op, limit)
    for k, i in enumerate(graph.outputs):
        if i not in written:
            raise InputError(f"graph output {k} is not produced by any operator",
                             _t(graph, i))


def _check_tensor(graph: Graph, t: Tensor, limit: int) -> None:
    where = _t(graph, t.index)
    if len(t.shape) > MAX_RANK:
        raise InputError(f"rank {len(t.shape)} is more than {MAX_RANK}", where)
    if any(d < 0 for d in t.shape):
        raise InputError(f"shape {list(t.shape)} has a negative dimension", where)
    check_tensor_size(t.shape, t.dtype.itemsize, where, limit=limit)
    q = t.quant
    if q is None:
        return
    scale = np.asarray(q.scale, dtype=np.float64)
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        bad = scale[~(np.isfinite(scale) & (scale > 0))][0]
        raise InputError(f"quantization scale {float(bad)} is not finite and positive", where)
    if q.zero_point.size != scale.size:
        raise InputError(f"{scale.size} quantization scales but {q.zero_point.size} zero "
                         "points", where)
    if t.dtype in _QRANGE:
        lo, hi = _QRANGE[t.dtype]
        if np.any(q.zero_point < lo) or np.any(q.zero_point > hi):
            raise InputError(f"zero point outside the range of {t.dtype}", where)
    if scale.size > 1:
        if not 0 <= q.axis < len(t.shape):
            # converters copy a filter's axis onto its rank-1 bias: one scale per value is fine
            if len(t.shape) == 1 and t.shape[0] == scale.size:
                return
            raise InputError(f"quantized dimension {q.axis} out of range for rank "
                             f"{len(t.shape)}", where)
        if t.shape[q.axis] != scale.size:
            raise InputError(f"{scale.size} per-channel scales for {t.shape[q.axis]} channels "
                             f"on axis {q.axis}", where)


# -- operators ------------------------------------------------------------------------------------
_UNARY = {"LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "QUANTIZE",
          "DEQUANTIZE", "SOFTMAX", "RELU_N1_TO_1", "ABS", "NEG", "SQRT", "RSQRT", "EXP", "LOG"}
_BINARY = {"ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "DIV", "SQUARED_DIFFERENCE"}
_RESHAPE = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}
_SAME_DTYPE_EXEMPT = {"QUANTIZE", "DEQUANTIZE", "TRANSPOSE_CONV"}   # its input 0 is a shape


def _operand(graph: Graph, op: Operator, position: int, what: str) -> Tensor:
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise InputError(f"has no {what} input", _o(op))
    return graph.tensors[op.inputs[position]]


def _rank(graph: Graph, op: Operator, t: Tensor, ranks, what: str) -> None:
    if len(t.shape) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise InputError(f"{what} {_t(graph, t.index)} has rank {len(t.shape)}, "
                         f"expected {want}", _o(op))


def _int_option(op: Operator, key: str, default: int | None = None, minimum: int = 1) -> int:
    value = op.options.get(key, default)
    if value is None:
        raise InputError(f"option {key} is missing", _o(op))
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"option {key} is {value}, must be >= {minimum}", _o(op))
    return int(value)


def _out_size(padding: str, size: int, k: int, stride: int, dilation: int,
              before: int = 0, after: int = 0) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "EXPLICIT":
        return (size + before + after - eff + stride) // stride
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - eff + stride) // stride


def _check_operator(graph: Graph, op: Operator, limit: int) -> None:
    from ..ops.registry import lookup

    o = op.options
    act = o.get("fused_activation_function")
    if act is not None and act not in _ACTIVATIONS:
        raise InputError(f"unknown fused activation code {act}", _o(op))
    pad = o.get("padding")
    if pad is not None and pad not in _PADDINGS:
        raise InputError(f"unknown padding code {pad}", _o(op))
    if pad == "EXPLICIT" and op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D"):
        raise InputError("explicit padding on an operator other than a convolution or max "
                         "pool", _o(op))
    for key in ("stride_h", "stride_w", "dilation_hfactor", "dilation_wfactor",
                "dilation_h_factor", "dilation_w_factor", "filter_height", "filter_width"):
        if key in o:
            _int_option(op, key)

    r = lookup(op.opcode)
    _check_semantics(graph, op, r, limit)
    if r is not None and r.macs is not None:   # inspect counts every known operator's work
        if op.opcode == "TRANSPOSE_CONV":
            if len(op.inputs) < 3 or min(op.inputs[:3]) < 0:
                raise InputError("needs output shape, weights and input", _o(op))
            _rank(graph, op, graph.tensors[op.inputs[1]], (4,), "weights")
        try:
            r.macs(graph, op)
        except Exception as exc:  # noqa: BLE001 - operands the record cannot read
            raise InputError(f"malformed operands ({type(exc).__name__})", _o(op)) from None


def _check_semantics(graph: Graph, op: Operator, r, limit: int) -> None:
    """Dtypes, quantization presence and the declared output shape of a simulated operator."""
    if r is None or not r.dtypes:
        return   # an operator mcugen does not simulate: the stages refuse it by name
    ins = [graph.tensors[i] if i >= 0 else None for i in op.inputs]
    outs = [graph.tensors[i] for i in op.outputs]
    if not ins or ins[0] is None:
        raise InputError("has no data input", _o(op))
    for t in [t for t in ins if t is not None] + outs:
        if t.size == 0 and (not t.is_constant or t.index == ins[0].index):
            raise InputError(f"{_t(graph, t.index)} {list(t.shape)} has no elements", _o(op))
        if t.dtype in _QRANGE and t.quant is None:
            raise InputError(f"{t.dtype} {_t(graph, t.index)} has no quantization parameters",
                             _o(op))
    if op.opcode == "QUANTIZE" and outs[0].dtype not in _QRANGE and outs[0].dtype != np.int32:
        raise InputError(f"QUANTIZE output {_t(graph, outs[0].index)} is {outs[0].dtype}, not "
                         "an integer type", _o(op))
    if op.opcode == "DEQUANTIZE" and ins[0].dtype not in _QRANGE:
        raise InputError(f"DEQUANTIZE input {_t(graph, ins[0].index)} is {ins[0].dtype}, not "
                         "an integer type", _o(op))
    if op.opcode not in _SAME_DTYPE_EXEMPT:
        x = ins[0]
        for y in outs:
            if y.dtype != x.dtype:
                raise InputError(f"output {_t(graph, y.index)} is {y.dtype}, its input "
                                 f"{_t(graph, x.index)} {x.dtype}", _o(op))
    try:
        expected = _expected_shape(graph, op, ins, outs, limit)
    except InputError:
        raise
    except Exception as exc:  # malformed operands the rules above did not foresee
        raise InputError(f"malformed operands ({type(exc).__name__})", _o(op)) from None
    if expected is not None:
        y = outs[0]
        if isinstance(expected, int):          # only the element count is determined
            if y.size != expected:
                raise InputError(f"declared output shape {list(y.shape)} holds {y.size} "
                                 f"values, the operator computes {expected}", _o(op))
        elif tuple(y.shape) != tuple(expected):
            raise InputError(f"declared output shape {list(y.shape)}, the operator computes "
                             f"{list(expected)}", _o(op))


def _explicit(op: Operator, kh: int, kw: int, dh: int, dw: int) -> tuple[int, int, int, int]:
    """Per-side padding of an EXPLICIT conv: four values, each below the dilated filter's
    extent (a window wholly in the padding is never folded, so no kernel has to meet one)."""
    pads = op.options.get("explicit_padding")
    try:
        top, bottom, left, right = (int(v) for v in pads)
    except (TypeError, ValueError):
        raise InputError(f"explicit padding {pads!r} is not four integers", _o(op)) from None
    eff_h, eff_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if min(top, bottom, left, right) < 0 or max(top, bottom) >= eff_h \
            or max(left, right) >= eff_w:
        raise InputError(f"explicit padding {[top, bottom, left, right]} is negative or not "
                         f"below the {eff_h}x{eff_w} filter extent", _o(op))
    return top, bottom, left, right


def _bias(graph: Graph, op: Operator, ins, channels: int) -> None:
    if len(ins) > 2 and ins[2] is not None:
        b = ins[2]
        if b.size != channels or len(b.shape) != 1:
            raise InputError(f"bias {_t(graph, b.index)} {list(b.shape)} has {b.size} values "
                             f"for {channels} output channels (one-dimensional)", _o(op))


def _expected_shape(graph: Graph, op: Operator, ins, outs, limit: int):
    """The output shape (tuple) or element count (int) the operator computes; None if unknown."""
    name, o, x = op.opcode, op.options, ins[0]
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        w = _operand(graph, op, 1, "filter")
        _rank(graph, op, x, (4,), "input")
        _rank(graph, op, w, (4,), "filter")
        n, h, wd, c = x.shape
        sh, sw = _int_option(op, "stride_h", 1), _int_option(op, "stride_w", 1)
        dh = _int_option(op, "dilation_hfactor", o.get("dilation_h_factor", 1))
        dw = _int_option(op, "dilation_wfactor", o.get("dilation_w_factor", 1))
        kh, kw = w.shape[1], w.shape[2]
        if kh < 1 or kw < 1:
            raise InputError(f"filter {_t(graph, w.index)} is {kh}x{kw}", _o(op))
        if name == "CONV_2D":
            cout, cin_f = w.shape[0], w.shape[3]
            if cin_f < 1 or c % cin_f or cout < 1 or cout % (c // cin_f):
                raise InputError(f"filter {_t(graph, w.index)} takes {cin_f} input channels, "
                                 f"the input has {c}", _o(op))
        else:
            cout, cin_f = w.shape[3], 1
            if w.shape[0] != 1 or c < 1 or cout % c:
                raise InputError(f"depthwise filter {_t(graph, w.index)} {list(w.shape)} does "
                                 f"not fit {c} input channels", _o(op))
        _bias(graph, op, ins, cout)
        padding = o.get("padding", "VALID")
        top = bottom = left = right = 0
        if padding == "EXPLICIT":
            top, bottom, left, right = _explicit(op, kh, kw, dh, dw)
        oh, ow = (_out_size(padding, h, kh, sh, dh, top, bottom),
                  _out_size(padding, wd, kw, sw, dw, left, right))
        if oh < 1 or ow < 1:
            raise InputError(f"the {kh}x{kw} filter (dilation {dh}x{dw}) is larger than the "
                             f"{h}x{wd} input", _o(op))
        # the simulator's intermediates, in float64: padded input windows and im2col rows
        need_h, need_w = (oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1
        mult = cout // c if name == "DEPTHWISE_CONV_2D" else 1
        check_tensor_size((n, max(need_h, h), max(need_w, wd), c * mult), 8, _o(op),
                          "padded input", limit)
        if name == "CONV_2D":
            check_tensor_size((n, oh, ow, kh, kw, cin_f), 8, _o(op), "im2col", limit)
        return (n, oh, ow, cout)
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        _rank(graph, op, x, (4,), "input")
        n, h, wd, c = x.shape
        fh, fw = _int_option(op, "filter_height"), _int_option(op, "filter_width")
        sh, sw = _int_option(op, "stride_h", 1), _int_option(op, "stride_w", 1)
        padding = o.get("padding", "VALID")
        top = bottom = left = right = 0
        if padding == "EXPLICIT":
            top, bottom, left, right = _explicit(op, fh, fw, 1, 1)
        oh, ow = (_out_size(padding, h, fh, sh, 1, top, bottom),
                  _out_size(padding, wd, fw, sw, 1, left, right))
        if oh < 1 or ow < 1:
            raise InputError(f"the {fh}x{fw} window is larger than the {h}x{wd} input", _o(op))
        check_tensor_size((n, (oh - 1) * sh + fh, (ow - 1) * sw + fw, c), 8, _o(op),
                          "padded input", limit)
        check_tensor_size((n, oh, ow, c, fh, fw), 8, _o(op), "pooling windows", limit)
        return (n, oh, ow, c)
    if name == "FULLY_CONNECTED":
        w = _operand(graph, op, 1, "weights")
        _rank(graph, op, w, (2,), "weights")
        units, depth = w.shape
        if depth < 1 or x.size % depth:
            raise InputError(f"input {_t(graph, x.index)} {list(x.shape)} is not a whole "
                             f"number of rows of {depth} values", _o(op))
        _bias(graph, op, ins, units)
        if o.get("keep_num_dims"):
            if x.shape[-1] != depth:
                raise InputError(f"input's last dimension {x.shape[-1]} is not the weights' "
                                 f"depth {depth}", _o(op))
            return tuple(x.shape[:-1]) + (units,)
        return (x.size // depth, units)
    if name in _BINARY:
        b = _operand(graph, op, 1, "second")
        if len(x.shape) > 6 or len(b.shape) > 6:
            raise InputError("broadcasting takes rank <= 6", _o(op))
        try:
            return tuple(np.broadcast_shapes(tuple(x.shape), tuple(b.shape)))
        except ValueError:
            raise InputError(f"shapes {list(x.shape)} and {list(b.shape)} do not broadcast",
                             _o(op)) from None
    if name in _UNARY:
        if name == "SOFTMAX" and not np.isfinite(float(o.get("beta", 1.0))):
            raise InputError("softmax beta is not finite", _o(op))
        if name == "LEAKY_RELU" and not np.isfinite(float(o.get("alpha", 0.2))):
            raise InputError("leaky relu alpha is not finite", _o(op))
        return tuple(x.shape)
    if name in _RESHAPE:
        return x.size
    if name in ("PAD", "PADV2"):
        pads = _const(graph, op, 1, "paddings")
        if pads.shape != (len(x.shape), 2) or np.any(pads < 0):
            raise InputError(f"paddings {pads.tolist()} do not fit rank {len(x.shape)} "
                             "(one non-negative pair per axis)", _o(op))
        return tuple(int(d) + int(a) + int(b) for d, (a, b) in zip(x.shape, pads))
    if name == "CONCATENATION":
        parts = [t for t in ins if t is not None]
        rank = len(x.shape)
        axis = int(o.get("axis", 0))
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank:
            raise InputError(f"axis {o.get('axis')} out of range for rank {rank}", _o(op))
        for t in parts:
            if len(t.shape) != rank or any(a != b for k, (a, b) in
                                           enumerate(zip(t.shape, x.shape)) if k != axis):
                raise InputError(f"input {_t(graph, t.index)} {list(t.shape)} does not "
                                 f"concatenate with {list(x.shape)} on axis {axis}", _o(op))
        return tuple(sum(t.shape[axis] for t in parts) if k == axis else d
                     for k, d in enumerate(x.shape))
    if name == "MEAN":
        from ..ops.mean import resolve_axes
        axes = resolve_axes(graph, op)
        if o.get("keep_dims"):
            return tuple(1 if k in axes else d for k, d in enumerate(x.shape))
        return tuple(d for k, d in enumerate(x.shape) if k not in axes)
    if name == "TRANSPOSE":
        perm = _const(graph, op, 1, "permutation").ravel()
        if sorted(int(p) for p in perm) != list(range(len(x.shape))):
            raise InputError(f"permutation {perm.tolist()} is not one of rank "
                             f"{len(x.shape)}", _o(op))
        return tuple(x.shape[int(p)] for p in perm)
    if name == "STRIDED_SLICE":
        from ..ops.strided_slice import prepare_strided_slice
        if len(x.shape) > 5:
            raise InputError("STRIDED_SLICE takes rank <= 5", _o(op))
        p = prepare_strided_slice(graph, op)
        count = 1
        for start, stop, stride in zip(p.starts, p.stops, p.strides):
            count *= len(range(start, stop, stride))
        return count
    return None


def _const(graph: Graph, op: Operator, position: int, what: str) -> np.ndarray:
    t = _operand(graph, op, position, what)
    if t.data is None:
        raise InputError(f"{what} {_t(graph, t.index)} is not constant", _o(op))
    if t.dtype.kind not in "iu":
        raise InputError(f"{what} {_t(graph, t.index)} is {t.dtype}, not integer", _o(op))
    return np.asarray(t.data).astype(np.int64)
