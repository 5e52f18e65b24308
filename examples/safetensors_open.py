#!/usr/bin/env python3
"""Opens a bundle's shards with the Python `safetensors` package (pip install safetensors),
through the Hugging Face index, and prints every tensor's shape.

numpy has no bfloat16, so for a `--dtype bfloat16` bundle use framework="pt" (PyTorch) or
"flax" instead of "numpy"; float32 and float16 bundles open as shown.

Usage: safetensors_open.py BUNDLE
"""
import json
import os
import sys

from safetensors import safe_open


def main():
    bundle = sys.argv[1]
    with open(os.path.join(bundle, "model.safetensors.index.json")) as f:
        index = json.load(f)
    total = 0
    for name, shard in sorted(index["weight_map"].items()):
        with safe_open(os.path.join(bundle, shard), framework="numpy") as f:
            array = f.get_tensor(name)
        total += array.nbytes
        print(f"{name:45s} {str(array.dtype):8s} {tuple(array.shape)}")
    assert total == index["metadata"]["total_size"], (total, index["metadata"]["total_size"])
    print(f"{len(index['weight_map'])} tensors, {total} bytes, total_size matches")


if __name__ == "__main__":
    main()
