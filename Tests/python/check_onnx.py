#!/usr/bin/env python3
"""Judges ONNX exports by the real ONNX Runtime, OpenVINO and onnx's checker (PyPI packages, in
the test virtual environment), never by mixer-convert itself:

- every golden fixture: converted to .onnx, checked with onnx.checker (full_check), run in ONNX
  Runtime and in OpenVINO against the outputs of the original Flax code, batch 1 against row 0
  of the batch, `mixer-convert verify` on the .onnx, the metadata (format, source SHA-256,
  header), and examples/onnx_runtime.py;
- float16 and bfloat16 weights, and forced external data (offsets aligned, identical outputs);
- atomic replacement: byte-identical re-conversion, --force, the old data file removed;
- every released configuration (synthetic weights; the ones over 150 M parameters and the one
  over 2 GiB only with MIXER_CONVERT_TEST_FULL=1): ONNX Runtime against `mixer-convert run` on
  the bundle of the same checkpoint, within 1e-5 × max|logit|;
- broken and tampered files: each refused in one line with exit status 2, in bounded memory
  and time (or, for a changed weight with checksums skipped, caught by verify as drift).

Usage: check_onnx.py PATH/TO/mixer-convert
"""
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime
import openvino

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
FULL = os.environ.get("MIXER_CONVERT_TEST_FULL") == "1"
# The largest configurations: converted and run in ONNX Runtime only under `make test-full`.
LARGE = {"ViT-L_16", "ViT-H_14", "ViT-L_32", "R50+ViT-L_32", "Mixer-L_32", "Mixer-L_16", "Mixer-H_14"}


class Checks:
    def __init__(self):
        self.count = 0
        self.failures = 0

    def expect(self, label, ok, detail=""):
        self.count += 1
        self.failures += not ok
        print(f"  {label:70s} {'ok' if ok else 'FAIL'}{'  ' + detail if detail else ''}")
        return ok


def drift_line(what, drift):
    """One line of drifts: `drift of WHAT from the Flax outputs, relative to max |output|: name d, …`."""
    return (f"drift of {what} from the Flax outputs, relative to max |output|: "
            + ", ".join(f"{k} {v:.1e}" for k, v in drift.items()))


def run_checks(name, body, versions=""):
    """A check script's main: runs `body(binary, tmp, checks)` in a temporary folder (it returns the lines to
    print before the summary), prints `NAME: N checks in T s, F failure(s) (VERSIONS)` and exits 1 on a failure."""
    binary = os.path.abspath(sys.argv[1])
    checks = Checks()
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        lines = body(binary, tmp, checks)
    for line in lines:
        print(line)
    print(f"{name}: {checks.count} checks in {time.time() - start:.1f} s, {checks.failures} failure(s)"
          + (f" ({versions})" if versions else ""))
    sys.exit(1 if checks.failures else 0)


def tool(binary, *arguments, limit_memory=False):
    """Runs mixer-convert; with `limit_memory`, under a 4 GiB address-space limit and 60 s."""
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    return subprocess.run([binary, *arguments], capture_output=True, text=True, timeout=60 if limit_memory else 1800,
                          preexec_fn=limits if limit_memory else None)


def session(path):
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def outputs(path, image):
    runtime = session(path)
    return dict(zip([o.name for o in runtime.get_outputs()], runtime.run(None, {"image": image})))


def relative(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def rounding_floor(binary, tmp, bundle, image, expected):
    """How far one float32 ulp of noise on the input moves `run`'s output on `bundle` (`expected`
    on `image`), relative to max|output|: how far two correct float32 implementations of the model
    may fall apart. Some random-weight models magnify rounding a hundredfold (R50+ViT-L/32)."""
    signs = np.random.default_rng(1).choice(np.float32([-1, 1]), image.shape)
    np.save(os.path.join(tmp, "noisy-input.npy"), (image * (1 + signs * np.float32(2**-23))).astype(np.float32))
    output = os.path.join(tmp, "noisy-output.npy")
    tool(binary, "run", bundle, "--input", os.path.join(tmp, "noisy-input.npy"), "--output", output, "--force")
    return relative(np.load(output), expected)


def within_rounding(binary, tmp, bundle, image, expected, value, close):
    """`close` (the caller's verdict under its own tolerance) or, when that fails, whether `value`
    is within twice the model's rounding floor of `expected`; and the detail to print."""
    drift = relative(value, expected)
    if close:
        return True, f"{drift:.2e}"
    floor = rounding_floor(binary, tmp, bundle, image, expected)
    return drift <= 2 * floor, f"{drift:.2e}, one ulp of input noise moves `run` by {floor:.2e}"


def fixtures(binary, tmp, checks):
    print("golden fixtures in ONNX Runtime (max |ORT − Flax| / max |Flax|):")
    drift = {}
    for name in sorted(os.listdir(FIXTURES)):
        source = os.path.join(FIXTURES, name, "params.npz")
        if not os.path.exists(source):
            continue
        path = os.path.join(tmp, name + ".onnx")
        converted = tool(binary, source, path, "--quiet")
        if not checks.expect(f"{name}: converts", converted.returncode == 0, converted.stderr.strip()):
            continue
        try:
            onnx.checker.check_model(path, full_check=True)
            checks.expect(f"{name}: onnx.checker full_check", True)
        except Exception as error:  # the checker raises several kinds
            checks.expect(f"{name}: onnx.checker full_check", False, str(error)[:200])
        model = onnx.load(path)
        checks.expect(f"{name}: opset ai.onnx 21 only, standard operators only",
                      [(o.domain, o.version) for o in model.opset_import] == [("", 21)]
                      and all(node.domain == "" for node in model.graph.node))
        image = np.load(os.path.join(FIXTURES, name, "input.npy"))
        got = outputs(path, image)
        for output, value in got.items():
            golden = np.load(os.path.join(FIXTURES, name, output + ".npy"))
            difference = float(np.abs(value - golden).max())
            drift[f"{name} {output}"] = relative(value, golden)
            checks.expect(f"{name}: ONNX Runtime {output} against Flax", value.shape == golden.shape
                          and difference <= 1e-5 + 1e-5 * float(np.abs(golden).max()),
                          f"max abs {difference:.2e}, relative {drift[f'{name} {output}']:.2e}")
        single = outputs(path, image[:1])
        for output, value in single.items():
            difference = float(np.abs(value[0] - got[output][0]).max())
            checks.expect(f"{name}: batch 1 equals row 0 of the batch ({output})",
                          difference <= 1e-6 * max(1.0, float(np.abs(value).max())), f"{difference:.2e}")
        verified = tool(binary, "verify", source, path)
        checks.expect(f"{name}: mixer-convert verify on the .onnx", verified.returncode == 0, verified.stderr.strip())
        # OpenVINO computes in bfloat16 on CPUs that have it unless asked for float32.
        compiled = openvino.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        for output in compiled.outputs:
            value = compiled({"image": image})[output]
            golden = np.load(os.path.join(FIXTURES, name, output.get_any_name() + ".npy"))
            checks.expect(f"{name}: OpenVINO {output.get_any_name()} against Flax",
                          relative(value, golden) <= 1e-5, f"{relative(value, golden):.2e}")
        metadata = {p.key: p.value for p in model.metadata_props}
        header = json.loads(metadata.get("mixer_convert.header", "{}"))
        sha = hashlib.sha256(open(source, "rb").read()).hexdigest()
        checks.expect(f"{name}: metadata names the format, the source SHA-256 and every weight's Flax name",
                      metadata.get("mixer_convert.format") == "mixer-convert.onnx"
                      and metadata.get("source_sha256") == sha and header["model"]["source"]["sha256"] == sha
                      and header["input"]["preprocessing"]["pixel_center"] == 127.5
                      and sorted(header["weights"]["tensors"]) == sorted(i.name for i in model.graph.initializer)
                      and all(t["source"] for t in header["weights"]["tensors"].values()))
    example = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "onnx_runtime.py"),
                              os.path.join(tmp, "vit_tiny_token.onnx"),
                              os.path.join(FIXTURES, "vit_tiny_token", "input.npy")], capture_output=True, text=True)
    top = np.argsort(-np.load(os.path.join(FIXTURES, "vit_tiny_token", "logits.npy"))[0])[:5].tolist()
    checks.expect("examples/onnx_runtime.py prints the Flax top 5", f"top 5 of the first image: {top}" in example.stdout,
                  example.stderr.strip()[-150:])
    return drift


def dtypes_and_external_data(binary, tmp, checks):
    print("dtypes, external data, replacement:")
    source = os.path.join(FIXTURES, "r50_vit_tiny", "params.npz")
    image = np.load(os.path.join(FIXTURES, "r50_vit_tiny", "input.npy"))
    np.save(os.path.join(tmp, "r50_input.npy"), image)
    for dtype in ["float16", "bfloat16"]:
        path = os.path.join(tmp, f"r50_{dtype}.onnx")
        bundle = os.path.join(tmp, f"r50_{dtype}")
        tool(binary, source, path, "--dtype", dtype, "--quiet")
        tool(binary, source, bundle, "--dtype", dtype, "--quiet")
        model = onnx.load(path)
        kind = {"float16": onnx.TensorProto.FLOAT16, "bfloat16": onnx.TensorProto.BFLOAT16}[dtype]
        checks.expect(f"{dtype}: every initializer stored as {dtype}, cast to float32 in the graph",
                      all(i.data_type == kind for i in model.graph.initializer)
                      and sum(n.op_type == "Cast" for n in model.graph.node) == len(model.graph.initializer))
        ran = tool(binary, "run", bundle, "--input", os.path.join(tmp, "r50_input.npy"), "--output",
                   os.path.join(tmp, "r50_out.npy"), "--force")
        expected = np.load(os.path.join(tmp, "r50_out.npy"))
        logits = outputs(path, image)["logits"]
        checks.expect(f"{dtype}: ONNX Runtime equals `run` on the {dtype} bundle within 1e-5 × max|logit|",
                      ran.returncode == 0 and relative(logits, expected) <= 1e-5, f"{relative(logits, expected):.2e}")
        verified = tool(binary, "verify", source, path)
        checks.expect(f"{dtype}: verify", verified.returncode == 0, verified.stderr.strip())

    source = os.path.join(FIXTURES, "vit_tiny_repr", "params.npz")
    image = np.load(os.path.join(FIXTURES, "vit_tiny_repr", "input.npy"))
    inline = os.path.join(tmp, "inline.onnx")
    external = os.path.join(tmp, "external.onnx")
    tool(binary, source, inline, "--quiet")
    converted = tool(binary, source, external, "--external-data", "--quiet")
    data = [f for f in os.listdir(tmp) if f.startswith("external.onnx.") and f.endswith(".data")]
    checks.expect("--external-data: one data file named by its content beside the model",
                  converted.returncode == 0 and len(data) == 1, str(data))
    model = onnx.load(external, load_external_data=False)
    offsets = [int(e.value) for i in model.graph.initializer for e in i.external_data if e.key == "offset"]
    checks.expect("--external-data: every initializer external, offsets multiples of 4096",
                  len(offsets) == len(model.graph.initializer) and all(o % 4096 == 0 for o in offsets))
    try:
        onnx.checker.check_model(external, full_check=True)
        checks.expect("--external-data: onnx.checker full_check (by path)", True)
    except Exception as error:
        checks.expect("--external-data: onnx.checker full_check (by path)", False, str(error)[:200])
    a, b = outputs(inline, image), outputs(external, image)
    checks.expect("--external-data: ONNX Runtime gives the inline model's outputs exactly",
                  all(np.array_equal(a[k], b[k]) for k in a))
    checks.expect("--external-data: verify", tool(binary, "verify", source, external).returncode == 0)

    first = open(inline, "rb").read()
    again = tool(binary, source, inline)
    checks.expect("an existing .onnx is not replaced without --force", again.returncode == 2
                  and "already exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1)
    tool(binary, source, inline, "--force", "--quiet")
    checks.expect("re-conversion is byte-identical", open(inline, "rb").read() == first)
    other = os.path.join(FIXTURES, "vit_tiny_token", "params.npz")
    replaced = tool(binary, other, external, "--external-data", "--force", "--quiet")
    now = [f for f in os.listdir(tmp) if f.startswith("external.onnx.") and f.endswith(".data")]
    checks.expect("--force replaces model and data; the old data file is removed",
                  replaced.returncode == 0 and len(now) == 1 and now != data, str(now))
    leftovers = [f for f in os.listdir(tmp) if f.startswith(".")]
    checks.expect("no temporary files are left", not leftovers, str(leftovers))


def released(binary, tmp, checks):
    listing = tool(binary, "synth", "--list").stdout.splitlines()[1:]
    names = [line.split()[0] for line in listing if line.strip()]
    print(f"released configurations (synthetic), ONNX Runtime against `run` on the bundle"
          f"{'' if FULL else ' (over 150 M parameters: make test-full)'}:")
    rng = np.random.default_rng(0)
    for name in names:
        if name in LARGE and not FULL:
            continue
        checkpoint = os.path.join(tmp, "released.npz")
        bundle = os.path.join(tmp, "released")
        path = os.path.join(tmp, "released.onnx")
        tool(binary, "synth", name, checkpoint, "--force", "--quiet")
        tool(binary, checkpoint, bundle, "--force", "--quiet")
        converted = tool(binary, checkpoint, path, "--force", "--quiet")
        image = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
        np.save(os.path.join(tmp, "released_input.npy"), image)
        ran = tool(binary, "run", bundle, "--input", os.path.join(tmp, "released_input.npy"), "--output",
                   os.path.join(tmp, "released_out.npy"), "--force")
        if not checks.expect(f"{name}: converts and runs", converted.returncode == 0 and ran.returncode == 0,
                             (converted.stderr + ran.stderr).strip()):
            continue
        expected = np.load(os.path.join(tmp, "released_out.npy"))
        logits = outputs(path, image)["logits"]
        external = [f for f in os.listdir(tmp) if f.startswith("released.onnx.") and f.endswith(".data")]
        size = os.path.getsize(checkpoint)
        close, detail = within_rounding(binary, tmp, bundle, image, expected, logits,
                                        relative(logits, expected) <= 1e-5)
        detail += f", external data ({size / 2**30:.2f} GiB)" if external else ""
        checks.expect(f"{name}: ONNX Runtime equals `run` within 1e-5 × max|logit| (or its rounding floor)",
                      close and bool(external) == (size > 2**31 - 2**26), detail)
        for leftover in [checkpoint, path] + [os.path.join(tmp, f) for f in external]:
            os.remove(leftover)


def tampered(binary, tmp, checks):
    print("broken and tampered .onnx files (one line, exit status 2, 4 GiB and 60 s at most):")
    source = os.path.join(FIXTURES, "vit_tiny_token", "params.npz")
    good = os.path.join(tmp, "good.onnx")
    tool(binary, source, good, "--quiet")
    original = open(good, "rb").read()
    input_path = os.path.join(tmp, "tampered_input.npy")
    np.save(input_path, np.load(os.path.join(FIXTURES, "vit_tiny_token", "input.npy")))

    def refused(label, path, fragment, command="run"):
        arguments = ["run", path, "--input", input_path, "--output", os.path.join(tmp, "t.npy"), "--force"] \
            if command == "run" else ["verify", source, path]
        start = time.time()
        result = tool(binary, *arguments, limit_memory=True)
        lines = result.stderr.strip().splitlines()
        checks.expect(f"{label}: refused in one line", result.returncode == 2 and len(lines) == 1
                      and fragment in result.stderr and time.time() - start < 30, result.stderr.strip()[:150])

    def variant(name, edit):
        model = onnx.load(good)
        edit(model)
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(model, path)
        return path

    # A changed initializer byte: the checksum catches it; without checksums verify sees drift.
    flipped = bytearray(original)
    model = onnx.load(good)
    raw = model.graph.initializer[-1].raw_data
    flipped[original.index(raw) + len(raw) // 2] ^= 0x40
    path = os.path.join(tmp, "flipped.onnx")
    open(path, "wb").write(bytes(flipped))
    refused("a changed initializer byte (checksums)", path, "CRC-32C", command="verify")
    drift = tool(binary, "verify", source, path, "--no-checksum")
    checks.expect("a changed initializer byte (--no-checksum): verify exit 1", drift.returncode == 1,
                  drift.stderr.strip()[:150])

    def unknown_operator(m):
        next(n for n in m.graph.node if n.op_type == "Gelu").op_type = "FastGelu"
    refused("an unknown operator", variant("unknown_op", unknown_operator), "FastGelu")

    def unknown_attribute(m):
        node = next(n for n in m.graph.node if n.op_type == "Softmax")
        node.attribute.append(onnx.helper.make_attribute("temperature", 2.0))
    refused("an unknown attribute", variant("unknown_attribute", unknown_attribute), "temperature")

    def other_domain(m):
        next(n for n in m.graph.node if n.op_type == "Gelu").domain = "com.microsoft"
    refused("an operator of another domain", variant("domain", other_domain), "com.microsoft")

    truncated = os.path.join(tmp, "truncated.onnx")
    open(truncated, "wb").write(original[: len(original) // 2])
    refused("a truncated file", truncated, "is not a readable ONNX model")

    past_end = os.path.join(tmp, "past_end.onnx")
    open(past_end, "wb").write(original + bytes([0x3A, 0xFF, 0xFF, 0xFF, 0x7F]))  # field 7, length 2^35 − 1
    refused("a length field past the end", past_end, "claims")

    def outside(m):
        tensor = m.graph.initializer[0]
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        for key, value in [("location", "../outside.data"), ("offset", "0"), ("length", "4")]:
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
    refused("an external-data path with ..", variant("outside", outside), "not a file beside the model")

    def huge(m):
        tensor = m.graph.initializer[-1]
        del tensor.dims[:]
        tensor.dims.extend([1 << 20, 1 << 20])
        meta = next(p for p in m.metadata_props if p.key == "mixer_convert.header")
        header = json.loads(meta.value)
        header["weights"]["tensors"][tensor.name]["shape"] = [1 << 20, 1 << 20]
        meta.value = json.dumps(header)
    refused("a 2^40-element tensor claim", variant("huge", huge), "elements")

    def missing_metadata(m):
        del m.metadata_props[:]
    refused("metadata removed (a foreign ONNX file)", variant("foreign", missing_metadata), "not a mixer-convert ONNX export")

    def other_opset(m):
        m.opset_import[0].version = 17
    refused("another opset", variant("opset", other_opset), "opset")

    not_onnx = os.path.join(tmp, "text.onnx")
    open(not_onnx, "w").write("this is not protobuf\n")
    refused("a text file named .onnx", not_onnx, "text.onnx")


def main():
    def body(binary, tmp, checks):
        drift = fixtures(binary, tmp, checks)
        dtypes_and_external_data(binary, tmp, checks)
        tampered(binary, tmp, checks)
        released(binary, tmp, checks)
        return [drift_line("ONNX Runtime", drift)]
    run_checks("check_onnx", body, f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, "
               f"openvino {openvino.__version__}")

if __name__ == "__main__":
    main()
