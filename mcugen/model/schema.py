"""The one door to the TFLite flatbuffer schema.

mcugen does not parse flatbuffers by hand: it uses the Python module that flatc generated from the
official ``schema.fbs``, as shipped inside the ``tflite-micro`` wheel (the same schema the oracle
interpreter reads). Everything else in mcugen imports schema names from here, so a future switch to
another generated copy touches one file.
"""

from __future__ import annotations

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

__all__ = ["fb", "OPCODE_NAMES", "OPCODE_CODES", "TENSOR_TYPES", "TENSOR_TYPE_CODES",
           "OPTIONS_CLASSES", "OPTIONS_TYPE_NAMES", "ACTIVATION_NAMES", "PADDING_NAMES"]


def _enum(cls) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


#: builtin operator code -> name ("CONV_2D", ...)
OPCODE_NAMES: dict[int, str] = _enum(fb.BuiltinOperator)
OPCODE_CODES: dict[str, int] = {v: k for k, v in OPCODE_NAMES.items()}

#: TensorType code -> numpy dtype (None where numpy has no equivalent)
TENSOR_TYPES: dict[int, np.dtype | None] = {
    fb.TensorType.FLOAT32: np.dtype(np.float32),
    fb.TensorType.FLOAT16: np.dtype(np.float16),
    fb.TensorType.FLOAT64: np.dtype(np.float64),
    fb.TensorType.INT32: np.dtype(np.int32),
    fb.TensorType.UINT8: np.dtype(np.uint8),
    fb.TensorType.INT64: np.dtype(np.int64),
    fb.TensorType.BOOL: np.dtype(np.bool_),
    fb.TensorType.INT16: np.dtype(np.int16),
    fb.TensorType.INT8: np.dtype(np.int8),
    fb.TensorType.UINT16: np.dtype(np.uint16),
    fb.TensorType.UINT32: np.dtype(np.uint32),
    fb.TensorType.UINT64: np.dtype(np.uint64),
}
TENSOR_TYPE_CODES: dict[np.dtype, int] = {v: k for k, v in TENSOR_TYPES.items() if v is not None}
TENSOR_TYPE_NAMES: dict[int, str] = _enum(fb.TensorType)

#: BuiltinOptions union: type code -> generated object-API class, and code -> union member name
OPTIONS_TYPE_NAMES: dict[int, str] = _enum(fb.BuiltinOptions)
OPTIONS_CLASSES: dict[int, type] = {
    code: getattr(fb, name + "T") for code, name in OPTIONS_TYPE_NAMES.items()
    if hasattr(fb, name + "T")
}

ACTIVATION_NAMES: dict[int, str] = _enum(fb.ActivationFunctionType)
PADDING_NAMES: dict[int, str] = _enum(fb.Padding)
