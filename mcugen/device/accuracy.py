"""How good the deployed model is on real data: top-1 of the device, of the simulator and of the
float model against labels, and the output SQNR of the device against the float model.

Why: bit-exactness says the device computes what the simulator does; it does not say whether
quantization kept the model's accuracy. This is the table the TF quantization guide shows (float
vs quantized accuracy), with the quantized column measured on the device itself. The float model
(``--float-model``, .tflite or .onnx) runs on mcugen's float simulator and is fed the samples'
real values (float data as given, integer data dequantized with the input's scale and zero
point); device outputs are dequantized with the output's scale and zero point.

SQNR (dB) = 10 log10(Σ f² / Σ (f − d)²) over all samples, per output (as
:mod:`mcugen.quantize.report`). Top-1 is the argmax of the first output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..model.graph import Graph
from ..quantize.report import sqnr_db, to_model_input, to_real


@dataclass
class Accuracy:
    samples: int
    labelled: bool
    top1: dict[str, float | None]            # device / simulator / float -> fraction correct
    float_model: str | None = None
    output_sqnr_db: list[float] | None = None        # device vs float, per output
    top1_agreement_float: float | None = None        # device's class == float model's
    per_input: list[dict] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)  # per-layer SQNR vs float (by name)

    def as_dict(self) -> dict:
        def finite(v):
            return None if v is None or not np.isfinite(v) else round(float(v), 3)
        return {"samples": self.samples, "labelled": self.labelled,
                "top1": {k: (None if v is None else round(v, 6)) for k, v in self.top1.items()},
                "float_model": self.float_model,
                "output_sqnr_db": None if self.output_sqnr_db is None else
                [finite(s) for s in self.output_sqnr_db],
                "top1_agreement_float": self.top1_agreement_float,
                "layers": [dict(r, sqnr_db=finite(r["sqnr_db"])) for r in self.layers],
                "per_input": self.per_input}


def float_outputs(float_graph: Graph, graph: Graph, real_samples: list[list[np.ndarray]],
                  where: str) -> list[list[np.ndarray]]:
    """The float model's outputs (as real values) on the samples' real values."""
    from ..sim import Simulator
    fin = [float_graph.tensors[i] for i in float_graph.inputs]
    fout = [float_graph.tensors[i] for i in float_graph.outputs]
    qin = [graph.tensors[i] for i in graph.inputs]
    qout = [graph.tensors[i] for i in graph.outputs]
    if len(fin) != len(qin) or len(fout) != len(qout):
        raise InputError(f"the float model has {len(fin)} inputs and {len(fout)} outputs; the "
                         f"deployed model {len(qin)} and {len(qout)}", where)
    for kind, fs, qs in (("input", fin, qin), ("output", fout, qout)):
        for f, q in zip(fs, qs):
            if f.size != q.size:
                raise InputError(f"the float model's {kind} '{f.name}' has {f.size} values; the "
                                 f"deployed model's '{q.name}' {q.size}", where)
    sim = Simulator(float_graph)
    results = []
    for sample in real_samples:
        xs = [to_model_input(x.reshape(t.shape).astype(np.float32), t)
              for x, t in zip(sample, fin)]
        results.append([to_real(o, t).reshape(-1).copy()
                        for o, t in zip(sim.run(xs).outputs, fout)])
    return results


def measure(graph: Graph, device_outputs: list[list[np.ndarray]],
            sim_outputs: list[list[np.ndarray]], labels: np.ndarray | None = None,
            float_results: list[list[np.ndarray]] | None = None,
            float_model: str | None = None) -> Accuracy:
    n = len(device_outputs)
    qout = [graph.tensors[i] for i in graph.outputs]

    def top(outs):
        return int(np.argmax(np.asarray(outs[0]).reshape(-1)))
    dev = [top(o) for o in device_outputs]
    sim = [top(o) for o in sim_outputs]
    flt = [top(o) for o in float_results] if float_results is not None else None
    per_input = []
    for k in range(n):
        row = {"input": k, "device_top1": dev[k], "simulator_top1": sim[k]}
        if flt is not None:
            row["float_top1"] = flt[k]
        if labels is not None:
            row["label"] = int(labels[k])
        per_input.append(row)
    top1: dict[str, float | None] = {"device": None, "simulator": None, "float": None}
    if labels is not None:
        top1["device"] = float(np.mean(np.asarray(dev) == labels[:n]))
        top1["simulator"] = float(np.mean(np.asarray(sim) == labels[:n]))
        if flt is not None:
            top1["float"] = float(np.mean(np.asarray(flt) == labels[:n]))
    result = Accuracy(samples=n, labelled=labels is not None, top1=top1,
                      float_model=float_model, per_input=per_input)
    if float_results is not None:
        powers = [[0.0, 0.0] for _ in qout]
        for d_outs, f_outs in zip(device_outputs, float_results):
            for j, (d, f, t) in enumerate(zip(d_outs, f_outs, qout)):
                d = to_real(d, t).astype(np.float64).reshape(-1)
                f = np.asarray(f, np.float64).reshape(-1)
                powers[j][0] += float(np.sum(f * f))
                powers[j][1] += float(np.sum((f - d) ** 2))
        result.output_sqnr_db = [sqnr_db(*p) for p in powers]
        from ..quantize.report import is_classifier
        if labels is not None or is_classifier(graph):    # an autoencoder's argmax means nothing
            result.top1_agreement_float = float(np.mean(np.asarray(dev) == np.asarray(flt)))
    return result


#: per-layer SQNR runs both simulators keeping every tensor: on at most this many samples
LAYER_SAMPLES = 200


def layer_sqnr(graph: Graph, float_graph: Graph, samples: list[list[np.ndarray]],
               real_samples: list[list[np.ndarray]]) -> list[dict]:
    """SQNR of every layer's output against the float model's tensor of the same name and size
    (the TF converter and mcugen's quantizer keep tensor names), in execution order, on the
    simulator (which the device equals bit for bit when verify says so). Layers without a
    float counterpart are left out."""
    from ..sim import Simulator
    by_name = {}
    for op in float_graph.operators:
        for i in op.outputs:
            by_name.setdefault(float_graph.tensors[i].name, i)
    pairs = []
    for op in graph.operators:
        for i in op.outputs:
            t = graph.tensors[i]
            j = by_name.get(t.name)
            if j is not None and float_graph.tensors[j].size == t.size and \
                    float_graph.tensors[j].dtype.kind == "f":
                pairs.append((op, i, j))
    if not pairs:
        return []
    fin = [float_graph.tensors[i] for i in float_graph.inputs]
    qsim, fsim = Simulator(graph), Simulator(float_graph)
    power = {i: [0.0, 0.0] for _, i, _ in pairs}
    for sample, real in list(zip(samples, real_samples))[:LAYER_SAMPLES]:
        q = qsim.run(sample, keep_all=True).tensors
        f = fsim.run([to_model_input(x.reshape(t.shape).astype(np.float32), t)
                      for x, t in zip(real, fin)], keep_all=True).tensors
        for _, i, j in pairs:
            a = np.asarray(f[j], np.float64).reshape(-1)
            b = to_real(q[i], graph.tensors[i]).astype(np.float64).reshape(-1)
            power[i][0] += float(np.sum(a * a))
            power[i][1] += float(np.sum((a - b) ** 2))
    return [{"op": op.index, "operator": op.opcode, "tensor": graph.tensors[i].name,
             "sqnr_db": sqnr_db(*power[i])} for op, i, _ in pairs]
