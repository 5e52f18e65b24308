#!/usr/bin/env python3
"""Judges timm folders (`mixer-convert CKPT OUT --format timm`) by timm itself (the PyPI package
in the test virtual environment, offline), never by mixer-convert:

- every golden fixture: the ViTs load with `timm.create_model('local-dir:OUT', pretrained=True)`
  (strict: the state dict's keys and shapes are exactly the file's) and reproduce the outputs of
  the original Flax code, logits and pre-logits, and as a features export; the data
  configuration is the original evaluation preprocessing; `mixer-convert verify` proves the
  folder; the drift of timm's default exact GELU is measured (and must show). The fixtures timm
  cannot build (the tiny Mixers, the representation layer, the tiny hybrid's stem) are refused
  with exit status 2, one line naming the reason and the formats that can, and nothing written;
- every released configuration (synthetic weights; over 150 M parameters only with
  MIXER_CONVERT_TEST_FULL=1): registered under timm's architecture name, against
  `mixer-convert run` on the bundle of the same checkpoint within 1e-5 × max|logit| (Mixers with
  `act_layer=GELUTanh`; hybrids within the stated drift of timm's weight standardisation, and
  within 1e-5 once the test swaps in the original's); Mixer-H/14, which timm has no
  architecture for, refused;
- an export at another resolution (`--image-size 384`) and a bfloat16 one;
- a fine-tuning smoke: one optimiser step on a loaded model changes its weights and lowers the
  loss on a small batch.

Usage: check_timm.py PATH/TO/mixer-convert
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_onnx import FIXTURES, FULL, LARGE, relative, tool, drift_line, run_checks, within_rounding  # noqa: E402

import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import safetensors.numpy  # noqa: E402
import timm  # noqa: E402
import torch  # noqa: E402
from timm.layers import GELUTanh, StdConv2dSame  # noqa: E402
from timm.layers.padding import pad_same  # noqa: E402

torch.set_grad_enabled(False)
TOLERANCE = 1e-5
# timm's hybrid stem standardises kernels as (w − mean) / sqrt(var + 1e-8) and its GroupNorm
# adds 1e-5 (the original: / (std + 1e-5), and 1e-6); the largest drift that causes over the
# released hybrids is 2.7e-4 of max|logit| (R50+ViT-L/32).
HYBRID_TOLERANCE = 5e-4
# timm's architecture for each released configuration (timm.list_models names).
ARCHITECTURES = {
    "ViT-Ti_16": "vit_tiny_patch16_224", "ViT-S_16": "vit_small_patch16_224", "ViT-B_16": "vit_base_patch16_224",
    "ViT-L_16": "vit_large_patch16_224", "ViT-H_14": "vit_huge_patch14_224", "ViT-B_8": "vit_base_patch8_224",
    "ViT-S_32": "vit_small_patch32_224", "ViT-B_32": "vit_base_patch32_224", "ViT-L_32": "vit_large_patch32_224",
    "ViT-S_16-gap-norep": "vit_small_patch16_224", "ViT-B_16-gap-norep": "vit_base_patch16_224",
    "ViT-S_32-gap-norep": "vit_small_patch32_224", "ViT-B_32-gap-norep": "vit_base_patch32_224",
    "R+ViT-Ti_16": "vit_tiny_r_s16_p8_224", "R26+ViT-S_32": "vit_small_r26_s32_224",
    "R26+ViT-B_32": "vit_base_r26_s32_224", "R50+ViT-B_16": "vit_base_r50_s16_224",
    "R50+ViT-L_32": "vit_large_r50_s32_224", "Mixer-S_32": "mixer_s32_224", "Mixer-S_16": "mixer_s16_224",
    "Mixer-B_32": "mixer_b32_224", "Mixer-B_16": "mixer_b16_224", "Mixer-L_32": "mixer_l32_224",
    "Mixer-L_16": "mixer_l16_224",
}
# What timm cannot build, and the words the refusal must use.
REFUSED_FIXTURES = {
    "mixer_tiny": "registered sizes", "mixer_tiny_compressed": "registered sizes", "mixer_tiny_fe": "registered sizes",
    "vit_tiny_repr": "representation (pre_logits) layer", "r50_vit_tiny": "ResNet stem",
}


def load(folder, **overrides):
    """The folder through timm's own loader, in evaluation mode."""
    return timm.create_model("local-dir:" + folder, pretrained=True, **overrides).eval()


def nchw(image):
    return torch.from_numpy(np.ascontiguousarray(image.transpose(0, 3, 1, 2)))


def outputs(model, image):
    """Logits (or features) and the head's input."""
    features = model.forward_features(nchw(image))
    return model.forward_head(features).numpy(), model.forward_head(features, pre_logits=True).numpy()


def within(value, expected, tolerance=TOLERANCE):
    return value.shape == expected.shape and float(np.abs(value - expected).max()) <= (
        tolerance + tolerance * float(np.abs(expected).max()))


def strict_keys(model, folder):
    """timm loads strictly already; this also says which keys would differ."""
    stored = safetensors.numpy.load_file(os.path.join(folder, "model.safetensors"))
    state = model.state_dict()
    return set(stored) == set(state) and all(tuple(stored[k].shape) == tuple(state[k].shape) for k in stored)


def refused(binary, tmp, checks, label, source, output, fragment, *options, library="timm"):
    """Converting `source` to `library`'s folder is refused in one line and nothing is written."""
    before = set(os.listdir(tmp))
    result = tool(binary, source, output, "--format", library, *options)
    lines = result.stderr.strip().splitlines()
    checks.expect(f"{label}: refused in one line, nothing written", result.returncode == 2 and len(lines) == 1
                  and f"{library} cannot hold this model" in lines[0] and fragment in lines[0] and " can" in lines[0]
                  and not os.path.exists(output) and set(os.listdir(tmp)) == before, lines[0] if lines else "")


def fixtures(binary, tmp, checks):
    print("golden fixtures through timm (max |timm − Flax| / max |Flax|):")
    drift, default_gelu = {}, {}
    for name in sorted(os.listdir(FIXTURES)):
        source = os.path.join(FIXTURES, name, "params.npz")
        if not os.path.exists(source):
            continue
        folder = os.path.join(tmp, name + "-timm")
        if name in REFUSED_FIXTURES:
            refused(binary, tmp, checks, name, source, folder, REFUSED_FIXTURES[name])
            continue
        converted = tool(binary, source, folder, "--format", "timm", "--quiet")
        if not checks.expect(f"{name}: converts", converted.returncode == 0, converted.stderr.strip()):
            continue
        image = np.load(os.path.join(FIXTURES, name, "input.npy"))
        model = load(folder)
        checks.expect(f"{name}: every key and shape of timm's state dict, none more", strict_keys(model, folder))
        logits, pre_logits = outputs(model, image)
        for output, value in (("logits", logits), ("pre_logits", pre_logits)):
            golden = np.load(os.path.join(FIXTURES, name, output + ".npy"))
            drift[f"{name} {output}"] = relative(value, golden)
            checks.expect(f"{name}: timm {output} against Flax", within(value, golden),
                          f"relative {drift[f'{name} {output}']:.2e}")
        config = timm.data.resolve_data_config(model=model)
        checks.expect(f"{name}: data config is the original evaluation (bilinear, no crop, mean = std = 0.5)",
                      config["interpolation"] == "bilinear" and config["crop_pct"] == 1 and config["crop_mode"] == "squash"
                      and tuple(config["mean"]) == (0.5,) * 3 and tuple(config["std"]) == (0.5,) * 3
                      and tuple(config["input_size"]) == (3,) + image.shape[1:3], str(config))
        exact = load(folder, act_layer="gelu")
        default_gelu[name] = relative(outputs(exact, image)[0], np.load(os.path.join(FIXTURES, name, "logits.npy")))
        checks.expect(f"{name}: timm's default exact GELU drifts beyond the tolerance", default_gelu[name] > 10 * TOLERANCE,
                      f"relative {default_gelu[name]:.2e}")
        verified = tool(binary, "verify", source, folder)
        checks.expect(f"{name}: mixer-convert verify on the timm folder", verified.returncode == 0, verified.stderr.strip())
        features = os.path.join(tmp, name + "-timm-features")
        tool(binary, source, features, "--format", "timm", "--variant", "features", "--quiet")
        value = load(features)(nchw(image)).numpy()
        checks.expect(f"{name}: features export (num_classes 0) against Flax pre_logits",
                      within(value, np.load(os.path.join(FIXTURES, name, "pre_logits.npy"))))
    refused(binary, tmp, checks, "vit_tiny_repr features", os.path.join(FIXTURES, "vit_tiny_repr", "params.npz"),
            os.path.join(tmp, "repr-features"), "representation (pre_logits) layer", "--variant", "features")
    return drift, default_gelu


class OriginalStandardisation:
    """Within the block, timm's hybrid stems standardise and normalise as the original does:
    (w − mean) / (std + 1e-5) and GroupNorm epsilon 1e-6 (a test device, to show that the
    hybrids' drift is timm's standardisation alone)."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        def forward(conv, x):
            x = pad_same(x, conv.kernel_size, conv.stride, conv.dilation) if conv.same_pad else x
            w = conv.weight
            mean = w.mean(dim=(1, 2, 3), keepdim=True)
            std = w.std(dim=(1, 2, 3), unbiased=False, keepdim=True)
            return torch.nn.functional.conv2d(x, (w - mean) / (std + 1e-5), conv.bias, conv.stride, conv.padding,
                                              conv.dilation, conv.groups)
        self.saved = StdConv2dSame.forward
        StdConv2dSame.forward = forward
        self.norms = [m for m in self.model.modules() if isinstance(m, torch.nn.GroupNorm)]
        for norm in self.norms:
            norm.eps = 1e-6
        return self.model

    def __exit__(self, *_):
        StdConv2dSame.forward = self.saved
        for norm in self.norms:
            norm.eps = 1e-5


# The bundle `released_reference` converts each released configuration into, inside `tmp`.
RELEASED_BUNDLE = "released-bundle"


def released_reference(binary, tmp, name, size=224, options=()):
    """Synthesises `name`, converts it to a bundle (with `options`) and runs it on a random batch
    of 2: the checkpoint, the input and `mixer-convert run`'s output."""
    checkpoint = os.path.join(tmp, "released.npz")
    bundle = os.path.join(tmp, RELEASED_BUNDLE)
    image = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    np.save(os.path.join(tmp, "released-input.npy"), image)
    tool(binary, "synth", name, checkpoint, "--force", "--quiet")
    tool(binary, checkpoint, bundle, "--force", "--quiet", *options)
    ran = tool(binary, "run", bundle, "--input", os.path.join(tmp, "released-input.npy"), "--output",
               os.path.join(tmp, "released-output.npy"), "--force")
    if ran.returncode != 0:
        return checkpoint, image, None
    return checkpoint, image, np.load(os.path.join(tmp, "released-output.npy"))


def released(binary, tmp, checks):
    listing = tool(binary, "synth", "--list").stdout.splitlines()[1:]
    names = [line.split()[0] for line in listing if line.strip()]
    print(f"released configurations (synthetic), timm against `run` on the bundle"
          f"{'' if FULL else ' (over 150 M parameters: make test-full)'}:")
    mixer_gelu = {}
    for name in names:
        if name in LARGE and not FULL:
            continue
        folder = os.path.join(tmp, "released-timm")
        if name not in ARCHITECTURES:
            checkpoint = os.path.join(tmp, "released.npz")
            tool(binary, "synth", name, checkpoint, "--force", "--quiet")
            refused(binary, tmp, checks, name, checkpoint, os.path.join(tmp, "refused-timm"), "registered sizes")
            continue
        checkpoint, image, expected = released_reference(binary, tmp, name)
        converted = tool(binary, checkpoint, folder, "--format", "timm", "--force")
        if not checks.expect(f"{name}: converts and runs", converted.returncode == 0 and expected is not None,
                             converted.stderr.strip()):
            continue
        mixer = name.startswith("Mixer")
        checks.expect(f"{name}: the summary says how to get the original GELU", mixer == (
            "act_layer=timm.layers.GELUTanh" in converted.stdout))
        config = json.load(open(os.path.join(folder, "config.json")))
        architecture = config["architecture"]
        model = load(folder, **({"act_layer": GELUTanh} if mixer else {}))
        logits = model(nchw(image)).numpy()
        if name == "ViT-Ti_16":
            names_given = config.get("label_names") or []
            checks.expect(f"{name}: label_names are ImageNet-1k's WordNet ids",
                          len(names_given) == 1000 and names_given[0] == "n01440764", str(names_given[:2]))
        detail = f"{architecture}, relative {relative(logits, expected):.2e}"
        if "R" in name.split("ViT")[0]:
            checks.expect(f"{name}: timm ({architecture}) within timm's standardisation drift {HYBRID_TOLERANCE:.0e}",
                          architecture == ARCHITECTURES[name] and within(logits, expected, HYBRID_TOLERANCE), detail)
            with OriginalStandardisation(model) as original:
                exact = original(nchw(image)).numpy()
            close, drift = within_rounding(binary, tmp, os.path.join(tmp, RELEASED_BUNDLE), image, expected, exact,
                                           within(exact, expected))
            checks.expect(f"{name}: with the original's standardisation, within 1e-5 × max|logit| (or its rounding floor)",
                          close, f"relative {drift}")
        else:
            checks.expect(f"{name}: timm ({architecture}) equals `run` within 1e-5 × max|logit|",
                          architecture == ARCHITECTURES[name] and within(logits, expected), detail)
        if mixer:
            mixer_gelu[name] = relative(load(folder)(nchw(image)).numpy(), expected)
    return mixer_gelu


def resized_and_bfloat16(binary, tmp, checks):
    checkpoint, image, expected = released_reference(binary, tmp, "ViT-Ti_16", size=384, options=("--image-size", "384"))
    folder = os.path.join(tmp, "resized-timm")
    tool(binary, checkpoint, folder, "--format", "timm", "--image-size", "384", "--quiet")
    model = load(folder)
    logits = model(nchw(image)).numpy()
    checks.expect("ViT-Ti/16 at 384 px: vit_tiny_patch16_384, equal to `run` on the 384 px bundle",
                  model.pretrained_cfg["architecture"] == "vit_tiny_patch16_384" and within(logits, expected),
                  f"relative {relative(logits, expected):.2e}")
    source = os.path.join(FIXTURES, "vit_tiny_token", "params.npz")
    folder = os.path.join(tmp, "bfloat16-timm")
    tool(binary, source, folder, "--format", "timm", "--dtype", "bfloat16", "--quiet")
    with safetensors.safe_open(os.path.join(folder, "model.safetensors"), framework="pt") as weights:
        dtypes = {weights.get_tensor(key).dtype for key in weights.keys()}
    image = np.load(os.path.join(FIXTURES, "vit_tiny_token", "input.npy"))
    np.save(os.path.join(tmp, "fixture-input.npy"), image)
    ran = tool(binary, "run", folder, "--input", os.path.join(tmp, "fixture-input.npy"), "--output",
               os.path.join(tmp, "bfloat16-output.npy"))
    logits = load(folder)(nchw(image)).numpy()
    checks.expect("bfloat16 weights: timm equals `run` on the same folder", ran.returncode == 0 and within(
        logits, np.load(os.path.join(tmp, "bfloat16-output.npy"))), ran.stderr.strip())
    checks.expect("bfloat16 weights are stored as BF16", dtypes == {torch.bfloat16}, str(dtypes))


def fine_tuning(binary, tmp, checks):
    """One SGD step on each model: its weights change and the loss on the batch falls. (A few
    tensors may keep their values: a Mixer's token-mixing output bias shifts whole tokens, which
    the next LayerNorm removes, so its gradient is zero up to rounding.)"""
    sources = [("ViT", os.path.join(FIXTURES, "vit_tiny_token", "params.npz"), {}, 64)]
    checkpoint = os.path.join(tmp, "mixer.npz")
    tool(binary, "synth", "Mixer-S_32", checkpoint, "--force", "--quiet")
    sources.append(("Mixer-S/32", checkpoint, {"act_layer": GELUTanh}, 224))
    for label, source, overrides, size in sources:
        folder = os.path.join(tmp, "tune-timm")
        tool(binary, source, folder, "--format", "timm", "--force", "--quiet")
        model = load(folder, **overrides).train()
        images = nchw(np.random.default_rng(1).uniform(-1, 1, (4, size, size, 3)).astype(np.float32))
        labels = torch.tensor([0, 1, 2, 3])
        optimiser = torch.optim.SGD(model.parameters(), lr=1e-2)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with torch.enable_grad():
            loss = torch.nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimiser.step()
        after = torch.nn.functional.cross_entropy(model(images), labels)
        changed = sum(not torch.equal(before[k], v) for k, v in model.state_dict().items())
        checks.expect(f"fine-tuning {label}: one step changes the weights and lowers the loss",
                      changed >= 0.9 * len(before) and after.item() < loss.item(),
                      f"{changed}/{len(before)} tensors changed, loss {loss.item():.4f} → {after.item():.4f}")


def main():
    def body(binary, tmp, checks):
        drift, default_gelu = fixtures(binary, tmp, checks)
        resized_and_bfloat16(binary, tmp, checks)
        fine_tuning(binary, tmp, checks)
        mixer_gelu = released(binary, tmp, checks)
        return [drift_line("timm", drift), "with timm's default exact GELU instead: "
                + ", ".join(f"{k} {v:.1e}" for k, v in {**default_gelu, **mixer_gelu}.items())]
    run_checks("check_timm", body, f"timm {timm.__version__}, torch {torch.__version__}")

if __name__ == "__main__":
    main()
