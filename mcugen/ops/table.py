"""The README's operator table, generated from the registry (``python -m mcugen.ops.table``
prints it; ``--write README.md`` replaces the block between the markers; a test fails when the
README is stale)."""

from __future__ import annotations

import sys
from pathlib import Path

from .registry import FixedOutput, FreeOutput, SameParams, Weighted, records

BEGIN, END = "<!-- operators:begin -->", "<!-- operators:end -->"


def _quant(rule) -> str:
    if isinstance(rule, Weighted):
        return f"per-channel weights (axis {rule.axis})"
    if isinstance(rule, SameParams):
        if rule.inputs is not None and 0 not in rule.inputs:
            which = ", ".join(str(i) for i in rule.inputs)
            return f"input {which} shares the output's parameters"
        return "keeps its input's parameters"
    if isinstance(rule, FixedOutput):
        return f"output {rule.scale:g} @ {rule.zero_point}"
    if isinstance(rule, FreeOutput):
        return "calibrated output"
    return "—"


def markdown_table() -> str:
    rows = ["| operator | family | simulator | quantizer | C backends | planner |",
            "|---|---|---|---|---|---|"]
    for name, r in sorted(records().items()):
        planner = "alias" if r.alias else "in place" if r.inplace else ""
        if r.scratch:
            planner = ", ".join(filter(None, [planner, "scratch: " + ", ".join(r.scratch)]))
        backends = ", ".join(r.backends) or "—"
        if r.float_kernel:
            backends += " (+ float32)"
        rows.append(f"| {name} | {r.family} | {', '.join(sorted(r.dtypes)) or '—'} | "
                    f"{_quant(r.quant)} | {backends} | {planner} |")
    return "\n".join(rows) + "\n"


def replace_block(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + markdown_table() + text[end:]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        path = Path(sys.argv[2])
        path.write_text(replace_block(path.read_text()))
    else:
        sys.stdout.write(markdown_table())
