"""Code generation: a quantized graph and its memory plan → C sources calling a kernel library.

``render_model`` is the entry point used by ``mcugen generate`` and ``mcugen build``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..model.graph import Graph
from ..model.summary import classify
from ..ops.float_island import check_float_target, float_layers
from ..ops.registry import BACKENDS, assign_backends, refuse_unimplemented_dtypes
from .render import RenderedModel, c_identifier, copy_runtime, render_sources, write_files

__all__ = ["RenderedModel", "render_model", "c_identifier", "check_deployable"]

_PORTABLE_RUNTIME = ["runtime/mcugen_model_api.h", "kernels/portable/mcugen_kernels.h",
                     "kernels/portable/mcugen_kernels.c"]
_FAST_RUNTIME = ["kernels/mcugen/mcugen_simd.h", "kernels/mcugen/mcugen_fast.h",
                 "kernels/mcugen/mcugen_fast.c", "kernels/mcugen/mcugen_fused.c"]
_FLOAT_IO_RUNTIME = ["kernels/portable/mcugen_float_io.h", "kernels/portable/mcugen_float_io.c"]
_FLOAT_OPS_RUNTIME = ["kernels/portable/mcugen_float_ops.h",
                      "kernels/portable/mcugen_float_ops.c"]


def check_deployable(graph: Graph, kernels: str, cmsis_nn=None, all_layers: bool = True,
                     board=None) -> None:
    """Refuse, in one line, a model the code generator cannot render with ``kernels`` first:
    an unimplemented dtype, a model that is not full-integer, an unknown backend, the first
    layer no backend of the chain takes (by name), a float island on a ``board`` without an
    FPU. ``build``, ``run`` and ``verify`` call it before they read their inputs or compile
    anything."""
    from .cmsis_nn import kernel_chain
    refuse_unimplemented_dtypes(graph, "the code generator")
    kind, verdict = classify(graph)
    if kind == "int16x8" or (all_layers and kind in _INTEGER):  # the first layer no backend takes
        assign_backends(graph, kernel_chain(kernels, cmsis_nn))
    if kind not in _INTEGER:
        raise InputError(f"the code generator needs a full-integer model; this one is: {verdict}",
                         graph.name)
    if kernels not in BACKENDS:
        raise InputError(f"unknown kernel backend '{kernels}' ({', '.join(BACKENDS)})")
    if board is not None:
        check_float_target(graph, board.cpu, board.fpu, board.name)


_INTEGER = ("int8", "int8-uint8-io", "int8-float-io", "int16x8")


def render_model(graph: Graph, out_dir: str | Path, *, name: str | None = None,
                 kernels: str = "portable", cpu: str = "cortex-m4", cmsis_nn=None, plan=None,
                 debug_keep_all: bool = False, wide_weights: bool = False,
                 fpu: str | None = None, target: str | None = None) -> RenderedModel:
    """Write ``<name>_model.{h,c}``, ``<name>_weights.{h,c}`` and the runtime files to out_dir.
    ``fpu``/``target``: the board's FPU and name, when known (a float island needs an FPU)."""
    from ..plan import plan_memory, validate_plan

    check_deployable(graph, kernels, cmsis_nn, all_layers=False)
    check_float_target(graph, cpu, fpu, target)
    name = c_identifier(name or graph.name)
    out_dir = Path(out_dir)
    if plan is None:
        from .cmsis_nn import kernel_chain
        plan = plan_memory(graph, kernels=kernel_chain(kernels, cmsis_nn), cpu=cpu,
                           keep_all=debug_keep_all)
    validate_plan(graph, plan)
    # Each layer gets the first backend of the chain that takes it (the plan records which);
    # mcugen's portable kernels are always there for the rest (the linker drops what a model does
    # not call). CMSIS-NN is needed only when some layer got it.
    uses_cmsis_nn = "cmsis-nn" in plan.backends.values()
    if uses_cmsis_nn:
        from .cmsis_nn import find_cmsis_nn
        lib = find_cmsis_nn(cmsis_nn)
        headers, version = ["arm_nnfunctions.h", "mcugen_kernels.h"], lib.version
        text = f"CMSIS-NN {lib.version}"
        library, include_dirs, defines = None, lib.include_dirs(), []
    else:
        headers, text, version = ["mcugen_kernels.h"], "mcugen portable kernels", "portable"
        library, include_dirs, defines = [], [], []
    runtime_files = list(_PORTABLE_RUNTIME)
    if "mcugen" in plan.backends.values():
        headers = headers + ["mcugen_fast.h"]
        runtime_files += _FAST_RUNTIME
        text += " + mcugen generated-layout kernels"
        if wide_weights:
            text += " (int16 weights)"
        version = "mcugen" if version == "portable" else f"mcugen + {version}"
    float_io = any(graph.tensors[i].dtype == np.float32 for i in graph.inputs + graph.outputs)
    island = bool(float_layers(graph))
    if float_io or island:     # the float edges: QUANTIZE from / DEQUANTIZE to float32
        headers = headers + ["mcugen_float_io.h"]
        runtime_files += _FLOAT_IO_RUNTIME
    if island:
        headers = headers + ["mcugen_float_ops.h"]
        runtime_files += _FLOAT_OPS_RUNTIME
        text += " + float32 island kernels"
    files = render_sources(graph, plan, kernels, cpu, name, headers, text, wide_weights)
    if uses_cmsis_nn:   # only the CMSIS-NN sources the model's calls reach
        library = lib.sources_for(files[f"{name}_model.c"], cpu)
    paths = write_files(files, out_dir)
    runtime = copy_runtime(out_dir, runtime_files)
    all_paths = paths + runtime
    sources = _called_sources([p for p in all_paths if p.suffix == ".c"])
    all_paths = [p for p in all_paths if p.suffix != ".c" or p in sources]
    return RenderedModel(
        name=name, out_dir=out_dir, sources=sources,
        headers=[p for p in all_paths if p.suffix == ".h"], include_dirs=[out_dir] + include_dirs,
        defines=defines, library_sources=library, kernels=kernels, kernels_version=version,
        arena_bytes=plan.arena_bytes, plan=plan,
        library_include_dirs=include_dirs, cmsis_nn_root=lib.root if uses_cmsis_nn else None,
        inputs=[(graph.tensors[i].nbytes, str(graph.tensors[i].dtype)) for i in graph.inputs],
        outputs=[(graph.tensors[i].nbytes, str(graph.tensors[i].dtype)) for i in graph.outputs])


def _called_sources(sources: list[Path]) -> list[Path]:
    """The sources without mcugen's portable kernel file when no other source calls one of its
    functions (every layer went to CMSIS-NN or the mcugen backend): the linker would drop it
    anyway, and it is the largest file to compile. Its header stays (the model includes it)."""
    kernels = next((p for p in sources if p.name == "mcugen_kernels.c"), None)
    if kernels is None:
        return sources
    header = kernels.with_suffix(".h").read_text()
    names = set(re.findall(r"\b(mcugen_\w+)\s*\(", header))
    called = set()
    for p in sources:
        if p != kernels and not p.name.endswith("_weights.c"):   # weights: data only
            called.update(re.findall(r"\bmcugen_\w+", p.read_text()))
    if names & called:
        return sources
    kernels.unlink()
    return [p for p in sources if p != kernels]
