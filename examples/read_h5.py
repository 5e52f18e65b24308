#!/usr/bin/env python3
"""Loads every tensor of a mixer-convert HDF5 export with h5py and numpy alone, following
formats/hdf5-layout.md.

Usage: read_h5.py EXPORT.h5 [SOURCE.npz]

Prints one line per tensor. With the source checkpoint, checks that every tensor equals the
source array it was converted from (bit for bit for float32 exports, the nearest value for
float16 and bfloat16, after the recorded transform for a resized position embedding) and
exits 1 if any does not.
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_bundle import check, crc32c  # noqa: E402  (same folder)


def load(path):
    """Returns the graph document and {name: (array as stored, crc ok)}."""
    f = h5py.File(path, "r")
    assert f.attrs["format"] == "mixer-convert.hdf5", f.attrs.get("format")
    assert f.attrs["format_version"].split(".")[0] == "1", f.attrs["format_version"]
    text = f["graph.json"][()]
    graph = json.loads(text.decode() if isinstance(text, bytes) else text)
    tensors = {}
    for name, dataset in f["weights"].items():
        entry = graph["weights"]["tensors"][name]
        stored = dataset[()]
        if dataset.attrs["dtype"] == "bfloat16":  # 2-byte opaque, as Keras stores bfloat16
            stored = stored.view(np.uint16)
        assert list(stored.shape) == entry["shape"], (name, stored.shape)
        crc_ok = "%08x" % crc32c(np.ascontiguousarray(stored).tobytes()) == entry["crc32c"]
        tensors[name] = (stored, crc_ok)
    return graph, tensors


def main():
    graph, tensors = load(sys.argv[1])
    sys.exit(1 if check(graph, tensors, sys.argv[2] if len(sys.argv) > 2 else None) else 0)


if __name__ == "__main__":
    main()
