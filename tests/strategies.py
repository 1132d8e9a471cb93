"""Every hypothesis strategy of the property tests, in one place: quantization parameters, shapes,
seeds, the per-operator cases the single-operator tests draw (tests/sim and the C path in
tests/codegen/test_ops_c.py share them), and the random graphs of the planner tests.

Budgets come from the hypothesis profile tests/conftest.py loads (``ci`` by default: derandomized,
``CI_EXAMPLES`` per test; ``explore`` under ``-m slow``: random, ``EXPLORE_EXAMPLES``). A test that
needs another count than the profile's says so with ``@examples(n)``, which scales with the
profile.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder

CI_EXAMPLES = 40          # the ci profile's max_examples
EXPLORE_EXAMPLES = 400    # the explore profile's max_examples


def examples(n: int) -> settings:
    """A test's own budget: ``n`` examples under the ci profile, scaled like the active profile's
    max_examples otherwise (explore: ten times ``n``)."""
    return settings(max_examples=max(1, round(n * settings.default.max_examples / CI_EXAMPLES)))


# -- quantization parameters ----------------------------------------------------------------------

def pow2_scales(min_exp: float = -9.0, max_exp: float = 3.0):
    """Scales spread over the octaves 2^min_exp .. 2^max_exp (exercising multiplier shifts), as
    float32 values."""
    return st.floats(min_exp, max_exp).map(lambda e: float(np.float32(2.0 ** e)))


def pow2_ratios(min_exp: float, max_exp: float):
    """Ratios 2^e between two scales (float64, not rounded)."""
    return st.floats(min_exp, max_exp).map(lambda e: 2.0 ** e)


scales = pow2_scales()
zero_points = st.integers(-128, 127)
uint8_zero_points = st.integers(0, 255)
qparams = st.tuples(scales, zero_points)        # (scale, zero_point) of one int8 tensor

# The C-path tests' narrower ranges: linear scales, zero points with room for the +128 of uint8.
moderate_scales = st.floats(0.005, 0.5)
moderate_zero_points = st.integers(-100, 100)

activations = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])
float_activations = st.sampled_from(["NONE", "RELU", "RELU6"])


# -- shapes, types, seeds -------------------------------------------------------------------------

def shapes(max_dim: int = 6, max_rank: int = 4):
    """Tuples of 1 .. max_rank dimensions, each 1 .. max_dim."""
    return st.lists(st.integers(1, max_dim), min_size=1, max_size=max_rank).map(tuple)


seeds = st.integers(0, 2**31)                    # numpy seeds for weights and inputs
dtypes = st.sampled_from([np.int8, np.float32])
int8_only = st.just(np.int8)


@st.composite
def broadcast_pair(draw, max_rank: int = 4):
    """(shape1, shape2, output shape): numpy-broadcastable, incl. rank differences and 1-dims."""
    out = draw(st.lists(st.integers(1, 5), min_size=1, max_size=max_rank))

    def operand():
        dims = [d if draw(st.booleans()) else 1 for d in out]
        drop = draw(st.integers(0, len(dims)))
        return tuple(dims[drop:]) if drop < len(dims) else (1,)
    s1, s2 = operand(), operand()
    full = tuple(np.broadcast_shapes(s1, s2))
    return s1, s2, full


# -- fixed-point primitives (tests/test_fixedpoint.py) --------------------------------------------

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
int32s = st.integers(INT32_MIN, INT32_MAX)
accumulators = st.integers(-(1 << 24), 1 << 24)
multipliers = st.integers(1 << 30, INT32_MAX)
shifts = st.integers(-31, 7)


# -- quantizer parameters (tests/quantize/test_params.py) -----------------------------------------

range_ends = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


# -- elementwise binary operators -----------------------------------------------------------------

@st.composite
def add_sub_case(draw):
    s1, s2, out = draw(broadcast_pair())
    sa, sb = draw(scales), draw(scales)
    # TFLM needs the output multiplier 2*max(s)/(2^20 s_out) below one: keep s_out sensible.
    so = float(np.float32(max(sa, sb) * draw(pow2_ratios(-4, 4))))
    return s1, s2, out, (sa, draw(zero_points)), (sb, draw(zero_points)), \
        (so, draw(zero_points)), draw(activations)


@st.composite
def mul_case(draw):
    s1, s2, out = draw(broadcast_pair())
    sa, sb = draw(scales), draw(scales)
    so = float(np.float32(sa * sb * draw(pow2_ratios(-2, 10))))
    return s1, s2, out, (sa, draw(zero_points)), (sb, draw(zero_points)), \
        (so, draw(zero_points)), draw(activations)


@st.composite
def max_min_case(draw):
    s1, s2, out = draw(broadcast_pair())
    q = draw(qparams)
    return s1, s2, out, q, q, q, "NONE"


# -- int8 activations -----------------------------------------------------------------------------

activation_shapes = st.sampled_from([(256,), (1, 16, 16), (2, 8, 4, 4), (1, 1, 1, 256)])
leaky_relu_alphas = st.sampled_from([0.01, 0.1, 0.2, 0.3, 0.5, 0.99, 1.5, -0.25])


@st.composite
def activation_case(draw, opcode: str):
    """(shape, q_in, q_out, options_type, options) of an int8 LOGISTIC / TANH / RELU / RELU6 /
    LEAKY_RELU / HARD_SWISH model; the fixed output quantizations TFLM requires."""
    shape = draw(activation_shapes)
    s_in, zp_in = draw(pow2_scales(-9.0, 1.0)), draw(zero_points)
    options, options_type = {}, None
    if opcode == "LOGISTIC":
        q_out = (1.0 / 256, -128)
    elif opcode == "TANH":
        q_out = (1.0 / 128, 0)
    elif opcode == "RELU6":
        q_out = (s_in, zp_in)
    else:
        q_out = (float(np.float32(s_in * draw(pow2_ratios(-3.0, 3.0)))), draw(zero_points))
    if opcode == "LEAKY_RELU":
        options, options_type = {"alpha": draw(leaky_relu_alphas)}, "LeakyReluOptions"
    return shape, (s_in, zp_in), q_out, options_type, options


# -- SOFTMAX --------------------------------------------------------------------------------------

softmax_shapes = st.tuples(st.lists(st.integers(1, 4), min_size=0, max_size=3),
                           st.integers(1, 300)).map(lambda t: tuple(t[0]) + (t[1],))
softmax_input_scales = pow2_scales(-12.0, 4.0)
softmax_betas = st.sampled_from([1.0, 0.5, 2.0, 0.25, 1.7])


# -- QUANTIZE / DEQUANTIZE ------------------------------------------------------------------------

quantize_scales = pow2_scales(-10.0, 3.0)
quantize_shapes = shapes(max_dim=8)


def zero_points_of(dtype):
    return uint8_zero_points if dtype == np.uint8 else zero_points


# -- MEAN -----------------------------------------------------------------------------------------

@st.composite
def mean_case(draw, quantized: bool = True):
    """(shape, axes, keep_dims, q_in, q_out, dtype): axes negative and repeated too."""
    shape = draw(shapes(max_dim=9))
    rank = len(shape)
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank + 1))
    keep_dims = draw(st.booleans())
    if not keep_dims and len({a % rank for a in axes}) == rank:
        keep_dims = True            # a 0-d output: keep one dim instead
    if not quantized:
        return shape, axes, keep_dims, None, None, np.float32
    s_in = draw(pow2_scales(-9.0, 2.0))
    return shape, axes, keep_dims, (s_in, draw(zero_points)), \
        (float(np.float32(s_in * draw(pow2_ratios(-4.0, 4.0)))), draw(zero_points)), np.int8


# -- CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED / pools ----------------------------------------

def out_size(padding: str, size: int, kernel: int, stride: int, dilation: int) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return math.ceil(size / stride)
    return math.ceil((size - effective + 1) / stride)


@st.composite
def conv_case(draw, depthwise: bool):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    h = draw(st.integers((kh - 1) * dh + 1, 12))
    w = draw(st.integers((kw - 1) * dw + 1, 12))
    c_in = draw(st.integers(1, 5))
    multiplier = draw(st.integers(1, 3)) if depthwise else 1
    c_out = c_in * multiplier if depthwise else draw(st.integers(1, 6))
    per_channel = draw(st.booleans())
    oh, ow = out_size(padding, h, kh, sh, dh), out_size(padding, w, kw, sw, dw)
    return dict(k=(kh, kw), s=(sh, sw), d=(dh, dw), padding=padding, hw=(h, w), c_in=c_in,
                c_out=c_out, multiplier=multiplier, per_channel=per_channel, out=(oh, ow),
                batch=draw(st.integers(1, 2)), seed=draw(seeds),
                s_in=draw(scales), s_out=draw(scales), zp_in=draw(zero_points),
                zp_out=draw(zero_points), act=draw(activations),
                # The TFLM wheel segfaults on a DEPTHWISE_CONV_2D without bias (int8 and float
                # alike), so depthwise cases always carry one; converters always emit it.
                with_bias=True if depthwise else draw(st.booleans()))


@st.composite
def fc_case(draw):
    return dict(batch_dims=draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)),
                depth=draw(st.integers(1, 40)), units=draw(st.integers(1, 12)),
                per_channel=draw(st.booleans()), keep_num_dims=draw(st.booleans()),
                with_bias=draw(st.booleans()), seed=draw(seeds),
                s_in=draw(scales), s_out=draw(scales), zp_in=draw(zero_points),
                zp_out=draw(zero_points), act=draw(activations))


@st.composite
def pool_case(draw):
    fh, fw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    h, w = draw(st.integers(fh, 12)), draw(st.integers(fw, 12))
    q = draw(qparams)
    return dict(f=(fh, fw), s=(sh, sw), padding=padding, hw=(h, w),
                c=draw(st.integers(1, 4)), batch=draw(st.integers(1, 2)),
                out=(out_size(padding, h, fh, sh, 1), out_size(padding, w, fw, sw, 1)),
                q=q, act=draw(activations), seed=draw(seeds))


# -- data movement: PAD(V2), CONCATENATION, STRIDED_SLICE, TRANSPOSE, RESHAPE family --------------

# ``dtypes`` is int8 or float32 by default; the C path (int8 only) passes ``int8_only``.

small_shapes = shapes(max_dim=5)


@st.composite
def pad_case(draw, dtypes=dtypes):
    shape = draw(small_shapes)
    return dict(shape=shape, dtype=draw(dtypes), q=draw(qparams),
                paddings=[(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in shape],
                v2=draw(st.booleans()), value=draw(st.integers(-128, 127)), seed=draw(seeds))


@st.composite
def concat_case(draw, dtypes=dtypes):
    shape = draw(small_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    return dict(shape=shape, axis=axis, sizes=sizes, dtype=draw(dtypes), q=draw(qparams),
                seed=draw(seeds))


@st.composite
def slice_case(draw, dtypes=dtypes):
    """begin / end / strides / masks of a STRIDED_SLICE; some select nothing or index out of range
    on a shrunk axis (the tests ``assume`` those away, see python_slice_shape)."""
    shape = draw(small_shapes)
    rank = len(shape)
    begin = [draw(st.integers(-d - 2, d + 2)) for d in shape]
    end = [draw(st.integers(-d - 2, d + 2)) for d in shape]
    # the stride's sign follows the direction from begin to end (normalised), so that most
    # cases select something; masks and clamping still produce every other combination
    strides = [draw(st.integers(1, 3)) * (1 if (b % d if -d <= b < d else b) <=
                                          (e % d if -d <= e < d else e) else -1)
               for b, e, d in zip(begin, end, shape)]
    masks = [draw(st.integers(0, 2**rank - 1)) for _ in range(3)]
    # shrink only axes whose begin is a valid index, and never all of them (a scalar output)
    shrinkable = sum(1 << a for a, (b, d) in enumerate(zip(begin, shape)) if -d <= b < d)
    masks[2] &= shrinkable
    if masks[2] == 2**rank - 1:
        masks[2] &= ~1
    # A shrunk axis going backward makes TFLM copy nothing (its loop runs i > begin + 1) and
    # leave the output unwritten: no value to compare, so shrunk axes step forward here.
    strides = [1 if masks[2] >> axis & 1 else s for axis, s in enumerate(strides)]
    return dict(shape=shape, begin=begin, end=end, strides=strides, begin_mask=masks[0],
                end_mask=masks[1], shrink=masks[2], dtype=draw(dtypes), q=draw(qparams),
                seed=draw(seeds))


@st.composite
def transpose_case(draw, dtypes=dtypes):
    shape = draw(small_shapes)
    return dict(shape=shape, perm=draw(st.permutations(range(len(shape)))), dtype=draw(dtypes),
                q=draw(qparams), seed=draw(seeds))


@st.composite
def reshape_case(draw, dtypes=dtypes):
    shape = draw(small_shapes)
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(divisors))
    return dict(shape=shape, new_shape=(first, size // first),
                op=draw(st.sampled_from(["RESHAPE", "SQUEEZE", "EXPAND_DIMS"])),
                axis=draw(st.integers(-len(shape) - 1, len(shape))), dtype=draw(dtypes),
                q=draw(qparams), seed=draw(seeds))


# -- random graphs for the memory planner (tests/plan) --------------------------------------------

@st.composite
def random_dags(draw):
    """Graphs of ADD / RESHAPE / SOFTMAX / FULLY_CONNECTED ops over int8 tensors of random sizes,
    each op reading one or two earlier tensors (so branches, joins and long skip connections all
    occur); one or two inputs and outputs."""
    b = GraphBuilder("dag")
    n_inputs = draw(st.integers(1, 2))
    size_of = {}
    tensors = []
    for i in range(n_inputs):
        n = draw(st.integers(1, 64)) * 4
        t = b.input(f"in{i}", (1, n), np.int8, scale=0.1, zero_point=0)
        tensors.append(t)
        size_of[t] = n
    for k in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["ADD", "RESHAPE", "SOFTMAX", "FC"]))
        a = draw(st.sampled_from(tensors))
        if kind == "ADD":
            same = [t for t in tensors if size_of[t] == size_of[a]]
            c = draw(st.sampled_from(same))
            out = b.tensor(f"t{k}", (1, size_of[a]), np.int8, scale=0.1, zero_point=0)
            b.op("ADD", [a, c], [out], "AddOptions", fused_activation_function="NONE")
        elif kind == "RESHAPE":
            out = b.tensor(f"t{k}", (size_of[a], 1), np.int8, scale=0.1, zero_point=0)
            b.op("RESHAPE", [a], [out])
        elif kind == "SOFTMAX":
            out = b.tensor(f"t{k}", (1, size_of[a]), np.int8, scale=1 / 256, zero_point=-128)
            b.op("SOFTMAX", [a], [out], "SoftmaxOptions", beta=1.0)
        else:
            n = draw(st.integers(1, 64)) * 4
            w = b.const(f"w{k}", np.ones((n, size_of[a]), np.int8), scale=0.1)
            out = b.tensor(f"t{k}", (1, n), np.int8, scale=0.1, zero_point=0)
            b.op("FULLY_CONNECTED", [a, w, -1], [out], "FullyConnectedOptions",
                 fused_activation_function="NONE")
        tensors.append(out)
        size_of[out] = size_of[a] if kind != "FC" else n
    outs = draw(st.lists(st.sampled_from(tensors[n_inputs:] or tensors), min_size=1,
                         max_size=2, unique=True))
    for t in outs:
        b.output(t)
    return b.build()


@st.composite
def branchy_dags(draw, max_ops: int = 7):
    """Single-input, single-output graphs of 2 .. max_ops ops (FULLY_CONNECTED twice as likely):
    small enough to enumerate every topological order."""
    b = GraphBuilder("branchy")
    x = b.input("x", (1, draw(st.integers(1, 16)) * 4), np.int8, scale=0.1)
    tensors, size = [x], {x: b.tensors[x].shape[1]}
    for k in range(draw(st.integers(2, max_ops))):
        kind = draw(st.sampled_from(["FC", "FC", "ADD", "RESHAPE", "SOFTMAX"]))
        a = draw(st.sampled_from(tensors))
        if kind == "FC":
            n = draw(st.integers(1, 32)) * 4
            w = b.const(f"w{k}", np.ones((n, size[a]), np.int8), scale=0.1)
            out = b.tensor(f"t{k}", (1, n), np.int8, scale=0.1)
            b.op("FULLY_CONNECTED", [a, w, -1], [out], "FullyConnectedOptions",
                 fused_activation_function="NONE")
            size[out] = n
        elif kind == "ADD":
            c = draw(st.sampled_from([t for t in tensors if size[t] == size[a]]))
            out = b.tensor(f"t{k}", (1, size[a]), np.int8, scale=0.1)
            b.op("ADD", [a, c], [out], "AddOptions", fused_activation_function="NONE")
            size[out] = size[a]
        elif kind == "RESHAPE":
            out = b.tensor(f"t{k}", (1, size[a]), np.int8, scale=0.1)
            b.op("RESHAPE", [a], [out])
            size[out] = size[a]
        else:
            out = b.tensor(f"t{k}", (1, size[a]), np.int8, scale=1 / 256, zero_point=-128)
            b.op("SOFTMAX", [a], [out], "SoftmaxOptions", beta=1.0)
            size[out] = size[a]
        tensors.append(out)
    b.output(tensors[-1])
    return b.build()


# (size, first step, last step) of buffers for the offset assignment; first > last is swapped.
raw_blocks = st.lists(st.tuples(st.integers(1, 300), st.integers(0, 20), st.integers(0, 20)),
                      min_size=1, max_size=30)
