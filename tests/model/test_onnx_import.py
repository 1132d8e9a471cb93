"""The ONNX importer (mcugen/model/onnx_io.py) against onnxruntime, the oracle for ONNX.

Float: the imported graph simulated by mcugen equals onnxruntime's float output within 1e-4
relative (max |difference| / max |reference|) on the shared PyTorch-exported models and on
single-operator models built with ``onnx.helper``. Errors: one line, exit 2, naming the node.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mcugen.errors import InputError  # noqa: E402
from mcugen.model import load_model  # noqa: E402
from mcugen.model.onnx_io import parse_onnx  # noqa: E402
from mcugen.optimize import optimize_graph  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402

ONNX_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "models" / "onnx"
MODELS = ["pt_digits_mlp", "pt_digits_cnn", "pt_digits_resnet", "pt_digits_misc"]
RTOL = 1e-4


def _ort(model_bytes: bytes, feeds: dict) -> list[np.ndarray]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def _close(out: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(out.reshape(ref.shape) - ref)) / max(np.max(np.abs(ref)), 1e-30))


def _simulate(graph, xs: list[np.ndarray]) -> list[np.ndarray]:
    return Simulator(graph).run([x.reshape(graph.tensors[i].shape)
                                 for x, i in zip(xs, graph.inputs)]).outputs


@pytest.mark.parametrize("name", MODELS)
def test_shared_float_models_match_onnxruntime(name):
    folder = ONNX_DIR / name
    if not folder.exists():
        pytest.skip("shared ONNX models not present")
    graph = optimize_graph(load_model(folder / "float.onnx"))
    data = (folder / "float.onnx").read_bytes()
    x = np.load(folder / "test.npz")["x"][:40].astype(np.float32)
    # the layout transposes are gone: a 1-channel image enters NHWC by a RESHAPE
    assert not any(op.opcode == "TRANSPOSE" for op in graph.operators)
    for k in range(len(x)):
        ref = _ort(data, {"image" if x.ndim == 4 else "pixels": x[k:k + 1]})[0]
        assert _close(_simulate(graph, [x[k:k + 1]])[0], ref) <= RTOL


# -- single-operator models --------------------------------------------------------------------

RNG = np.random.default_rng(0)


def _w(*shape, scale=0.3):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _model(nodes, inputs: dict, outputs: list[str], inits: dict | None = None,
           opset: int = 17) -> bytes:
    graph = helper.make_graph(
        nodes, "t",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


def _conv(x="x", y="c", cin=3, cout=4, k=3, bias=True, **attrs):
    names = [x, f"{y}_w"] + ([f"{y}_b"] if bias else [])
    group = attrs.get("group", 1)
    inits = {f"{y}_w": _w(cout, cin // group, k, k)}
    if bias:
        inits[f"{y}_b"] = _w(cout)
    return helper.make_node("Conv", names, [y], name=f"conv_{y}", kernel_shape=[k, k],
                            **attrs), inits


X4 = {"x": [1, 3, 8, 8]}


def _after_conv(node, extra_inits=None, **conv):
    """conv (NCHW -> mcugen NHWC) then ``node`` reading 'c': exercises the layout tracking."""
    c, inits = _conv(pads=[1, 1, 1, 1], **conv)
    return [c, node], {**inits, **(extra_inits or {})}


def _case(nodes_inits, inputs=X4, out="y", opset=17):
    nodes, inits = nodes_inits
    return _model(nodes if isinstance(nodes, list) else [nodes], inputs, [out], inits, opset)


def _single(op, out="y", **attrs):
    return helper.make_node(op, ["c"], [out], name=f"{op.lower()}_node", **attrs)


CASES = {
    "conv_same": lambda: _case(_conv(y="y", pads=[1, 1, 1, 1]), ),
    "conv_valid_dilated": lambda: _case(_conv(y="y", dilations=[2, 2])),
    "conv_stride2_explicit": lambda: _case(_conv(y="y", strides=[2, 2], pads=[1, 1, 1, 1])),
    "conv_same_upper_s2": lambda: _case(_conv(y="y", strides=[2, 2], auto_pad="SAME_UPPER")),
    "conv_same_lower_s2": lambda: _case(_conv(y="y", strides=[2, 2], auto_pad="SAME_LOWER")),
    "conv_asymmetric_pads": lambda: _case(_conv(y="y", pads=[0, 1, 2, 0])),
    "conv_no_bias_1x1": lambda: _case(_conv(y="y", k=1, bias=False)),
    "depthwise_mult2": lambda: _case(_conv(y="y", cin=3, cout=6, group=3, pads=[1, 1, 1, 1])),
    "gemm_transB0_alpha_beta": lambda: _model(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], alpha=0.5, beta=2.0)],
        {"x": [1, 12]}, ["y"], {"w": _w(12, 5), "b": _w(1, 5)}),
    "gemm_transB1_no_bias": lambda: _model(
        [helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)],
        {"x": ["batch", 12]}, ["y"], {"w": _w(5, 12)}),
    "matmul_add": lambda: _model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])],
        {"x": [1, 12]}, ["y"], {"w": _w(12, 7), "b": _w(7)}),
    "matmul_alone": lambda: _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                                   {"x": [1, 12]}, ["y"], {"w": _w(12, 7)}),
    "batchnorm_folded": lambda: _case(_after_conv(
        helper.make_node("BatchNormalization", ["c", "s", "sh", "m", "v"], ["y"], epsilon=1e-3),
        {"s": _w(4) + 1, "sh": _w(4), "m": _w(4), "v": np.abs(_w(4)) + 0.5})),
    "batchnorm_standalone": lambda: _model(
        [helper.make_node("BatchNormalization", ["x", "s", "sh", "m", "v"], ["y"])],
        X4, ["y"], {"s": _w(3) + 1, "sh": _w(3), "m": _w(3), "v": np.abs(_w(3)) + 0.5}),
    "relu": lambda: _case(_after_conv(_single("Relu"))),
    "clip_relu6": lambda: _case(_after_conv(helper.make_node("Clip", ["c", "lo", "hi"], ["y"]),
                                            {"lo": np.float32(0), "hi": np.float32(6)})),
    "clip_general": lambda: _case(_after_conv(helper.make_node("Clip", ["c", "lo", "hi"], ["y"]),
                                              {"lo": np.float32(-0.5), "hi": np.float32(0.7)})),
    "clip_min_only": lambda: _case(_after_conv(helper.make_node("Clip", ["c", "lo"], ["y"]),
                                               {"lo": np.float32(-0.25)})),
    "leaky_relu": lambda: _case(_after_conv(_single("LeakyRelu", alpha=0.2))),
    "sigmoid": lambda: _case(_after_conv(_single("Sigmoid"))),
    "tanh": lambda: _case(_after_conv(_single("Tanh"))),
    "hard_sigmoid": lambda: _case(_after_conv(_single("HardSigmoid", alpha=0.25, beta=0.4))),
    "hard_swish": lambda: _case(_after_conv(_single("HardSwish"))),
    "add_channel_const": lambda: _case(_after_conv(helper.make_node("Add", ["c", "k"], ["y"]),
                                                   {"k": _w(4, 1, 1)})),
    "sub_const_first": lambda: _case(_after_conv(helper.make_node("Sub", ["k", "c"], ["y"]),
                                                 {"k": _w(4, 8, 8)})),
    "mul_scalar": lambda: _case(_after_conv(helper.make_node("Mul", ["c", "k"], ["y"]),
                                            {"k": np.float32(1.7)})),
    "div_const": lambda: _case(_after_conv(helper.make_node("Div", ["c", "k"], ["y"]),
                                           {"k": np.float32(3.0)})),
    "add_two_tensors": lambda: _case(([_conv(y="a", pads=[1, 1, 1, 1])[0],
                                       _conv(y="b", pads=[1, 1, 1, 1])[0],
                                       helper.make_node("Add", ["a", "b"], ["y"])],
                                      {**_conv(y="a")[1], **_conv(y="b")[1]})),
    "mul_nchw_by_input": lambda: _case(([_conv(y="c", pads=[1, 1, 1, 1], cout=3)[0],
                          helper.make_node("Mul", ["c", "x"], ["y"])],
                         _conv(y="c", cout=3)[1])),
    "maxpool": lambda: _case(_after_conv(_single("MaxPool", kernel_shape=[2, 2], strides=[2, 2]))),
    "maxpool_same": lambda: _case(_after_conv(_single("MaxPool", kernel_shape=[3, 3],
                                                      pads=[1, 1, 1, 1]))),
    "avgpool_exclude_pad": lambda: _case(_after_conv(_single(
        "AveragePool", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))),
    "avgpool_include_pad": lambda: _case(_after_conv(_single(
        "AveragePool", kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1))),
    "avgpool_ceil_exact": lambda: _case(_after_conv(_single(
        "AveragePool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1))),
    "global_avgpool": lambda: _case(_after_conv(_single("GlobalAveragePool"))),
    "flatten": lambda: _case(_after_conv(_single("Flatten", axis=1))),
    "reshape_0_minus1": lambda: _case(_after_conv(helper.make_node("Reshape", ["c", "s"], ["y"]),
                                                  {"s": np.array([0, -1, 8], np.int64)})),
    "squeeze_unsqueeze": lambda: _case(([*_after_conv(_single("GlobalAveragePool", out="g"))[0],
                                         helper.make_node("Squeeze", ["g", "ax"], ["q"]),
                                         helper.make_node("Unsqueeze", ["q", "ax1"], ["y"])],
                                        {**_conv()[1], "ax": np.array([2, 3], np.int64),
                                         "ax1": np.array([1], np.int64)})),
    "transpose_then_reshape": lambda: _case(([*_after_conv(_single("Transpose", out="t",
                                                                   perm=[0, 2, 3, 1]))[0],
                                              helper.make_node("Reshape", ["t", "s"], ["y"])],
                                             {**_conv()[1], "s": np.array([1, -1], np.int64)})),
    "transpose_output": lambda: _case(_after_conv(_single("Transpose", perm=[0, 3, 1, 2]))),
    "concat_channels": lambda: _case(([_conv(y="a", pads=[1, 1, 1, 1])[0],
                                       _conv(y="b", pads=[1, 1, 1, 1], cout=2)[0],
                                       helper.make_node("Concat", ["a", "b"], ["y"], axis=1)],
                                      {**_conv(y="a")[1], **_conv(y="b", cout=2)[1]})),
    "pad_zero": lambda: _case(_after_conv(helper.make_node("Pad", ["c", "p"], ["y"]),
                                          {"p": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)})),
    "pad_value": lambda: _case(_after_conv(helper.make_node("Pad", ["c", "p", "v"], ["y"]),
                                           {"p": np.array([0, 1, 1, 0, 0, 0, 0, 1], np.int64),
                                            "v": np.array(0.5, np.float32)})),
    "softmax_2d": lambda: _model([helper.make_node("Softmax", ["x"], ["y"], axis=1)],
                                 {"x": [1, 10]}, ["y"]),
    "softmax_channels": lambda: _case(_after_conv(_single("Softmax", axis=1))),
    "reduce_mean_keep": lambda: _case(_after_conv(helper.make_node(
        "ReduceMean", ["c"], ["y"], axes=[2, 3], keepdims=1)), opset=17),
    "reduce_mean_drop_opset18": lambda: _case(_after_conv(helper.make_node(
        "ReduceMean", ["c", "ax"], ["y"], keepdims=0), {"ax": np.array([1], np.int64)}),
        opset=18),
    "identity_dropout_constant": lambda: _case(([
        *_after_conv(_single("Identity", out="i"))[0],
        helper.make_node("Dropout", ["i"], ["d"]),
        helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(_w(1), "k")),
        helper.make_node("Mul", ["d", "k"], ["y"])], _conv()[1])),
    "shape_folding": lambda: _case(([
        *_after_conv(_single("Shape", out="sh"))[0],
        helper.make_node("Gather", ["sh", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["s"], axis=0),
        helper.make_node("Reshape", ["c", "s"], ["y"])],
        {**_conv()[1], "zero": np.array(0, np.int64), "ax0": np.array([0], np.int64),
         "minus1": np.array([-1], np.int64)})),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_single_operator_models_match_onnxruntime(name):
    data = CASES[name]()
    graph = parse_onnx(data, where=name)
    model = onnx.load_from_string(data)
    feeds = {}
    for i in model.graph.input:
        shape = [d.dim_value or 1 for d in i.type.tensor_type.shape.dim]
        feeds[i.name] = RNG.standard_normal(shape).astype(np.float32)
    refs = _ort(data, feeds)
    outs = _simulate(graph, list(feeds.values()))
    for o, r in zip(outs, refs):
        assert o.size == r.size
        assert _close(o, r) <= RTOL, name


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("nodes,inits,message", [
    ([helper.make_node("Floor", ["x"], ["y"], name="floor0")], {},
     "node 0 'floor0' (Floor))"),
    ([helper.make_node("Conv", ["x", "w"], ["y"], name="g", group=3, kernel_shape=[1, 1])],
     {"w": _w(6, 1, 1, 1)}, None),
    ([helper.make_node("Conv", ["x", "w"], ["y"], name="g2", group=1, kernel_shape=[1, 1])],
     {}, "must be a constant"),
    ([helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")],
     {"p": np.zeros(8, np.int64)}, "Pad mode 'reflect'"),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[1, 1, 0, 0])],
     {}, "not TFLite's SAME padding"),
])
def test_unsupported_is_one_line_naming_the_node(tmp_path, nodes, inits, message):
    data = _model(nodes, {"x": [1, 6, 8, 8]} if message is None else X4, ["y"], inits)
    path = tmp_path / "x.onnx"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_model(path)
    text = str(info.value)
    assert "\n" not in text
    if message:
        assert message in text
    assert "node 0" in text


def test_cli_exit_2_one_line(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(_model([helper.make_node("Floor", ["x"], ["y"], name="f")], X4, ["y"]))
    proc = subprocess.run([sys.executable, "-m", "mcugen", "inspect", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Floor" in lines[0] and "'f'" in lines[0], proc.stderr


def test_truncated_and_fuzzed_files_never_crash():
    folder = ONNX_DIR / "pt_digits_misc"
    if not folder.exists():
        pytest.skip("shared ONNX models not present")
    good = (folder / "float.onnx").read_bytes()
    rng = np.random.default_rng(1)
    variants = [good[:n] for n in (0, 1, 2, 10, 100, len(good) // 2, len(good) - 1)]
    for _ in range(40):
        bad = bytearray(good)
        for pos in rng.integers(0, len(bad), 8):
            bad[pos] = int(rng.integers(0, 256))
        variants.append(bytes(bad))
    for data in variants:
        try:
            parse_onnx(data, where="fuzz")
        except InputError as exc:
            assert "\n" not in str(exc)


def test_content_decides_not_the_extension(tmp_path):
    folder = ONNX_DIR / "pt_digits_mlp"
    if not folder.exists():
        pytest.skip("shared ONNX models not present")
    path = tmp_path / "model.bin"
    path.write_bytes((folder / "float.onnx").read_bytes())
    assert load_model(path).opcodes() == ["FULLY_CONNECTED", "RELU"]


def test_tf2onnx_transpose_pairs_cost_nothing():
    """tf2onnx writes Keras' NHWC convs as Transpose -> Conv (NCHW) -> Transpose: the tracked
    layout absorbs both transposes (no TRANSPOSE operator), and the input stays NHWC."""
    conv, inits = _conv(x="t", y="c", pads=[1, 1, 1, 1])
    data = _model([helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]), conv,
                   helper.make_node("Transpose", ["c"], ["u"], perm=[0, 2, 3, 1]),
                   helper.make_node("Relu", ["u"], ["y"])], {"x": [1, 8, 8, 3]}, ["y"], inits)
    graph = parse_onnx(data, where="tf2onnx")
    assert graph.opcodes() == ["CONV_2D", "RELU"]
    x = RNG.standard_normal((1, 8, 8, 3)).astype(np.float32)
    assert _close(_simulate(graph, [x])[0], _ort(data, {"x": x})[0]) <= RTOL


def test_opset_outside_13_to_21_refused():
    data = _model([helper.make_node("Relu", ["x"], ["y"])], X4, ["y"], opset=11)
    with pytest.raises(InputError, match="opset 11 is not supported"):
        parse_onnx(data, where="old")


def _skl2onnx_like(zipmap: bool) -> bytes:
    """What skl2onnx writes for a classifier: 'label' (int64, through ArgMax ->
    ArrayFeatureExtractor of the classes) first, the probabilities second (ZipMap'd by default)."""
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["z"]),
             helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
             helper.make_node("ArgMax", ["probabilities"], ["idx"], axis=1),
             helper.make_node("ArrayFeatureExtractor", ["classes", "idx"], ["label"],
                              domain="ai.onnx.ml")]
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [1, 1])]
    if zipmap:
        nodes.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"],
                                      domain="ai.onnx.ml", classlabels_int64s=[0, 1, 2]))
        outputs.append(helper.make_value_info("output_probability", helper.make_sequence_type_proto(
            helper.make_map_type_proto(TensorProto.INT64, helper.make_tensor_type_proto(
                TensorProto.FLOAT, [])))))
    else:
        outputs.append(helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 3]))
    graph = helper.make_graph(nodes, "skl", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, ["N", 4])], outputs, [
        numpy_helper.from_array(_w(4, 3), "w"), numpy_helper.from_array(_w(3), "b"),
        numpy_helper.from_array(np.array([0, 1, 2], np.int64), "classes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    return model.SerializeToString()


def test_classifier_label_branch_dropped_probabilities_kept():
    data = _skl2onnx_like(zipmap=False)
    graph = parse_onnx(data, where="skl")
    assert [graph.tensors[i].name for i in graph.outputs] == ["probabilities"]
    assert "dropped non-float outputs label" in graph.description
    x = RNG.standard_normal((1, 4)).astype(np.float32)
    assert _close(_simulate(graph, [x])[0], _ort(data, {"x": x})[1]) <= RTOL


def test_zipmap_probabilities_refused_with_the_export_option():
    with pytest.raises(InputError, match="zipmap"):
        parse_onnx(_skl2onnx_like(zipmap=True), where="skl")


def test_data_in_neither_layout_is_refused(tmp_path, capsys):
    """A 3-channel ONNX input takes data in its own layout (NCHW, the batch axis optional);
    channels-last or flattened data is refused in one line, never reinterpreted."""
    from mcugen.cli import main
    path = tmp_path / "m.onnx"
    path.write_bytes(_case(_after_conv(_single("Relu"))))
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    for name, data, ok in (("nchw", x, True), ("no_batch", x[0], True),
                           ("nhwc", np.ascontiguousarray(x.transpose(0, 2, 3, 1)), False),
                           ("flat", x.reshape(1, -1), False)):
        np.save(tmp_path / f"{name}.npy", data)
        code = main(["simulate", str(path), "--input", str(tmp_path / f"{name}.npy")])
        err = capsys.readouterr().err
        assert code == (0 if ok else 2), (name, err)
        if not ok:
            assert len(err.strip().splitlines()) == 1 and "[1, 3, 8, 8]" in err, err


def test_a_real_skl2onnx_export(tmp_path):
    """An MLPClassifier trained on scikit-learn's digits, exported by skl2onnx (Cast, MatMul,
    Add, Relu, Softmax, and the label branch mcugen drops): the float simulation equals
    onnxruntime's probabilities, mcugen's int8 quantization keeps the classifier's answers, and
    the quantized model is bit-exact on the host board."""
    skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx is a test dependency "
                                   "(pip install -e .[test])")
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    import warnings
    from mcugen.cli import main
    from mcugen.model import load_model
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # not converged in 200 iterations: irrelevant here
        clf = MLPClassifier((32,), max_iter=200, random_state=0).fit(x[:1200], y[:1200])
    onx = skl2onnx.to_onnx(clf, x[:1], options={id(clf): {"zipmap": False}}, target_opset=17)
    path = tmp_path / "mlp.onnx"
    path.write_bytes(onx.SerializeToString())
    graph = load_model(path)
    test = x[1200:1300]
    ref = _ort(path.read_bytes(), {"X": test})[1]          # probabilities
    ours = np.concatenate([_simulate(graph, [test[k:k + 1]])[0] for k in range(len(test))])
    assert np.max(np.abs(ours - ref)) <= 1e-5
    np.save(tmp_path / "calib.npy", x[:300])
    assert main(["quantize", str(path), "--calib", str(tmp_path / "calib.npy"),
                 "-o", str(tmp_path / "q.tflite")]) == 0
    q = load_model(tmp_path / "q.tflite")
    sim = Simulator(q)
    t_in = q.tensors[q.inputs[0]]
    s, z = float(t_in.quant.scale[0]), int(t_in.quant.zero_point[0])
    agree = 0
    for k in range(len(test)):
        xq = np.clip(np.round(test[k:k + 1] / s) + z, -128, 127).astype(np.int8)
        agree += int(np.argmax(sim.run([xq.reshape(t_in.shape)]).outputs[0]) == ref[k].argmax())
    assert agree >= 97, agree
    assert main(["verify", str(tmp_path / "q.tflite"), "--board", "host", "--inputs", "3"]) == 0
