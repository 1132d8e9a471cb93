"""What every optimiser test checks: the original graph agrees with TFLM (the oracle) tensor by
tensor, the rewrite applied (or not), and the simulator's outputs of the rewritten graph are the
original's byte for byte; the rewritten graph written back to .tflite (explicit padding as PAD)
agrees with TFLM too."""

from __future__ import annotations

import numpy as np

from mcugen.model import serialize_model
from mcugen.model.builder import GraphBuilder
from mcugen.optimize import optimize
from mcugen.sim import Simulator
from tests.sim.compare import assert_matches_tflm, random_inputs


def sample_inputs(graph, runs: int = 3, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [random_inputs(graph, rng) for _ in range(runs)]


def tflite_outputs(graph, inputs_list) -> list[bytes] | None:
    """The original graph in TFLite's reference kernels (ai_edge_litert, not a dependency of
    mcugen: used where it is installed), else None."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        return None
    it = Interpreter(model_content=serialize_model(graph),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    result = []
    for inputs in inputs_list:
        for detail, x in zip(it.get_input_details(), inputs):
            it.set_tensor(detail["index"], x)
        it.invoke()
        result.append(b"".join(np.ascontiguousarray(it.get_tensor(d["index"])).tobytes()
                               for d in it.get_output_details()))
    return result


def outputs(graph, inputs_list) -> list[bytes]:
    sim = Simulator(graph)
    return [b"".join(np.ascontiguousarray(o).tobytes() for o in sim.run(inputs).outputs)
            for inputs in inputs_list]


def check_rewrite(graph, rewrite: str, applies: bool = True, runs: int = 3, seed: int = 0,
                  oracle_original: bool = True):
    """Optimise ``graph``; assert ``rewrite`` applied (or not) and the outputs are unchanged."""
    inputs = sample_inputs(graph, runs, seed)
    if oracle_original:
        assert_matches_tflm(graph, inputs)
    result = optimize(graph)
    names = [a.rewrite for a in result.applied]
    if applies:
        assert rewrite in names, names
        if oracle_original:
            assert outputs(result.graph, inputs) == outputs(graph, inputs)
        else:   # the original has no oracle in TFLM: TFLite's reference kernels, when present
            expected = tflite_outputs(graph, inputs)
            if expected is not None:
                assert outputs(result.graph, inputs) == expected
        assert_matches_tflm(result.graph, inputs)   # written back: PAD re-created where needed
    else:
        assert rewrite not in names, [a.what for a in result.applied]
    return result


def q(b: GraphBuilder, name, shape, scale=0.05, zp=0, dtype=np.int8, inp=False):
    make = b.input if inp else b.tensor
    return make(name, shape, dtype, scale=scale, zero_point=zp)


def conv_weights(rng, cout, kh, kw, cin):
    return rng.integers(-127, 128, size=(cout, kh, kw, cin)).astype(np.int8)


def add_conv(b, rng, x, out, cout, kh, kw, cin, opcode="CONV_2D", act="NONE", **options):
    if opcode == "CONV_2D":
        w = b.const(f"w{out}", conv_weights(rng, cout, kh, kw, cin),
                    scale=np.full(cout, 0.01, np.float32), zero_point=0, axis=0)
        b_ = b.const(f"b{out}", rng.integers(-500, 500, size=cout).astype(np.int32),
                     scale=np.full(cout, 0.05 * 0.01, np.float32), zero_point=0)
        opts = "Conv2DOptions"
    else:
        w = b.const(f"w{out}", rng.integers(-127, 128, size=(1, kh, kw, cout)).astype(np.int8),
                    scale=np.full(cout, 0.01, np.float32), zero_point=0, axis=3)
        b_ = b.const(f"b{out}", rng.integers(-500, 500, size=cout).astype(np.int32),
                     scale=np.full(cout, 0.05 * 0.01, np.float32), zero_point=0)
        opts = "DepthwiseConv2DOptions"
        options.setdefault("depth_multiplier", cout // cin)
    options.setdefault("padding", "VALID")
    options.setdefault("stride_h", 1)
    options.setdefault("stride_w", 1)
    return b.op(opcode, [x, w, b_], [out], opts, fused_activation_function=act, **options)
