"""mcugen's simulator: TFLM reference semantics for int8, plain float32 for float models."""

from .executor import SimResult, Simulator, simulate
from .registry import FLOAT, QUANT, supported

__all__ = ["FLOAT", "QUANT", "SimResult", "Simulator", "simulate", "supported"]
