"""The model validator: each reproducer is one change to examples/kws_ref_model.tflite, refused by
``inspect``, ``plan`` and ``simulate`` with exit 2 and one line naming the problem."""

from __future__ import annotations

import math

import flatbuffers
import numpy as np
import pytest

from mcugen.cli import main
from mcugen.model import load_model, parse_model
from mcugen.model.schema import fb
from mcugen.model.validate import validate_graph
from mcugen.errors import InputError
from tests.conftest import EXAMPLES

KWS = EXAMPLES / "kws_ref_model.tflite"


def _edit(edit) -> bytes:
    """kws_ref_model with one change made on the flatbuffer's object API."""
    model = fb.ModelT.InitFromPackedBuf(bytearray(KWS.read_bytes()), 0)
    edit(model, model.subgraphs[0])
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _set(attr, value, tensor=None, op=None, options=False, quant=False):
    def edit(model, sg):
        obj = sg
        if tensor is not None:
            obj = sg.tensors[tensor]
            if quant:
                obj = obj.quantization
        if op is not None:
            obj = sg.operators[op]
            if options:
                obj = obj.builtinOptions
        setattr(obj, attr, value)
    return edit


def _swap_first_ops(model, sg):
    sg.operators[0], sg.operators[1] = sg.operators[1], sg.operators[0]


def _bias_8_values(model, sg):
    t = sg.tensors[3]                # CONV_2D 0's bias: 64 int32 values
    t.shape = [8]
    model.buffers[t.buffer].data = np.asarray(model.buffers[t.buffer].data)[:32]
    t.quantization.scale = np.asarray(t.quantization.scale)[:8]
    t.quantization.zeroPoint = np.asarray(t.quantization.zeroPoint)[:8]


def _output_width_x4000(model, sg):
    sg.tensors[22].shape = [1, 25, 5 * 4000, 64]


def _rank1_per_tensor(model, sg):
    t = sg.tensors[17]
    t.shape = [2560]
    t.quantization.scale = np.asarray(t.quantization.scale)[:1]
    t.quantization.zeroPoint = np.asarray(t.quantization.zeroPoint)[:1]


def _two_writers(model, sg):
    sg.operators[1].outputs = [22]


def _to_transpose_conv(model, sg):
    code = fb.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.TRANSPOSE_CONV
    code.version = 1
    model.operatorCodes.append(code)
    sg.operators[12].opcodeIndex = len(model.operatorCodes) - 1


def _no_operators(model, sg):
    sg.operators = []


# name -> (edit, words the one-line message must contain)
REPRODUCERS = {
    "output index 999": (_set("outputs", [999]), "graph output 0 is tensor index 999"),
    "input index -1": (_set("inputs", [-1]), "graph input 0 is tensor index -1"),
    "constant graph output": (_set("outputs", [16]), "graph output 0 is a constant tensor"),
    "operators out of order": (_swap_first_ops, "operators out of order"),
    "two operators write one tensor": (_two_writers, "is written by operator 0 and operator 1"),
    "empty zero-point vector": (_set("zeroPoint", np.zeros(0, np.int64), tensor=0, quant=True),
                                "1 quantization scales but 0 zero points"),
    "scale 0": (_set("scale", np.zeros(1, np.float32), tensor=0, quant=True),
                "quantization scale 0.0 is not finite and positive"),
    "scale inf": (_set("scale", np.full(1, np.inf, np.float32), tensor=0, quant=True),
                  "quantization scale inf is not finite and positive"),
    "fused activation 28": (_set("fusedActivationFunction", 28, op=0, options=True),
                            "unknown fused activation code 28"),
    "padding 42": (_set("padding", 42, op=0, options=True), "unknown padding code 42"),
    "stride 0": (_set("strideW", 0, op=0, options=True), "option stride_w is 0, must be >= 1"),
    "dilation 0": (_set("dilationHFactor", 0, op=0, options=True),
                   "option dilation_hfactor is 0, must be >= 1"),
    "depthwise stride 65536": (_set("strideH", 65536, op=1, options=True),
                               "declared output shape [1, 25, 5, 64], the operator computes "
                               "[1, 1, 5, 64]"),
    "rank-1 conv weights": (_set("shape", [2560], tensor=17),
                            "64 per-channel scales for 2560 channels on axis 0"),
    "rank-1 conv weights, per tensor": (_rank1_per_tensor, "has rank 1, expected 4"),
    "bias of 8 values for 64 channels": (_bias_8_values, "has 8 values for 64 output channels"),
    "output width x4000": (_output_width_x4000, "declared output shape [1, 25, 20000, 64]"),
    "softmax int32 output": (_set("type", fb.TensorType.INT32, tensor=34),
                             "tensor 34 'Identity' is int32"),
    "no operators": (_no_operators, "model has no operators"),
    # found by benchmarks/fuzz_models.py
    "two-dimensional bias": (_set("shape", [64, 1], tensor=3),
                             "[64, 1] has 64 values for 64 output channels (one-dimensional)"),
    "weights without quantization": (_set("quantization", None, tensor=17),
                                     "int8 tensor 17 'functional_1/conv2d/Conv2D' has no "
                                     "quantization parameters"),
    "opcode becomes TRANSPOSE_CONV": (_to_transpose_conv, "needs output shape, weights and input"),
}
WHERE = {  # the operator or tensor the line names
    "output index 999": None, "input index -1": None,
    "constant graph output": "tensor 16 'functional_1/dense/MatMul'",
    "operators out of order": "operator 0 DEPTHWISE_CONV_2D",
    "two operators write one tensor": "operator 1 DEPTHWISE_CONV_2D",
    "empty zero-point vector": "tensor 0 'input_1'", "scale 0": "tensor 0 'input_1'",
    "scale inf": "tensor 0 'input_1'", "fused activation 28": "operator 0 CONV_2D",
    "padding 42": "operator 0 CONV_2D", "stride 0": "operator 0 CONV_2D",
    "dilation 0": "operator 0 CONV_2D", "depthwise stride 65536": "operator 1 DEPTHWISE_CONV_2D",
    "rank-1 conv weights": "tensor 17 'functional_1/conv2d/Conv2D'",
    "rank-1 conv weights, per tensor": "operator 0 CONV_2D",
    "bias of 8 values for 64 channels": "operator 0 CONV_2D",
    "output width x4000": "operator 0 CONV_2D", "softmax int32 output": "operator 12 SOFTMAX",
    "no operators": None,
    "two-dimensional bias": "operator 0 CONV_2D", "weights without quantization":
    "operator 0 CONV_2D", "opcode becomes TRANSPOSE_CONV": "operator 12 TRANSPOSE_CONV",
}


@pytest.fixture(scope="module")
def input_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("inputs") / "x.npy"
    np.save(path, np.zeros((1, 49, 10, 1), np.int8))
    return path


@pytest.mark.parametrize("case", list(REPRODUCERS))
def test_reproducer_exit_2_one_line_every_command(case, tmp_path, capsys, input_file):
    edit, words = REPRODUCERS[case]
    path = tmp_path / "bad.tflite"
    path.write_bytes(_edit(edit))
    for argv in (["inspect", str(path)], ["inspect", "--json", str(path)], ["plan", str(path)],
                 ["simulate", str(path), "--input", str(input_file)]):
        code = main(argv)
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert code == 2, (argv, err)
        assert len(lines) == 1 and lines[0].startswith("mcugen: error: "), err
        assert words in lines[0] and str(path) in lines[0], lines[0]
        if WHERE[case]:
            assert WHERE[case] in lines[0], lines[0]
        assert "internal error" not in err


def test_unmodified_model_is_valid(tmp_path):
    path = tmp_path / "ok.tflite"
    path.write_bytes(_edit(lambda model, sg: None))
    validate_graph(load_model(path))


def test_valid_but_undeployable_model_is_described(tmp_path, capsys):
    """inspect refuses invalid files but still describes a valid model mcugen cannot deploy."""
    def to_tanh(model, sg):      # SOFTMAX -> an operator code mcugen has no record for
        code = fb.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.ELU
        code.version = 1
        model.operatorCodes.append(code)
        sg.operators[12].opcodeIndex = len(model.operatorCodes) - 1
        sg.operators[12].builtinOptionsType = 0
        sg.operators[12].builtinOptions = None
    path = tmp_path / "elu.tflite"
    path.write_bytes(_edit(to_tanh))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "not yet deployable" in out and "ELU" in out


def test_size_limit_is_configurable(monkeypatch):
    data = KWS.read_bytes()
    monkeypatch.setenv("MCUGEN_MAX_TENSOR_BYTES", "4096")
    with pytest.raises(InputError, match=r"needs [\d,]+ bytes, more than the limit of 4,096"):
        parse_model(data)
    monkeypatch.setenv("MCUGEN_MAX_TENSOR_BYTES", "lots")
    with pytest.raises(InputError, match="MCUGEN_MAX_TENSOR_BYTES"):
        parse_model(data)
    monkeypatch.delenv("MCUGEN_MAX_TENSOR_BYTES")
    parse_model(data)


def test_huge_declared_shape_refused_before_allocating():
    """A one-field change declaring a 2^40-element tensor is refused with its size."""
    data = _edit(_set("shape", [1, 1 << 20, 1 << 20, 64], tensor=30))
    with pytest.raises(InputError, match=r"needs 70,368,744,177,664 bytes.*tensor 30 "):
        parse_model(data)


def test_shared_buffer_read_once():
    """Many tensors referencing one buffer share its array instead of copying it per tensor."""
    def many(model, sg):
        w = sg.tensors[18]
        for k in range(200):
            t = fb.TensorT()
            t.shape, t.type, t.buffer, t.name = list(w.shape), w.type, w.buffer, f"copy{k}"
            sg.tensors.append(t)
    graph = parse_model(_edit(many))
    copies = [t for t in graph.tensors if t.name.startswith("copy")]
    assert len(copies) == 200
    assert all(np.shares_memory(t.data, graph.tensors[18].data) for t in copies)
    assert math.prod(copies[0].shape) == 4096


@pytest.mark.parametrize("opcode", ["QUANTIZE", "DEQUANTIZE"])
def test_float_to_float_quantize_refused(tmp_path, capsys, opcode):
    """Found by the long fuzz run: an opcode changed to QUANTIZE in a float model (float32 in and
    out, no quantization parameters) crashed `simulate`."""
    from mcugen.model import serialize_model
    from mcugen.model.builder import GraphBuilder
    b = GraphBuilder("q")
    x = b.input("x", (1, 4), np.float32)
    y = b.tensor("y", (1, 4), np.float32)
    b.op(opcode, [x], [y])
    b.output(y)
    path = tmp_path / "q.tflite"
    path.write_bytes(serialize_model(b.build()))
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((1, 4), np.float32))
    for command in (["simulate", str(path), "--input", str(data)], ["plan", str(path)],
                    ["inspect", str(path)]):
        capsys.readouterr()
        assert main(command) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "not an integer type" in err[0], err


@pytest.mark.parametrize("opcode", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
def test_float_pool_with_quantized_output_runs(tmp_path, capsys, opcode):
    """Found by the long fuzz run: quantization parameters on a float pool's output (a scale
    added to mnist1d_tcn/float.tflite and resnet8_float.tflite) crashed `simulate` (KeyError
    float32); TFLM's float kernel ignores them, so does mcugen's."""
    from mcugen.model import serialize_model
    from mcugen.model.builder import GraphBuilder
    b = GraphBuilder("pool")
    x = b.input("x", (1, 4, 4, 2), np.float32)
    y = b.tensor("y", (1, 2, 2, 2), np.float32, scale=0.5, zero_point=0)
    b.op(opcode, [x], [y], "Pool2DOptions", padding="VALID", stride_w=2, stride_h=2,
         filter_width=2, filter_height=2, fused_activation_function="RELU")
    b.output(y)
    path = tmp_path / "pool.tflite"
    path.write_bytes(serialize_model(b.build()))
    data = tmp_path / "x.npy"
    np.save(data, np.arange(-16, 16, dtype=np.float32).reshape(1, 4, 4, 2))
    for command in (["simulate", str(path), "--input", str(data)], ["plan", str(path)],
                    ["inspect", str(path)]):
        assert main(command) == 0, command


def test_names_are_printed_as_they_are(tmp_path, capsys):
    """Found by the long fuzz run: a tensor name that rich reads as markup (a closing tag
    "[/...]" from a garbled name) crashed `plan` and `inspect` (MarkupError); names are text."""
    from mcugen.model import serialize_model
    from mcugen.model.builder import GraphBuilder
    name = "[/x] [bold]y :smile:"
    b = GraphBuilder("names")
    x = b.input(name, (1, 4), np.int8, scale=0.1)
    y = b.tensor("y", (1, 4), np.int8, scale=0.1)
    b.op("RELU", [x], [y])
    b.output(y)
    path = tmp_path / "names.tflite"
    path.write_bytes(serialize_model(b.build()))
    for command in (["inspect", str(path)], ["plan", str(path)]):
        capsys.readouterr()
        assert main(command) == 0, command
        assert name in capsys.readouterr().out.replace("\n", ""), command


def test_odd_space_to_batch_paddings_refused(tmp_path, capsys):
    """Found by the long fuzz run: an opcode turned into SPACE_TO_BATCH_ND whose paddings hold 3
    values crashed `simulate` (ValueError from a reshape)."""
    from mcugen.model import serialize_model
    from mcugen.model.builder import GraphBuilder
    b = GraphBuilder("s2b")
    x = b.input("x", (1, 4, 4, 1), np.float32)
    y = b.tensor("y", (4, 2, 2, 1), np.float32)
    b.op("SPACE_TO_BATCH_ND", [x, b.const("block", np.array([2, 2], np.int32)),
                               b.const("pads", np.array([0, 0, 0], np.int32))], [y])
    b.output(y)
    path = tmp_path / "s2b.tflite"
    path.write_bytes(serialize_model(b.build()))
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((1, 4, 4, 1), np.float32))
    capsys.readouterr()
    assert main(["simulate", str(path), "--input", str(data)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "paddings has 3 values" in err[0], err


def _model_file(tmp_path, build):
    from mcugen.model import serialize_model
    from mcugen.model.builder import GraphBuilder
    b = GraphBuilder("m")
    build(b)
    path = tmp_path / "m.tflite"
    path.write_bytes(serialize_model(b.build()))
    return path


def _int32_mul(b):
    x = b.input("x", (1, 4), np.int8, scale=0.1)
    n = b.input("n", (1, 4), np.int32)
    y = b.tensor("y", (1, 4), np.int8, scale=0.1)
    b.op("MUL", [x, n], [y], "MulOptions", fused_activation_function="NONE")
    b.output(y)


def _int32_quantize(b):
    x = b.input("x", (1, 4), np.int32)
    y = b.tensor("y", (1, 4), np.int16, scale=0.1)
    b.op("QUANTIZE", [x], [y], "QuantizeOptions")
    b.output(y)


def _tiny_scale_relu6(b):
    x = b.input("x", (1, 4), np.int8, scale=0.1)
    y = b.tensor("y", (1, 4), np.int8, scale=9.18e-41)
    b.op("ADD", [x, x], [y], "AddOptions", fused_activation_function="RELU6",
         pot_scale_int16=False)
    b.output(y)


@pytest.mark.parametrize("build,inspect_code,message", [
    (_int32_mul, 0, "unsupported operator MUL (int32) at index 0"),
    (_int32_quantize, 2, "int32 tensor 0 'x' has no quantization parameters"),
    (_tiny_scale_relu6, 2, "the activation bound 6.0 at scale 9.18e-41 does not fit int32"),
])
def test_long_run_finds_refused_in_one_line(tmp_path, capsys, build, inspect_code, message):
    """Found by the long fuzz run (seeds 5112, 5117): a tensor's type edited to int32 where an
    operator reads it as data (MUL: int32 was taken for a parameter input, so an int8 kernel
    would have read its bytes; QUANTIZE), and a RELU6 output scale near float32's smallest
    (6 / scale is infinite), crashed inspect/plan/simulate. An int32 MUL is a valid model mcugen
    does not deploy: inspect describes it (exit 0), plan refuses it."""
    path = _model_file(tmp_path, build)
    capsys.readouterr()
    assert main(["inspect", str(path)]) == inspect_code
    out, err = capsys.readouterr()
    if inspect_code == 0:
        assert "not yet deployable: MUL at 0" in out
    capsys.readouterr()
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
