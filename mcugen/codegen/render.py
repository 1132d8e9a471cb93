"""Render a quantized graph and its memory plan into C sources through the Jinja templates."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from .. import __version__
from ..errors import InputError, UnsupportedOperatorError
from ..model.graph import Graph
from ..resources import c_constants, templates_dir
from .context import LoweringContext, dims4
from ..ops.registry import backend_chain, choose_backend
from .lowering import lookup, template_path

_ABI = c_constants("runtime/mcugen_model_api.h")     # the ABI's numbers, defined in C
_IO_TYPES = {np.dtype(np.int8): ("int8_t", -128, 127, _ABI["MCUGEN_DTYPE_INT8"]),
             np.dtype(np.uint8): ("uint8_t", 0, 255, _ABI["MCUGEN_DTYPE_UINT8"]),
             np.dtype(np.int16): ("int16_t", -32768, 32767, _ABI["MCUGEN_DTYPE_INT16"]),
             np.dtype(np.int32): ("int32_t", -2 ** 31, 2 ** 31 - 1, _ABI["MCUGEN_DTYPE_INT32"]),
             np.dtype(np.float32): ("float", 0, 0, _ABI["MCUGEN_DTYPE_FLOAT32"])}


@dataclass
class RenderedModel:
    name: str
    out_dir: Path
    sources: list[Path]
    headers: list[Path]
    include_dirs: list[Path]
    defines: list[str]
    library_sources: list[Path]
    kernels: str
    kernels_version: str
    arena_bytes: int
    plan: object
    inputs: list[tuple[int, str]] = field(default_factory=list)    # (bytes, dtype name)
    outputs: list[tuple[int, str]] = field(default_factory=list)
    library_include_dirs: list[Path] = field(default_factory=list)   # to compile library_sources
    cmsis_nn_root: Path | None = None      # the CMSIS-NN tree, when a layer calls it


def c_identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name).strip("_").lower() or "model"
    return ident if not ident[0].isdigit() else f"m_{ident}"


_ENVIRONMENT: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """One Jinja environment per process (it caches the compiled templates), whose compiled
    templates are also kept in mcugen's cache folder (``templates/`` beside ``objects/``), keyed
    by each template's text: compiling them was a fifth of a build's Python time."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir())),
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
            trim_blocks=False, lstrip_blocks=False, bytecode_cache=_bytecode_cache())
    return _ENVIRONMENT


def _bytecode_cache():
    from ..firmware.objcache import cache_root
    folder = cache_root() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:      # a read-only home: compile the templates every time
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def _format_array(values: np.ndarray, per_line: int = 24) -> str:
    text = [str(int(v)) for v in values.tolist()]
    lines = [", ".join(text[i:i + per_line]) for i in range(0, len(text), per_line)]
    return ",\n".join("    " + line for line in lines)


def _io(graph: Graph, index: int, plan) -> dict:
    t = graph.tensors[index]
    is_float = t.dtype == np.float32
    if t.dtype not in _IO_TYPES or (t.quant is None and not is_float):
        raise InputError(f"model I/O tensor '{t.name}' is {t.dtype}; the code generator handles "
                         "int8, uint8, int16, int32 and float I/O", graph.name)
    ctype, qmin, qmax, abi = _IO_TYPES[t.dtype]
    scale = float(t.quant.scale[0]) if t.quant is not None else 1.0
    return {"tensor": t, "shape": list(t.shape), "ctype": ctype, "qmin": qmin, "qmax": qmax,
            "abi_dtype": abi, "is_float": is_float,
            "zero_point": int(t.quant.zero_point[0]) if t.quant is not None else 0,
            "scale_text": repr(float(np.float32(scale))), "offset": plan.tensor_offset(index)}


def check_abi_limits(graph: Graph) -> None:
    """The model ABI (mcugen_model_api.h) has room for MCUGEN_MAX_IO inputs and as many outputs."""
    limit = _ABI["MCUGEN_MAX_IO"]
    n_in, n_out = len(graph.inputs), len(graph.outputs)
    if n_in > limit or n_out > limit:
        raise InputError(f"model has {n_in} input{'s' * (n_in != 1)} and {n_out} "
                         f"output{'s' * (n_out != 1)}; mcugen's model ABI holds at most {limit} "
                         "inputs and as many outputs (MCUGEN_MAX_IO in mcugen_model_api.h)",
                         graph.name)


def render_sources(graph: Graph, plan, kernels: str, cpu: str, name: str,
                   kernel_headers: list[str], kernels_text: str,
                   wide_weights: bool = False) -> dict[str, str]:
    """File name -> text of the generated model sources (deterministic)."""
    check_abi_limits(graph)
    env = environment()
    ctx = LoweringContext(graph, plan, kernels, cpu, name, wide_weights=wide_weights)
    layers = []
    for op_index in plan.order:
        op = graph.operators[op_index]
        backend = plan.backends.get(op.index)
        fn = lookup(op.opcode)
        if backend is None or fn is None:
            choose_backend(graph, op, backend_chain(kernels))   # raises, naming why
            raise UnsupportedOperatorError(op.opcode, op.index, graph.name,
                                           stage="no code generator")
        ctx.backend = backend
        params = fn(ctx, op)   # model defects raise InputError; anything else is mcugen's bug
        comment = " -> ".join(f"{_short(graph.tensors[i].name)} {list(graph.tensors[i].shape)}"
                              for i in op.inputs[:1] + op.outputs if i >= 0)
        params.update(op=op, comment=comment.replace("*/", "* /"), NAME=name.upper())
        tpl = env.get_template(template_path(op.opcode, backend))
        layers.append({"op": op, "comment": params["comment"], "backend": backend,
                       "code": tpl.render(**params).rstrip("\n")})
    inputs = [_io(graph, i, plan) for i in graph.inputs]
    outputs = [_io(graph, i, plan) for i in graph.outputs]
    signature = ", ".join([f"const {io['ctype']} *input{k}" for k, io in enumerate(inputs)]
                          + [f"{io['ctype']} *output{k}" for k, io in enumerate(outputs)])
    abi_call = ", ".join([f"(const {io['ctype']} *)inputs[{k}]" for k, io in enumerate(inputs)]
                         + [f"({io['ctype']} *)outputs[{k}]" for k, io in enumerate(outputs)])
    model_hash = graph.fingerprint()
    banner = (f"/* Generated by mcugen {__version__} from model '{graph.name}' "
              f"(graph SHA-256 {model_hash}).\n * Kernels: {kernels_text}. "
              f"Do not edit: regenerate with mcugen. */")
    # (an LSTM's converter intermediates are tensors no operator reads: they have no bytes)
    tensor_table = sorted((t.index, plan.tensor_offset(t.index), t.nbytes)
                          for t in graph.activations() if t.index in plan.aliases)
    constants = [{"name": c.name, "ctype": c.ctype, "length": int(c.values.size),
                  "comment": c.comment.replace("*/", "* /"), "body": _format_array(c.values)}
                 for c in ctx.constants]
    variables = state_resets(graph, plan)
    common = dict(banner=banner, name=name, NAME=name.upper(), inputs=inputs, outputs=outputs,
                  signature=signature, arena_bytes=plan.arena_bytes,
                  state_bytes=sum(v["nbytes"] for v in variables))
    return {
        f"{name}_model.h": env.get_template("model/model.h.j2").render(**common),
        f"{name}_weights.h": env.get_template("model/weights.h.j2").render(
            constants=constants, **common),
        f"{name}_weights.c": env.get_template("model/weights.c.j2").render(
            constants=constants, **common),
        f"{name}_model.c": env.get_template("model/model.c.j2").render(
            layers=layers, kernel_headers=kernel_headers, lower_bound=plan.lower_bound_bytes,
            peak_op=plan.peak_op, model_hash=model_hash, kernels_text=kernels_text,
            abi_call=abi_call, num_tensors=len(graph.tensors), tensor_table=tensor_table,
            generated_kernels=list(ctx.generated.values()), variables=variables, **common),
    }


def state_resets(graph: Graph, plan) -> list[dict]:
    """What ``<name>_reset()`` writes: each variable tensor's arena bytes filled as TFLM's
    ResetVariableTensors does (the plan's state_tensors: an int8 tensor's zero point, else 0),
    the fill byte as the int8_t the C takes."""
    return [{"name": graph.tensors[i].name.replace("*/", "* /"), "offset": offset,
             "nbytes": nbytes, "fill": fill - 256 if fill > 127 else fill}
            for i, offset, nbytes, fill in plan.state_tensors(graph)]


def _short(tensor_name: str) -> str:
    """Converter names join every fused layer with ';': the last part names the tensor."""
    return tensor_name.split(";")[-1][-48:]


def write_files(files: dict[str, str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, text in sorted(files.items()):
        path = out_dir / file_name
        path.write_text(text)
        paths.append(path)
    return paths


def copy_runtime(out_dir: Path, files: list[str]) -> list[Path]:
    """Copy mcugen's own runtime files (ABI header, portable kernels) beside the model."""
    paths = []
    for rel in files:
        src = templates_dir() / rel
        dst = out_dir / Path(rel).name
        shutil.copyfile(src, dst)
        paths.append(dst)
    return paths


__all__ = ["RenderedModel", "c_identifier", "dims4", "render_sources", "write_files",
           "copy_runtime"]
