"""Top-1 accuracy of mnist1d_tcn (Keras Conv1D with dilations) on its 1,000 test signals: the
float model, the TF converter's int8 model and mcugen's int8 quantization of the float model.

    python benchmarks/tcn_accuracy.py [--litert DIR]

Every int8 model runs on mcugen's simulator after the graph optimiser (the dilated convolutions
folded: mcugen/optimize/dilated_conv.py); the float model on the simulator's float kernels.
Target (issue 15): mcugen's int8 within 1 point of the TF converter's.

With ``--litert DIR`` (a directory holding the ai_edge_litert package, e.g. from
``pip install --no-deps --target DIR ai-edge-litert``) the TF converter's int8 file also runs in
TFLite's reference kernels, as written (SPACE_TO_BATCH_ND padding with the zero point), and in the
pinned TFLM (which pads with 0): the bytes each gives are compared with mcugen's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcugen.model import load_model  # noqa: E402
from mcugen.optimize import optimize_graph  # noqa: E402
from mcugen.quantize import quantize_model  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402

DATA = ROOT.parent / "shared" / "models" / "real_data" / "mnist1d_tcn"


def int8_outputs(graph, x: np.ndarray) -> np.ndarray:
    t = graph.tensors[graph.inputs[0]]
    s, z = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    sim = Simulator(graph)
    q = np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)
    return np.stack([sim.run([q[i].reshape(t.shape)]).outputs[0].ravel() for i in range(len(x))])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--litert", metavar="DIR", help="directory holding ai_edge_litert")
    args = ap.parse_args()
    test = np.load(DATA / "test.npz")
    x, y = test["x"].astype(np.float32), test["y"]
    calib = np.load(DATA / "calib.npy").astype(np.float32)

    float_graph = optimize_graph(load_model(DATA / "float.tflite"))
    fsim = Simulator(float_graph)
    shape = float_graph.tensors[float_graph.inputs[0]].shape
    f_out = np.stack([fsim.run([x[i].reshape(shape)]).outputs[0].ravel() for i in range(len(x))])
    tf_graph = optimize_graph(load_model(DATA / "tf_int8.tflite"))
    tf_out = int8_outputs(tf_graph, x)
    ours = quantize_model(load_model(DATA / "float.tflite"),
                          [[c.reshape(shape)] for c in calib]).graph
    our_out = int8_outputs(optimize_graph(ours), x)
    rows = [("float (mcugen simulator)", f_out), ("TF converter int8", tf_out),
            ("mcugen int8 (minmax)", our_out)]
    print(f"mnist1d_tcn, {len(x)} test signals, {len(calib)} calibration signals")
    for name, out in rows:
        acc = 100.0 * float(np.mean(out.argmax(axis=1) == y))
        agree = 100.0 * float(np.mean(out.argmax(axis=1) == f_out.argmax(axis=1)))
        print(f"  {name:28s} top-1 {acc:5.1f} %   agrees with float {agree:5.1f} %")
    gap = 100.0 * (np.mean(tf_out.argmax(1) == y) - np.mean(our_out.argmax(1) == y))
    print(f"  mcugen int8 is {gap:+.1f} points below the TF converter's (target: <= 1)")

    if args.litert:
        sys.path.insert(0, args.litert)
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
        from tests.oracle import Tflm
        path = str(DATA / "tf_int8.tflite")
        it = Interpreter(model_path=path,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        inp, outp = it.get_input_details()[0], it.get_output_details()[0]
        tflm = Tflm(path, preserve_all=False)
        s, z = inp["quantization"]
        same_lite = same_tflm = 0
        for i in range(len(x)):
            q = np.clip(np.round(x[i] / s) + z, -128, 127).astype(np.int8).reshape(inp["shape"])
            it.set_tensor(inp["index"], q)
            it.invoke()
            same_lite += it.get_tensor(outp["index"]).tobytes() == tf_out[i].tobytes()
            same_tflm += tflm.run([q])[0].tobytes() == tf_out[i].tobytes()
        print(f"  TF converter int8 file: mcugen's bytes equal TFLite reference kernels' on "
              f"{same_lite}/{len(x)}, the pinned TFLM's on {same_tflm}/{len(x)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
