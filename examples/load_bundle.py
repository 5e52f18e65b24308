#!/usr/bin/env python3
"""Loads every tensor of a mixer-convert bundle with numpy alone, following formats/bundle-v1.md.

Usage: load_bundle.py BUNDLE [SOURCE.npz]

Prints one line per tensor. With the source checkpoint, checks that every tensor equals the
source array it was converted from (bit for bit for float32 bundles, the nearest value for
float16 and bfloat16) and exits 1 if any does not.
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), bitwise: slow but independent of any library."""
    table = crc32c.table
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)


def read_shard(path):
    """Parses a safetensors file: 8-byte little-endian header length, JSON header, data."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = (info["dtype"], info["shape"], data[begin:end])
    return tensors


def load(bundle):
    """Returns the graph document and {name: (numpy array, crc ok)} with arrays as stored."""
    with open(os.path.join(bundle, "graph.json")) as f:
        graph = json.load(f)
    assert graph["format"] == "mixer-convert.bundle", graph["format"]
    assert graph["format_version"].split(".")[0] == "1", graph["format_version"]
    shards = {s["file"]: read_shard(os.path.join(bundle, s["file"])) for s in graph["weights"]["shards"]}
    arrays = {}
    for name, entry in graph["weights"]["tensors"].items():
        dtype, shape, payload = shards[entry["shard"]][name]
        assert shape == entry["shape"], (name, shape, entry["shape"])
        array = np.frombuffer(payload, dtype=DTYPES[dtype]).reshape(shape)
        arrays[name] = (array, "%08x" % crc32c(payload) == entry["crc32c"])
    return graph, arrays


def expected(source, bundle_dtype):
    """The value a bundle of `bundle_dtype` must hold for a float32 source array."""
    source = source.astype(np.float32)
    if bundle_dtype == "float32":
        return source
    if bundle_dtype == "float16":
        return source.astype(np.float16)
    bits = source.view(np.uint32).astype(np.uint64)  # bfloat16: round to nearest, ties to even
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def resize_position_embedding(source, transform):
    """A resized position embedding from its source (formats/bundle-v1.md, "Weight transforms"):
    the class-token row kept, the square grid resampled with aligned-corner linear interpolation
    in float64 (along the width, then the height), the result rounded to float32."""
    rows = source.reshape(source.shape[-2], source.shape[-1]).astype(np.float64)
    keep = 1 if transform["class_token_row"] else 0
    old, new = transform["from_grid"], transform["to_grid"]
    grid = rows[keep:].reshape(old, old, -1)
    position = np.arange(new) * (old - 1) / (new - 1) if new > 1 else np.zeros(1)
    low = np.minimum(position.astype(np.int64), old - 1)
    high = np.minimum(low + 1, old - 1)
    weight = (position - low)[None, :, None]
    across = lambda r: grid[r][:, low] * (1 - weight[0]) + grid[r][:, high] * weight[0]  # noqa: E731
    top, bottom = across(low), across(high)
    out = top * (1 - weight.transpose(1, 0, 2)) + bottom * weight.transpose(1, 0, 2)
    return np.concatenate([rows[:keep], out.reshape(new * new, -1)]).astype(np.float32)[None]


def check(graph, arrays, source_path=None):
    """Prints one line per tensor ({name: (array as stored, crc ok)}) and, with the source
    checkpoint, whether it equals its source; returns the number of problems."""
    source = np.load(source_path) if source_path else None
    prefix = graph["model"]["source"]["key_prefix"]
    dtype = graph["weights"]["dtype"]
    failures = 0
    for name in sorted(arrays):
        array, crc_ok = arrays[name]
        entry = graph["weights"]["tensors"][name]
        status = "crc ok" if crc_ok else "CRC MISMATCH"
        failures += not crc_ok
        if source is not None:
            original = source[prefix + entry["source"]]
            if original.dtype.kind == "V":  # bfloat16 saved by JAX as a 2-byte void
                original = (original.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
            if "transform" in entry:
                original = resize_position_embedding(original, entry["transform"])
            want = expected(original.reshape(entry["shape"]), dtype)
            same = np.array_equal(array.view(want.dtype), want)
            status += ", equals source" if same else ", DIFFERS FROM SOURCE"
            failures += not same
        print(f"{name:45s} {dtype:8s} {str(tuple(array.shape)):20s} {status}")
    print(f"{len(arrays)} tensors, {failures} problem(s)")
    return failures


def main():
    graph, arrays = load(sys.argv[1])
    sys.exit(1 if check(graph, arrays, sys.argv[2] if len(sys.argv) > 2 else None) else 0)


if __name__ == "__main__":
    main()
