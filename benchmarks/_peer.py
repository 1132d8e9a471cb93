"""The peer baseline: TFLM + CMSIS-NN measured on the same emulated boards (../shared/benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MODELS = ["mlperf_tiny/kws_ref_model.tflite", "mlperf_tiny/vww_96_int8.tflite",
          "mlperf_tiny/resnet8_int8.tflite", "mlperf_tiny/ad01_int8.tflite",
          "tflm/person_detect_int8.tflite"]


def peer(model_rel: str, board: str) -> dict:
    path = SHARED / "benchmarks" / "tflm-cmsis-nn-qemu.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text())["results"]
    return results.get(model_rel, {}).get(board, {})


def model_path(rel: str) -> Path:
    return SHARED / "models" / rel
