"""Model I/O and the graph IR."""

from .graph import Graph, Operator, Quantization, Tensor
from .tflite_io import load_model, parse_model, save_model, serialize_model

__all__ = ["Graph", "Operator", "Quantization", "Tensor", "load_model", "parse_model",
           "save_model", "serialize_model"]
