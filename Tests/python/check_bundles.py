#!/usr/bin/env python3
"""Cross-checks bundles written by `mixer-convert` with Python tools that know nothing of the
project: every graph.json against formats/graph.schema.json (jsonschema), every shard with an
independent safetensors header check and with the reference `safetensors` package, and every
tensor against its source array with examples/load_bundle.py (numpy only, written from
formats/bundle-v1.md), and every resized position embedding against scipy.ndimage.zoom, the
function the original repository resizes with.

Usage: check_bundles.py PATH/TO/mixer-convert
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import jsonschema
import numpy as np
import scipy.ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
ITEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2}
VIT_FIXTURES = ["vit_tiny_token", "vit_tiny_gap", "vit_tiny_repr", "r50_vit_tiny"]


def shard_problems(path):
    """The safetensors rules, checked independently: 8-byte header length padded to 8, offsets
    contiguous from 0 and covering the file, sizes matching shapes, tensors element-aligned."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    problems = []
    if n % 8:
        problems.append("header length not a multiple of 8")
    header = json.loads(raw[8:8 + n])
    entries = sorted((v["data_offsets"], k, v) for k, v in header.items() if k != "__metadata__")
    position = 0
    for (begin, end), name, info in entries:
        size = ITEM_SIZE[info["dtype"]]
        count = 1
        for d in info["shape"]:
            count *= d
        if begin != position or end - begin != count * size or (8 + n + begin) % size:
            problems.append(f"{name}: bad range {begin}..{end}")
        position = end
    if 8 + n + position != len(raw):
        problems.append("tensors do not cover the file")
    return problems


def zoom_problem(bundle, source):
    """Compares every resized position embedding with scipy.ndimage.zoom(order=1) of its source
    grid; returns a description of the largest difference, or None when within float32 rounding."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import load_bundle
    graph, arrays = load_bundle.load(bundle)
    checkpoint = np.load(source)
    prefix = graph["model"]["source"]["key_prefix"]
    for name, entry in graph["weights"]["tensors"].items():
        transform = entry.get("transform")
        if not transform:
            continue
        rows = checkpoint[prefix + entry["source"]][0].astype(np.float64)
        keep = 1 if transform["class_token_row"] else 0
        old, new = transform["from_grid"], transform["to_grid"]
        zoomed = scipy.ndimage.zoom(rows[keep:].reshape(old, old, -1), (new / old, new / old, 1), order=1)
        want = np.concatenate([rows[:keep], zoomed.reshape(new * new, -1)])
        got = arrays[name][0][0].astype(np.float64)
        difference = np.abs(got - want).max()
        if difference > 1e-6 * max(1.0, np.abs(want).max()):
            return f"{name}: differs from scipy.ndimage.zoom by {difference:.2e}"
    return None


def main():
    binary = sys.argv[1]
    schema = json.load(open(os.path.join(ROOT, "formats", "graph.schema.json")))
    failures = 0
    checks = 0
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = os.path.join(tmp, "s32.npz")
        subprocess.run([binary, "synth", "Mixer-S_32", synthetic, "--quiet"], check=True)
        vit = os.path.join(tmp, "ti16.npz")
        subprocess.run([binary, "synth", "ViT-Ti_16", vit, "--naming", "linen", "--dtype", "bfloat16", "--quiet"],
                       check=True)
        cases = [
            ("mixer_tiny", os.path.join(FIXTURES, "mixer_tiny", "params.npz"), []),
            ("mixer_tiny_fe", os.path.join(FIXTURES, "mixer_tiny_fe", "params.npz"), []),
            ("mixer_tiny features", os.path.join(FIXTURES, "mixer_tiny", "params.npz"), ["--variant", "features"]),
            ("Mixer-S/32 in 20 MB shards", synthetic, ["--shard-size", "20MB"]),
            ("Mixer-S/32 float16", synthetic, ["--dtype", "float16"]),
            ("Mixer-S/32 bfloat16", synthetic, ["--dtype", "bfloat16"]),
            ("ViT-Ti/16 linen bfloat16", vit, []),
        ] + [(name, os.path.join(FIXTURES, name, "params.npz"), []) for name in VIT_FIXTURES] + [
            ("vit_tiny_token at 96 px", os.path.join(FIXTURES, "vit_tiny_token", "params.npz"), ["--image-size", "96"]),
            ("vit_tiny_gap at 112 px", os.path.join(FIXTURES, "vit_tiny_gap", "params.npz"), ["--image-size", "112"]),
            ("r50_vit_tiny at 40 px", os.path.join(FIXTURES, "r50_vit_tiny", "params.npz"), ["--image-size", "40"]),
            ("vit_tiny_repr unpooled", os.path.join(FIXTURES, "vit_tiny_repr", "params.npz"),
             ["--classifier", "token_unpooled"]),
        ]
        for label, source, options in cases:
            bundle = os.path.join(tmp, label.replace(" ", "_").replace("/", "_"))
            subprocess.run([binary, "convert", source, bundle, "--quiet", *options], check=True)
            graph = json.load(open(os.path.join(bundle, "graph.json")))
            results = []
            try:
                jsonschema.validate(graph, schema, cls=jsonschema.Draft202012Validator)
                results.append(("schema", True))
            except jsonschema.ValidationError as error:
                results.append((f"schema: {error.message}", False))
            for shard in graph["weights"]["shards"]:
                problems = shard_problems(os.path.join(bundle, shard["file"]))
                results.append(("safetensors layout" + (": " + "; ".join(problems) if problems else ""), not problems))
            loaded = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "load_bundle.py"), bundle, source],
                                    capture_output=True, text=True)
            results.append(("load_bundle.py equals source", loaded.returncode == 0))
            if graph["weights"]["dtype"] != "bfloat16":
                opened = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "safetensors_open.py"), bundle],
                                        capture_output=True, text=True)
                results.append(("safetensors package opens every shard", opened.returncode == 0))
            if "--image-size" in options:
                problem = zoom_problem(bundle, source)
                results.append(("position embedding equals scipy zoom" + (": " + problem if problem else ""),
                                problem is None))
            for name, ok in results:
                checks += 1
                failures += not ok
                print(f"  {label:28s} {name:45s} {'ok' if ok else 'FAIL'}")
    print(f"check_bundles: {checks} checks in {time.time() - start:.1f} s, {failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
