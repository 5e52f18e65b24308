#!/usr/bin/env python3
"""Cross-checks `mixer-convert synth` with numpy, independently of the Swift code.

For every model `synth --list` offers, the written .npz must open in numpy with exactly the
key set and shapes that checkpoint-layout.md prescribes (re-derived here from the document)
and the golden parameter count. float16 / bfloat16 / deflate variants are checked against
numpy's own conversions.

Usage: check_synth.py PATH/TO/mixer-convert
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

# Totals with a 1000-class head at 224 px (checkpoint-layout.md section 7, upstream models_test.py).
GOLDEN = {
    "ViT-Ti_16": 5_717_416, "ViT-S_16": 22_050_664, "ViT-B_16": 86_567_656, "ViT-L_16": 304_326_632,
    "ViT-H_14": 632_045_800, "ViT-S_16-gap-norep": 22_049_896, "ViT-B_16-gap-norep": 86_566_120,
    "ViT-B_8": 86_576_872, "ViT-S_32": 22_878_952, "ViT-B_32": 88_224_232, "ViT-L_32": 306_535_400,
    "ViT-S_32-gap-norep": 22_878_184, "ViT-B_32-gap-norep": 88_222_696, "R+ViT-Ti_16": 6_337_704,
    "R50+ViT-B_16": 98_659_112, "R26+ViT-B_32": 101_383_976, "R26+ViT-S_32": 36_431_912,
    "R50+ViT-L_32": 328_994_856, "Mixer-B_16": 59_880_472, "Mixer-B_32": 60_293_428, "Mixer-L_16": 208_196_168,
}

# name: (patch, hidden, layers, mlp, heads, classifier, resnet units or None)
VIT = {
    "ViT-Ti_16": (16, 192, 12, 768, 3, "token", None), "ViT-S_16": (16, 384, 12, 1536, 6, "token", None),
    "ViT-B_16": (16, 768, 12, 3072, 12, "token", None), "ViT-L_16": (16, 1024, 24, 4096, 16, "token", None),
    "ViT-H_14": (14, 1280, 32, 5120, 16, "token", None),
    "ViT-S_16-gap-norep": (16, 384, 12, 1536, 6, "gap", None), "ViT-B_16-gap-norep": (16, 768, 12, 3072, 12, "gap", None),
    "ViT-B_8": (8, 768, 12, 3072, 12, "token", None), "ViT-S_32": (32, 384, 12, 1536, 6, "token", None),
    "ViT-B_32": (32, 768, 12, 3072, 12, "token", None), "ViT-L_32": (32, 1024, 24, 4096, 16, "token", None),
    "ViT-S_32-gap-norep": (32, 384, 12, 1536, 6, "gap", None), "ViT-B_32-gap-norep": (32, 768, 12, 3072, 12, "gap", None),
    "R+ViT-Ti_16": (8, 192, 12, 768, 3, "token", ()), "R50+ViT-B_16": (1, 768, 12, 3072, 12, "token", (3, 4, 9)),
    "R26+ViT-B_32": (1, 768, 12, 3072, 12, "token", (2, 2, 2, 2)), "R26+ViT-S_32": (1, 384, 12, 1536, 6, "token", (2, 2, 2, 2)),
    "R50+ViT-L_32": (1, 1024, 24, 4096, 16, "token", (3, 4, 6, 3)),
}
# name: (patch, hidden, blocks, tokens_mlp, channels_mlp)
MIXER = {
    "Mixer-S_32": (32, 512, 8, 256, 2048), "Mixer-S_16": (16, 512, 8, 256, 2048), "Mixer-B_32": (32, 768, 12, 384, 3072),
    "Mixer-B_16": (16, 768, 12, 384, 3072), "Mixer-L_32": (32, 1024, 24, 512, 4096), "Mixer-L_16": (16, 1024, 24, 512, 4096),
    "Mixer-H_14": (14, 1280, 32, 640, 5120),
}
PAPER_MILLIONS = {"Mixer-S_32": 19, "Mixer-S_16": 18, "Mixer-L_32": 206, "Mixer-H_14": 431}


def mixer_layout(p, d, blocks, ds, dc, classes=1000):
    s = (224 // p) ** 2
    keys = {"stem/kernel": (p, p, 3, d), "stem/bias": (d,),
            "pre_head_layer_norm/scale": (d,), "pre_head_layer_norm/bias": (d,)}
    for i in range(blocks):
        b = f"MixerBlock_{i}/"
        for ln in ("LayerNorm_0", "LayerNorm_1"):
            keys[b + ln + "/scale"] = (d,)
            keys[b + ln + "/bias"] = (d,)
        for mlp, width, hidden in (("token_mixing", s, ds), ("channel_mixing", d, dc)):
            keys[b + mlp + "/Dense_0/kernel"] = (width, hidden)
            keys[b + mlp + "/Dense_0/bias"] = (hidden,)
            keys[b + mlp + "/Dense_1/kernel"] = (hidden, width)
            keys[b + mlp + "/Dense_1/bias"] = (width,)
    if classes:
        keys["head/kernel"] = (d, classes)
        keys["head/bias"] = (classes,)
    return keys


def resnet_layout(units):
    keys = {"conv_root/kernel": (7, 7, 3, 64), "gn_root/scale": (64,), "gn_root/bias": (64,)}
    cin = 64
    for s, n in enumerate(units, start=1):
        w = 64 * 2 ** (s - 1)
        for u in range(1, n + 1):
            b = f"block{s}/unit{u}/"
            keys[b + "conv1/kernel"] = (1, 1, cin, w)
            keys[b + "conv2/kernel"] = (3, 3, w, w)
            keys[b + "conv3/kernel"] = (1, 1, w, 4 * w)
            for gn, width in (("gn1", w), ("gn2", w), ("gn3", 4 * w)):
                keys[b + gn + "/scale"] = (width,)
                keys[b + gn + "/bias"] = (width,)
            if cin != 4 * w or (s > 1 and u == 1):
                keys[b + "conv_proj/kernel"] = (1, 1, cin, 4 * w)
                keys[b + "gn_proj/scale"] = (4 * w,)
                keys[b + "gn_proj/bias"] = (4 * w,)
            cin = 4 * w
    return keys, cin, 4 * 2 ** max(len(units) - 1, 0)


def vit_layout(p, d, layers, mlp, heads, classifier, units, naming="released", classes=1000):
    keys, cin, stride = ({}, 3, 1) if units is None else resnet_layout(units)
    grid = 224 // (p * stride)
    tokens = grid * grid + (1 if classifier == "token" else 0)
    keys.update({"embedding/kernel": (p, p, cin, d), "embedding/bias": (d,),
                 "Transformer/posembed_input/pos_embedding": (1, tokens, d),
                 "Transformer/encoder_norm/scale": (d,), "Transformer/encoder_norm/bias": (d,)})
    if classifier == "token":
        keys["cls"] = (1, 1, d)
    names = ("LayerNorm_0", "MultiHeadDotProductAttention_1", "LayerNorm_2", "MlpBlock_3") if naming == "released" \
        else ("LayerNorm_0", "MultiHeadDotProductAttention_0", "LayerNorm_1", "MlpBlock_0")
    for i in range(layers):
        b = f"Transformer/encoderblock_{i}/"
        for ln in (names[0], names[2]):
            keys[b + ln + "/scale"] = (d,)
            keys[b + ln + "/bias"] = (d,)
        for proj in ("query", "key", "value"):
            keys[b + names[1] + f"/{proj}/kernel"] = (d, heads, d // heads)
            keys[b + names[1] + f"/{proj}/bias"] = (heads, d // heads)
        keys[b + names[1] + "/out/kernel"] = (heads, d // heads, d)
        keys[b + names[1] + "/out/bias"] = (d,)
        keys[b + names[3] + "/Dense_0/kernel"] = (d, mlp)
        keys[b + names[3] + "/Dense_0/bias"] = (mlp,)
        keys[b + names[3] + "/Dense_1/kernel"] = (mlp, d)
        keys[b + names[3] + "/Dense_1/bias"] = (d,)
    if classes:
        keys["head/kernel"] = (d, classes)
        keys["head/bias"] = (classes,)
    return keys


def layout(name, naming="released"):
    if name in MIXER:
        return mixer_layout(*MIXER[name])
    return vit_layout(*VIT[name], naming=naming)


def headers(path):
    """Key → (descr, shape) read with numpy's own npy header parser, without loading data."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            assert info.filename.endswith(".npy"), info.filename
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read(member)
                assert not fortran
                out[info.filename[:-4]] = (dtype.str, shape)
    return out


def synth(binary, model, path, *options):
    subprocess.run([binary, "synth", model, path, "--quiet", "--force", *options], check=True, stdout=subprocess.DEVNULL)


def main():
    binary = sys.argv[1]
    models = [m["name"] for m in json.loads(subprocess.check_output([binary, "synth", "--list", "--json"]))]
    assert set(models) == set(VIT) | set(MIXER), sorted(set(models) ^ (set(VIT) | set(MIXER)))
    failures = 0
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.npz")
        for name in models:
            expected = layout(name)
            count = sum(int(np.prod(s)) for s in expected.values())
            # Big models are written as bfloat16 to halve the disk traffic; keys and shapes are the same.
            dtype = "bfloat16" if count > 150_000_000 else "float32"
            synth(binary, name, path, "--dtype", dtype)
            found = headers(path)
            problems = []
            if set(found) != set(expected):
                problems.append(f"keys differ: missing {sorted(set(expected) - set(found))[:3]}, "
                                f"extra {sorted(set(found) - set(expected))[:3]}")
            bad = [k for k in expected if k in found and tuple(found[k][1]) != expected[k]]
            if bad:
                problems.append(f"shapes differ: {bad[:3]}")
            descr = {"float32": "<f4", "bfloat16": "|V2"}[dtype]  # numpy reports void as |V2
            if any(d != descr for d, _ in found.values()):
                problems.append(f"dtype is not {descr}")
            total = sum(int(np.prod(s)) for _, s in found.values())
            golden = GOLDEN.get(name)
            if golden is not None and total != golden:
                problems.append(f"{total} parameters, golden {golden}")
            if name in PAPER_MILLIONS and abs(total // 1_000_000 - PAPER_MILLIONS[name]) > 1:
                problems.append(f"{total} parameters, paper says about {PAPER_MILLIONS[name]}M")
            with np.load(path) as data:  # numpy opens the archive and reads real data
                first = sorted(data.files)[0]
                array = data[first]
                if array.shape != expected[first]:
                    problems.append(f"np.load({first}) has shape {array.shape}")
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            failures += bool(problems)
            print(f"  {name:20s} {total:>12,} params {dtype:8s} {status}")

        # Linen naming, float16 / bfloat16 values and deflate against numpy's own conversions.
        f32, f16, bf16, packed = (os.path.join(tmp, n) for n in ("a.npz", "b.npz", "c.npz", "d.npz"))
        synth(binary, "R+ViT-Ti_16", f32, "--naming", "linen", "--seed", "5")
        synth(binary, "R+ViT-Ti_16", f16, "--naming", "linen", "--seed", "5", "--dtype", "float16")
        synth(binary, "R+ViT-Ti_16", bf16, "--naming", "linen", "--seed", "5", "--dtype", "bfloat16")
        synth(binary, "R+ViT-Ti_16", packed, "--naming", "linen", "--seed", "5", "--compress")
        checks = []
        found = headers(f32)
        expected = layout("R+ViT-Ti_16", naming="linen")
        checks.append(("linen names and shapes", {k: tuple(s) for k, (_, s) in found.items()} == expected))
        with np.load(f32) as a, np.load(f16) as b, np.load(bf16) as c, np.load(packed) as d:
            same16 = all(np.array_equal(a[k].astype(np.float16), b[k]) for k in a.files)
            checks.append(("float16 == numpy astype(float16)", same16))
            def to_bf16(x):
                bits = x.view(np.uint32).astype(np.uint64)
                return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
            samebf = all(c[k].dtype.str == "|V2" and np.array_equal(c[k].view(np.uint16), to_bf16(a[k])) for k in a.files)
            checks.append(("bfloat16 (<V2) == round-to-nearest-even of float32", samebf))
            checks.append(("deflate members hold the same arrays", all(np.array_equal(a[k], d[k]) for k in a.files)))
            sane = all(np.isfinite(a[k]).all() and 0 < np.abs(a[k]).max() < 10 for k in a.files)
            checks.append(("values finite, nonzero and O(1)", sane))
        with zipfile.ZipFile(packed) as z:
            checks.append(("--compress writes deflate members", all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())))
        for label, ok in checks:
            failures += not ok
            print(f"  {label:55s} {'ok' if ok else 'FAIL'}")
    print(f"check_synth: {len(models)} models and {len(checks)} variant checks in {time.time() - start:.1f} s, "
          f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
