#!/usr/bin/env python3
"""Judges transformers folders (`mixer-convert CKPT OUT --format transformers`) by Hugging Face
transformers itself (the PyPI package in the test virtual environment, offline), never by
mixer-convert:

- the golden ViT with a class token: `AutoModelForImageClassification.from_pretrained(OUT)`
  (classification) and `AutoModel.from_pretrained(OUT)` (features, also with the
  representation layer as the pooler) load with no missing, unexpected or mismatched weights
  and reproduce the outputs of the original Flax code; the configuration states the original
  numerics and the image processor the original preprocessing; `mixer-convert verify` proves
  the folder; the drift of ViTConfig's defaults (exact GELU, LayerNorm epsilon 1e-12) is
  measured (and must show). What transformers cannot hold (MLP-Mixer, hybrids, gap, unpooled
  heads, a representation layer under a classifier) is refused with exit status 2, one line
  naming the reason and the formats that can, and nothing written;
- every released ViT with a class token (synthetic weights; over 150 M parameters only with
  MIXER_CONVERT_TEST_FULL=1) against `mixer-convert run` on the bundle within 1e-5 × max|logit|,
  with the ImageNet-1k labels; a 21843-class head gets the ImageNet-21k labels;
- `pipeline("image-classification", model=OUT)` runs on a JPEG; bfloat16 weights load.

Usage: check_transformers.py PATH/TO/mixer-convert
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_onnx import FIXTURES, FULL, LARGE, relative, tool, drift_line, run_checks  # noqa: E402  (same folder)
from check_timm import nchw, refused, released_reference, within  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoImageProcessor, AutoModel, AutoModelForImageClassification, pipeline  # noqa: E402

torch.set_grad_enabled(False)
transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()
# The ViTs with a class token among the released configurations.
RELEASED = ["ViT-Ti_16", "ViT-S_16", "ViT-B_16", "ViT-L_16", "ViT-H_14", "ViT-B_8", "ViT-S_32", "ViT-B_32", "ViT-L_32"]
# What transformers cannot hold: fixture (and options) → the words the refusal must use.
REFUSED = [
    ("mixer_tiny", (), "no MLP-Mixer model"), ("mixer_tiny_fe", (), "no MLP-Mixer model"),
    ("vit_tiny_gap", (), "averages its tokens"), ("r50_vit_tiny", (), "no hybrid ViT"),
    ("vit_tiny_repr", (), "representation (pre_logits) layer"),
    ("vit_tiny_token", ("--classifier", "token_unpooled"), "classifies every token"),
]


def loaded(kind, folder, **overrides):
    """The model and whether every weight was matched (nothing missing, unexpected or mismatched)."""
    model, info = kind.from_pretrained(folder, output_loading_info=True, **overrides)
    clean = not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"] or info["error_msgs"])
    return model.eval(), clean, info


def golden(name, output):
    return np.load(os.path.join(FIXTURES, name, output + ".npy"))


def refusals(binary, tmp, checks):
    for name, options, fragment in REFUSED:
        refused(binary, tmp, checks, f"{name} {' '.join(options)}", os.path.join(FIXTURES, name, "params.npz"),
                os.path.join(tmp, "refused"), fragment, *options, library="transformers")


def fixtures(binary, tmp, checks):
    print("golden fixtures through transformers (max |transformers − Flax| / max |Flax|):")
    drift = {}
    name = "vit_tiny_token"
    source = os.path.join(FIXTURES, name, "params.npz")
    image = nchw(np.load(os.path.join(FIXTURES, name, "input.npy")))
    folder = os.path.join(tmp, "classification")
    converted = tool(binary, source, folder, "--format", "transformers", "--quiet")
    checks.expect(f"{name}: converts", converted.returncode == 0, converted.stderr.strip())
    model, clean, info = loaded(AutoModelForImageClassification, folder)
    checks.expect(f"{name}: ViTForImageClassification, no missing, unexpected or mismatched weights",
                  type(model).__name__ == "ViTForImageClassification" and clean, str(info))
    logits = model(pixel_values=image).logits.numpy()
    pre_logits = model.vit(pixel_values=image).last_hidden_state[:, 0].numpy()
    for output, value in (("logits", logits), ("pre_logits", pre_logits)):
        drift[f"{name} {output}"] = relative(value, golden(name, output))
        checks.expect(f"{name}: transformers {output} against Flax", within(value, golden(name, output)),
                      f"relative {drift[f'{name} {output}']:.2e}")
    config = model.config
    checks.expect(f"{name}: config states the original numerics (gelu_pytorch_tanh, LayerNorm 1e-6, qkv bias)",
                  config.hidden_act == "gelu_pytorch_tanh" and config.layer_norm_eps == 1e-6 and config.qkv_bias
                  and config.image_size == 64 and config.patch_size == 16 and config.num_labels == 10)
    processor = AutoImageProcessor.from_pretrained(folder)
    checks.expect(f"{name}: image processor resizes to 64×64 bilinear, no crop, rescales 1/255, mean = std = 0.5",
                  processor.size == {"height": 64, "width": 64} and int(processor.resample) == 2
                  and abs(processor.rescale_factor - 1 / 255) < 1e-12 and list(processor.image_mean) == [0.5] * 3
                  and list(processor.image_std) == [0.5] * 3 and not getattr(processor, "do_center_crop", False),
                  type(processor).__name__)
    for label, overrides in (("exact GELU", {"hidden_act": "gelu"}), ("LayerNorm epsilon 1e-12", {"layer_norm_eps": 1e-12}),
                             ("both (ViTConfig's defaults)", {"hidden_act": "gelu", "layer_norm_eps": 1e-12})):
        value = loaded(AutoModelForImageClassification, folder, **overrides)[0](pixel_values=image).logits.numpy()
        drift[f"{name} logits, {label}"] = relative(value, golden(name, "logits"))
    checks.expect(f"{name}: ViTConfig's default exact GELU drifts beyond the tolerance",
                  drift[f"{name} logits, exact GELU"] > 1e-4, f"{drift[f'{name} logits, exact GELU']:.2e}")
    verified = tool(binary, "verify", source, folder)
    checks.expect(f"{name}: mixer-convert verify on the transformers folder", verified.returncode == 0, verified.stderr.strip())
    for name, meaning in (("vit_tiny_token", "class token's final state"), ("vit_tiny_repr", "representation layer")):
        folder = os.path.join(tmp, name + "-features")
        converted = tool(binary, os.path.join(FIXTURES, name, "params.npz"), folder, "--format", "transformers",
                         "--variant", "features")
        model, clean, info = loaded(AutoModel, folder)
        image = nchw(np.load(os.path.join(FIXTURES, name, "input.npy")))
        value = model(pixel_values=image).pooler_output.numpy()
        drift[f"{name} features (pooler_output)"] = relative(value, golden(name, "pre_logits"))
        checks.expect(f"{name} features: ViTModel, every weight matched, pooler_output is the {meaning}",
                      type(model).__name__ == "ViTModel" and clean and within(value, golden(name, "pre_logits"))
                      and "pooler" in converted.stdout, f"relative {drift[f'{name} features (pooler_output)']:.2e} {info}")
    return drift


def released(binary, tmp, checks):
    print(f"released ViTs with a class token (synthetic), transformers against `run` on the bundle"
          f"{'' if FULL else ' (over 150 M parameters: make test-full)'}:")
    for name in RELEASED:
        if name in LARGE and not FULL:
            continue
        checkpoint, image, expected = released_reference(binary, tmp, name)
        folder = os.path.join(tmp, "released-transformers")
        converted = tool(binary, checkpoint, folder, "--format", "transformers", "--force", "--quiet")
        if not checks.expect(f"{name}: converts and runs", converted.returncode == 0 and expected is not None,
                             converted.stderr.strip()):
            continue
        model, clean, _ = loaded(AutoModelForImageClassification, folder)
        logits = model(pixel_values=nchw(image)).logits.numpy()
        checks.expect(f"{name}: transformers equals `run` within 1e-5 × max|logit|, ImageNet-1k labels",
                      clean and within(logits, expected) and model.config.id2label[0] == "tench, Tinca tinca"
                      and len(model.config.id2label) == 1000, f"relative {relative(logits, expected):.2e}")
        if name == "ViT-Ti_16":
            classify = pipeline("image-classification", model=folder, device="cpu")
            results = classify(os.path.join(FIXTURES, "images", "baseline444.jpg"))
            checks.expect("pipeline('image-classification') runs and names ImageNet classes", len(results) == 5
                          and all(r["label"] in model.config.id2label.values() for r in results), str(results[:2]))


def labels_and_dtypes(binary, tmp, checks):
    checkpoint = os.path.join(tmp, "21k.npz")
    tool(binary, "synth", "ViT-Ti_16", checkpoint, "--classes", "21843", "--quiet")
    folder = os.path.join(tmp, "21k")
    tool(binary, checkpoint, folder, "--format", "transformers", "--quiet")
    config = json.load(open(os.path.join(folder, "config.json")))
    checks.expect("21843 classes: the ImageNet-21k labels", len(config["id2label"]) == 21843
                  and config["id2label"]["0"] == "organism, being", config["id2label"]["0"])
    source = os.path.join(FIXTURES, "vit_tiny_token", "params.npz")
    folder = os.path.join(tmp, "bfloat16")
    tool(binary, source, folder, "--format", "transformers", "--dtype", "bfloat16", "--quiet")
    image = np.load(os.path.join(FIXTURES, "vit_tiny_token", "input.npy"))
    np.save(os.path.join(tmp, "input.npy"), image)
    ran = tool(binary, "run", folder, "--input", os.path.join(tmp, "input.npy"), "--output", os.path.join(tmp, "out.npy"))
    model, clean, _ = loaded(AutoModelForImageClassification, folder, dtype=torch.float32)
    logits = model(pixel_values=nchw(image)).logits.numpy()
    checks.expect("bfloat16 weights: config dtype bfloat16, transformers (float32 compute) equals `run` on the folder",
                  json.load(open(os.path.join(folder, "config.json")))["dtype"] == "bfloat16" and clean
                  and ran.returncode == 0 and within(logits, np.load(os.path.join(tmp, "out.npy"))), ran.stderr.strip())


def main():
    def body(binary, tmp, checks):
        refusals(binary, tmp, checks)
        drift = fixtures(binary, tmp, checks)
        labels_and_dtypes(binary, tmp, checks)
        released(binary, tmp, checks)
        return [drift_line("transformers", drift)]
    run_checks("check_transformers", body, f"transformers {transformers.__version__}, torch {torch.__version__}")

if __name__ == "__main__":
    main()
