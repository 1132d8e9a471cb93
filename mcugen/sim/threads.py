"""Single-threaded BLAS while the simulator runs.

The simulator's matrix products are small (a few thousand rows at most). OpenBLAS splits even
those across threads, and on a loaded 2-core machine the hand-offs cost 10x the arithmetic
(resnet8_int8: 122 ms per inference with 2 threads, 13 ms with 1). threadpoolctl limits the
thread count only inside the ``with`` block, so the caller's own numpy keeps its settings.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional: without it BLAS keeps its default threads (slower, same numbers)
    ThreadpoolController = None

_controller = None


def single_threaded_blas() -> AbstractContextManager:
    global _controller
    if ThreadpoolController is None:
        return nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()   # inspects loaded libraries once (~1 ms)
    return _controller.limit(limits=1, user_api="blas")
