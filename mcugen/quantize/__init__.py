"""Full-integer post-training quantization: float or hybrid .tflite -> int8 .tflite.

    result = quantize_model(graph, samples, io="int8", method="minmax")
    save_model(result.graph, "out.tflite")

Stages: :func:`rewrite.prepare_float` (hybrid weights dequantized, unsupported operators
refused), :func:`calibration.calibrate` (mcugen's float simulator over the samples),
:func:`rewrite.rewrite` (the TFLite int8 spec), :func:`conformance.check` (the spec, re-checked
on the result), :func:`report.output_quality` (SQNR and top-1 against the float model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..model.graph import Graph
from .calibration import METHODS, calibrate
from .conformance import check
from .report import QualityReport, output_quality
from .rewrite import (ACTIVATION_TYPES, IO_FOR, IO_TYPES, is_float_model, prepare_float,
                      refuse_for_16x8, rewrite)

__all__ = ["METHODS", "IO_TYPES", "ACTIVATION_TYPES", "IO_FOR", "QuantizeResult",
           "quantize_model", "check", "output_quality"]

_AUTO_CANDIDATES = ("minmax", "percentile", "mse")


@dataclass
class QuantizeResult:
    graph: Graph                       # the int8 model
    float_graph: Graph | None          # the pure-float model it was calibrated from
    method: str                        # the calibration method used (auto resolved)
    passthrough: bool = False          # the input was already int8 and conformed
    auto_scores: dict[str, float] = field(default_factory=dict)   # method -> output SQNR dB


def quantize_model(graph: Graph, samples: list[list[np.ndarray]], io: str | None = None,
                   method: str = "minmax", per_channel_fc: bool = False,
                   bias_correction: bool = True, progress: bool = False,
                   activations: str = "int8") -> QuantizeResult:
    """Quantize ``graph`` calibrated on ``samples`` (one list of input arrays per sample).

    ``activations="int16"`` writes a 16x8 model (int16 activations, int8 weights, int64 bias;
    see :mod:`mcugen.quantize.rewrite`); ``io`` defaults to the activation type.

    ``bias_correction`` folds the expected weight-rounding error into each float bias before the
    bias is quantized (same spec, scale and dtype; a different int32 value); off, every bias is
    exactly round(b / (s_in * s_w)).
    """
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got '{method}'")
    if activations not in ACTIVATION_TYPES:
        raise InputError(f"--activations must be one of {', '.join(ACTIVATION_TYPES)}, "
                         f"got '{activations}'")
    io = io or IO_FOR[activations][0]
    if io not in IO_FOR[activations]:
        raise InputError(f"--io with {activations} activations must be one of "
                         f"{', '.join(IO_FOR[activations])}, got '{io}'")
    if not is_float_model(graph):
        problems = check(graph)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InputError(f"already-quantized model does not follow the int8 or 16x8 spec: "
                             f"{problems[0]}{more}", graph.name)
        return QuantizeResult(graph=graph, float_graph=None, method="none", passthrough=True)
    # Converter patterns that have no int8 rule of their own (Keras' dilated conv as
    # SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND) become the operator they stand for first:
    # exact in float (both pad with 0.0), and the quantized conv pads with its zero point as
    # TFLite's int8 kernels do (mcugen/optimize/dilated_conv.py)
    from ..optimize import optimize
    graph = optimize(graph, rewrites=("dilated-conv",)).graph
    float_graph = prepare_float(graph)
    if activations == "int16":
        refuse_for_16x8(float_graph)
    wanted = _AUTO_CANDIDATES if method == "auto" else (method,)
    ranges, channel_means = calibrate(float_graph, samples, wanted, total=len(samples),
                                      progress=progress)
    means = channel_means if bias_correction else None
    scores: dict[str, float] = {}
    if method == "auto":
        best = None
        for m in _AUTO_CANDIDATES:
            candidate = rewrite(float_graph, ranges[m], io, per_channel_fc, means, activations)
            quality = output_quality(float_graph, candidate, samples, per_layer=False,
                                     progress=progress, what=f"scoring {m}")
            scores[m] = float(np.mean(quality.output_sqnr_db))
            if best is None or scores[m] > scores[best[0]]:
                best = (m, candidate)
        chosen, result = best
    else:
        chosen, result = method, rewrite(float_graph, ranges[method], io, per_channel_fc,
                                            means, activations)
    problems = check(result)
    if problems:   # a bug in the rewriter, never the user's fault: say so loudly
        raise RuntimeError(f"quantizer produced a non-conforming model: {problems[0]}")
    result.description = graph.description
    return QuantizeResult(graph=result, float_graph=float_graph, method=chosen,
                          auto_scores=scores)


def quality(result: QuantizeResult, samples: list[list[np.ndarray]],
            progress: bool = False) -> QualityReport:
    return output_quality(result.float_graph, result.graph, samples, progress=progress)
