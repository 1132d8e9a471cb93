"""Fuzz the code behind ``mcugen inspect``, ``plan`` and ``simulate`` with mutated models, and
mcugen's data loaders with mutated data files.

    python benchmarks/fuzz_models.py                      # 300 cases, seed 0
    python benchmarks/fuzz_models.py --cases 100000 --jobs 2 --out fuzz-out/
    python benchmarks/fuzz_models.py --kind onnx          # the shared .onnx models as seeds
    python benchmarks/fuzz_models.py --kind data          # .npy/.npz for --input and --calib

Seeds are the shared models (``../shared/models``, or ``--seeds FILE...``). Each case is one
mutation of one seed: raw (a bit flip, a byte or a 32-bit field overwritten, a flatbuffer offset
moved, a chunk duplicated) or structure-aware through the flatbuffer object API (a shape, dtype,
buffer index, quantization parameter, option, operator input/output, graph input/output,
operator order or opcode changed; a buffer referenced many times). ``.onnx`` seeds get the same
raw mutations and structure-aware ones through the ONNX protobuf (an operator type, attribute,
input or output name, initializer shape, type or bytes, graph input shape, opset; a node
deleted or duplicated). Data seeds (``--kind data``: ``.npy`` and ``.npz`` inputs of
``examples/hello_world_int8.tflite`` and calibration data of the shared float hello_world) get
raw mutations and structure-aware ones of the ``.npy`` header and the zip members (shape, dtype,
byte order, Fortran order, object and complex types, member names, a header claiming 10^12
elements, a member stored twice), run through ``simulate --input`` and ``quantize --calib``. Each case runs in a forked
child with an address-space cap (RLIMIT_AS) and a time limit, through mcugen's own command-line
entry point (``inspect``, ``plan``, ``simulate`` with zero inputs), and is classified:

- ``rejected``: every command refused it with exit 2 and one line;
- ``accepted``: the model validator took it and the commands ran (exit 0, or 2 for what a
  stage refuses, such as an operator mcugen cannot deploy);
- ``crash``: a command ended in an internal error (an exception escaped mcugen);
- ``memory``: a MemoryError, or the child was killed near the memory cap;
- ``hang``: the time limit passed.

Crash, memory and hang cases are written to ``--out`` as ``<class>_<n>.tflite`` with
``<class>_<n>.json`` (seed model, mutation, message, last mcugen frame) to reproduce them with
``mcugen inspect|plan|simulate``. A table of the counts per seed is printed;
:func:`run_fuzz` returns the same figures (the default test tier calls it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import select
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import flatbuffers
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mcugen.model.schema import fb  # noqa: E402

SHARED = REPO.parent / "shared" / "models"
CLASSES = ("rejected", "accepted", "crash", "memory", "hang")
INTERESTING = [0, 1, -1, 2, 3, 7, 8, 28, 42, 127, 128, 255, 256, 999, 4000, 65535, 65536,
               1 << 20, 2 ** 31 - 1, -(2 ** 31)]


# -- mutations ------------------------------------------------------------------------------------
def _pack(model) -> bytes:
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _raw(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    n = len(buf)
    kind = rng.choice(["bitflip", "byte", "field32", "offset", "chunk", "insert"])
    if kind == "bitflip":
        k = rng.randrange(n)
        bit = rng.randrange(8)
        buf[k] ^= 1 << bit
        return bytes(buf), f"bit {bit} of byte {k} flipped"
    if kind == "byte":
        k = rng.randrange(n)
        v = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        buf[k] = v
        return bytes(buf), f"byte {k} := {v:#x}"
    if kind == "field32":
        k = rng.randrange(0, n - 4) & ~3
        v = rng.choice(INTERESTING)
        buf[k:k + 4] = (v & 0xFFFFFFFF).to_bytes(4, "little")
        return bytes(buf), f"u32 at {k} := {v}"
    if kind == "offset":  # an aligned word that looks like a forward offset, moved
        for _ in range(64):
            k = rng.randrange(0, n - 4) & ~3
            v = int.from_bytes(buf[k:k + 4], "little")
            if 4 <= v < n:
                d = rng.choice([-8, -4, 4, 8, 12, 64, -64, n])
                buf[k:k + 4] = ((v + d) & 0xFFFFFFFF).to_bytes(4, "little")
                return bytes(buf), f"offset at {k} {v} -> {v + d}"
        return bytes(buf), "no offset found"
    size = rng.choice([4, 8, 16, 64, 256])
    a, b = rng.randrange(0, max(1, n - size)), rng.randrange(0, max(1, n - size))
    if kind == "chunk":
        buf[b:b + size] = buf[a:a + size]
        return bytes(buf), f"{size} bytes at {a} copied over {b}"
    return bytes(buf[:b] + buf[a:a + size] + buf[b:]), f"{size} bytes at {a} inserted at {b}"


def _name(t) -> str:
    return t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else str(t.name)


def _structured(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    model = fb.ModelT.InitFromPackedBuf(bytearray(data), 0)
    sg = model.subgraphs[0]
    tensors, ops = sg.tensors or [], sg.operators or []
    nt = len(tensors)
    kind = rng.choice(["shape", "shape", "type", "buffer", "quant", "quant", "option", "option",
                       "op_io", "graph_io", "order", "opcode", "refs", "delete"])
    what = kind
    if kind == "shape" and nt:
        t = rng.choice(tensors)
        shape = list(t.shape) if t.shape is not None else []
        if shape and rng.random() < 0.8:
            k = rng.randrange(len(shape))
            shape[k] = rng.choice([0, 1, -1, shape[k] * 2, shape[k] * 4000, 65536, shape[k] + 1,
                                   2 ** 31 - 1])
        elif shape and rng.random() < 0.5:
            shape.pop()
        else:
            shape.append(rng.choice([1, 2]))
        t.shape = shape = [int(d) for d in shape]
        what = f"tensor '{_name(t)}' shape := {shape}"
    elif kind == "type" and nt:
        t = rng.choice(tensors)
        t.type = rng.randrange(0, 18)
        what = f"tensor '{_name(t)}' type := {t.type}"
    elif kind == "buffer" and nt:
        t = rng.choice(tensors)
        t.buffer = rng.choice([0, len(model.buffers) - 1, len(model.buffers), 999999,
                               rng.randrange(len(model.buffers))])
        what = f"tensor '{_name(t)}' buffer := {t.buffer}"
    elif kind == "quant" and nt:
        t = rng.choice([t for t in tensors if t.quantization is not None] or tensors)
        q = t.quantization or fb.QuantizationParametersT()
        t.quantization = q
        field_ = rng.choice(["scale", "zeroPoint", "quantizedDimension"])
        if field_ == "scale":
            q.scale = np.asarray([rng.choice([0.0, float("inf"), float("nan"), -1.0, 1e-30,
                                              1e30])] * rng.choice([1, 1, 3]), np.float32)
        elif field_ == "zeroPoint":
            q.zeroPoint = np.asarray(rng.choice([[], [200], [-129], [0, 0, 0]]), np.int64)
        else:
            q.quantizedDimension = rng.choice([-1, 3, 7, 100])
        what = f"tensor '{_name(t)}' quantization {field_} changed"
    elif kind == "option" and ops:
        op = rng.choice(ops)
        opts = op.builtinOptions
        fields = [k for k, v in vars(opts).items() if isinstance(v, (int, float))
                  and not isinstance(v, bool)] if opts is not None else []
        if fields:
            k = rng.choice(fields)
            v = rng.choice(INTERESTING) if isinstance(getattr(opts, k), int) else \
                rng.choice([0.0, -1.0, float("inf"), float("nan"), 1e30])
            if isinstance(getattr(opts, k), int) and ("padding" in k.lower() or
                                                       "activation" in k.lower()):
                v = rng.choice([0, 1, 5, 6, 28, 42, 255])
            setattr(opts, k, v)
            what = f"operator {ops.index(op)} option {k} := {v}"
        else:
            op.builtinOptionsType = rng.randrange(1, 120)
            what = f"operator {ops.index(op)} options type changed"
    elif kind == "op_io" and ops:
        op = rng.choice(ops)
        lst = rng.choice(["inputs", "outputs"])
        values = list(getattr(op, lst) or [])
        if values:
            k = rng.randrange(len(values))
            values[k] = rng.choice([-1, 999, nt, rng.randrange(nt), values[k] + 1])
            setattr(op, lst, values)
        what = f"operator {ops.index(op)} {lst} := {values}"
    elif kind == "graph_io":
        lst = rng.choice(["inputs", "outputs"])
        values = list(getattr(sg, lst) or [])
        choice = rng.choice([-1, 999, nt, rng.randrange(max(nt, 1))])
        if values and rng.random() < 0.8:
            values[rng.randrange(len(values))] = choice
        else:
            values.append(choice)
        setattr(sg, lst, values)
        what = f"graph {lst} := {values}"
    elif kind == "order" and len(ops) > 1:
        i, j = rng.sample(range(len(ops)), 2)
        if rng.random() < 0.5:
            ops[i], ops[j] = ops[j], ops[i]
            what = f"operators {i} and {j} swapped"
        else:
            ops.insert(j, ops[i])
            what = f"operator {i} duplicated at {j}"
    elif kind == "opcode" and model.operatorCodes:
        code = rng.choice(model.operatorCodes)
        code.builtinCode = code.deprecatedBuiltinCode = rng.randrange(0, 128)
        what = f"an opcode := {code.builtinCode}"
    elif kind == "refs" and nt:
        big = max(tensors, key=lambda t: len(model.buffers[t.buffer].data)
                  if 0 < t.buffer < len(model.buffers) and model.buffers[t.buffer].data
                  is not None else 0)
        for k in range(rng.choice([50, 500])):
            t = fb.TensorT()
            t.shape, t.type, t.buffer, t.name = big.shape, big.type, big.buffer, f"ref{k}"
            tensors.append(t)
        what = f"buffer of '{_name(big)}' referenced by many tensors"
    elif kind == "delete" and ops:
        if rng.random() < 0.2:
            sg.operators = []
            what = "all operators deleted"
        else:
            k = rng.randrange(len(ops))
            del ops[k]
            what = f"operator {k} deleted"
    return _pack(model), what


def _structured_onnx(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    import onnx
    from onnx import TensorProto, helper
    model = onnx.load_from_string(data)
    g = model.graph
    nodes, inits = list(g.node), list(g.initializer)
    kind = rng.choice(["op_type", "attribute", "attribute", "node_io", "graph_io", "init_dims",
                       "init_type", "init_bytes", "input_shape", "opset", "delete", "duplicate"])
    what = kind
    if kind == "op_type" and nodes:
        n = rng.choice(nodes)
        n.op_type = rng.choice(["Conv", "Gemm", "MatMul", "Relu", "Add", "Reshape", "Transpose",
                                "QuantizeLinear", "DequantizeLinear", "Softmax", "Nope", ""])
        what = f"node '{n.name}' op_type := {n.op_type!r}"
    elif kind == "attribute" and nodes:
        n = rng.choice([n for n in nodes if n.attribute] or nodes)
        if n.attribute:
            a = rng.choice(list(n.attribute))
            if a.ints:
                k = rng.randrange(len(a.ints))
                a.ints[k] = rng.choice(INTERESTING)
            elif a.type == onnx.AttributeProto.INT:
                a.i = rng.choice(INTERESTING)
            elif a.type == onnx.AttributeProto.FLOAT:
                a.f = rng.choice([0.0, -1.0, float("inf"), float("nan"), 1e30])
            else:
                a.type = rng.randrange(0, 14)
            what = f"node '{n.name}' attribute {a.name} changed"
        else:
            n.attribute.append(helper.make_attribute(rng.choice(["axis", "group", "perm"]),
                                                     rng.choice([7, [9, 9]])))
            what = f"node '{n.name}' attribute added"
    elif kind == "node_io" and nodes:
        n = rng.choice(nodes)
        lst = n.input if rng.random() < 0.6 or not n.output else n.output
        if len(lst):
            k = rng.randrange(len(lst))
            lst[k] = rng.choice(["", "missing", g.input[0].name if g.input else "x",
                                 nodes[0].output[0] if nodes[0].output else "y"])
        else:
            lst.append("missing")
        what = f"node '{n.name}' io := {list(lst)}"
    elif kind == "graph_io":
        lst = g.output if rng.random() < 0.5 else g.input
        if len(lst) and rng.random() < 0.7:
            lst[rng.randrange(len(lst))].name = rng.choice(["missing", inits[0].name if inits
                                                            else "w", ""])
        else:
            lst.add().name = "extra"
        what = "graph io renamed"
    elif kind in ("init_dims", "init_type", "init_bytes") and inits:
        t = rng.choice(inits)
        if kind == "init_dims":
            dims = list(t.dims)
            if dims:
                dims[rng.randrange(len(dims))] = rng.choice([0, -1, 1, 65536, 2 ** 31 - 1])
            else:
                dims = [rng.choice([0, 3])]
            del t.dims[:]
            t.dims.extend(dims)
            what = f"initializer '{t.name}' dims := {dims}"
        elif kind == "init_type":
            t.data_type = rng.choice([0, TensorProto.INT8, TensorProto.UINT8, TensorProto.INT64,
                                      TensorProto.FLOAT16, TensorProto.STRING,
                                      TensorProto.COMPLEX64, 99])
            what = f"initializer '{t.name}' data_type := {t.data_type}"
        else:
            if t.raw_data:
                t.raw_data = t.raw_data[:rng.randrange(len(t.raw_data))]
            else:
                t.raw_data = b"\x01\x02\x03"
            what = f"initializer '{t.name}' bytes cut"
    elif kind == "input_shape" and g.input:
        inp = rng.choice(list(g.input))
        dims = inp.type.tensor_type.shape.dim
        if len(dims):
            d = dims[rng.randrange(len(dims))]
            d.dim_value = rng.choice([0, 1, 3, 65536, 2 ** 31 - 1])
        else:
            dims.add().dim_value = 4
        what = f"graph input '{inp.name}' shape changed"
    elif kind == "opset" and model.opset_import:
        model.opset_import[0].version = rng.choice([1, 7, 12, 22, 99, 0])
        what = f"opset := {model.opset_import[0].version}"
    elif kind == "delete" and nodes:
        k = rng.randrange(len(nodes))
        del g.node[k]
        what = f"node {k} deleted"
    elif kind == "duplicate" and nodes:
        k = rng.randrange(len(nodes))
        g.node.insert(rng.randrange(len(nodes)), nodes[k])
        what = f"node {k} duplicated"
    return model.SerializeToString(), what


def _npy_header(arr_shape, descr: str, fortran: bool = False, extra: str = "") -> bytes:
    text = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {tuple(arr_shape)}, " \
           f"{extra}}}"
    text += " " * ((64 - (len(text) + 11) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def _structured_npy(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A .npy whose header says something else (the data bytes kept), or an .npz with its
    members renamed, doubled or so re-written."""
    import zipfile
    if data[:2] == b"PK":
        src = zipfile.ZipFile(io.BytesIO(data))
        members = [(i.filename, src.read(i.filename)) for i in src.infolist()]
        kind = rng.choice(["rename", "double", "member", "member", "stored_huge"])
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))\
                as z:
            for k, (name, body) in enumerate(members):
                if kind == "rename" and k == 0:
                    name = rng.choice(["x.npy", "arr_9.npy", "arr_0", "../arr_0.npy", ""])
                if kind == "member" and k == 0:
                    body, _ = _structured_npy(body, rng)
                if kind == "stored_huge" and k == 0:
                    body = _npy_header((10 ** 6, 10 ** 6), "<f4") + body[128:]
                z.writestr(name or "noname", body)
                if kind == "double" and k == 0:
                    z.writestr(name + "_", body)
        return out.getvalue(), f"npz {kind}"
    header_len = int.from_bytes(data[8:10], "little")
    body = data[10 + header_len:]
    kind = rng.choice(["shape", "shape", "descr", "descr", "fortran", "huge", "garbage_header",
                       "version"])
    shape = rng.choice([(), (0,), (1,), (1, 1), (3, 2), (10 ** 12,), (-1,), (2 ** 40, 2 ** 40)])
    descr = rng.choice(["|i1", "<i2", ">i4", "<f4", ">f8", "<c8", "|O", "|b1", "<U4", "|V8",
                        "<M8[s]", "[('a', '<i4')]"])
    if kind == "shape":
        return _npy_header(shape, "|i1") + body, f"npy shape := {shape}"
    if kind == "descr":
        return _npy_header((len(body),), descr) + body, f"npy descr := {descr}"
    if kind == "fortran":
        return _npy_header((1, len(body)), "|i1", True) + body, "npy fortran order"
    if kind == "huge":
        return _npy_header((10 ** 12,), "<f8") + body, "npy header claims 10^12 elements"
    if kind == "version":
        return data[:6] + bytes([rng.choice([0, 2, 3, 9]), 0]) + data[8:], "npy version changed"
    return data[:10] + b"{'descr': " + bytes(rng.randrange(256) for _ in range(20)) + \
        data[30:], "npy header garbled"


def mutate(data: bytes, rng: random.Random, kind: str = "tflite") -> tuple[bytes, str]:
    if rng.random() < 0.5:
        return _raw(data, rng)
    structured = {"tflite": _structured, "onnx": _structured_onnx, "data": _structured_npy}[kind]
    try:
        return structured(data, rng)
    except Exception:           # the structure could not be rebuilt this way: a raw one instead
        return _raw(data, rng)


# -- one case, in a child -------------------------------------------------------------------------
def _run_data_commands(path: str, workdir: str, role: tuple[str, str]) -> dict:
    """In the child, for a data file: the command that reads it (``simulate --input`` or
    ``quantize --calib``) through mcugen's entry point; accepted when it ran (exit 0)."""
    from mcugen.cli import main
    flag, model = role
    argv = ["simulate", model, "--input", path] if flag == "input" else \
        ["quantize", model, "--calib", path, "--method", "minmax", "-o",
         os.path.join(workdir, "q.tflite")]
    result = {"codes": {}, "message": ""}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--debug", *argv])
    result["codes"][argv[0]] = code
    _note(result, err.getvalue())
    result["loaded"] = code == 0
    return result


def _run_commands(path: str, workdir: str, role: tuple[str, str] | None = None) -> dict:
    """In the child: the three commands through mcugen's entry point; what happened."""
    from mcugen.cli import main
    from mcugen.model import load_model
    from mcugen.errors import McugenError

    if role is not None:
        return _run_data_commands(path, workdir, role)
    result = {"codes": {}, "message": ""}
    for name, argv in (("inspect", ["inspect", path]), ("plan", ["plan", path])):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--debug", *argv])
        result["codes"][name] = code
        _note(result, err.getvalue())
    x = os.path.join(workdir, "x.npz")
    try:
        graph = load_model(path)
        np.savez(x, **{f"arr_{k}": np.zeros(graph.tensors[i].shape, graph.tensors[i].dtype)
                       for k, i in enumerate(graph.inputs)})
    except McugenError:
        result["codes"]["simulate"] = 2
        return result
    result["loaded"] = True
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--debug", "simulate", path, "--input", x])
    result["codes"]["simulate"] = code
    _note(result, err.getvalue())
    return result


def _note(result: dict, stderr: str) -> None:
    if "internal error" in stderr and not result.get("internal"):
        result["internal"] = True
        lines = stderr.strip().splitlines()
        result["message"] = lines[-1][:300] if lines else ""
        frames = [ln.strip() for ln in lines if ln.strip().startswith("File ")
                  and "/mcugen/" in ln]
        result["frame"] = frames[-1][:300] if frames else ""


def _child(path: str, workdir: str, mem_bytes: int, wfd: int,
           role: tuple[str, str] | None = None) -> None:
    try:
        with open("/proc/self/status") as f:
            vm = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmSize:"))
        limit = vm + mem_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        result = _run_commands(path, workdir, role)
    except MemoryError:
        result = {"codes": {}, "internal": True, "message": "MemoryError", "frame": ""}
    except BaseException as exc:  # noqa: BLE001 - the harness reports, never dies
        result = {"codes": {}, "internal": True,
                  "message": f"harness: {type(exc).__name__}: {exc}"[:300], "frame": ""}
    try:
        os.write(wfd, json.dumps(result).encode())
    finally:
        os._exit(0)


def _warm_up(seed: Path, data: bytes, workroot: Path) -> None:
    """Runs the commands once, in this process, on an unmutated seed before any case forks: the
    modules each command imports on first use are then loaded once instead of once per case (a
    case's child otherwise spends most of its time importing). Each case still runs in a fresh
    fork, with nothing of another case in it: a case writes only its own directory."""
    tmp = workroot / "warm-up"
    tmp.mkdir()
    path = tmp / ("case" + seed.suffix if seed_kind(seed) == "data" else "model" + seed.suffix)
    path.write_bytes(data)
    _run_commands(str(path), str(tmp), DATA_ROLES.get(seed))
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


def _classify(result: dict | None, timed_out: bool) -> str:
    if timed_out:
        return "hang"
    if result is None:
        return "memory"          # killed without reporting: the allocator under RLIMIT_AS
    if result.get("internal"):
        return "memory" if "MemoryError" in result.get("message", "") else "crash"
    if result.get("loaded"):
        return "accepted"
    return "rejected"


@dataclass
class Figures:
    cases: int = 0
    counts: dict = field(default_factory=lambda: {c: 0 for c in CLASSES})
    per_seed: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)    # (class, seed, mutation, message, frame)
    seconds: float = 0.0


def run_fuzz(seeds: list[Path], cases: int, seed: int = 0, jobs: int = 2,
             mem_bytes: int = 1 << 30, timeout: float = 20.0, out: Path | None = None,
             quiet: bool = True) -> Figures:
    rng = random.Random(seed)
    originals = {p: p.read_bytes() for p in seeds}
    figures = Figures()
    start = time.monotonic()
    running: dict[int, tuple] = {}   # pid -> (rfd, deadline, path, seed, what, data, tmpdir)
    workroot = tempfile.TemporaryDirectory(prefix="mcugen-fuzz-")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    made = 0
    _warm_up(seeds[0], originals[seeds[0]], Path(workroot.name))

    def launch(n: int) -> None:
        p = seeds[n % len(seeds)]
        kind = seed_kind(p)
        data, what = mutate(originals[p], rng, kind)
        tmp = Path(workroot.name) / f"case{n}"
        tmp.mkdir()
        path = tmp / ("case" + p.suffix if kind == "data" else "model" + p.suffix)
        path.write_bytes(data)
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            _child(str(path), str(tmp), mem_bytes, wfd, DATA_ROLES.get(p))
        os.close(wfd)
        running[pid] = (rfd, time.monotonic() + timeout, p, what, data, tmp)

    def finish(pid: int, timed_out: bool) -> None:
        rfd, _, p, what, data, tmp = running.pop(pid)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        chunks = []
        while not timed_out:
            r, _, _ = select.select([rfd], [], [], 0.5)
            if not r:
                break
            chunk = os.read(rfd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(rfd)
        os.waitpid(pid, 0)
        try:
            result = json.loads(b"".join(chunks)) if chunks else None
        except ValueError:
            result = None
        cls = _classify(result, timed_out)
        figures.cases += 1
        figures.counts[cls] += 1
        seed_counts = figures.per_seed.setdefault(_label(p), {c: 0 for c in CLASSES})
        seed_counts[cls] += 1
        if cls in ("crash", "memory", "hang"):
            message = (result or {}).get("message", "")
            frame = (result or {}).get("frame", "")
            figures.problems.append((cls, _label(p), what, message, frame))
            if out is not None:
                k = sum(1 for c, *_ in figures.problems if c == cls)
                (out / f"{cls}_{k}{p.suffix}").write_bytes(data)
                (out / f"{cls}_{k}.json").write_text(json.dumps(
                    {"seed_model": str(p), "data_for": DATA_ROLES.get(p), "mutation": what,
                     "message": message,
                     "frame": frame}, indent=2) + "\n")
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
        if not quiet and figures.cases % 100 == 0:
            print(f"{figures.cases} cases, {figures.counts}", file=sys.stderr, flush=True)

    try:
        while made < cases or running:
            while made < cases and len(running) < jobs:
                launch(made)
                made += 1
            fds = {v[0]: pid for pid, v in running.items()}
            r, _, _ = select.select(list(fds), [], [], 0.2)
            for fd in r:
                finish(fds[fd], False)
            now = time.monotonic()
            for pid in [pid for pid, v in running.items() if v[1] < now]:
                finish(pid, True)
    finally:
        for pid in list(running):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        workroot.cleanup()
    figures.seconds = time.monotonic() - start
    return figures


def _label(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(SHARED.resolve()))
    except ValueError:
        return p.name


DATA_ROLES: dict[Path, tuple[str, str]] = {}   # data seed -> (--input|--calib, its model)
EXAMPLES = REPO / "examples"


def seed_kind(p: Path) -> str:
    return "data" if p in DATA_ROLES else "onnx" if p.suffix == ".onnx" else "tflite"


def data_seeds(where: Path) -> list[Path]:
    """Valid data files to mutate, written to ``where``: the input of
    examples/hello_world_int8.tflite as .npy and .npz, and calibration data for the shared float
    hello_world (when present) as .npy and .npz."""
    where.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    seeds = []
    model = EXAMPLES / "hello_world_int8.tflite"
    x = rng.integers(-128, 128, (1, 1), dtype=np.int8)
    np.save(where / "input.npy", x)
    np.savez(where / "input.npz", arr_0=x)
    for f in ("input.npy", "input.npz"):
        DATA_ROLES[where / f] = ("input", str(model))
        seeds.append(where / f)
    float_model = SHARED / "tflm" / "hello_world_float.tflite"
    if float_model.exists():
        calib = rng.uniform(0, 6.28, (16, 1, 1)).astype(np.float32)
        np.save(where / "calib.npy", calib)
        np.savez(where / "calib.npz", arr_0=calib)
        for f in ("calib.npy", "calib.npz"):
            DATA_ROLES[where / f] = ("calib", str(float_model))
            seeds.append(where / f)
    return seeds


def default_seeds(small: bool = False, kind: str = "tflite") -> list[Path]:
    if kind == "data":
        return data_seeds(Path(tempfile.mkdtemp(prefix="mcugen-fuzz-data-")))
    found = sorted(SHARED.glob(f"**/*.{kind}"))
    if small:   # the default test tier: the models that simulate in milliseconds
        found = [p for p in found if p.stat().st_size < 120_000]
    return found


def print_table(fig: Figures) -> None:
    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"fuzz: {fig.cases} cases in {fig.seconds:.0f} s", title_justify="left")
    table.add_column("seed model")
    for c in CLASSES:
        table.add_column(c, justify="right")
    for name, counts in sorted(fig.per_seed.items()):
        table.add_row(name, *(f"{counts[c]:,}" for c in CLASSES))
    table.add_row("total", *(f"{fig.counts[c]:,}" for c in CLASSES))
    Console().print(table)
    seen = set()
    for cls, seed_name, what, message, frame in fig.problems:
        key = (cls, frame or message)
        if key not in seen:
            seen.add(key)
            print(f"{cls}: {seed_name}: {what}: {message} [{frame}]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--mem-mib", type=int, default=1024, help="address-space cap per case")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    ap.add_argument("--out", type=Path, default=Path("fuzz-out"),
                    help="where crash/memory/hang reproducers go")
    ap.add_argument("--seeds", type=Path, nargs="*", help="seed models (default: shared models)")
    ap.add_argument("--small", action="store_true", help="only the small shared models")
    ap.add_argument("--kind", choices=["tflite", "onnx", "data"], default="tflite",
                    help="what to mutate: .tflite models, .onnx models, or .npy/.npz data files")
    args = ap.parse_args()
    seeds = args.seeds or default_seeds(args.small, args.kind)
    if not seeds:
        print(f"no seed models: {SHARED} is absent; pass --seeds", file=sys.stderr)
        return 2
    fig = run_fuzz(seeds, args.cases, args.seed, args.jobs, args.mem_mib << 20, args.timeout,
                   args.out, quiet=False)
    print_table(fig)
    return 1 if fig.counts["crash"] + fig.counts["memory"] + fig.counts["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
