"""Fixtures for the quantizer tests: small calibration sets per shared float/hybrid model."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.sim import FLOAT, QUANT
from mcugen.sim.registry import lookup
from tests.oracle import shared_input, shared_model

from .synthetic import ad01_windows, mfcc_like, sine_inputs, smooth_images

#: The float and hybrid models the quantizer must handle (mnist_lstm_float excluded: LSTM).
QUANTIZER_MODELS = ["tflm/hello_world_float.tflite", "mlperf_tiny/ad01_float.tflite",
                    "mlperf_tiny/resnet8_float.tflite", "mlperf_tiny/kws_ref_model_hybrid.tflite"]


def calibration_samples(rel: str, count: int, seed: int = 0) -> np.ndarray:
    """N x input-shape float32 samples for a shared model (real data where it exists)."""
    if "hello_world" in rel:
        return sine_inputs(count, seed)
    if "ad01" in rel:
        frames = shared_input("ad01_dcase_logmel_float32.npy")
        # 196 windows of 5 frames exist; larger seeds wrap around instead of running off the end
        return ad01_windows(frames, [(seed + i) % (len(frames) - 4) for i in range(count)])
    if "resnet8" in rel:
        return smooth_images(count, seed)
    if "kws" in rel:
        q = shared_input("kws_sample_int8.npy").astype(np.float32)
        return mfcc_like(count, 0.5847029 * (q - 83), seed)   # kws_ref_model's input params
    raise KeyError(rel)


def require_sim(graph, arithmetic: str) -> None:
    """Skip when the simulator lacks a kernel the graph needs (kernels land on other branches)."""
    missing = sorted({op.opcode for op in graph.operators
                      if lookup(op.opcode, QUANT if op.opcode in ("QUANTIZE", "DEQUANTIZE")
                                else arithmetic) is None})
    if missing:
        pytest.skip(f"simulator has no {arithmetic} kernel yet for {', '.join(missing)}")


@pytest.fixture
def model_path():
    return shared_model


FLOAT_ARITH, QUANT_ARITH = FLOAT, QUANT
