"""The lowering registry: one function per operator turns a graph node into the parameters of its
C template.

A lowering function ``lower(ctx, op) -> dict`` may register constant data through ``ctx.const``;
the dict becomes the variables of ``templates/ops/<backend folder>/<family>.c.j2``, where the
family and the backends that lower the operator come from its record in :mod:`mcugen.ops`
(``op`` and ``comment`` are added). One function serves every backend of an operator: the
backend a layer got is ``ctx.backend``, and only its template differs.
"""

from __future__ import annotations

from typing import Callable

from ..ops.registry import lookup as record_of

_LOWERINGS: dict[str, Callable] = {}

#: Template folder per backend. The CMSIS-NN one holds mcugen's own call templates; its name
#: keeps clear of "cmsis-nn/", the path that would mean vendored CMSIS-NN source.
TEMPLATE_FOLDERS = {"portable": "portable", "cmsis-nn": "cmsis_nn_calls", "mcugen": "mcugen"}


def lowering(*opcodes: str):
    """Register ``fn`` as the lowering of ``opcodes``."""
    def wrap(fn):
        for opcode in opcodes:
            if opcode in _LOWERINGS:
                raise RuntimeError(f"{opcode} has two lowerings")
            if record_of(opcode) is None:
                raise RuntimeError(f"{opcode} has no record in mcugen.ops")
            _LOWERINGS[opcode] = fn
        return fn
    return wrap


def lookup(opcode: str) -> Callable | None:
    """The lowering function of ``opcode`` or None."""
    _load()
    return _LOWERINGS.get(opcode)


def template_path(opcode: str, backend: str) -> str:
    """The template a layer of ``opcode`` lowered by ``backend`` renders."""
    return f"ops/{TEMPLATE_FOLDERS[backend]}/{record_of(opcode).family}.c.j2"


def lowered_ops() -> set[str]:
    """Operators that have a lowering function."""
    _load()
    return set(_LOWERINGS)


def _load() -> None:
    from . import ops  # noqa: F401  (registers every lowering)
