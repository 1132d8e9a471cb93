"""RESHAPE, SQUEEZE, EXPAND_DIMS: the output is the input's bytes with another shape. The planner
gives both one buffer, so nothing runs on the device."""

from __future__ import annotations

from .registry import PORTABLE_16X8, SameParams, record

RECORDS = tuple(
    record(name, "reshape", dtypes=("int8", "int16", "float32"), quant=SameParams((0,)),
           version=1,
           alias=True, backends=PORTABLE_16X8, float_kernel=True,
           parameter_inputs=(1,))
    for name in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"))
