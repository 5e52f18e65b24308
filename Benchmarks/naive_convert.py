#!/usr/bin/env python3
"""The naive converter `mixer-bench convert` measures against: numpy loads the checkpoint and
writes every array raw beside a JSON index of names, dtypes, shapes and offsets — no checks,
no hashes, no graph.

Usage: naive_convert.py CHECKPOINT.npz OUT_FOLDER
"""
import json
import os
import sys

import numpy as np

checkpoint, folder = sys.argv[1], sys.argv[2]
os.makedirs(folder, exist_ok=True)
index = {}
offset = 0
with np.load(checkpoint) as arrays, open(os.path.join(folder, "weights.bin"), "wb") as out:
    for name in arrays.files:
        array = arrays[name]
        array.tofile(out)
        index[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += array.nbytes
with open(os.path.join(folder, "index.json"), "w") as f:
    json.dump(index, f)
