"""The lowering registry: one function per (operator, backend) turns a graph node into the
parameters of its C template, ``templates/ops/<backend folder>/<template>.c.j2``.

A lowering function ``lower(ctx, op) -> dict`` may register constant data through ``ctx.const``;
the dict becomes the variables of the operator family's template
``templates/ops/<backend folder or common>/<template>.c.j2`` (``op`` and ``comment`` are added).
"""

from __future__ import annotations

from typing import Callable

_LOWERINGS: dict[tuple[str, str], tuple[Callable, str]] = {}
BACKENDS = ("portable", "cmsis-nn")


def lowering(opcode: str, template: str, *backends: str):
    """Register ``fn`` as the lowering of ``opcode`` (rendered with ``template``) for
    ``backends`` (default: all)."""
    def wrap(fn):
        for backend in backends or BACKENDS:
            _LOWERINGS[(opcode, backend)] = (fn, template)
        return fn
    return wrap


def lookup(opcode: str, backend: str) -> tuple[Callable, str] | None:
    """(lowering function, template name) or None."""
    _load()
    return _LOWERINGS.get((opcode, backend))


def lowered_ops(kernels: str = "portable") -> set[str]:
    """Operators the code generator emits with ``kernels`` (portable: always available)."""
    _load()
    return {op for op, b in _LOWERINGS if b == kernels}


def _load() -> None:
    from . import ops  # noqa: F401  (registers every lowering)
