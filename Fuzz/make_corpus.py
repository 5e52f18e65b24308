#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Fuzz/Corpus/<target>/), small and committed.

    python3 Fuzz/make_corpus.py MIXER_CONVERT

npy, npz and safetensors seeds are made here with numpy (every dtype mixer-convert reads, both
memory orders, all npy versions, stored and deflated members, bfloat16 as '<V2'); the graph, hdf5
and onnx seeds are exports of the test fixtures made by MIXER_CONVERT; the image seeds are the test
images. The output is deterministic: rerunning it changes nothing unless the converter's output
does.
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")


def folder(name):
    path = os.path.join(CORPUS, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def npy_bytes(array, version=None):
    out = io.BytesIO()
    if version is None:
        np.save(out, array, allow_pickle=False)
    else:
        np.lib.format.write_array(out, array, version=version, allow_pickle=False)
    return out.getvalue()


def arrays():
    rng = np.random.default_rng(0)
    return {
        "f4": rng.standard_normal((2, 3)).astype("<f4"),
        "f2": rng.standard_normal((3,)).astype("<f2"),
        "f8": rng.standard_normal((2, 2)).astype("<f8"),
        "be": rng.standard_normal((4,)).astype(">f4"),
        "fortran": np.asfortranarray(rng.standard_normal((2, 3, 2)).astype("<f4")),
        "i4": np.arange(6, dtype="<i4").reshape(2, 3),
        "u1": np.arange(5, dtype="u1"),
        "bf16": np.frombuffer(np.arange(8, dtype="<u2").tobytes(), dtype="V2"),
        "scalar": np.array(1.5, dtype="<f4"),
        "empty": np.zeros((0, 3), dtype="<f4"),
    }


def write_npy():
    path = folder("npy")
    for name, array in arrays().items():
        open(os.path.join(path, name + ".npy"), "wb").write(npy_bytes(array))
    for version in [(2, 0), (3, 0)]:
        data = npy_bytes(arrays()["f4"], version=version)
        open(os.path.join(path, "v%d.npy" % version[0]), "wb").write(data)


def write_npz():
    path = folder("npz")
    for compression, suffix in [(zipfile.ZIP_STORED, "stored"), (zipfile.ZIP_DEFLATED, "deflated")]:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression) as archive:
            for name, array in arrays().items():
                archive.writestr("layer/%s.npy" % name, npy_bytes(array))
            archive.writestr("bare", npy_bytes(arrays()["f4"]))  # no .npy suffix, as np.load allows
        open(os.path.join(path, suffix + ".npz"), "wb").write(out.getvalue())
    shutil.copy(os.path.join(FIXTURES, "mixer_tiny_compressed", "params.npz"), os.path.join(path, "mixer_tiny.npz"))


def safetensors_bytes(tensors):
    header, data, offset = {}, b"", 0
    codes = {"<f4": "F32", "<f2": "F16", "<i4": "I32", "|u1": "U8"}
    for name, array in tensors.items():
        raw = array.tobytes()
        header[name] = {"dtype": codes[array.dtype.str], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_safetensors(shard):
    path = folder("safetensors")
    selected = {k: v for k, v in arrays().items() if v.dtype.str in ("<f4", "<f2", "<i4", "|u1")}
    open(os.path.join(path, "dtypes.safetensors"), "wb").write(safetensors_bytes(selected))
    open(os.path.join(path, "empty.safetensors"), "wb").write(safetensors_bytes({}))
    shutil.copy(shard, os.path.join(path, "mixer_tiny.safetensors"))


def main():
    mixer_convert = sys.argv[1]
    write_npy()
    write_npz()
    graphs = folder("graph")
    hdf5 = folder("hdf5")
    onnx = folder("onnx")
    with tempfile.TemporaryDirectory() as scratch:
        for fixture in ["mixer_tiny", "vit_tiny_token", "vit_tiny_gap", "r50_vit_tiny"]:
            source = os.path.join(FIXTURES, fixture, "params.npz")
            bundle = os.path.join(scratch, fixture)
            subprocess.run([mixer_convert, source, bundle, "--quiet"], check=True)
            shutil.copy(os.path.join(bundle, "graph.json"), os.path.join(graphs, fixture + ".json"))
            subprocess.run([mixer_convert, source, os.path.join(onnx, fixture + ".onnx"), "--quiet"], check=True)
        write_safetensors(os.path.join(scratch, "mixer_tiny", "model-00001-of-00001.safetensors"))
        for fixture, options in [("mixer_tiny", []), ("mixer_tiny_fe", ["--h5-compress", "--dtype", "bfloat16"])]:
            target = os.path.join(hdf5, fixture + ".h5")
            subprocess.run([mixer_convert, os.path.join(FIXTURES, fixture, "params.npz"), target, "--quiet"] + options,
                           check=True)
    for kind, suffix in [("png", ".png"), ("jpeg", ".jpg")]:
        target = folder(kind)
        images = os.path.join(FIXTURES, "images")
        for name in sorted(os.listdir(images)):
            if name.endswith(suffix):
                shutil.copy(os.path.join(images, name), os.path.join(target, name))


if __name__ == "__main__":
    main()
