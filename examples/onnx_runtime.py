#!/usr/bin/env python3
"""Runs an ONNX export of mixer-convert in ONNX Runtime, with nothing of mixer-convert: the
input contract and the provenance come from the model's own metadata_props.

Usage: onnx_runtime.py MODEL.onnx [INPUT.npy]   (INPUT: float32 NHWC in [-1, 1]; default random)
"""
import json
import sys

import numpy as np
import onnxruntime

session = onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
metadata = session.get_modelmeta().custom_metadata_map
header = json.loads(metadata["mixer_convert.header"])
print(f"{header['model']['name']} from {header['model']['source']['file']} (SHA-256 {metadata['source_sha256'][:12]}…)")
print("input:", header["input"]["preprocessing"]["description"])
_, height, width, _ = header["input"]["shape"]
image = np.load(sys.argv[2]) if len(sys.argv) > 2 else np.random.default_rng(0).uniform(-1, 1, (1, height, width, 3))
outputs = session.run(None, {"image": image.astype(np.float32)})
for output, value in zip(session.get_outputs(), outputs):
    print(f"{output.name}: {value.shape}")
    if output.name == "logits" and value.ndim == 2:
        print("  top 5 of the first image:", np.argsort(-value[0])[:5].tolist())
