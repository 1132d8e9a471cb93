"""Read a float ONNX model into mcugen's :class:`Graph` (NHWC, TFLite operators).

Why a converter of its own rather than ONNX -> TensorFlow -> TFLite: PyTorch users then reach the
whole pipeline (quantizer, planner, kernels, bit-exact verification) with one dependency, ``onnx``.

**Layout.** ONNX (PyTorch) tensors are NCHW; mcugen's convolutions and pools are NHWC. Every ONNX
value is tracked as a graph tensor plus a permutation ``perm`` with
``graph_tensor == onnx_value.transpose(perm)``. Convolutions and pools produce NHWC values
(``perm = (0, 2, 3, 1)``); layout-agnostic operators (activations, elementwise, concat, pad,
reduce) keep their input's ``perm`` and map their axes through it; an ONNX ``Transpose`` only
changes ``perm`` (no operator). A value is brought to another layout only where an operator needs
it (RESHAPE where the move keeps memory order, as for a 1-channel image, else TRANSPOSE). Graph
inputs and outputs keep the ONNX model's own layout, so data (calibration, ``--input``) is given
as the ONNX model expects it.

**Constants.** Initializers and ``Constant`` outputs stay numpy arrays in ONNX layout; any node
whose inputs are all constant (the TorchScript exporter's Shape -> Gather -> Concat -> Reshape
chains; ``Shape`` of a value whose shape is known) is evaluated with ``onnx.reference`` at import.

Anything not mapped exactly is an :class:`InputError` naming the ONNX node (op type, name, index):
never an approximation.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, McugenError
from .builder import GraphBuilder
from .graph import Graph

NHWC = (0, 2, 3, 1)
OPSETS = range(13, 22)          # ai.onnx opsets the importer is written and tested for
_FOLD_EXCLUDED = {"Constant"}   # evaluated directly


def is_onnx(data: bytes, path: str | Path | None = None) -> bool:
    """Does ``data`` look like an ONNX ModelProto (not a .tflite flatbuffer)? The content
    decides: a .tflite carries 'TFL3' at byte 4; a ModelProto starts with field 1 (ir_version,
    tag 0x08). The extension only breaks ties for files that are neither."""
    if len(data) >= 8 and data[4:8] == b"TFL3":
        return False
    if data[:1] == b"\x08":
        return True
    return path is not None and str(path).lower().endswith(".onnx")


def parse_onnx(data: bytes, where: str = "<bytes>", name: str = "model") -> Graph:
    """An ONNX model's bytes -> a validated float Graph; InputError for anything unusable."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError("reading .onnx needs the 'onnx' package (pip install onnx)",
                         where) from None
    if not data:
        raise InputError("empty file, not an ONNX model", where)
    try:
        model = onnx.ModelProto()
        model.ParseFromString(data)
    except Exception:
        raise InputError("malformed or truncated .onnx (protobuf does not parse)",
                         where) from None
    if not model.HasField("graph") or not model.graph.node:
        raise InputError("not an ONNX model (no graph or no nodes)", where)
    try:
        # a corrupted file must not print numpy/onnx warnings: the error contract is one line
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from . import onnx_qdq
            onnx_qdq.refuse_other_formats(model)
            if onnx_qdq.is_qdq(model):
                model, notes = onnx_qdq.to_float(model)
                importer = _Importer(model, name)
                graph = onnx_qdq.to_int8(importer.run(), importer.vals, notes)
            else:
                graph = _Importer(model, name).run()
        from .validate import validate_graph
        validate_graph(graph)
        return graph
    except McugenError as exc:
        inner = f", {exc.where}" if exc.where and exc.where != name else ""
        raise InputError(exc.message, f"{where}{inner}") from None
    except Exception as exc:  # a malformed proto the checks above let through
        raise InputError(f"malformed .onnx ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:120] if str(exc) else ''})",
                         where) from None


def _inverse(perm) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _identity(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


class _Val:
    """An ONNX value in the graph: tensor index and layout (graph == onnx.transpose(perm))."""

    __slots__ = ("index", "perm")

    def __init__(self, index: int, perm: tuple[int, ...]):
        self.index, self.perm = index, tuple(perm)


class _Importer:
    def __init__(self, model: Any, name: str):
        import onnx
        from onnx import numpy_helper
        self.onnx, self.nh = onnx, numpy_helper
        self.model = model
        self.g = model.graph
        self.b = GraphBuilder(name)
        self.consts: dict[str, np.ndarray] = {}
        self.vals: dict[str, _Val] = {}
        self.layout_cache: dict[tuple[int, tuple[int, ...]], int] = {}
        self.fc_zero_bias: dict[str, Any] = {}   # MatMul output -> its FULLY_CONNECTED
        self.conv_out: dict[str, Any] = {}       # Conv output -> (operator, depthwise)
        self.uses: dict[str, int] = {}
        self.node = None
        self.node_index = -1
        self.opset = 0
        for imp in model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = int(imp.version)

    # -- errors ----------------------------------------------------------------------------
    def where(self) -> str:
        n = self.node
        return f"node {self.node_index} '{n.name}' ({n.op_type})" if n is not None else "graph"

    def refuse(self, why: str):
        raise InputError(why, self.where())

    # -- setup -----------------------------------------------------------------------------
    def run(self) -> Graph:
        if self.opset and self.opset not in OPSETS:
            raise InputError(f"ONNX opset {self.opset} is not supported (opsets "
                             f"{OPSETS.start}-{OPSETS.stop - 1})", "model")
        outputs, live = self._live()
        for i, n in live:
            if n.domain not in ("", "ai.onnx"):
                raise InputError(f"unsupported ONNX operator {n.domain}.{n.op_type}",
                                 f"node {i} '{n.name}' ({n.op_type})")
        for init in self.g.initializer:
            self.consts[init.name] = self.nh.to_array(init)
        for _, node in live:
            for x in node.input:
                if x:
                    self.uses[x] = self.uses.get(x, 0) + 1
        for o in outputs:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1
        for inp in self.g.input:
            if inp.name in self.consts:
                continue
            self._graph_input(inp)
        for i, node in live:
            self.node, self.node_index = node, i
            self._convert(node)
        self.node = None
        for out in outputs:
            if out.name in self.consts:
                raise InputError("graph output is a constant", f"output '{out.name}'")
            v = self.vals[out.name]
            index = self.to_layout(v, _identity(len(v.perm)))
            t = self.b.tensors[index]
            if index in self.b.outputs or index in self.b.inputs:
                index = self._copy(index, out.name)
            else:
                t.name = out.name
            self.b.output(index)
        graph = self.b.build()
        graph.description = f"imported from ONNX ({self.model.producer_name} " \
                            f"{self.model.producer_version}, opset {self.opset})".strip()
        if self.dropped:
            graph.description += f"; dropped non-float outputs {', '.join(self.dropped)}"
        return graph

    def _live(self):
        """The outputs mcugen computes and the nodes they need (with their model indices).

        A classifier's label branch (skl2onnx: ArgMax -> ArrayFeatureExtractor -> Cast, an
        int64 or string 'label' output; ZipMap's sequence of maps) is dropped when a float
        output remains, which then comes first; the description records what was dropped."""
        float_t = self.onnx.TensorProto.FLOAT
        outputs = list(self.g.output)
        kept = [o for o in outputs if not o.type.HasField("tensor_type")
                and not o.type.HasField("sequence_type") and not o.type.HasField("map_type")
                or (o.type.HasField("tensor_type")
                    and o.type.tensor_type.elem_type in (float_t, 0))]
        self.dropped = [o.name for o in outputs if o not in kept]
        if not kept:
            raise InputError("the model has no float tensor output (a classifier's probabilities "
                             "as a ZipMap? skl2onnx: export with options {'zipmap': False})",
                             "model")
        needed = {o.name for o in kept}
        live = []
        for i in range(len(self.g.node) - 1, -1, -1):
            n = self.g.node[i]
            if any(o in needed for o in n.output):
                live.append((i, n))
                needed.update(x for x in n.input if x)
        live.reverse()
        return kept, live

    def _graph_input(self, inp) -> None:
        tt = inp.type.tensor_type
        if not inp.type.HasField("tensor_type") or tt.elem_type != self.onnx.TensorProto.FLOAT:
            elem = self.onnx.TensorProto.DataType.Name(tt.elem_type) \
                if inp.type.HasField("tensor_type") else "non-tensor"
            raise InputError(f"input type {elem} is not supported (float32 inputs only)",
                             f"input '{inp.name}'")
        shape = []
        for k, d in enumerate(tt.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            elif k == 0:
                shape.append(1)         # a dynamic batch dimension is set to 1
            else:
                raise InputError(f"dimension {k} ('{d.dim_param}') is dynamic; only the batch "
                                 "dimension may be", f"input '{inp.name}'")
        index = self.b.input(inp.name, shape, np.float32)
        self.vals[inp.name] = _Val(index, _identity(len(shape)))

    # -- values ----------------------------------------------------------------------------
    def shape(self, v: _Val) -> tuple[int, ...]:
        """The ONNX shape of a value."""
        gs = self.b.tensors[v.index].shape
        inv = _inverse(v.perm)
        return tuple(gs[inv[i]] for i in range(len(gs)))

    def get(self, name: str) -> _Val:
        if name in self.consts:
            self.refuse(f"input '{name}' is a constant where mcugen needs a computed tensor")
        if name not in self.vals:
            self.refuse(f"input '{name}' is not computed before this node")
        return self.vals[name]

    def const(self, k: int, what: str) -> np.ndarray:
        node = self.node
        if k >= len(node.input) or not node.input[k]:
            self.refuse(f"{what} is missing")
        name = node.input[k]
        if name not in self.consts:
            self.refuse(f"{what} ('{name}') must be a constant")
        return self.consts[name]

    def opt_const(self, k: int) -> np.ndarray | None:
        node = self.node
        if k >= len(node.input) or not node.input[k]:
            return None
        return self.const(k, f"input {k}")

    def new(self, name: str, shape) -> int:
        return self.b.tensor(name, shape, np.float32)

    def fconst(self, name: str, data: np.ndarray) -> int:
        data = np.asarray(data)
        if data.dtype.kind == "f":
            data = data.astype(np.float32)
        return self.b.const(name, np.ascontiguousarray(data))

    def attr(self, name: str, default=None):
        for a in self.node.attribute:
            if a.name == name:
                return self.onnx.helper.get_attribute_value(a)
        return default

    def check_attrs(self, allowed: set[str]) -> None:
        for a in self.node.attribute:
            if a.name not in allowed:
                self.refuse(f"attribute '{a.name}' is not supported")

    def op(self, opcode: str, inputs, outputs, options_type=None, **options):
        return self.b.op(opcode, list(inputs), list(outputs), options_type, version=1, **options)

    def to_layout(self, v: _Val, perm: tuple[int, ...]) -> int:
        """The tensor of ``v`` in layout ``perm``: itself, or a RESHAPE/TRANSPOSE of it."""
        perm = tuple(perm)
        if v.perm == perm:
            return v.index
        key = (v.index, v.perm, perm)
        if key in self.layout_cache:
            return self.layout_cache[key]
        inv_old = _inverse(v.perm)
        t = [inv_old[p] for p in perm]          # new graph tensor = old.transpose(t)
        old = self.b.tensors[v.index]
        shape = tuple(old.shape[i] for i in t)
        out = self.new(f"{old.name}_layout", shape)
        moving = [i for i in t if old.shape[i] != 1]
        if moving == sorted(moving):            # same memory order: a reshape
            s = self.b.const(f"{old.name}_layout_shape", np.array(shape, np.int32))
            self.op("RESHAPE", [v.index, s], [out], "ReshapeOptions", new_shape=list(shape))
        else:
            p = self.b.const(f"{old.name}_layout_perm", np.array(t, np.int32))
            self.op("TRANSPOSE", [v.index, p], [out], "TransposeOptions")
        self.layout_cache[key] = out
        return out

    def _copy(self, index: int, name: str) -> int:
        t = self.b.tensors[index]
        out = self.new(name, t.shape)
        s = self.b.const(f"{name}_shape", np.array(t.shape, np.int32))
        self.op("RESHAPE", [index, s], [out], "ReshapeOptions", new_shape=list(t.shape))
        return out

    def set_out(self, index: int, perm) -> None:
        self.vals[self.node.output[0]] = _Val(index, tuple(perm))

    def out_name(self, k: int = 0) -> str:
        return self.node.output[k]

    def const_for(self, c: np.ndarray, v: _Val, name: str) -> int:
        """A constant broadcast against ``v`` (ONNX right-aligned rules), in v's layout."""
        rank = len(v.perm)
        c = np.asarray(c, np.float32)
        if c.ndim > rank:
            self.refuse(f"constant of rank {c.ndim} broadcast against rank {rank}")
        c = c.reshape((1,) * (rank - c.ndim) + c.shape)
        return self.fconst(name, c.transpose(v.perm))

    # -- dispatch --------------------------------------------------------------------------
    def _convert(self, node) -> None:
        op = node.op_type
        if op == "Constant":
            return self._constant(node)
        if op in ("Identity", "Dropout"):
            if op == "Dropout" and len(node.output) > 1 and node.output[1]:
                self.refuse("Dropout's mask output is not supported")
            if node.input[0] in self.consts:
                self.consts[node.output[0]] = self.consts[node.input[0]]
            else:
                self.vals[node.output[0]] = self.get(node.input[0])
            return
        if op == "Shape" and node.input[0] in self.vals:
            shape = np.array(self.shape(self.vals[node.input[0]]), np.int64)
            start, end = self.attr("start", 0), self.attr("end", None)
            self.consts[node.output[0]] = shape[start:end]
            return
        if all((not x) or x in self.consts for x in node.input) and node.input:
            return self._fold(node)
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            self.refuse(f"unsupported ONNX operator {op}")
        handler(node)

    def _constant(self, node) -> None:
        for a in node.attribute:
            if a.name == "value":
                self.consts[node.output[0]] = self.nh.to_array(a.t)
            elif a.name in ("value_float", "value_int", "value_floats", "value_ints"):
                v = self.onnx.helper.get_attribute_value(a)
                dt = np.float32 if "float" in a.name else np.int64
                self.consts[node.output[0]] = np.array(v, dt)
            else:
                self.refuse(f"Constant attribute '{a.name}' is not supported")

    def _fold(self, node) -> None:
        from onnx.reference import ReferenceEvaluator
        from .validate import max_tensor_bytes
        helper = self.onnx.helper
        feeds = {x: self.consts[x] for x in node.input if x}
        # operators whose output size a (corrupted) constant decides: bound it before evaluating
        sizes = {"ConstantOfShape": 0, "Expand": 1}
        if node.op_type in sizes and len(node.input) > sizes[node.op_type]:
            shape = np.asarray(feeds.get(node.input[sizes[node.op_type]], [])).reshape(-1)
            if (shape < 0).any() or math.prod(int(d) for d in shape) * 8 > max_tensor_bytes():
                self.refuse(f"constant of shape {shape.tolist()[:8]} is too large")
        if node.op_type in ("Tile", "Range", "Resize", "Upsample"):
            self.refuse(f"constant {node.op_type} is not evaluated at import")
        inputs = [helper.make_tensor_value_info(
            x, helper.np_dtype_to_tensor_dtype(feeds[x].dtype), feeds[x].shape) for x in feeds]
        outputs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
        g = helper.make_graph([node], "fold", inputs, outputs)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset or 17)])
        try:
            results = ReferenceEvaluator(m).run(None, feeds)
        except Exception as exc:
            self.refuse(f"cannot evaluate constant {node.op_type} at import "
                        f"({type(exc).__name__})")
        for o, r in zip([o for o in node.output if o], results):
            self.consts[o] = np.asarray(r)

    # -- convolution and pooling -------------------------------------------------------------
    def _spatial(self, in_hw, k, s, d, what: str):
        """(padding, explicit pads or None) for a 2-D window: ONNX pads/auto_pad -> SAME/VALID
        where TFLite computes the same, else explicit [[top, bottom], [left, right]]."""
        auto = self.attr("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        pads = list(self.attr("pads", [0, 0, 0, 0]))
        if len(pads) != 4:
            self.refuse(f"{what}: pads {pads} are not 2-D")
        same = []
        for i in range(2):
            eff = (k[i] - 1) * d[i] + 1
            out = -(-in_hw[i] // s[i])
            total = max((out - 1) * s[i] + eff - in_hw[i], 0)
            same.append((total // 2, total - total // 2))
        if auto == "VALID":
            return "VALID", None
        if auto == "SAME_UPPER":
            return "SAME", None
        if auto == "SAME_LOWER":
            pads = [same[0][1], same[1][1], same[0][0], same[1][0]]
        elif auto != "NOTSET":
            self.refuse(f"auto_pad {auto} is not supported")
        if not any(pads):
            return "VALID", None
        explicit = [(pads[0], pads[2]), (pads[1], pads[3])]
        if explicit == same:
            return "SAME", None
        return "VALID", explicit

    def _pad_nhwc(self, x: int, explicit, value: float = 0.0) -> int:
        t = self.b.tensors[x]
        n, h, w, c = t.shape
        shape = (n, h + sum(explicit[0]), w + sum(explicit[1]), c)
        paddings = np.array([[0, 0], list(explicit[0]), list(explicit[1]), [0, 0]], np.int32)
        out = self.new(f"{t.name}_padded", shape)
        p = self.b.const(f"{t.name}_paddings", paddings)
        self.op("PAD", [x, p], [out], "PadOptions")
        return out

    @staticmethod
    def _out_size(n, k, s, d, explicit_or_none, padding):
        eff = (k - 1) * d + 1
        if padding == "SAME":
            return -(-n // s)
        return (n - eff) // s + 1

    def _op_Conv(self, node) -> None:
        self.check_attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
        v = self.get(node.input[0])
        if len(v.perm) != 4:
            self.refuse(f"Conv on a rank-{len(v.perm)} input (2-D convolutions only)")
        w = self.const(1, "weight").astype(np.float32)
        bias = self.opt_const(2)
        x = self.to_layout(v, NHWC)
        n, h, wd, cin = self.b.tensors[x].shape
        cout, cin_g, kh, kw = w.shape
        group = int(self.attr("group", 1))
        s = list(self.attr("strides", [1, 1]))
        d = list(self.attr("dilations", [1, 1]))
        padding, explicit = self._spatial((h, wd), (kh, kw), s, d, "Conv")
        if explicit is not None:
            x = self._pad_nhwc(x, explicit)
            n, h, wd, cin = self.b.tensors[x].shape
        oh = self._out_size(h, kh, s[0], d[0], explicit, padding)
        ow = self._out_size(wd, kw, s[1], d[1], explicit, padding)
        bias = np.zeros(cout, np.float32) if bias is None else bias.astype(np.float32)
        y = self.new(self.out_name(), (n, oh, ow, cout))
        opts = dict(padding=padding, stride_h=int(s[0]), stride_w=int(s[1]),
                    dilation_h_factor=int(d[0]), dilation_w_factor=int(d[1]),
                    fused_activation_function="NONE")
        if group == 1:
            if cin_g != cin:
                self.refuse(f"weight has {cin_g} input channels, input has {cin}")
            wt = self.fconst(node.input[1], w.transpose(0, 2, 3, 1))
            bt = self.fconst(node.input[2] if len(node.input) > 2 else f"{node.name}_bias", bias)
            op = self.op("CONV_2D", [x, wt, bt], [y], "Conv2DOptions", **opts)
            self.conv_out[self.out_name()] = (op, False)
        elif group == cin and cin_g == 1 and cout % cin == 0:
            wt = self.fconst(node.input[1], w.transpose(1, 2, 3, 0))
            bt = self.fconst(node.input[2] if len(node.input) > 2 else f"{node.name}_bias", bias)
            op = self.op("DEPTHWISE_CONV_2D", [x, wt, bt], [y], "DepthwiseConv2DOptions",
                         depth_multiplier=cout // cin, **opts)
            self.conv_out[self.out_name()] = (op, True)
        else:
            self.refuse(f"grouped convolution (group={group}, {cin} input channels): only "
                        "group=1 and depthwise (group = input channels) are supported")
        self.set_out(y, NHWC)

    def _pool(self, node, opcode: str) -> None:
        self.check_attrs({"auto_pad", "ceil_mode", "count_include_pad", "dilations",
                          "kernel_shape", "pads", "strides", "storage_order"})
        v = self.get(node.input[0])
        if len(v.perm) != 4:
            self.refuse(f"{node.op_type} on a rank-{len(v.perm)} input (2-D pools only)")
        if len(node.output) > 1 and node.output[1]:
            self.refuse("MaxPool's indices output is not supported")
        if any(dd != 1 for dd in self.attr("dilations", [1, 1])):
            self.refuse("dilated pooling is not supported")
        if self.attr("storage_order", 0) != 0:
            self.refuse("storage_order=1 is not supported")
        k = list(self.attr("kernel_shape"))
        s = list(self.attr("strides", [1, 1]))
        x = self.to_layout(v, NHWC)
        n, h, wd, c = self.b.tensors[x].shape
        padding, explicit = self._spatial((h, wd), k, s, [1, 1], node.op_type)
        if self.attr("ceil_mode", 0):
            # ceil_mode changes the output only where a window would start in the padding
            for i, size in enumerate((h, wd)):
                pb, pe = (explicit[i] if explicit else (0, 0))
                if padding == "VALID" and (size + pb + pe - k[i]) % s[i] != 0:
                    self.refuse("ceil_mode=1 with a partial last window is not supported")
                if padding == "SAME" and (size % s[i]) != 0:
                    self.refuse("ceil_mode=1 with a partial last window is not supported")
        include = self.attr("count_include_pad", 0)
        if padding == "SAME" and opcode == "AVERAGE_POOL_2D" and include:
            # TFLite's SAME average excludes the padding: count it by padding explicitly
            eff = [(-(-sz // st) - 1) * st + kk - sz for sz, st, kk in zip((h, wd), s, k)]
            explicit = [(max(e, 0) // 2, max(e, 0) - max(e, 0) // 2) for e in eff]
            padding = "VALID" if any(sum(e) for e in explicit) else "SAME"
            if padding == "SAME":
                explicit = None
        if explicit is not None:
            if opcode == "MAX_POOL_2D" or not include:
                self.refuse(f"{node.op_type} padding {list(self.attr('pads'))} is not "
                            "TFLite's SAME padding")
            x = self._pad_nhwc(x, explicit)
            n, h, wd, c = self.b.tensors[x].shape
        oh = self._out_size(h, k[0], s[0], 1, explicit, padding)
        ow = self._out_size(wd, k[1], s[1], 1, explicit, padding)
        y = self.new(self.out_name(), (n, oh, ow, c))
        self.op(opcode, [x], [y], "Pool2DOptions", padding=padding, stride_h=int(s[0]),
                stride_w=int(s[1]), filter_height=int(k[0]), filter_width=int(k[1]),
                fused_activation_function="NONE")
        self.set_out(y, NHWC)

    def _op_MaxPool(self, node) -> None:
        self._pool(node, "MAX_POOL_2D")

    def _op_AveragePool(self, node) -> None:
        self._pool(node, "AVERAGE_POOL_2D")

    def _op_GlobalAveragePool(self, node) -> None:
        v = self.get(node.input[0])
        if len(v.perm) != 4:
            self.refuse(f"GlobalAveragePool on a rank-{len(v.perm)} input (4-D only)")
        x = self.to_layout(v, NHWC)
        n, h, w, c = self.b.tensors[x].shape
        axes = self.b.const(f"{node.name}_axes", np.array([1, 2], np.int32))
        y = self.new(self.out_name(), (n, 1, 1, c))
        self.op("MEAN", [x, axes], [y], "ReducerOptions", keep_dims=True)
        self.set_out(y, NHWC)

    def _op_ReduceMean(self, node) -> None:
        self.check_attrs({"axes", "keepdims", "noop_with_empty_axes"})
        v = self.get(node.input[0])
        axes = self.attr("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.const(1, "axes").tolist()
        rank = len(v.perm)
        if not axes:
            if self.attr("noop_with_empty_axes", 0):
                self.vals[self.out_name()] = v
                return
            axes = list(range(rank))
        axes = sorted({int(a) % rank for a in axes})
        keep = bool(self.attr("keepdims", 1))
        perm = v.perm if keep else _identity(rank)
        x = self.to_layout(v, perm)
        gaxes = sorted(perm.index(a) for a in axes)
        shape = list(self.b.tensors[x].shape)
        out = [1 if i in gaxes else s for i, s in enumerate(shape)] if keep else \
            [s for i, s in enumerate(shape) if i not in gaxes]
        a = self.b.const(f"{node.name}_axes", np.array(gaxes, np.int32))
        y = self.new(self.out_name(), out)
        self.op("MEAN", [x, a], [y], "ReducerOptions", keep_dims=keep)
        self.set_out(y, perm if keep else _identity(len(out)))

    # -- fully connected -------------------------------------------------------------------
    def _fc(self, x: int, weights: np.ndarray, bias: np.ndarray, wname: str, bname: str):
        t = self.b.tensors[x]
        if len(t.shape) != 2:
            self.refuse(f"input of rank {len(t.shape)} (2-D [batch, features] only)")
        if t.shape[1] != weights.shape[1]:
            self.refuse(f"input has {t.shape[1]} features, weights expect {weights.shape[1]}")
        wt = self.fconst(wname, weights)
        bt = self.fconst(bname, bias)
        y = self.new(self.out_name(), (t.shape[0], weights.shape[0]))
        op = self.op("FULLY_CONNECTED", [x, wt, bt], [y], "FullyConnectedOptions",
                     fused_activation_function="NONE", weights_format=0, keep_num_dims=False,
                     asymmetric_quantize_inputs=False)
        self.set_out(y, (0, 1))
        return op

    def _op_Gemm(self, node) -> None:
        self.check_attrs({"alpha", "beta", "transA", "transB"})
        if self.attr("transA", 0):
            self.refuse("transA=1 is not supported")
        v = self.get(node.input[0])
        x = self.to_layout(v, _identity(len(v.perm)))
        b = self.const(1, "B").astype(np.float32)
        w = b if self.attr("transB", 0) else b.T
        w = w * np.float32(self.attr("alpha", 1.0))
        c = self.opt_const(2)
        units = w.shape[0]
        if c is None:
            bias = np.zeros(units, np.float32)
        else:
            c = np.asarray(c, np.float32) * np.float32(self.attr("beta", 1.0))
            if c.size not in (1, units) or (c.ndim == 2 and c.shape[0] != 1):
                self.refuse(f"bias of shape {list(c.shape)} (needs [{units}] or [1, {units}])")
            bias = np.broadcast_to(c.reshape(-1), (units,)).astype(np.float32)
        self._fc(x, np.ascontiguousarray(w), bias, node.input[1],
                 node.input[2] if len(node.input) > 2 and node.input[2] else f"{node.name}_bias")

    def _op_MatMul(self, node) -> None:
        v = self.get(node.input[0])
        b = self.const(1, "B (MatMul of two computed tensors is not supported)")
        if b.ndim != 2:
            self.refuse(f"MatMul by a rank-{b.ndim} constant (2-D only)")
        x = self.to_layout(v, _identity(len(v.perm)))
        op = self._fc(x, np.ascontiguousarray(b.astype(np.float32).T),
                      np.zeros(b.shape[1], np.float32), node.input[1], f"{node.name}_bias")
        self.fc_zero_bias[self.out_name()] = op

    # -- elementwise -----------------------------------------------------------------------
    def _unary(self, opcode: str, options_type=None, **options) -> None:
        v = self.get(self.node.input[0])
        y = self.new(self.out_name(), self.b.tensors[v.index].shape)
        self.op(opcode, [v.index], [y], options_type, **options)
        self.set_out(y, v.perm)

    def _op_Relu(self, node) -> None:
        self._unary("RELU")

    def _op_Sigmoid(self, node) -> None:
        self._unary("LOGISTIC")

    def _op_Tanh(self, node) -> None:
        self._unary("TANH")

    def _op_HardSwish(self, node) -> None:
        self._unary("HARD_SWISH")

    def _op_LeakyRelu(self, node) -> None:
        self._unary("LEAKY_RELU", "LeakyReluOptions", alpha=float(self.attr("alpha", 0.01)))

    def _scalar_op(self, opcode: str, v: _Val, value: float, suffix: str) -> _Val:
        t = self.b.tensors[v.index]
        c = self.fconst(f"{t.name}_{suffix}", np.full((1,) * len(t.shape), value, np.float32))
        y = self.new(f"{self.out_name()}_{suffix}", t.shape)
        opt = {"MUL": "MulOptions", "ADD": "AddOptions", "MAXIMUM": "MaximumMinimumOptions",
               "MINIMUM": "MaximumMinimumOptions"}[opcode]
        extra = {"fused_activation_function": "NONE"} if opcode in ("MUL", "ADD") else {}
        self.op(opcode, [v.index, c], [y], opt, **extra)
        return _Val(y, v.perm)

    def _clamp(self, v: _Val, lo, hi) -> None:
        if lo is not None:
            v = self._scalar_op("MAXIMUM", v, lo, "min")
        if hi is not None:
            v = self._scalar_op("MINIMUM", v, hi, "max")
        self.b.tensors[v.index].name = self.out_name()
        self.vals[self.out_name()] = v

    def _op_Clip(self, node) -> None:
        v = self.get(node.input[0])
        lo = self.opt_const(1)
        hi = self.opt_const(2)
        lo = None if lo is None or np.isneginf(lo).all() else float(lo)
        hi = None if hi is None or np.isposinf(hi).all() else float(hi)
        if lo == 0.0 and hi == 6.0:
            return self._unary("RELU6")
        if lo == 0.0 and hi is None:
            return self._unary("RELU")
        if lo is None and hi is None:
            self.vals[self.out_name()] = v
            return
        self._clamp(v, lo, hi)

    def _op_HardSigmoid(self, node) -> None:
        v = self.get(node.input[0])
        v = self._scalar_op("MUL", v, float(self.attr("alpha", 0.2)), "alpha")
        v = self._scalar_op("ADD", v, float(self.attr("beta", 0.5)), "beta")
        self._clamp(v, 0.0, 1.0)

    def _binary(self, node, opcode: str) -> None:
        a_name, b_name = node.input[0], node.input[1]
        options = {"fused_activation_function": "NONE"}
        if opcode == "DIV":
            if b_name not in self.consts:
                self.refuse("Div by a computed tensor is not supported (by a constant only)")
            opcode, divisor = "MUL", np.asarray(self.consts[b_name], np.float32)
            if (divisor == 0).any():
                self.refuse("Div by a constant holding 0")
            self.consts[b_name + "_reciprocal"] = (np.float32(1) / divisor).astype(np.float32)
            b_name = b_name + "_reciprocal"
        opt = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[opcode]
        if opcode == "ADD" and (a_name in self.fc_zero_bias or b_name in self.fc_zero_bias):
            if self._fold_bias(node, a_name, b_name):
                return
        if a_name in self.consts or b_name in self.consts:
            const_first = a_name in self.consts
            v = self.get(b_name if const_first else a_name)
            c = self.const_for(self.consts[a_name if const_first else b_name], v,
                               a_name if const_first else b_name)
            ins = [c, v.index] if const_first else [v.index, c]
            shape = np.broadcast_shapes(self.b.tensors[c].shape, self.b.tensors[v.index].shape)
            perm = v.perm
        else:
            va, vb = self.get(a_name), self.get(b_name)
            ra, rb = len(va.perm), len(vb.perm)
            if ra != rb:
                va, vb = self._same_rank(va, ra, max(ra, rb)), self._same_rank(vb, rb, max(ra, rb))
            perm = va.perm if len(va.perm) >= len(vb.perm) else vb.perm
            ins = [self.to_layout(va, perm), self.to_layout(vb, perm)]
            try:
                shape = np.broadcast_shapes(*(self.b.tensors[i].shape for i in ins))
            except ValueError:
                self.refuse("input shapes do not broadcast")
        y = self.new(self.out_name(), shape)
        self.op(opcode, ins, [y], opt, **options)
        self.set_out(y, perm)

    def _same_rank(self, v: _Val, rank: int, target: int) -> _Val:
        if rank == target:
            return v
        x = self.to_layout(v, _identity(rank))
        shape = (1,) * (target - rank) + tuple(self.b.tensors[x].shape)
        y = self.new(f"{self.b.tensors[x].name}_rank{target}", shape)
        s = self.b.const(f"{self.b.tensors[x].name}_rank{target}_shape", np.array(shape, np.int32))
        self.op("RESHAPE", [x, s], [y], "ReshapeOptions", new_shape=list(shape))
        return _Val(y, _identity(target))

    def _fold_bias(self, node, a_name: str, b_name: str) -> bool:
        """MatMul -> Add(constant) is one FULLY_CONNECTED with that bias."""
        mm, c = (a_name, b_name) if a_name in self.fc_zero_bias else (b_name, a_name)
        if c not in self.consts or self.uses.get(mm, 0) != 1:
            return False
        op = self.fc_zero_bias.pop(mm)
        units = self.b.tensors[op.outputs[0]].shape[-1]
        bias = np.asarray(self.consts[c], np.float32)
        if bias.size != units or (bias.ndim >= 1 and bias.shape[-1] != units):
            self.fc_zero_bias[mm] = op
            return False
        bt = self.b.tensors[op.inputs[2]]
        bt.data = bias.reshape(units).copy()
        bt.name = c
        self.b.tensors[op.outputs[0]].name = self.out_name()
        self.vals[self.out_name()] = self.vals[mm]
        return True

    def _op_Add(self, node) -> None:
        self._binary(node, "ADD")

    def _op_Sub(self, node) -> None:
        self._binary(node, "SUB")

    def _op_Mul(self, node) -> None:
        self._binary(node, "MUL")

    def _op_Div(self, node) -> None:
        self._binary(node, "DIV")

    def _op_BatchNormalization(self, node) -> None:
        self.check_attrs({"epsilon", "momentum", "training_mode"})
        if self.attr("training_mode", 0):
            self.refuse("training_mode=1 is not supported")
        if len([o for o in node.output if o]) > 1:
            self.refuse("running mean/var outputs are not supported")
        v = self.get(node.input[0])
        scale, shift, mean, var = (self.const(k, n).astype(np.float64) for k, n in
                                   enumerate(("scale", "B", "mean", "var"), start=1))
        mul = scale / np.sqrt(var + float(self.attr("epsilon", 1e-5)))
        add = shift - mean * mul
        producer = self.conv_out.get(node.input[0])
        if producer is not None and self.uses.get(node.input[0], 0) == 1:
            op, depthwise = producer
            w = self.b.tensors[op.inputs[1]]
            bt = self.b.tensors[op.inputs[2]]
            axis = 3 if depthwise else 0
            shape = [1, 1, 1, 1]
            shape[axis] = -1
            w.data = (w.data.astype(np.float64) * mul.reshape(shape)).astype(np.float32)
            bt.data = (bt.data.astype(np.float64) * mul + add).astype(np.float32)
            self.b.tensors[op.outputs[0]].name = self.out_name()
            self.vals[self.out_name()] = v
            return
        # standalone: x * mul + add, per channel (ONNX axis 1)
        rank = len(v.perm)
        cshape = [1] * rank
        cshape[1] = -1
        m = self.const_for(mul.astype(np.float32).reshape(cshape), v, f"{node.name}_mul")
        a = self.const_for(add.astype(np.float32).reshape(cshape), v, f"{node.name}_add")
        shape = self.b.tensors[v.index].shape
        t = self.new(f"{self.out_name()}_scaled", shape)
        self.op("MUL", [v.index, m], [t], "MulOptions", fused_activation_function="NONE")
        y = self.new(self.out_name(), shape)
        self.op("ADD", [t, a], [y], "AddOptions", fused_activation_function="NONE")
        self.set_out(y, v.perm)

    def _op_Softmax(self, node) -> None:
        v = self.get(node.input[0])
        rank = len(v.perm)
        axis = int(self.attr("axis", -1)) % rank
        if v.perm.index(axis) != rank - 1:
            if axis != rank - 1:
                self.refuse(f"Softmax over axis {axis} (the last axis only)")
            v = _Val(self.to_layout(v, _identity(rank)), _identity(rank))
        self._softmax_on(v)

    def _softmax_on(self, v: _Val) -> None:
        y = self.new(self.out_name(), self.b.tensors[v.index].shape)
        self.op("SOFTMAX", [v.index], [y], "SoftmaxOptions", beta=1.0)
        self.set_out(y, v.perm)

    # -- data movement ---------------------------------------------------------------------
    def _reshape_to(self, v: _Val, shape) -> None:
        ident = _identity(len(v.perm))
        gshape = self.b.tensors[v.index].shape
        moving = [p for p in v.perm if gshape[v.perm.index(p)] != 1]
        # a layout whose non-1 dimensions are in ONNX order reshapes directly
        x = v.index if moving == sorted(moving) else self.to_layout(v, ident)
        shape = [int(s) for s in shape]
        if math.prod(shape) != self.b.tensors[x].size:
            self.refuse(f"cannot reshape {list(self.b.tensors[x].shape)} to {shape}")
        y = self.new(self.out_name(), shape)
        s = self.b.const(f"{self.out_name()}_shape", np.array(shape, np.int32))
        self.op("RESHAPE", [x, s], [y], "ReshapeOptions", new_shape=shape)
        self.set_out(y, _identity(len(shape)))

    def _op_Flatten(self, node) -> None:
        v = self.get(node.input[0])
        shape = self.shape(v)
        axis = int(self.attr("axis", 1)) % (len(shape) + 1)
        self._reshape_to(v, [math.prod(shape[:axis]), math.prod(shape[axis:])])

    def _op_Reshape(self, node) -> None:
        v = self.get(node.input[0])
        target = [int(s) for s in self.const(1, "shape")]
        src = self.shape(v)
        allowzero = self.attr("allowzero", 0)
        out = [src[i] if (s == 0 and not allowzero) else s for i, s in enumerate(target)]
        if out.count(-1) > 1:
            self.refuse(f"shape {target} has more than one -1")
        if -1 in out:
            known = math.prod(s for s in out if s != -1)
            out[out.index(-1)] = math.prod(src) // known if known else 0
        self._reshape_to(v, out)

    def _op_Squeeze(self, node) -> None:
        v = self.get(node.input[0])
        src = self.shape(v)
        axes = self.opt_const(1)
        if axes is None:
            axes = self.attr("axes")
        axes = [i for i, s in enumerate(src) if s == 1] if axes is None else \
            [int(a) % len(src) for a in np.asarray(axes).reshape(-1)]
        self._reshape_to(v, [s for i, s in enumerate(src) if i not in axes])

    def _op_Unsqueeze(self, node) -> None:
        v = self.get(node.input[0])
        src = list(self.shape(v))
        axes = self.opt_const(1)
        if axes is None:
            axes = self.attr("axes")
        rank = len(src) + len(np.asarray(axes).reshape(-1))
        out = list(src)
        for a in sorted(int(a) % rank for a in np.asarray(axes).reshape(-1)):
            out.insert(a, 1)
        self._reshape_to(v, out)

    def _op_Transpose(self, node) -> None:
        v = self.get(node.input[0])
        rank = len(v.perm)
        p = self.attr("perm", list(reversed(range(rank))))
        inv = _inverse(p)
        # out = in.transpose(p); graph = in.transpose(q) = out.transpose(r), r[i] = inv_p[q[i]]
        self.vals[self.out_name()] = _Val(v.index, tuple(inv[q] for q in v.perm))

    def _op_Concat(self, node) -> None:
        names = [x for x in node.input if x]
        computed = [self.get(x) for x in names if x not in self.consts]
        if not computed:
            self.refuse("Concat of constants only")
        perm = computed[0].perm
        rank = len(perm)
        axis = int(self.attr("axis")) % rank
        ins = []
        for x in names:
            if x in self.consts:
                c = np.asarray(self.consts[x], np.float32)
                if c.ndim != rank:
                    self.refuse(f"constant input '{x}' has rank {c.ndim}, not {rank}")
                ins.append(self.fconst(x, c.transpose(perm)))
            else:
                ins.append(self.to_layout(self.vals[x], perm))
        gaxis = perm.index(axis)
        shape = list(self.b.tensors[ins[0]].shape)
        shape[gaxis] = sum(self.b.tensors[i].shape[gaxis] for i in ins)
        y = self.new(self.out_name(), shape)
        self.op("CONCATENATION", ins, [y], "ConcatenationOptions", axis=gaxis,
                fused_activation_function="NONE")
        self.set_out(y, perm)

    def _op_Pad(self, node) -> None:
        mode = self.attr("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode != "constant":
            self.refuse(f"Pad mode '{mode}' is not supported (constant only)")
        v = self.get(node.input[0])
        rank = len(v.perm)
        pads = np.asarray(self.const(1, "pads"), np.int64).reshape(-1)
        value = self.opt_const(2)
        if len(node.input) > 3 and node.input[3]:
            axes = [int(a) % rank for a in self.const(3, "axes").reshape(-1)]
            full = np.zeros(2 * rank, np.int64)
            for k, a in enumerate(axes):
                full[a], full[a + rank] = pads[k], pads[k + len(axes)]
            pads = full
        if pads.size != 2 * rank:
            self.refuse(f"pads of length {pads.size} for a rank-{rank} input")
        if (pads < 0).any():
            self.refuse("negative pads (cropping) are not supported")
        paddings = np.array([[pads[p], pads[p + rank]] for p in v.perm], np.int32)
        shape = [s + int(a + b) for s, (a, b) in zip(self.b.tensors[v.index].shape, paddings)]
        p = self.b.const(f"{node.name}_paddings", paddings)
        y = self.new(self.out_name(), shape)
        fill = 0.0 if value is None or value.size == 0 else float(np.asarray(value).reshape(-1)[0])
        if fill == 0.0:
            self.op("PAD", [v.index, p], [y], "PadOptions")
        else:
            c = self.fconst(f"{node.name}_value", np.array([fill], np.float32))
            self.op("PADV2", [v.index, p, c], [y], "PadV2Options")
        self.set_out(y, v.perm)

    def _op_Cast(self, node) -> None:
        v = self.get(node.input[0])
        if self.attr("to") != self.onnx.TensorProto.FLOAT:
            self.refuse("Cast of a computed tensor to a non-float type is not supported")
        self.vals[self.out_name()] = v
