"""The graph optimiser: converter patterns rewritten into smaller, faster, deployable graphs.

The stage sits between load/quantize and plan (``plan``, ``generate``, ``build``, ``run``,
``verify``, ``export`` and ``profile`` run it by default; ``--no-optimize`` turns it off;
``inspect --optimized`` shows its result). Each rewrite is one module here whose docstring draws
its pattern before and after, and each applies only where it is **exact**: the rewritten graph
computes the same bytes as the original, for every input. The runner (:func:`optimize`) applies
them until none matches, runs the model validator after every single rewrite, and records on each
operator the original operator indices it came from (``Operator.origins``), so the plan, the
report and the profile can name them.

Rewrites, in the order they are tried:

- :mod:`.dilated_conv`: SPACE_TO_BATCH_ND -> CONV_2D/DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND
  (Keras' dilated convolutions) into one dilated conv;
- :mod:`.pad_fold`: PAD with the input zero point into the following conv's per-side padding;
- :mod:`.noop`: RESHAPE/SQUEEZE/EXPAND_DIMS that change nothing, identity int8 requantizations;
- :mod:`.quantize_chain`: QUANTIZE -> QUANTIZE into one, where all inputs agree;
- :mod:`.relu_fold`: a standalone RELU/RELU6 into its producer's activation clamp;
- :mod:`.float_island`: DEQUANTIZE -> float activation -> QUANTIZE inside an integer model into
  the int8 activation, where all 256 inputs agree (other islands are refused by name).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..errors import InputError
from ..model.graph import Graph
from . import dilated_conv, float_island, noop, pad_fold, quantize_chain, relu_fold
from .edit import compact, renumber

#: (name, module): each module has ``apply(graph) -> str | None``, rewriting one match in place
#: and returning what it did, or None when nothing matches
REWRITES = (
    ("dilated-conv", dilated_conv),
    ("pad-fold", pad_fold),
    ("no-op", noop),
    ("quantize-chain", quantize_chain),
    ("relu-fold", relu_fold),
    ("float-island", float_island),
)


@dataclass
class Applied:
    rewrite: str
    what: str                   # one line: which operators became what


@dataclass
class Optimized:
    graph: Graph
    applied: list[Applied] = field(default_factory=list)
    operators_before: int = 0

    def to_json(self) -> dict:
        return {"operators_before": self.operators_before,
                "operators_after": len(self.graph.operators),
                "rewrites": [{"rewrite": a.rewrite, "what": a.what} for a in self.applied],
                "origins": [list(op.source) for op in self.graph.operators]}


def optimize(graph: Graph, rewrites=None) -> Optimized:
    """A rewritten copy of ``graph`` (the argument is not changed) and what was done to it."""
    from ..model.validate import validate_graph
    g = copy.deepcopy(graph)
    for op in g.operators:
        if op.origins is None:
            op.origins = (op.index,)
    result = Optimized(g, operators_before=len(graph.operators))
    chosen = [(n, m) for n, m in REWRITES if rewrites is None or n in rewrites]
    progress = True
    while progress:
        progress = False
        for name, module in chosen:
            what = module.apply(g)
            if what is None:
                continue
            renumber(g)
            compact(g)
            try:
                validate_graph(g)
            except InputError as exc:   # a rewrite that breaks the graph is mcugen's bug
                raise RuntimeError(f"optimiser rewrite {name} left an invalid graph "
                                   f"({what}): {exc}") from None
            result.applied.append(Applied(name, what))
            progress = True
    return result


def optimize_graph(graph: Graph, enabled: bool = True) -> Graph:
    """What the commands call: the optimised graph, or the graph itself when disabled."""
    return optimize(graph).graph if enabled else graph
