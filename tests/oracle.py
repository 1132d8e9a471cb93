"""The independent oracle: TFLM's reference kernels through the tflite-micro host interpreter.

Tests compare mcugen against this, never against numbers mcugen printed itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

SHARED_MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"

#: Every model in ../shared/models, by path relative to it, with what kind it is.
INT8_MODELS = ["mlperf_tiny/kws_ref_model.tflite", "mlperf_tiny/vww_96_int8.tflite",
               "mlperf_tiny/resnet8_int8.tflite", "mlperf_tiny/ad01_int8.tflite",
               "tflm/hello_world_int8.tflite", "tflm/person_detect_int8.tflite",
               "tflm/micro_speech_int8.tflite"]
LSTM_MODELS = ["tflm/mnist_lstm_int8.tflite", "tflm/mnist_lstm_float.tflite"]
FLOAT_MODELS = ["mlperf_tiny/resnet8_float.tflite", "mlperf_tiny/ad01_float.tflite",
                "tflm/hello_world_float.tflite"]
HYBRID_MODELS = ["mlperf_tiny/kws_ref_model_hybrid.tflite"]
ALL_MODELS = INT8_MODELS + FLOAT_MODELS + HYBRID_MODELS + LSTM_MODELS


def published_figures(heading: str) -> dict[str, int]:
    """Per-model numbers printed in ../shared/benchmarks/README.md after ``heading`` (e.g.
    "Multiply-accumulates", "Activation lower bound"): independent figures to test against."""
    import re
    readme = SHARED_MODELS.parent / "benchmarks" / "README.md"
    if not readme.exists():
        pytest.skip(f"{readme} is absent")
    text = readme.read_text()
    chunk = text[text.index(heading):][:300]
    return {name: int(num.replace(",", "")) for name, num in
            re.findall(r"(kws|vww|resnet8|ad01|person_detect) ([\d,]+)", chunk)}


def shared_model(rel: str) -> Path:
    """Path of a shared model, or skip the test with the reason."""
    path = SHARED_MODELS / rel
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared reference models live in ../shared/models)")
    return path


def shared_input(name: str) -> np.ndarray:
    path = SHARED_MODELS / "inputs" / name
    if not path.exists():
        pytest.skip(f"{path} is absent (real sample inputs live in ../shared/models/inputs)")
    return np.load(path)


def _quiet_runtime():
    # The interpreter prints allocation chatter on stdout from C++; nothing to silence in Python.
    from tflite_micro.python.tflite_micro import runtime
    return runtime


class Tflm:
    """One TFLM interpreter over a model, keeping every tensor for per-layer comparison."""

    def __init__(self, model: bytes | str | os.PathLike, preserve_all: bool = True):
        runtime = _quiet_runtime()
        data = model if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
        config = (runtime.InterpreterConfig.kPreserveAllTensors if preserve_all
                  else runtime.InterpreterConfig.kAllocationRecording)
        from mcugen.model.schema import fb
        sg = fb.Model.GetRootAs(bytes(data), 0).Subgraphs(0)
        self.num_inputs, self.num_outputs = sg.InputsLength(), sg.OutputsLength()
        self._it = runtime.Interpreter.from_bytes(bytes(data), arena_size=max(len(data) * 10, 1 << 20),
                                                  intrepreter_config=config)

    def input_details(self, index: int = 0) -> dict:
        return self._it.get_input_details(index)

    def output_details(self, index: int = 0) -> dict:
        return self._it.get_output_details(index)

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            self._it.set_input(x, i)
        self._it.invoke()
        return [np.array(self._it.get_output(i)) for i in range(self.num_outputs)]

    def tensor(self, index: int) -> np.ndarray:
        """A tensor from the last invocation (preserve_all=True), flat."""
        t = self._it.GetTensor(index, 0)
        return np.array(t["tensor_data"]).view(t["dtype"]) if t["tensor_data"].dtype != t["dtype"] \
            else np.array(t["tensor_data"])
