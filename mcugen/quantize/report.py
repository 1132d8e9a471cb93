"""Quality of a quantized model against its float original: per-layer and output SQNR, top-1.

SQNR (dB) = 10 log10( sum(f^2) / sum((f - q)^2) ) over all samples, f the float model's tensor,
q the dequantized int8 tensor with the same index (the rewriter keeps tensor indices). Both
models run on mcugen's simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.graph import Graph, Tensor
from ..ops.registry import names
from ..sim import Simulator
from .calibration import _progress
from .params import dequantize_values, quantize_values


@dataclass
class LayerQuality:
    op_index: int
    opcode: str
    tensor: str
    sqnr_db: float


@dataclass
class QualityReport:
    samples: int
    output_sqnr_db: list[float]
    layers: list[LayerQuality] = field(default_factory=list)   # worst first
    top1_agreement: float | None = None                        # classifiers only

    def as_dict(self) -> dict:
        return {"samples": self.samples, "output_sqnr_db": self.output_sqnr_db,
                "top1_agreement": self.top1_agreement,
                "layers": [vars(layer) for layer in self.layers]}


def sqnr_db(signal_power: float, noise_power: float) -> float:
    if noise_power == 0.0:
        return float("inf")
    if signal_power == 0.0:
        return float("-inf")
    return float(10.0 * np.log10(signal_power / noise_power))


def to_model_input(x: np.ndarray, t: Tensor) -> np.ndarray:
    """A float sample in the form a model input takes: quantized for int8/uint8 inputs."""
    if t.dtype == np.float32:
        return x.astype(np.float32)
    info = np.iinfo(t.dtype)
    return quantize_values(x, t.quant.scale[0], t.quant.zero_point[0], info.min, info.max,
                           t.dtype).reshape(t.shape)


def to_real(value: np.ndarray, t: Tensor) -> np.ndarray:
    if t.dtype == np.float32 or t.quant is None:
        return np.asarray(value, np.float32)
    return dequantize_values(value, t.quant.scale[0], t.quant.zero_point[0])


# Operators between a classifier's SOFTMAX and its output that do not change what it says.
_PASS_THROUGH = names(lambda r: r.alias) | {"QUANTIZE", "DEQUANTIZE"}


def is_classifier(graph: Graph) -> bool:
    producers = graph.producers()
    out = graph.outputs[0]
    op = producers.get(out)
    while op is not None and op.opcode in _PASS_THROUGH:
        op = producers.get(op.inputs[0])
    return len(graph.outputs) == 1 and op is not None and op.opcode == "SOFTMAX"


def output_quality(float_graph: Graph, quant_graph: Graph, samples: list[list[np.ndarray]],
                   per_layer: bool = True, progress: bool = False,
                   what: str = "measuring") -> QualityReport:
    fsim, qsim = Simulator(float_graph), Simulator(quant_graph)
    qin = [quant_graph.tensors[i] for i in quant_graph.inputs]
    qout = [quant_graph.tensors[i] for i in quant_graph.outputs]
    layer_tensors = [(op, i) for op in float_graph.operators for i in op.outputs] \
        if per_layer else []
    power = {i: [0.0, 0.0] for _, i in layer_tensors}
    out_power = [[0.0, 0.0] for _ in qout]
    classifier = is_classifier(float_graph)
    agree = 0
    for xs in _progress(samples, len(samples), what, progress):
        fres = fsim.run(xs, keep_all=per_layer)
        qres = qsim.run([to_model_input(x, t) for x, t in zip(xs, qin)], keep_all=per_layer)
        for _, i in layer_tensors:
            f = fres.tensors[i].astype(np.float64)
            q = to_real(qres.tensors[i], quant_graph.tensors[i]).astype(np.float64)
            power[i][0] += float(np.sum(f * f))
            power[i][1] += float(np.sum((f - q) ** 2))
        for k, (f, q, t) in enumerate(zip(fres.outputs, qres.outputs, qout)):
            f = f.astype(np.float64)
            q = to_real(q, t).astype(np.float64)
            out_power[k][0] += float(np.sum(f * f))
            out_power[k][1] += float(np.sum((f - q) ** 2))
            if classifier and k == 0:
                agree += int(np.argmax(f) == np.argmax(q))
    layers = [LayerQuality(op.index, op.opcode, float_graph.tensors[i].name,
                           sqnr_db(*power[i])) for op, i in layer_tensors]
    layers.sort(key=lambda layer: layer.sqnr_db)
    return QualityReport(samples=len(samples), output_sqnr_db=[sqnr_db(*p) for p in out_power],
                         layers=layers,
                         top1_agreement=agree / len(samples) if classifier else None)
