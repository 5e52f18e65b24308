#!/usr/bin/env python3
"""Judges checkpoints written back by `mixer-convert EXPORT OUT.npz` (and `CKPT.npz OUT.npz`)
with numpy alone, which knows nothing of the project:

- every golden fixture: npz → bundle, .h5, .onnx (and the timm and transformers folders that
  can hold it) → npz gives the same arrays, bit for bit: keys, dtypes, shapes and bytes, in an
  archive of stored members as `np.savez` writes it;
- a key prefix (`params/`) and the Linen spelling of the encoder blocks come back as they were;
- `--dtype bfloat16` stores `<V2` with each value the float32's nearest bfloat16 (ties to even)
  and survives its own round trip; a float16 export writes back float16, a bfloat16 export
  widened to float32 exactly;
- an export made with `--image-size` writes back a checkpoint at that resolution: the same
  bytes as `CKPT.npz OUT.npz --image-size`, and a bundle of it computes exactly what the resized
  export computes;
- an export written to another export format, and options that only apply to converting a
  checkpoint, are refused in one line with exit status 2.

Usage: check_write_back.py PATH/TO/mixer-convert
"""
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_onnx import FIXTURES, tool, run_checks  # noqa: E402  (same folder)

import numpy as np  # noqa: E402

# The library folders each fixture fits in (the others are refused; check_timm.py and
# check_transformers.py judge the refusals).
LIBRARIES = {"vit_tiny_token": ["timm", "transformers"], "vit_tiny_gap": ["timm"]}


def arrays(path):
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def difference(expected, actual):
    """None when the checkpoints hold the same arrays bit for bit, else the first difference."""
    a, b = arrays(expected), arrays(actual)
    if set(a) != set(b):
        return f"keys differ: {sorted(set(a) ^ set(b))[:3]}"
    for key in sorted(a):
        if a[key].dtype != b[key].dtype or a[key].shape != b[key].shape or a[key].tobytes() != b[key].tobytes():
            return f"{key}: {a[key].dtype}{a[key].shape} vs {b[key].dtype}{b[key].shape}"
    return None


def stored_as_savez(path):
    with zipfile.ZipFile(path) as archive:
        return all(info.compress_type == zipfile.ZIP_STORED and info.filename.endswith(".npy") for info in archive.infolist())


def descr(path, key):
    """The dtype string in a member's npy header."""
    with zipfile.ZipFile(path) as archive, archive.open(key + ".npy") as member:
        header = member.read(128).decode("latin1")
    return header.split("'descr': '")[1].split("'")[0]


def round_trips(binary, tmp, checks):
    print("npz → export → npz, every golden fixture (bit-identical arrays):")
    for name in sorted(os.listdir(FIXTURES)):
        source = os.path.join(FIXTURES, name, "params.npz")
        if not os.path.exists(source):
            continue
        exports = [(os.path.join(tmp, name), ()), (os.path.join(tmp, name + ".h5"), ()), (os.path.join(tmp, name + ".onnx"), ())]
        exports += [(os.path.join(tmp, f"{name}-{library}"), ("--format", library)) for library in LIBRARIES.get(name, [])]
        for export, options in exports:
            back = export + ".back.npz"
            converted = tool(binary, source, export, "--quiet", *options)
            written = tool(binary, export, back)
            label = os.path.basename(export).replace(name, "").lstrip("-.") or "bundle"
            problem = difference(source, back) if written.returncode == 0 else written.stderr.strip()
            checks.expect(f"{name} → {label} → npz: bit-identical", converted.returncode == 0 and problem is None
                          and stored_as_savez(back), problem or converted.stderr.strip())


def namings_and_prefixes(binary, tmp, checks):
    fixture = arrays(os.path.join(FIXTURES, "vit_tiny_repr", "params.npz"))
    prefixed = os.path.join(tmp, "prefixed.npz")
    np.savez(prefixed, **{"params/" + key: value for key, value in fixture.items()})
    linen = os.path.join(tmp, "linen.npz")
    tool(binary, "synth", "ViT-Ti_16", linen, "--naming", "linen", "--quiet")
    for label, source in (("params/ prefix", prefixed), ("Linen block names", linen)):
        export = os.path.join(tmp, os.path.basename(source) + ".onnx")
        tool(binary, source, export, "--quiet")
        tool(binary, export, export + ".npz")
        problem = difference(source, export + ".npz")
        checks.expect(f"{label}: written back as they were", problem is None, problem or "")


def dtypes(binary, tmp, checks):
    source = os.path.join(FIXTURES, "r50_vit_tiny", "params.npz")
    bf16 = os.path.join(tmp, "bf16.npz")
    resaved = tool(binary, source, bf16, "--dtype", "bfloat16")
    original = arrays(source)
    key = "block1/unit1/conv2/kernel"
    bits = original[key].view(np.uint32).astype(np.uint64)
    nearest = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    checks.expect("CKPT.npz OUT.npz --dtype bfloat16: <V2, each value the nearest bfloat16 (ties to even)",
                  resaved.returncode == 0 and descr(bf16, key) == "<V2" and arrays(bf16)[key].view(np.uint16).tobytes()
                  == nearest.tobytes() and set(arrays(bf16)) == set(original), resaved.stderr.strip())
    tool(binary, bf16, os.path.join(tmp, "bf16-bundle"), "--dtype", "bfloat16", "--quiet")
    tool(binary, os.path.join(tmp, "bf16-bundle"), os.path.join(tmp, "bf16-back.npz"))
    problem = difference(bf16, os.path.join(tmp, "bf16-back.npz"))
    checks.expect("bfloat16 checkpoint → bfloat16 bundle → npz: bit-identical", problem is None, problem or "")
    tool(binary, bf16, os.path.join(tmp, "wide.npz"), "--dtype", "float32")
    wide = arrays(os.path.join(tmp, "wide.npz"))[key]
    checks.expect("bfloat16 widened to float32 exactly", wide.dtype == np.float32
                  and wide.view(np.uint32).tobytes() == (nearest.astype(np.uint32) << 16).tobytes())
    half = os.path.join(tmp, "f16.onnx")
    tool(binary, source, half, "--dtype", "float16", "--quiet")
    tool(binary, half, half + ".npz")
    value = arrays(half + ".npz")[key]
    checks.expect("float16 export → npz: float16, the float32 values rounded (numpy's cast)",
                  value.dtype == np.float16 and value.tobytes() == original[key].astype(np.float16).tobytes())


def resolution(binary, tmp, checks):
    source = os.path.join(FIXTURES, "vit_tiny_token", "params.npz")
    export = os.path.join(tmp, "at128")
    tool(binary, source, export, "--image-size", "128", "--quiet")
    tool(binary, export, export + ".npz")
    direct = os.path.join(tmp, "direct128.npz")
    tool(binary, source, direct, "--image-size", "128")
    key = "Transformer/posembed_input/pos_embedding"
    written = arrays(export + ".npz")
    problem = difference(direct, export + ".npz")
    checks.expect("--image-size 128 export → npz: a 128 px checkpoint, the same as CKPT.npz OUT.npz --image-size 128",
                  written[key].shape == (1, 65, 32) and problem is None, problem or str(written[key].shape))
    again = os.path.join(tmp, "again128")
    tool(binary, export + ".npz", again, "--quiet")
    image = np.random.default_rng(0).uniform(-1, 1, (2, 128, 128, 3)).astype(np.float32)
    np.save(os.path.join(tmp, "x128.npy"), image)
    for folder in (export, again):
        tool(binary, "run", folder, "--input", os.path.join(tmp, "x128.npy"), "--output", folder + ".out.npy")
    same = np.array_equal(np.load(export + ".out.npy"), np.load(again + ".out.npy"))
    checks.expect("a bundle of the written-back checkpoint computes exactly what the resized export does", same)


def refusals(binary, tmp, checks):
    source = os.path.join(FIXTURES, "mixer_tiny", "params.npz")
    bundle = os.path.join(tmp, "refusals-bundle")
    tool(binary, source, bundle, "--quiet")
    for arguments, message in [
        ([bundle, os.path.join(tmp, "r.onnx")], "can be written back to an .npz checkpoint only"),
        ([bundle, os.path.join(tmp, "r.npz"), "--variant", "features"], "--variant applies to converting a checkpoint"),
        ([source, os.path.join(tmp, "r.npz"), "--verify"], "--verify checks an export"),
        ([source, os.path.join(tmp, "r.npz"), "--shard-size", "1MB"], "--shard-size applies to bundle output"),
    ]:
        result = tool(binary, *arguments)
        lines = result.stderr.strip().splitlines()
        checks.expect(f"refused: {message}", result.returncode == 2 and len(lines) == 1 and message in lines[0]
                      and not os.path.exists(arguments[1]), result.stderr.strip())


def main():
    def body(binary, tmp, checks):
        round_trips(binary, tmp, checks)
        namings_and_prefixes(binary, tmp, checks)
        dtypes(binary, tmp, checks)
        resolution(binary, tmp, checks)
        refusals(binary, tmp, checks)
        return []
    run_checks("check_write_back", body, f"numpy {np.__version__}")

if __name__ == "__main__":
    main()
