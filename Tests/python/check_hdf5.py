#!/usr/bin/env python3
"""Cross-checks HDF5 exports written by `mixer-convert` with h5py, which knows nothing of the
project: its graph document against formats/graph.schema.json; examples/read_h5.py (h5py and numpy only, written from formats/hdf5-layout.md) loads
every tensor and compares it with `np.load` of the source; the Keras 3 layout and attributes
are checked; and files that h5py rewrites into what mixer-convert must refuse (external links,
external storage, virtual datasets, other filters, other element types, a missing dataset, a graph document of
the wrong type) are refused with exit status 2 and one line.

Usage: check_hdf5.py PATH/TO/mixer-convert
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_bundles import FIXTURES, ROOT  # noqa: E402  (same folder)


FULL = os.environ.get("MIXER_CONVERT_TEST_FULL") == "1"


def keras_layout_problems(path):
    """Every weight of every node at layers/<node>/vars/<i> in the node's role order, the same
    object as weights/<name>; attributes as documented; bfloat16 as 2-byte opaque data."""
    import h5py
    problems = []
    with h5py.File(path, "r") as f:
        graph = json.loads(f["graph.json"][()])
        roles = {"Conv2D": ["kernel", "bias"], "Dense": ["kernel", "bias"], "LayerNorm": ["scale", "bias"],
                 "GroupNorm": ["scale", "bias"], "ClassToken": ["token"], "PositionEmbedding": ["embedding"],
                 "MultiHeadAttention": [f"{p}_{k}" for p in ["query", "key", "value", "out"] for k in ["kernel", "bias"]]}
        for node in graph["nodes"]:
            present = [r for r in roles.get(node["op"], []) if r in node.get("weights", {})]
            for index, role in enumerate(present):
                name = node["weights"][role]
                keras = f"layers/{node['name']}/vars/{index}"
                if keras not in f or f[keras].id != f[f"weights/{name}"].id:
                    problems.append(f"{name} is not at {keras}")
                    continue
                attrs = f[keras].attrs
                entry = graph["weights"]["tensors"][name]
                if attrs["name"] != name or attrs["source"] != entry["source"] or attrs["crc32c"] != entry["crc32c"]:
                    problems.append(f"{name}: attributes disagree with graph.json")
                if attrs["dtype"] != graph["weights"]["dtype"]:
                    problems.append(f"{name}: dtype attribute {attrs['dtype']}")
                if attrs["dtype"] == "bfloat16" and f[keras].dtype.kind != "V":
                    problems.append(f"{name}: bfloat16 not stored as opaque data")
    return problems


def schema_problem(path, jsonschema):
    """The graph document inside the file against the JSON Schema; None when valid."""
    import h5py
    with h5py.File(path, "r") as f:
        graph = json.loads(f["graph.json"][()])
    schema = json.load(open(os.path.join(ROOT, "formats", "graph.schema.json")))
    try:
        jsonschema.validate(graph, schema, cls=jsonschema.Draft202012Validator)
        return None
    except jsonschema.ValidationError as error:
        return error.message[:80]


def compressed_problems(path):
    import h5py
    with h5py.File(path, "r") as f:
        return [name for name, d in f["weights"].items() if d.chunks is None or d.compression != "gzip" or not d.shuffle]


def hostile_copies(export, folder):
    """Copies of a valid export, each edited by h5py into something to refuse, with the reason
    mixer-convert must give."""
    import h5py
    import numpy as np
    with h5py.File(export, "r") as f:
        graph = json.loads(f["graph.json"][()])
    name = "blocks.0.norm1.scale"
    path = graph["weights"]["tensors"][name]["dataset"]
    shape = graph["weights"]["tensors"][name]["shape"]
    outside = os.path.join(folder, "outside.h5")
    with h5py.File(outside, "w") as f:
        f["data"] = np.ones(shape, np.float32)

    def external(f):
        f.create_dataset(path, shape, dtype="<f4", external=[("/etc/hostname", 0, h5py.h5f.UNLIMITED)])

    def virtual(f):
        layout = h5py.VirtualLayout(shape=tuple(shape), dtype="<f4")
        layout[...] = h5py.VirtualSource(outside, "data", shape=tuple(shape))
        f.create_virtual_dataset(path, layout)

    def fletcher(f):
        f.create_dataset(path, data=np.ones(shape, np.float32), chunks=tuple(shape), fletcher32=True)

    def float64(f):
        f.create_dataset(path, data=np.ones(shape, np.float64))

    def missing(f):
        pass

    def external_link(f):
        f[path] = h5py.ExternalLink(outside, "data")

    def fixed_string(f):
        text = f["graph.json"][()]
        del f["graph.json"]
        f["graph.json"] = np.bytes_(text)

    cases = [("external storage", external, "keeps its data in external files"),
             ("virtual dataset", virtual, "is a virtual dataset"),
             ("fletcher32 filter", fletcher, "uses HDF5 filter"),
             ("float64 elements", float64, "does not hold float32 elements"),
             ("dataset removed", missing, "is missing"),
             ("external link", external_link, "is an external link (to another file): refused"),
             ("fixed-length graph.json", fixed_string, "is not a variable-length string")]
    for label, edit, reason in cases:
        copy = os.path.join(folder, label.replace(" ", "-") + ".h5")
        shutil.copy(export, copy)
        with h5py.File(copy, "r+") as f:
            if edit is not fixed_string:
                del f[path]
            edit(f)
        yield label, copy, reason


def main():
    binary = sys.argv[1]
    import jsonschema
    start = time.time()
    failures = checks = 0

    def report(label, what, ok):
        nonlocal failures, checks
        checks += 1
        failures += not ok
        print(f"  {label:32s} {what:55s} {'ok' if ok else 'FAIL'}")

    with tempfile.TemporaryDirectory() as tmp:
        synthetic = os.path.join(tmp, "ti16.npz")
        subprocess.run([binary, "synth", "ViT-Ti_16", synthetic, "--naming", "linen", "--quiet"], check=True)
        cases = [(name, os.path.join(FIXTURES, name, "params.npz"), []) for name in
                 ["mixer_tiny", "vit_tiny_repr", "r50_vit_tiny"]] + [
            ("ViT-Ti/16 float16", synthetic, ["--dtype", "float16"]),
            ("ViT-Ti/16 bfloat16 gzip", synthetic, ["--dtype", "bfloat16", "--h5-compress"]),
            ("vit_tiny_token at 96 px gzip", os.path.join(FIXTURES, "vit_tiny_token", "params.npz"),
             ["--image-size", "96", "--h5-compress"]),
        ]
        for label, source, options in cases:
            export = os.path.join(tmp, label.replace(" ", "_").replace("/", "_") + ".h5")
            subprocess.run([binary, "convert", source, export, "--quiet", *options], check=True)
            loaded = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "read_h5.py"), export, source],
                                    capture_output=True, text=True)
            report(label, "read_h5.py: every tensor equals its source", loaded.returncode == 0)
            problem = schema_problem(export, jsonschema)
            report(label, "graph.json valid by the schema" + (": " + problem if problem else ""), problem is None)
            problems = keras_layout_problems(export)
            report(label, "Keras layout and attributes" + (": " + problems[0] if problems else ""), not problems)
            if "--h5-compress" in options:
                unpacked = compressed_problems(export)
                report(label, "every dataset chunked, shuffled, gzip", not unpacked)
        export = os.path.join(tmp, "mixer_tiny.h5")
        for label, copy, reason in hostile_copies(export, tmp):
            result = subprocess.run([binary, "run", copy, "--input", os.path.join(FIXTURES, "mixer_tiny", "input.npy"),
                                     "--output", os.path.join(tmp, "o.npy"), "--force"], capture_output=True, text=True)
            lines = result.stderr.strip().split("\n")
            ok = result.returncode == 2 and len(lines) == 1 and reason in lines[0]
            report(label, "refused: " + (reason if ok else f"status {result.returncode}: {result.stderr.strip()[:80]}"), ok)
        if FULL:
            # Over 1 GiB of tensors: more than the reader's child allows itself past what it has mapped,
            # so the memory budget must be its parent's, fixed before the child lowers its own limits.
            large = os.path.join(tmp, "l16.npz")
            subprocess.run([binary, "synth", "ViT-L_16", large, "--quiet"], check=True)
            subprocess.run([binary, "convert", large, large + ".h5", "--quiet"], check=True)
            os.remove(large)
            result = subprocess.run([binary, "inspect", large + ".h5", "--json"], capture_output=True, text=True)
            ok = result.returncode == 0 and '"parameters" : 304326632' in result.stdout
            report("ViT-L/16 (1.2 GB)", "read whole by the isolated reader" + ("" if ok else ": " + result.stderr[:80]), ok)
    print(f"check_hdf5: {checks} checks in {time.time() - start:.1f} s, {failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
