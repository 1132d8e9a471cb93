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
