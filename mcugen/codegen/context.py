"""What a lowering function sees: the graph, the memory plan, and two services — where a tensor
lives (a C expression into the arena) and a place to put constant data (weights.c)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.graph import Graph, Tensor
from ..ops.fast import dead_channel_outputs, fused_requantization_row, requantization_row

_CTYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t",
           np.dtype(np.int16): "int16_t", np.dtype(np.int32): "int32_t",
           np.dtype(np.int64): "int64_t"}


@dataclass
class ConstArray:
    name: str
    ctype: str
    values: np.ndarray
    comment: str = ""


@dataclass
class LoweringContext:
    graph: Graph
    plan: object                  # mcugen.plan.MemoryPlan
    kernels: str                  # the preferred backend (first of the chain)
    cpu: str
    prefix: str                   # C identifier prefix (the model name)
    backend: str = "portable"     # the backend of the layer being lowered
    wide_weights: bool = False    # mcugen's fused tiles read pre-widened int16 weights
    constants: list[ConstArray] = field(default_factory=list)
    generated: dict[str, str] = field(default_factory=dict)   # kernel function name -> C
    _by_content: dict = field(default_factory=dict)

    def ptr(self, tensor_index: int, ctype: str = "int8_t") -> str:
        """C expression for an activation tensor's bytes in the arena."""
        return f"(({ctype} *)&arena[{self.plan.tensor_offset(tensor_index)}])"

    def scratch(self, op_index: int) -> tuple[str, int]:
        """(C expression, size) of an op's scratch buffer; ("NULL", 0) when it has none."""
        found = self.plan.scratch(op_index)
        if found is None:
            return "NULL", 0
        offset, size = found
        return f"((void *)&arena[{offset}])", size

    def const(self, stem: str, values: np.ndarray, ctype: str | None = None,
              comment: str = "") -> str:
        """Register constant data for weights.c; identical arrays are stored once."""
        values = np.ascontiguousarray(values)
        ctype = ctype or _CTYPES[values.dtype]
        key = (ctype, values.shape, values.tobytes())
        if key in self._by_content:
            return self._by_content[key]
        name = f"{self.prefix}_{stem}"
        self.constants.append(ConstArray(name, ctype, values.ravel(), comment))
        self._by_content[key] = name
        return name

    def kernel(self, stem: str, template: str, **params) -> str:
        """A kernel function generated for a layer shape (rendered from ``template`` into the
        model source once per name, shared by the layers that ask for the same one)."""
        name = f"{self.prefix}_{stem}"
        if name not in self.generated:
            from .render import environment
            self.generated[name] = environment().get_template(template).render(
                fn=name, **params).rstrip("\n")
        return name

    def weighted_constants(self, op, p) -> dict:
        """Weights, bias and per-channel multipliers/shifts of a CONV/DEPTHWISE/FC op as C
        identifiers (``p`` holds the prepared multipliers and shifts)."""
        w = self.graph.tensors[op.inputs[1]]
        bias = op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] >= 0 else -1
        tag = f"op{op.index}"
        if self.graph.tensors[op.inputs[0]].dtype == np.int16:
            # 16x8: the bias keeps its type (int64, or int32), which selects TFLM's accumulator
            b = self.graph.tensors[bias] if bias >= 0 else None
            named = self.const(f"{tag}_bias", b.data, comment=b.name) if b is not None else None
            wide = b is None or b.dtype == np.int64
            return {
                "filter": self.const(f"{tag}_weights", w.data,
                                     comment=f"{w.name} {list(w.shape)}"),
                "bias16": "{ %s, %s, %d }" % (named if named and wide else "NULL",
                                              named if named and not wide else "NULL",
                                              int(p.wide)),
                # CMSIS-NN's cmsis_nn_bias_data: the data and whether it is int32
                "bias": named or "NULL", "bias_is_int32": int(not p.wide),
                "multiplier": self.const(f"{tag}_multiplier", p.multipliers, "int32_t"),
                "shift": self.const(f"{tag}_shift", p.shifts, "int32_t"),
            }
        return {
            "filter": self.const(f"{tag}_weights", w.data, comment=f"{w.name} {list(w.shape)}"),
            "bias": self.const(f"{tag}_bias", self.graph.tensors[bias].data.astype(np.int32),
                               comment=self.graph.tensors[bias].name) if bias >= 0 else "NULL",
            "multiplier": self.const(f"{tag}_multiplier", p.multipliers, "int32_t"),
            "shift": self.const(f"{tag}_shift", p.shifts, "int32_t"),
        }

    def tensor(self, index: int) -> Tensor:
        return self.graph.tensors[index]


def dims4(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Shape as NHWC dims, leading dimensions padded with 1."""
    shape = tuple(shape)
    if len(shape) > 4:
        raise ValueError(f"rank {len(shape)} tensors are not supported")
    return (1,) * (4 - len(shape)) + shape


# -- strided 4-D copies (PAD, CONCATENATION, TRANSPOSE, STRIDED_SLICE share one C kernel) --------
def strides(shape4) -> list[int]:
    return [int(np.prod(shape4[k + 1:], dtype=np.int64)) for k in range(4)]


def lead(n: int) -> int:
    """How many leading axes dims4 adds to a rank-n shape."""
    if n > 4:
        raise ValueError("tensors of rank above 4 are not generated")
    return 4 - n


_ELEMENTS = {"int8_t": "s8", "int16_t": "s16", "float": "f32"}


def element_ctype(ctx: LoweringContext, tensor: int) -> str:
    """The C element type the data movement kernels copy: int16_t for a 16x8 tensor, float for
    a float32 one (a float island's), else the bytes as int8_t."""
    dtype = ctx.tensor(tensor).dtype
    return "int16_t" if dtype == np.int16 else "float" if dtype == np.float32 else "int8_t"


def float_literal(value) -> str:
    """A float32 value as a C float literal that reads back as exactly that value (repr of the
    float32 widened to double: the shortest decimal of the double, which rounds back)."""
    return repr(float(np.float32(value))) + "f"


def element_value(ctype: str, value) -> str:
    """A fill value as a C literal of the element type (float: the float32 value, exactly)."""
    return float_literal(value) if ctype == "float" else str(int(value))


def at(ctx: LoweringContext, tensor: int, offset: int) -> str:
    """C expression for element ``offset`` (of the tensor's element type, element_ctype) of a
    tensor in the arena."""
    ctype = element_ctype(ctx, tensor)
    return f"((({ctype} *)&arena[{ctx.plan.tensor_offset(tensor)}]) + {offset})"


def strided_copies(copies, fill=None, ctype: str = "int8_t") -> dict:
    """Parameters of templates/ops/portable/_strided_copy.c.j2: copies after an optional fill
    (its value a C literal, element_value); ``ctype``: the element type (strides and offsets
    count elements)."""
    return {"copies": copies, "fill": fill, "element": _ELEMENTS[ctype]}


# -- mcugen's own kernels: constants in the order the inner loops read them ---------------------
def fast_constants(ctx: LoweringContext, op, p, rows: np.ndarray, k4: int,
                   pixels: int) -> dict:
    """Weights [C_OUT][K] zero padded to K4, the words of each channel pair interleaved; the bias
    with the input offset folded in (b - zp_in * sum w, exact in int32 by the record's check);
    per channel the requantization as {multiplier, left, e + 1, 2^e} (a per-tensor FC's
    repeated)."""
    cout, k = rows.shape
    padded = np.zeros((cout, k4), np.int8)
    padded[:, :k] = rows
    words = padded.view("<u4")                              # [cout][k4 / 4]
    quads = cout // 4 if pixels == 1 else 0                 # single rows: tile_1x4 first
    rest = words[4 * quads:]
    pairs = len(rest) // 2 * 2
    layout = np.concatenate([
        words[:4 * quads].reshape(-1, 4, k4 // 4).transpose(0, 2, 1).ravel(),
        rest[:pairs].reshape(-1, 2, k4 // 4).transpose(0, 2, 1).ravel(),
        rest[pairs:].ravel()]).view(np.int8)
    bias_index = op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] >= 0 else -1
    bias = ctx.graph.tensors[bias_index].data.astype(np.int64) if bias_index >= 0 \
        else np.zeros(cout, np.int64)
    folded = bias - p.input_zero_point * rows.astype(np.int64).sum(axis=1)
    if folded.size and (folded.min() < -2 ** 31 or folded.max() >= 2 ** 31):
        raise AssertionError("the record's accumulator check should have refused this layer")
    tag = f"op{op.index}"
    return {
        "quads": quads,
        "filter": ctx.const(f"{tag}_weights_k4", layout,
                            comment=f"weights [{cout}][{k4}], channel pairs interleaved by word"),
        "bias": ctx.const(f"{tag}_bias_folded", folded.astype(np.int32),
                          comment="bias - input zero point * sum(weights)"),
        "rq": requantization_table(ctx, op, p.multipliers, p.shifts, cout,
                                   p.output_zero_point, dead_channel_outputs(
                                       rows, bias, p.multipliers, p.shifts, p.output_zero_point,
                                       p.act_min, p.act_max)),
    }


def fused_constants(ctx: LoweringContext, op, p, rows: np.ndarray, k4: int) -> dict:
    """The stream of mcugen_fast_pairs_s8 (mcugen_fast.h, mcugen_fused.c): per pair of live
    output channels (an odd one paired with itself) the doubled folded biases (twice: one LDM
    starts all 4 accumulators), the weight words of
    both channels interleaved per 4 inputs, {m, rc, s} of each and the byte offsets of the 4
    outputs; channels whose weights are all zero are left out and written as the constants they
    are."""
    cout, k = rows.shape
    padded = np.zeros((cout, k4), np.int8)
    padded[:, :k] = rows
    words = padded.view("<u4").astype(np.uint32)            # [cout][k4 / 4]
    bias_index = op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] >= 0 else -1
    bias = ctx.graph.tensors[bias_index].data.astype(np.int64) if bias_index >= 0 \
        else np.zeros(cout, np.int64)
    folded = bias - p.input_zero_point * rows.astype(np.int64).sum(axis=1)
    dead = dead_channel_outputs(rows, bias, p.multipliers, p.shifts, p.output_zero_point,
                                p.act_min, p.act_max)
    mult = np.resize(np.asarray(p.multipliers, np.int64), cout)
    shift = np.resize(np.asarray(p.shifts, np.int64), cout)
    live = [c for c in range(cout) if c not in dead]
    if len(live) % 2:
        live.append(live[-1])
    stream: list[np.ndarray] = []
    for c0, c1 in zip(live[0::2], live[1::2]):
        stream.append(np.array([2 * folded[c0], 2 * folded[c1]] * 2, np.int64))
        if ctx.wide_weights:
            # per 4 inputs the int16 pairs SXTB16 would make: c0 even, c0 odd, c1 even, c1 odd
            stream.append(np.stack([_widened(words[c0]), _widened(words[c1])], axis=1).ravel())
        else:
            stream.append(np.stack([words[c0], words[c1]], axis=1).ravel().astype(np.int64))
        for c in (c0, c1):
            stream.append(np.array(fused_requantization_row(
                int(mult[c]), int(shift[c]), p.output_zero_point), np.int64))
        stream.append(np.array([c0, c1, c0 + cout, c1 + cout], np.int64))
    tag = f"op{op.index}"
    values = (np.concatenate(stream) if stream else np.zeros(0, np.int64)) & 0xFFFFFFFF
    name = ctx.const(f"{tag}_pairs", values.astype(np.uint32), "uint32_t",
                     comment="per live channel pair: 2 doubled biases twice, weight words, "
                             "{m, rc, s} x 2, 4 output offsets") if stream else "NULL"
    dead_words = np.array([(c << 8) | (v & 0xFF) for c, v in sorted(dead.items())], np.int64)
    clamp = p.act_min > -128 or p.act_max < 127
    words = k4 // 4
    blocks = words // 4 if words > 16 else 0
    wide = "_wide" if ctx.wide_weights else ""
    tile = ctx.kernel(f"pairs_w{words}{wide}{'_clamp' if clamp else ''}",
                      "ops/mcugen/_pairs_tile.c.j2", words=words, blocks=blocks,
                      rest=words - 4 * blocks, clamp=clamp, wide=ctx.wide_weights)
    return {
        "stream": name, "stream_end": f"{name} + {values.size}" if stream else "NULL",
        "tile": tile,
        "dead": len(dead),
        "dead_outputs": ctx.const(f"{tag}_dead_outputs", dead_words.astype(np.int32),
                                  comment="(channel << 8) | output of channels without weights")
        if dead else "NULL",
    }


def _widened(words: np.ndarray) -> np.ndarray:
    """int8 weight words [x0 x1 x2 x3] -> the int16 pair words [x0, x2], [x1, x3] (int64)."""
    b = words.astype(np.uint32).view(np.int8).reshape(-1, 4).astype(np.int64) & 0xFFFF
    return np.stack([b[:, 0] | (b[:, 2] << 16), b[:, 1] | (b[:, 3] << 16)], axis=1)


def requantization_table(ctx: LoweringContext, op, multipliers, shifts, channels: int,
                         output_offset: int, constants: dict[int, int] | None = None) -> str:
    """{multiplier, left + 1, e + 1, 2^e + offset * 2^(e+1)} per channel for mcugen_fast_rq_t
    (e = right shift; the record's check proves e <= 22)."""
    m = np.resize(np.asarray(multipliers, np.int64), channels)
    s = np.resize(np.asarray(shifts, np.int64), channels)
    constants = constants or {}
    table = np.array([requantization_row(int(mc), int(sc), output_offset, constants.get(c))
                      for c, (mc, sc) in enumerate(zip(m, s))], np.int64).astype(np.int32)
    name = ctx.const(f"op{op.index}_requant", table,
                     comment="per channel: multiplier, left + 1, e + 1, 2^e + offset * 2^(e+1)")
    return f"(const mcugen_fast_rq_t *){name}"
