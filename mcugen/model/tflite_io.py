"""Read a .tflite file into a :class:`Graph` and write a Graph back to .tflite.

Parsing and serialisation go through the flatc-generated object API (``schema.fb``); this module
only maps between that API and mcugen's graph: enum codes become names, camelCase option fields
become snake_case keys, buffers become numpy arrays. Every problem with the file becomes an
:class:`InputError` naming the file.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np

from ..errors import InputError
from .graph import Graph, Operator, Quantization, Tensor
from .validate import check_tensor_size, max_tensor_bytes, validate_graph
from .schema import (ACTIVATION_NAMES, OPCODE_CODES, OPCODE_NAMES, OPTIONS_CLASSES,
                     OPTIONS_TYPE_NAMES, PADDING_NAMES, TENSOR_TYPE_CODES, TENSOR_TYPE_NAMES,
                     TENSOR_TYPES, fb)

# Option fields whose integer codes are shown by name in the graph.
_ENUM_FIELDS = {"fused_activation_function": ACTIVATION_NAMES, "padding": PADDING_NAMES}
_ENUM_CODES = {key: {v: k for k, v in names.items()} for key, names in _ENUM_FIELDS.items()}
_OPTIONS_CODES = {name: code for code, name in OPTIONS_TYPE_NAMES.items()}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# -- reading --------------------------------------------------------------------------------------

def load_model(path: str | Path) -> Graph:
    """Read a .tflite (or .onnx: :mod:`.onnx_io`) file. Raises InputError with a one-line reason for anything unusable."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", str(path))
    if path.is_dir():
        raise InputError("expected a .tflite file, got a directory", str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", str(path)) from None
    from .onnx_io import is_onnx, parse_onnx
    if is_onnx(data, path):      # the content decides (see is_onnx), not only the extension
        return parse_onnx(data, where=str(path), name=path.stem)
    return parse_model(data, where=str(path), name=path.stem)


def parse_model(data: bytes, where: str = "<bytes>", name: str = "model",
                validate: bool = True) -> Graph:
    """Parse a .tflite flatbuffer; with ``validate`` (the default) the graph is then checked by
    :func:`mcugen.model.validate.validate_graph`, so every stage reads a well-formed graph."""
    if len(data) == 0:
        raise InputError("empty file, not a .tflite model", where)
    if len(data) < 8 or not fb.Model.ModelBufferHasIdentifier(data, 0):
        raise InputError("not a .tflite model (no TFL3 flatbuffer identifier)", where)
    try:
        model = fb.ModelT.InitFromPackedBuf(bytearray(data), 0)
        graph = _to_graph(model, name, data)
        if validate:
            validate_graph(graph)
        return graph
    except InputError as exc:  # say which file, then where inside it
        inner = f", {exc.where}" if exc.where and exc.where != name else ""
        raise InputError(exc.message, f"{where}{inner}") from None
    except Exception:  # the flatbuffer runtime raises IndexError/struct.error on garbage
        raise InputError("malformed or truncated .tflite (flatbuffer does not parse)", where) from None


def _to_graph(model: Any, name: str, data: bytes) -> Graph:
    subgraphs = model.subgraphs or []
    if len(subgraphs) != 1:
        raise InputError(f"model has {len(subgraphs)} subgraphs; mcugen deploys "
                         "single-subgraph models", name)
    sg = subgraphs[0]
    buffers = model.buffers or []
    opcodes = model.operatorCodes or []

    tensors = []
    limit = max_tensor_bytes()
    # (buffer index, dtype) -> its flat array: each buffer is read once however many tensors
    # reference it, and every tensor gets a view (a file repeating one reference costs nothing)
    loaded: dict[tuple[int, str], Any] = {}
    for i, t in enumerate(sg.tensors or []):
        dtype = TENSOR_TYPES.get(t.type)
        if dtype is None:
            raise InputError(f"tensor type {TENSOR_TYPE_NAMES.get(t.type, t.type)} is not "
                             "supported", f"tensor {i}")
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
        where = f"tensor {i} '{_decode(t.name)}'"
        if len(shape) > 8 or any(d < 0 for d in shape):
            raise InputError(f"shape {list(shape)} is not a tensor shape (rank <= 8, no "
                             "negative dimension)", where)
        check_tensor_size(shape, dtype.itemsize, where, limit=limit)
        tensor_data = None
        if 0 < t.buffer < len(buffers):
            key = (t.buffer, dtype.str)
            if key not in loaded:
                raw = _buffer_bytes(buffers[t.buffer], data)
                loaded[key] = (np.frombuffer(raw, dtype=np.uint8).copy().view(dtype)
                               if raw is not None and len(raw) % dtype.itemsize == 0 else raw)
            flat = loaded[key]
            if flat is not None and len(flat):
                count = math.prod(shape)
                nbytes = flat.nbytes if isinstance(flat, np.ndarray) else len(flat)
                if nbytes != count * dtype.itemsize:
                    raise InputError(f"buffer holds {nbytes} bytes, shape {list(shape)} "
                                     f"of {dtype} needs {count * dtype.itemsize}", where)
                tensor_data = flat.reshape(shape)     # a view: no copy per reference
        elif t.buffer < 0 or (t.buffer >= len(buffers) and t.buffer != 0):
            raise InputError(f"buffer index {t.buffer} out of range", where)
        tensors.append(Tensor(
            index=i, name=_decode(t.name), shape=shape, dtype=dtype, data=tensor_data,
            quant=_to_quant(t.quantization), is_variable=bool(t.isVariable),
            shape_signature=(tuple(int(d) for d in t.shapeSignature)
                             if t.shapeSignature is not None else None)))

    operators = []
    for i, o in enumerate(sg.operators or []):
        if not 0 <= o.opcodeIndex < len(opcodes):
            raise InputError(f"opcode index {o.opcodeIndex} out of range", f"operator {i}")
        code = opcodes[o.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        options_type = OPTIONS_TYPE_NAMES.get(o.builtinOptionsType) if o.builtinOptionsType else None
        operators.append(Operator(
            index=i, opcode=OPCODE_NAMES.get(builtin, f"BUILTIN_{builtin}"),
            inputs=[int(x) for x in (o.inputs if o.inputs is not None else [])],
            outputs=[int(x) for x in (o.outputs if o.outputs is not None else [])],
            options=_options_to_dict(o.builtinOptions), options_type=options_type,
            version=int(code.version), custom_code=_decode(code.customCode) or None,
            custom_options=(bytes(bytearray(o.customOptions)) if o.customOptions is not None
                            else None),
            intermediates=[int(x) for x in (o.intermediates if o.intermediates is not None
                                            else [])]))
        for t in operators[-1].inputs + operators[-1].outputs:
            if not -1 <= t < len(tensors):
                raise InputError(f"tensor index {t} out of range", f"operator {i}")

    metadata = []
    for m in model.metadata or []:
        raw = _buffer_bytes(buffers[m.buffer], data) if 0 <= m.buffer < len(buffers) else None
        metadata.append((_decode(m.name), bytes(raw) if raw is not None else b""))

    return Graph(tensors=tensors, operators=operators,
                 inputs=[int(x) for x in (sg.inputs if sg.inputs is not None else [])],
                 outputs=[int(x) for x in (sg.outputs if sg.outputs is not None else [])],
                 name=name, description=_decode(model.description),
                 subgraph_name=_decode(sg.name), version=int(model.version),
                 metadata=metadata, signature_defs=list(model.signatureDefs or []))


def _decode(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _buffer_bytes(buffer: Any, data: bytes) -> bytes | None:
    if buffer.data is not None:
        return np.asarray(buffer.data, dtype=np.uint8).tobytes()
    if buffer.offset > 1:  # large models keep buffers after the flatbuffer
        if buffer.size < 0 or buffer.offset + buffer.size > len(data):
            raise InputError("buffer extends past the end of the file")
        return data[buffer.offset:buffer.offset + buffer.size]
    return None


def _to_quant(q: Any) -> Quantization | None:
    if q is None or q.scale is None or len(q.scale) == 0:
        return None
    scale = np.asarray(q.scale, dtype=np.float32)
    zp = (np.asarray(q.zeroPoint, dtype=np.int64) if q.zeroPoint is not None
          else np.zeros(scale.shape, np.int64))
    return Quantization(scale=scale, zero_point=zp, axis=int(q.quantizedDimension),
                        min=np.asarray(q.min, np.float32) if q.min is not None else None,
                        max=np.asarray(q.max, np.float32) if q.max is not None else None)


def _options_to_dict(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    result = {}
    for key, value in vars(options).items():
        key = _snake(key)
        if key in _ENUM_FIELDS:
            value = _ENUM_FIELDS[key].get(value, value)
        elif isinstance(value, np.ndarray):
            value = [int(v) for v in value]
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        result[key] = value
    return result


# -- writing --------------------------------------------------------------------------------------

def save_model(graph: Graph, path: str | Path) -> None:
    data = serialize_model(graph)
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write the model: {exc.strerror}", str(path)) from None


def serialize_model(graph: Graph) -> bytes:
    """Write the graph as a .tflite flatbuffer (one buffer per constant tensor). A conv with
    mcugen's explicit padding is written as PAD + VALID conv (``mcugen/optimize/explicit.py``)."""
    from ..optimize.explicit import lower_explicit
    graph = lower_explicit(graph)
    model = fb.ModelT()
    model.version = graph.version
    model.description = graph.description or "mcugen"
    model.buffers = [fb.BufferT()]  # buffer 0 is the empty sentinel by convention

    opcode_index: dict[tuple, int] = {}
    model.operatorCodes = []
    for op in graph.operators:
        key = (op.opcode, op.version, op.custom_code)
        if key not in opcode_index:
            code = fb.OperatorCodeT()
            builtin = OPCODE_CODES.get(op.opcode)
            if builtin is None:
                raise InputError(f"unknown operator name {op.opcode}", f"operator {op.index}")
            code.builtinCode = builtin
            code.deprecatedBuiltinCode = min(builtin, 127)
            code.version = op.version
            code.customCode = op.custom_code
            opcode_index[key] = len(model.operatorCodes)
            model.operatorCodes.append(code)

    sg = fb.SubGraphT()
    sg.tensors = []
    for t in graph.tensors:
        ft = fb.TensorT()
        ft.shape = list(t.shape)
        ft.type = TENSOR_TYPE_CODES[np.dtype(t.dtype)]
        ft.name = t.name
        ft.isVariable = t.is_variable
        if t.shape_signature is not None:
            ft.shapeSignature = list(t.shape_signature)
        if t.data is not None:
            buf = fb.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(t.data, dtype=t.dtype).tobytes(),
                                     dtype=np.uint8)
            ft.buffer = len(model.buffers)
            model.buffers.append(buf)
        else:
            ft.buffer = 0
        if t.quant is not None:
            q = fb.QuantizationParametersT()
            q.scale = [float(s) for s in t.quant.scale]
            q.zeroPoint = [int(z) for z in t.quant.zero_point]
            q.quantizedDimension = t.quant.axis
            if t.quant.min is not None:
                q.min = [float(v) for v in t.quant.min]
            if t.quant.max is not None:
                q.max = [float(v) for v in t.quant.max]
            ft.quantization = q
        sg.tensors.append(ft)

    sg.operators = []
    for op in graph.operators:
        fo = fb.OperatorT()
        fo.opcodeIndex = opcode_index[(op.opcode, op.version, op.custom_code)]
        fo.inputs = list(op.inputs)
        fo.outputs = list(op.outputs)
        if op.intermediates:
            fo.intermediates = list(op.intermediates)
        if op.options_type:
            code = _OPTIONS_CODES[op.options_type]
            fo.builtinOptionsType = code
            fo.builtinOptions = _dict_to_options(OPTIONS_CLASSES[code], op.options)
        if op.custom_options is not None:
            fo.customOptions = list(op.custom_options)
        sg.operators.append(fo)
    sg.inputs = list(graph.inputs)
    sg.outputs = list(graph.outputs)
    sg.name = graph.subgraph_name or None
    model.subgraphs = [sg]

    if graph.metadata:
        model.metadata = []
        for name, raw in graph.metadata:
            m = fb.MetadataT()
            m.name = name
            m.buffer = len(model.buffers)
            buf = fb.BufferT()
            buf.data = np.frombuffer(raw, dtype=np.uint8) if raw else None
            model.buffers.append(buf)
            model.metadata.append(m)
    if graph.signature_defs:
        model.signatureDefs = graph.signature_defs

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _dict_to_options(cls: type, options: dict[str, Any]) -> Any:
    obj = cls()
    # Map back through the reader's own spelling: _camel() cannot restore a field such as
    # dilationHFactor from "dilation_hfactor", and setattr of a misspelt field is silently lost.
    fields = {_snake(name): name for name in vars(obj)}
    loose = {name.lower(): name for name in vars(obj)}     # also "dilation_h_factor"
    for key, value in options.items():
        if key in _ENUM_CODES and isinstance(value, str):
            value = _ENUM_CODES[key][value]
        field = fields.get(key) or loose.get(key.replace("_", "").lower())
        if field is None:
            raise InputError(f"{cls.__name__} has no option '{key}'")
        setattr(obj, field, value)
    return obj
