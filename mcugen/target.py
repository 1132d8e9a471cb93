"""What a command targets — board, core and first backend — by one rule for every command
(``inspect``, ``plan``, ``generate``, ``build``, ``run``, ``verify``, ``profile``, ``export`` and
the Python API), so that ``plan --board X`` plans the arena ``build --board X`` links:

1. ``--board B``: B's core; ``--cpu C`` alone: core C and no board; neither: the default board
   (``mps2-an386``), as ``build`` has always done. ``--board`` and ``--cpu`` together must agree.
2. The first backend: ``--kernels``, else the board's preferred backend (its ``kernels``), else
   CMSIS-NN when a tree is found (``--cmsis-nn``, ``$MCUGEN_CMSIS_NN``, the cache folder), else
   mcugen's portable kernels. Each layer then takes the first backend of the chain that accepts it
   (:func:`mcugen.codegen.cmsis_nn.kernel_chain`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .boards import DEFAULT_BOARD, Board, load_board
from .errors import InputError


@dataclass(frozen=True)
class Target:
    board: Board | None       # None: a core without a board (--cpu)
    cpu: str
    kernels: str              # the backend every layer tries first

    @property
    def name(self) -> str:
        return self.board.name if self.board is not None else self.cpu


def resolve_target(board: str | Board | None = None, cpu: str | None = None,
                   kernels: str | None = None,
                   cmsis_nn: str | os.PathLike | None = None) -> Target:
    """The board, core and first backend for the options a user gave (see the module)."""
    from .codegen.cmsis_nn import preferred_backend
    if board is None and cpu is None:
        board = DEFAULT_BOARD
    b = load_board(board) if board is not None else None
    if b is not None and cpu is not None and cpu != b.cpu:
        raise InputError(f"--board {b.name} has a {b.cpu}, --cpu says {cpu}: give one of them",
                         "--cpu")
    core = b.cpu if b is not None else cpu
    if b is None:
        from .plan import CORES
        if core not in CORES:
            raise InputError(f"unknown core '{core}' (known: {', '.join(CORES)})", "--cpu")
    return Target(b, core, preferred_backend(kernels, cmsis_nn, b))


def board_fit(graph, plan, board: Board) -> dict:
    """Whether the model can fit ``board``, before anything is built: RAM needs at least the
    arena and the board's stack reserve (the firmware adds its own buffers: `build` reports the
    exact figure); flash at least the model's parameters where every layer keeps its weights as
    stored (mcugen's kernels lay them out anew, so they are not counted there)."""
    ram_min = plan.arena_bytes + board.stack_bytes
    params = sum(t.nbytes for t in graph.tensors if t.is_constant)
    problems = []
    if ram_min > board.ram.length:
        problems.append(f"RAM needs at least {_n(ram_min)} bytes (arena "
                        f"{_n(plan.arena_bytes)}, stack {_n(board.stack_bytes)}), the "
                        f"board has {_n(board.ram.length)}")
    if "mcugen" not in plan.backends.values() and params > board.flash.length:
        problems.append(f"flash needs at least {_n(params)} bytes (the parameters), the "
                        f"board has {_n(board.flash.length)}")
    line = (f"fits {board.name}: RAM at least {_n(ram_min)} of {_n(board.ram.length)}"
            f" bytes, parameters {_n(params)} of {_n(board.flash.length)} flash"
            if not problems else
            f"model does not fit {board.name}: " + "; ".join(problems))
    return {"board": board.name, "fits": not problems, "ram_min_bytes": ram_min,
            "ram_bytes": board.ram.length, "parameter_bytes": params,
            "flash_bytes": board.flash.length, "line": line}


def _n(value: int) -> str:
    return f"{value:,}"
