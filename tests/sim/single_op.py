"""Shared pieces of the single-operator property tests: the check that runs a GraphBuilder model in
TFLM and in the simulator, and the one-input model builder. Their strategies are in
tests/strategies.py, their budgets in the hypothesis profiles of tests/conftest.py.
"""

from __future__ import annotations

import numpy as np

from mcugen.model.builder import GraphBuilder
from tests.sim.compare import assert_matches_tflm, random_inputs

RUNS_PER_CASE = 3          # random input sets per generated model


def check(graph, seed: int = 0, extra_inputs: list | None = None, runs: int = RUNS_PER_CASE):
    """Every tensor of the single-op graph byte-identical to TFLM on random inputs."""
    rng = np.random.default_rng(seed)
    inputs = [random_inputs(graph, rng) for _ in range(runs)] + list(extra_inputs or [])
    assert_matches_tflm(graph, inputs)


def unary_graph(opcode: str, shape, dtype_in, dtype_out, q_in, q_out, options_type=None,
                version=None, **options):
    """One-input one-output model; q_* is (scale, zero_point) or None for float tensors."""
    b = GraphBuilder(opcode.lower())
    x = b.input("x", shape, dtype_in, **({} if q_in is None else
                                         {"scale": q_in[0], "zero_point": q_in[1]}))
    y = b.tensor("y", shape, dtype_out, **({} if q_out is None else
                                           {"scale": q_out[0], "zero_point": q_out[1]}))
    b.op(opcode, [x], [y], options_type, version=version, **options)
    b.output(y)
    return b.build()


def draw_lstm_graph(data, dtype, steps: int = 5, n_input: int = 9, n_state: int = 10,
                    weight_scale: tuple[float, float] = (-10.0, -4.0)):
    """A single-op LSTM drawn by hypothesis (``data``: st.data()), the dimensions up to the
    given bounds; the one case builder of the LSTM property, C and CMSIS-NN tests."""
    from hypothesis import strategies as st
    from tests.strategies import pow2_scales
    return lstm_graph(
        dtype,
        batch=data.draw(st.integers(1, 3), "batch"),
        steps=data.draw(st.integers(1, steps), "steps"),
        n_input=data.draw(st.integers(1, n_input), "n_input"),
        n_state=data.draw(st.integers(1, n_state), "n_state"),
        time_major=data.draw(st.booleans(), "time_major"),
        cell_clip=data.draw(st.sampled_from([0.0, 0.5, 3.0, 10.0]), "cell_clip"),
        cell_power=data.draw(st.integers(-14, -9), "cell_power"),
        seed=data.draw(st.integers(0, 2 ** 16), "seed"),
        weight_scale=data.draw(pow2_scales(*weight_scale), "weight_scale"),
        input_q=(data.draw(pow2_scales(-8.0, -2.0), "input_scale"),
                 data.draw(st.integers(-20, 20), "input_zp")),
        hidden_q=(data.draw(pow2_scales(-9.0, -5.0), "hidden_scale"),
                  data.draw(st.integers(-10, 10), "hidden_zp")))


def lstm_graph(dtype=np.int8, batch: int = 1, steps: int = 5, n_input: int = 6,
               n_state: int = 4, time_major: bool = False, cell_clip: float = 10.0,
               cell_power: int = -11, seed: int = 0, weight_scale: float = 0.02,
               input_q=(0.05, -3), hidden_q=(0.008, 2)):
    """A one-operator UNIDIRECTIONAL_SEQUENCE_LSTM as the TF converter writes it: the 24 inputs
    (CIFG, peephole, projection and layer norm absent), hidden and cell state as variable
    tensors; int8 (int32 biases, int16 cell state at 2^cell_power), 16x8 (int16 activations with
    zero point 0, int64 biases) or float32."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    fl = dtype == np.float32
    b = GraphBuilder(f"lstm_{dtype.name}")
    q = (lambda s, zp: {}) if fl else (
        lambda s, zp: {"scale": s, "zero_point": 0 if dtype == np.int16 else zp})
    shape = (steps, batch, n_input) if time_major else (batch, steps, n_input)
    x = b.input("x", shape, dtype, **q(*input_q))
    bias_dtype = np.float32 if fl else (np.int64 if dtype == np.int16 else np.int32)

    def weights(name, cols):
        if fl:
            return b.const(name, rng.normal(0, 0.4, (n_state, cols)).astype(np.float32))
        return b.const(name, rng.integers(-127, 128, (n_state, cols)).astype(np.int8),
                       scale=weight_scale, zero_point=0)

    def bias(name):
        if fl:
            return b.const(name, rng.normal(0, 0.3, n_state).astype(np.float32))
        s = input_q[0] * weight_scale
        return b.const(name, rng.integers(-4000, 4000, n_state).astype(bias_dtype), scale=s,
                       zero_point=0)

    w_in = [weights(f"w_in_{g}", n_input) for g in "ifco"]
    w_rec = [weights(f"w_rec_{g}", n_state) for g in "ifco"]
    biases = [bias(f"b_{g}") for g in "ifco"]
    h = b.tensor("hidden", (batch, n_state), dtype, **q(*hidden_q))
    c = b.tensor("cell", (batch, n_state), np.float32 if fl else np.int16,
                 **({} if fl else {"scale": 2.0 ** cell_power, "zero_point": 0}))
    b.tensors[h].is_variable = True
    b.tensors[c].is_variable = True
    y_shape = (steps, batch, n_state) if time_major else (batch, steps, n_state)
    y = b.tensor("y", y_shape, dtype, **q(*hidden_q))
    inputs = [x, *w_in, *w_rec, -1, -1, -1, *biases, -1, -1, h, c, -1, -1, -1, -1]
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y], "UnidirectionalSequenceLSTMOptions",
         fused_activation_function="TANH", cell_clip=cell_clip, proj_clip=0.0,
         time_major=time_major, asymmetric_quantize_inputs=False,
         diagonal_recurrent_tensors=False)
    b.output(y)
    return b.build()


def svdf_graph(dtype=np.int8, state_dtype=np.int16, batch: int = 1, n_input: int = 6,
               n_unit: int = 3, rank: int = 2, memory: int = 4, bias: bool = True,
               activation: str = "NONE", seed: int = 0, input_q=(0.05, -3),
               feature_scale: float = 0.01, state_q=(0.02, 0), time_scale: float = 0.01,
               output_q=(0.05, 5)):
    """A one-operator SVDF as TFLM reads it: input [batch, n_input], feature weights
    [units*rank, n_input], time weights [units*rank, memory], bias [units], the activation state
    [batch, memory*units*rank] as a variable tensor; int8 with an int8 or int16 state (time
    weights of the same type) or float32."""
    rng = np.random.default_rng(seed)
    fl = np.dtype(dtype) == np.float32
    b = GraphBuilder(f"svdf_{np.dtype(dtype).name}")
    q = (lambda s, zp: {}) if fl else (lambda s, zp: {"scale": s, "zero_point": zp})
    n_filter = n_unit * rank
    x = b.input("x", (batch, n_input), dtype, **q(*input_q))
    if fl:
        wf = b.const("wf", rng.normal(0, 0.5, (n_filter, n_input)).astype(np.float32))
        wt = b.const("wt", rng.normal(0, 0.5, (n_filter, memory)).astype(np.float32))
        bb = b.const("b", rng.normal(0, 0.5, n_unit).astype(np.float32)) if bias else -1
        st = b.tensor("state", (batch, memory * n_filter), np.float32)
    else:
        wf = b.const("wf", rng.integers(-127, 128, (n_filter, n_input)).astype(np.int8),
                     scale=feature_scale, zero_point=0)
        info = np.iinfo(state_dtype)
        wt = b.const("wt", rng.integers(-info.max, info.max + 1, (n_filter, memory))
                     .astype(state_dtype), scale=time_scale, zero_point=0)
        s_b = float(np.float32(state_q[0]) * np.float32(time_scale))
        bb = b.const("b", rng.integers(-20000, 20000, n_unit).astype(np.int32), scale=s_b,
                     zero_point=0) if bias else -1
        st = b.tensor("state", (batch, memory * n_filter), state_dtype,
                      scale=state_q[0], zero_point=state_q[1])
    b.tensors[st].is_variable = True
    y = b.tensor("y", (batch, n_unit), dtype, **q(*output_q))
    b.op("SVDF", [x, wf, wt, bb, st], [y], "SVDFOptions", rank=rank,
         fused_activation_function=activation, asymmetric_quantize_inputs=False)
    b.output(y)
    return b.build()
