"""Converts model.onnx to ONNX Runtime's own format (model.ort), optimised once, and checks it.

Usage: convert_ort.py MODEL.onnx OUT_DIR

mmsearch memory-maps model.ort and lets ONNX Runtime use its weights in place, so a one-shot
query neither reads the 90 MB file into memory nor copies the weights again (see README,
"Measured"). The converter's output is not byte-for-byte repeatable (flatbuffer layout), so
instead of a checksum the result is checked by behaviour: on reference inputs its outputs must
equal model.onnx's exactly, with the session settings mmsearch uses.
"""
import os
import sys

import numpy as np
import onnxruntime as ort
from onnxruntime.tools.convert_onnx_models_to_ort import convert_onnx_models_to_ort, OptimizationStyle
from pathlib import Path

source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
convert_onnx_models_to_ort(source, output_dir=out_dir, optimization_styles=[OptimizationStyle.Fixed])
converted = out_dir / (source.stem + ".ort")
if not converted.is_file():
    sys.exit(f"convert_ort.py: no {converted} written")


def session(path, prepacking):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.disable_prepacking", "0" if prepacking else "1")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


rng = np.random.default_rng(7)
inputs = []
for length in (3, 17, 256):
    ids = rng.integers(1000, 30000, size=(2, length), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    mask = np.ones_like(ids)
    mask[1, length // 2 :] = 0
    inputs.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
for prepacking in (False, True):
    reference, candidate = session(source, prepacking), session(converted, prepacking)
    for feed in inputs:
        a, b = reference.run(None, feed)[0], candidate.run(None, feed)[0]
        if a.shape != b.shape or a.tobytes() != b.tobytes():
            sys.exit("convert_ort.py: model.ort does not compute what model.onnx computes")
print(converted)
