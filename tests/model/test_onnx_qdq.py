"""QDQ ONNX models imported as int8 (mcugen/model/onnx_qdq.py) against onnxruntime's QDQ run.

onnxruntime requantizes in float with round-half-even, the simulator (TFLM) in fixed point with
round-half-away: the oracle's outputs are compared by top-1 and by the share within 1 LSB, not for
equality. The firmware is compared bit for bit with the simulator (verify)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mcugen.errors import InputError  # noqa: E402
from mcugen.fixedpoint import round_half_away  # noqa: E402
from mcugen.model import load_model  # noqa: E402
from mcugen.model.onnx_io import parse_onnx  # noqa: E402
from mcugen.optimize import optimize_graph  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402

ONNX_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "models" / "onnx"
FILES = [(m, f) for m in ("pt_digits_mlp", "pt_digits_cnn", "pt_digits_resnet", "pt_digits_misc")
         for f in ("qdq_int8", "qdq_int8_pertensor")]
SHALLOW = {"pt_digits_mlp", "pt_digits_cnn"}


@pytest.mark.parametrize("name,file", FILES)
def test_qdq_models_agree_with_onnxruntime_qdq(name, file):
    folder = ONNX_DIR / name
    if not (folder / f"{file}.onnx").exists():
        pytest.skip("shared ONNX models not present")
    g = optimize_graph(load_model(folder / f"{file}.onnx"))
    test = np.load(folder / "test.npz")
    key = "ort_qdq_out" if file == "qdq_int8" else "ort_qdq_pertensor_out"
    ti, to = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    s, z = float(ti.quant.scale[0]), int(ti.quant.zero_point[0])
    sim = Simulator(g)
    outs = np.array([sim.run([np.clip(round_half_away(x / s) + z, -128, 127).astype(np.int8)
                              .reshape(ti.shape)]).outputs[0].reshape(-1)
                     for x in test["x"]]).astype(np.int64)
    ref = np.clip(np.rint(test[key] / float(to.quant.scale[0])) + int(to.quant.zero_point[0]),
                  -128, 127).astype(np.int64).reshape(outs.shape)
    top1 = (outs.argmax(-1) == test["y"]).mean()
    ort_top1 = (test[key].argmax(-1) == test["y"]).mean()
    assert abs(top1 - ort_top1) <= 0.005, (top1, ort_top1)
    if name in SHALLOW:
        assert (np.abs(outs - ref) <= 1).mean() >= 0.99


@pytest.mark.timeout(300)
def test_qdq_verify_on_host_bit_exact():
    folder = ONNX_DIR / "pt_digits_misc"
    if not folder.exists():
        pytest.skip("shared ONNX models not present")
    proc = subprocess.run([sys.executable, "-m", "mcugen", "verify", str(folder / "qdq_int8.onnx"),
                           "--board", "host", "--kernels", "portable", "--inputs", "3"],
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr


# -- built QDQ models: the rules ---------------------------------------------------------------

def _qdq_conv(w_zp=0, w_dtype=np.int8, act_zp_dtype=np.int8, extra=None) -> bytes:
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(w_dtype if w_dtype == np.int8 else np.uint8)
    inits = {"s_x": np.float32(0.02), "z_x": np.array(0, act_zp_dtype),
             "w_q": w, "s_w": np.full(4, 0.01, np.float32), "z_w": np.full(4, w_zp, w.dtype),
             "b_q": rng.integers(-500, 500, 4).astype(np.int32),
             "s_b": np.full(4, 0.0002, np.float32), "z_b": np.zeros(4, np.int32),
             "s_y": np.float32(0.05), "z_y": np.array(3, act_zp_dtype)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_x", "z_x"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s_x", "z_x"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w_q", "s_w", "z_w"], ["w"], axis=0),
             helper.make_node("DequantizeLinear", ["b_q", "s_b", "z_b"], ["b"], axis=0),
             helper.make_node("Conv", ["xd", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1]),
             helper.make_node("QuantizeLinear", ["c", "s_y", "z_y"], ["cq"]),
             helper.make_node("DequantizeLinear", ["cq", "s_y", "z_y"], ["y"])]
    nodes += extra or []
    graph = helper.make_graph(
        nodes, "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]
                             ).SerializeToString()


def test_built_qdq_conv_keeps_the_given_parameters_and_integers():
    g = parse_onnx(_qdq_conv(), where="q")
    conv = next(op for op in g.operators if op.opcode == "CONV_2D")
    w, b = g.tensors[conv.inputs[1]], g.tensors[conv.inputs[2]]
    assert w.dtype == np.int8 and np.allclose(w.quant.scale, 0.01)
    assert b.dtype == np.int32 and np.allclose(b.quant.scale, 0.02 * 0.01)
    rng = np.random.default_rng(0)
    w_q = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    assert np.array_equal(w.data, w_q.transpose(0, 2, 3, 1))
    y = g.tensors[g.outputs[0]]
    assert (float(y.quant.scale[0]), int(y.quant.zero_point[0])) == (np.float32(0.05), 3)


@pytest.mark.parametrize("kwargs,message", [
    ({"w_zp": 2}, "zero point 2: TFLite int8 needs symmetric weights"),
    ({"w_dtype": np.uint8, "w_zp": 0}, "are not int8"),
    ({"act_zp_dtype": np.uint8}, "mcugen's int8 kernels need int8 activations"),
])
def test_unmappable_qdq_is_one_line_naming_the_tensor(kwargs, message):
    with pytest.raises(InputError) as info:
        parse_onnx(_qdq_conv(**kwargs), where="q")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_qoperator_and_dynamic_models_refused_by_name():
    for op, say in (("QLinearConv", "export QDQ instead"), ("MatMulInteger", "dynamically")):
        node = helper.make_node(op, ["x"], ["y"], name="n0")
        graph = helper.make_graph([node], "q", [helper.make_tensor_value_info(
            "x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info(
                "y", TensorProto.FLOAT, None)])
        data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]
                                 ).SerializeToString()
        with pytest.raises(InputError) as info:
            parse_onnx(data, where="q")
        assert say in str(info.value) and op in str(info.value) and "'n0'" in str(info.value)


def test_qdq_export_tflite_runs_in_tflm_like_the_simulator(tmp_path):
    from tests.oracle import Tflm
    folder = ONNX_DIR / "pt_digits_resnet"
    if not folder.exists():
        pytest.skip("shared ONNX models not present")
    out = tmp_path / "q.tflite"
    proc = subprocess.run([sys.executable, "-m", "mcugen", "export",
                           str(folder / "qdq_int8.onnx"), "--tflite", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    g = load_model(out)
    t = g.tensors[g.inputs[0]]
    tflm, sim = Tflm(out), Simulator(g)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.integers(-128, 128, t.shape).astype(np.int8)
        assert np.array_equal(tflm.run([x])[0], sim.run([x]).outputs[0])


def test_asymmetric_weights_refused_or_requantized_on_request(tmp_path, capsys):
    """onnxruntime's quantize_static with asymmetric int8 weights (WeightSymmetric False): refused
    in one line naming the tensor and the option; with --requantize-qdq-weights the weights are
    re-quantized symmetric from their real values, the description says so, and the model
    verifies bit-exact on the host."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from mcugen.cli import main
    from mcugen.model.onnx_qdq import REQUANTIZE_ENV
    folder = ONNX_DIR / "pt_digits_cnn"
    if not folder.exists():
        pytest.skip(f"{folder} is absent")
    calib = np.load(folder / "calib.npy")[:32].astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"image": c[None]} for c in calib])

        def get_next(self):
            return next(self.items, None)
    path = tmp_path / "asym.onnx"
    quantize_static(str(folder / "float.onnx"), str(path), Reader(),
                    quant_format=QuantFormat.QDQ, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QInt8, extra_options={"WeightSymmetric": False})
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "zero point" in err \
        and "--requantize-qdq-weights" in err, err
    try:
        assert main(["--requantize-qdq-weights", "verify", str(path), "--board", "host",
                     "--inputs", "3"]) == 0
        graph = load_model(path)
        assert "re-quantized to symmetric int8 (were: zero point" in graph.description
    finally:
        os.environ.pop(REQUANTIZE_ENV, None)
