"""CMSIS-NN scratch sizes: mcugen's Python formulas against the real C ``*_get_buffer_size``
functions of a user-provided CMSIS-NN tree (env MCUGEN_CMSIS_NN), compiled with the host gcc.

Host gcc defines neither ARM_MATH_DSP nor ARM_MATH_MVEI, so the unsuffixed wrappers give the plain
path; the DSP and MVE paths are the public ``_dsp`` / ``_mve`` functions. Like an arm-none-eabi-gcc
build, host gcc is not armclang, so the compiler-dependent branches match what mcugen targets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mcugen.model import load_model
from mcugen.plan import scratch_bytes
from mcugen.ops.cmsis_nn_scratch import (ConvParams, Dims, avgpool_s8_get_buffer_size,
                                 convolve_wrapper_s8_get_buffer_size,
                                 convolve_wrapper_s16_get_buffer_size,
                                 depthwise_conv_wrapper_s8_get_buffer_size,
                                 depthwise_conv_wrapper_s16_get_buffer_size,
                                 fully_connected_s8_get_buffer_size)
from tests.oracle import INT8_MODELS, shared_model

VARIANTS = ("plain", "dsp", "mve")

_PROGRAM = r"""
#include <stdio.h>
#include "arm_nnfunctions.h"

int main(void) {
    int kind;
    while (scanf("%d", &kind) == 1) {
        int v[16];
        int count = kind == 2 || kind == 3 || kind == 6 ? 2 : 16;
        for (int i = 0; i < count; i++) if (scanf("%d", &v[i]) != 1) return 2;
        if (kind == 4 || kind == 5) {        /* s16 conv / depthwise (16x8) */
            cmsis_nn_dims in = {v[0], v[1], v[2], v[3]};
            cmsis_nn_dims f = {1, v[4], v[5], v[6]};
            cmsis_nn_dims out = {v[0], v[7], v[8], v[9]};
            cmsis_nn_tile stride = {v[11], v[10]}, pad = {v[13], v[12]}, dil = {v[15], v[14]};
            cmsis_nn_activation act = {-32768, 32767};
            if (kind == 4) {
                cmsis_nn_conv_params p = {0, 0, stride, pad, dil, act};
                printf("%ld %ld %ld\n",
                       (long)arm_convolve_wrapper_s16_get_buffer_size(&p, &in, &f, &out),
                       (long)arm_convolve_wrapper_s16_get_buffer_size_dsp(&p, &in, &f, &out),
                       (long)arm_convolve_wrapper_s16_get_buffer_size_mve(&p, &in, &f, &out));
            } else {
                cmsis_nn_dw_conv_params p = {0, 0, v[9] / v[3], stride, pad, dil, act};
                printf("%ld %ld %ld\n",
                       (long)arm_depthwise_conv_wrapper_s16_get_buffer_size(&p, &in, &f, &out),
                       (long)arm_depthwise_conv_wrapper_s16_get_buffer_size_dsp(&p, &in, &f, &out),
                       (long)arm_depthwise_conv_wrapper_s16_get_buffer_size_mve(&p, &in, &f, &out));
            }
        } else if (kind == 0 || kind == 1) {
            cmsis_nn_dims in = {v[0], v[1], v[2], v[3]};
            cmsis_nn_dims f = {1, v[4], v[5], v[6]};
            cmsis_nn_dims out = {v[0], v[7], v[8], v[9]};
            cmsis_nn_tile stride = {v[11], v[10]}, pad = {v[13], v[12]}, dil = {v[15], v[14]};
            cmsis_nn_activation act = {-128, 127};
            if (kind == 0) {
                cmsis_nn_conv_params p = {0, 0, stride, pad, dil, act};
                printf("%ld %ld %ld\n",
                       (long)arm_convolve_wrapper_s8_get_buffer_size(&p, &in, &f, &out),
                       (long)arm_convolve_wrapper_s8_get_buffer_size_dsp(&p, &in, &f, &out),
                       (long)arm_convolve_wrapper_s8_get_buffer_size_mve(&p, &in, &f, &out));
            } else {
                cmsis_nn_dw_conv_params p = {0, 0, 1, stride, pad, dil, act};
                printf("%ld %ld %ld\n",
                       (long)arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &in, &f, &out),
                       (long)arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(&p, &in, &f, &out),
                       (long)arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(&p, &in, &f, &out));
            }
        } else if (kind == 2) {
            cmsis_nn_dims f = {v[0], 1, 1, v[1]};
            printf("%ld %ld %ld\n", (long)arm_fully_connected_s8_get_buffer_size(&f),
                   (long)arm_fully_connected_s8_get_buffer_size_dsp(&f),
                   (long)arm_fully_connected_s8_get_buffer_size_mve(&f));
        } else if (kind == 6) {
            printf("%ld %ld %ld\n", (long)arm_avgpool_s16_get_buffer_size(v[0], v[1]),
                   (long)arm_avgpool_s16_get_buffer_size_dsp(v[0], v[1]),
                   (long)arm_avgpool_s16_get_buffer_size_mve(v[0], v[1]));
        } else {
            printf("%ld %ld %ld\n", (long)arm_avgpool_s8_get_buffer_size(v[0], v[1]),
                   (long)arm_avgpool_s8_get_buffer_size_dsp(v[0], v[1]),
                   (long)arm_avgpool_s8_get_buffer_size_mve(v[0], v[1]));
        }
    }
    return 0;
}
"""

_SOURCES = ["Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c",
            "Source/ConvolutionFunctions/arm_depthwise_conv_get_buffer_sizes_s8.c",
            "Source/FullyConnectedFunctions/arm_fully_connected_get_buffer_sizes_s8.c",
            "Source/PoolingFunctions/arm_avgpool_get_buffer_sizes_s8.c",
            "Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s16.c",
            "Source/ConvolutionFunctions/arm_depthwise_conv_get_buffer_sizes_s16.c",
            "Source/PoolingFunctions/arm_avgpool_get_buffer_sizes_s16.c"]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A function: list of request lines -> list of (plain, dsp, mve) from the real C code."""
    root = os.environ.get("MCUGEN_CMSIS_NN")
    if not root:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN source tree to check the scratch "
                    "formulas against the real C functions")
    root = Path(root)
    if not (root / "Include" / "arm_nnfunctions.h").exists():
        pytest.skip(f"MCUGEN_CMSIS_NN={root} is not a CMSIS-NN tree (no Include/arm_nnfunctions.h)")
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not found")
    work = tmp_path_factory.mktemp("cmsis_scratch")
    (work / "main.c").write_text(_PROGRAM)
    exe = work / "sizes"
    cmd = ["gcc", "-O1", "-std=c99", "-w", f"-I{root / 'Include'}", str(work / "main.c"),
           *[str(root / s) for s in _SOURCES], "-o", str(exe)]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-2000:]

    def ask(lines: list[str]) -> list[tuple[int, int, int]]:
        done = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [tuple(int(x) for x in row.split()) for row in done.stdout.splitlines()]
    return ask


def _out_and_pad(size: int, k: int, s: int, d: int, same: bool) -> tuple[int, int]:
    # TFLM's ComputeOutSize / ComputePaddingWithOffset, written out here independently.
    eff = (k - 1) * d + 1
    out = (size + s - 1) // s if same else (size - eff + s) // s
    pad = max((out - 1) * s + eff - size, 0) // 2
    return out, pad


def _conv_cases(rng: np.random.Generator, count: int, depthwise: bool):
    cases = []
    for _ in range(count):
        h = int(rng.choice([1, 1, 2, 5, 12]))
        w = int(rng.integers(1, 20))
        c = int(rng.choice([1, 1, 2, 3, 4, 8, 16, 27, 64]))
        fh = 1 if h == 1 and rng.random() < 0.7 else int(rng.integers(1, min(h, 5) + 1))
        fw = int(rng.integers(1, min(w, 7) + 1))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        dh = dw = 1 if rng.random() < 0.8 else 2
        if (fh - 1) * dh + 1 > h or (fw - 1) * dw + 1 > w:
            dh = dw = 1
        same = bool(rng.random() < 0.5)
        oh, ph = _out_and_pad(h, fh, sh, dh, same)
        ow, pw = _out_and_pad(w, fw, sw, dw, same)
        n = 1 if rng.random() < 0.9 else 2
        oc = c * int(rng.choice([1, 1, 2, 8])) if depthwise else int(rng.integers(1, 40))
        fc = oc if depthwise else c
        cases.append((n, h, w, c, fh, fw, fc, oh, ow, oc, sh, sw, ph, pw, dh, dw))
    return cases


def _python(kind: int, v) -> tuple[int, ...]:
    if kind in (4, 5):
        n, h, w, c, fh, fw, fc, oh, ow, oc, sh, sw, ph, pw, dh, dw = v
        i, f = Dims(n, h, w, c), Dims(1, fh, fw, fc)
        if kind == 4:
            return tuple(convolve_wrapper_s16_get_buffer_size(var, i, f) for var in VARIANTS)
        p = ConvParams(sh, sw, ph, pw, dh, dw)
        return tuple(depthwise_conv_wrapper_s16_get_buffer_size(var, p, i, f, oc // c)
                     for var in VARIANTS)
    if kind in (0, 1):
        n, h, w, c, fh, fw, fc, oh, ow, oc, sh, sw, ph, pw, dh, dw = v
        i, f, o = Dims(n, h, w, c), Dims(1, fh, fw, fc), Dims(n, oh, ow, oc)
        p = ConvParams(sh, sw, ph, pw, dh, dw)
        fn = convolve_wrapper_s8_get_buffer_size if kind == 0 else \
            depthwise_conv_wrapper_s8_get_buffer_size
        return tuple(fn(var, p, i, f, o) for var in VARIANTS)
    if kind == 2:
        return tuple(fully_connected_s8_get_buffer_size(var, Dims(v[0], 1, 1, v[1]))
                     for var in VARIANTS)
    return tuple(avgpool_s8_get_buffer_size(var, v[0], v[1]) for var in VARIANTS)  # s8 and s16


@pytest.mark.cmsis_nn
def test_formulas_match_real_cmsis_nn(real):
    rng = np.random.default_rng(7)
    requests = [(0, v) for v in _conv_cases(rng, 400, False)]
    requests += [(1, v) for v in _conv_cases(rng, 400, True)]
    requests += [(2, (int(rng.integers(1, 2000)), int(rng.integers(1, 300)))) for _ in range(50)]
    requests += [(3, (int(rng.integers(1, 50)), int(rng.integers(1, 300)))) for _ in range(50)]
    requests += [(4, v) for v in _conv_cases(rng, 200, False)]
    requests += [(5, v) for v in _conv_cases(rng, 200, True)]
    requests += [(6, (int(rng.integers(1, 50)), int(rng.integers(1, 300)))) for _ in range(50)]
    got = real([" ".join(map(str, (k, *v))) for k, v in requests])
    assert len(got) == len(requests)
    mismatches = [(k, v, c, _python(k, v)) for (k, v), c in zip(requests, got)
                  if _python(k, v) != c]
    assert not mismatches, mismatches[:5]
    # the sample must exercise the non-trivial paths, or the comparison proves little
    assert sum(1 for (k, v), c in zip(requests, got) if k == 1 and v[3] == 1 and c[2]) > 5
    assert sum(1 for (k, v), c in zip(requests, got) if k == 0 and v[1] == 1 and c[2]) > 5


_CPU_OF = {"plain": "cortex-m3", "dsp": "cortex-m4", "mve": "cortex-m55"}


@pytest.mark.cmsis_nn
@pytest.mark.parametrize("rel", INT8_MODELS + ["real_data/digits_dscnn/tf_16x8.tflite"])
def test_model_scratch_matches_real_cmsis_nn(real, rel):
    """Per op of a real model, with dims derived the way TFLM's CMSIS-NN glue derives them
    (16x8: the s16 conv and depthwise formulas)."""
    graph = load_model(shared_model(rel))
    lines, ops = [], []
    for op in graph.operators:
        s16 = graph.tensors[op.inputs[0]].dtype == np.int16
        if op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D"):
            continue
        x, y = graph.tensors[op.inputs[0]].shape, graph.tensors[op.outputs[0]].shape
        o = op.options
        if op.opcode == "AVERAGE_POOL_2D":
            lines.append(f"{6 if s16 else 3} {y[2]} {y[3]}")
        else:
            w = graph.tensors[op.inputs[1]].shape
            sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
            dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
            same = o.get("padding") == "SAME"
            ph = _out_and_pad(x[1], w[1], sh, dh, same)[1]
            pw = _out_and_pad(x[2], w[2], sw, dw, same)[1]
            depthwise = op.opcode == "DEPTHWISE_CONV_2D"
            fc = y[3] if depthwise else w[3]
            lines.append(" ".join(map(str, (int(depthwise) + 4 * s16, *x, w[1], w[2], fc, y[1],
                                            y[2], y[3],
                                            sh, sw, ph, pw, dh, dw))))
        ops.append(op)
    if not ops:
        pytest.skip(f"{rel} has no op with CMSIS-NN scratch")
    for op, sizes in zip(ops, real(lines)):
        for var, size in zip(VARIANTS, sizes):
            assert scratch_bytes(graph, op, "cmsis-nn", _CPU_OF[var]) == size, (op.index, var)


def test_portable_kernels_need_no_scratch():
    graph = load_model(shared_model("mlperf_tiny/vww_96_int8.tflite"))
    assert all(scratch_bytes(graph, op, "portable", cpu) == 0 for op in graph.operators
               for cpu in _CPU_OF.values())


def test_mve_depthwise_with_one_input_channel_needs_scratch():
    """micro_speech's depthwise conv (1 -> 8 channels, 10x8 filter) runs as a regular conv on
    MVE (GCC builds) and stores the transposed filter in the scratch buffer:
    im2col 4 * ceil(80 / 16) * 16 = 320 bytes + the 8 * 10 * 8 filter = 960 bytes."""
    graph = load_model(shared_model("tflm/micro_speech_int8.tflite"))
    dw = next(op for op in graph.operators if op.opcode == "DEPTHWISE_CONV_2D")
    assert graph.tensors[dw.inputs[0]].shape[3] == 1 and graph.tensors[dw.outputs[0]].shape[3] == 8
    assert scratch_bytes(graph, dw, "cmsis-nn", "cortex-m55") == 960
    assert scratch_bytes(graph, dw, "cmsis-nn", "cortex-m4") == 0
