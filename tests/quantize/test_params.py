"""Spec arithmetic of activation, weight and bias parameters, against direct definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from mcugen.quantize import params
from tests.strategies import examples, range_ends


@examples(200)
@given(range_ends, range_ends)
def test_activation_params_represent_zero_exactly_and_cover_the_range(a, b):
    lo, hi = min(a, b), max(a, b)
    scale, zp = params.activation_params(lo, hi)
    assert scale > 0 and -128 <= zp <= 127
    # 0 maps to the zero point and back to exactly 0: padding and ReLU floors are exact.
    assert params.quantize_values(np.array([0.0]), scale, zp)[0] == zp
    assert params.dequantize_values(np.array([zp]), scale, zp)[0] == 0.0
    if hi > lo:
        # the widened range [min(lo,0), max(hi,0)] is covered to within one step
        lo0, hi0 = min(lo, 0.0), max(hi, 0.0)
        assert float(scale) * (-128 - zp) <= lo0 + float(scale)
        assert float(scale) * (127 - zp) >= hi0 - float(scale)
        assert np.isclose(float(scale), (hi0 - lo0) / 255, rtol=1e-6)


def test_relu_range_uses_zero_point_minus_128():
    scale, zp = params.activation_params(0.0, 25.5)
    assert zp == -128 and np.isclose(scale, 0.1)


def test_weight_quantization_is_symmetric_per_channel():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
    w[2] = 0.0                       # an all-zero channel must not divide by zero
    scales = params.symmetric_weight_scales(w, 0)
    for c in (0, 1, 3):
        assert scales[c] == np.float32(np.abs(w[c]).max() / 127)
    q = params.quantize_weights(w, scales, 0)
    assert q.dtype == np.int8 and q.min() >= -127 and q.max() <= 127
    assert np.all(q[2] == 0)
    for c in (0, 1, 3):
        assert np.abs(q[c]).max() == 127   # the largest weight hits the end of the range


def test_bias_scale_and_values():
    s_in = np.float32(0.05)
    s_w = np.array([0.01, 0.002], np.float32)
    bs = params.bias_scales(s_in, s_w)
    assert bs.dtype == np.float32
    assert np.array_equal(bs, (np.float64(s_in) * s_w.astype(np.float64)).astype(np.float32))
    q = params.quantize_bias(np.array([0.0125, -0.0251], np.float32), bs)
    assert q.dtype == np.int32 and list(q) == [25, -251]


def test_bias_too_large_for_int32_widens_the_weight_scale():
    s_in = np.float32(1e-6)
    scales = np.array([1e-6], np.float32)
    wide = params.widen_for_bias(scales, np.array([1e6]), s_in)
    q = params.quantize_bias(np.array([1e6]), params.bias_scales(s_in, wide))
    assert wide[0] > scales[0] and abs(int(q[0])) < 2**31 - 1
