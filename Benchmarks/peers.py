#!/usr/bin/env python3
"""Times a peer runtime on an ONNX file, for `mixer-bench forward` (which interleaves it with
mixer-convert in one run): ONNX Runtime or OpenVINO, float32, a fixed number of threads, the
same input shape; prints the median and minimum seconds per batch as JSON.

Usage: peers.py onnxruntime|openvino MODEL.onnx --threads T --batch B --runs R
"""
import argparse
import json
import time

import numpy as np


def session(runtime, path, threads, shape):
    if runtime == "onnxruntime":
        import onnxruntime
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        model = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return lambda x: model.run(None, {"image": x})
    import openvino
    core = openvino.Core()
    # float32 like the others (OpenVINO would compute in bfloat16 on CPUs that have it), latency mode.
    compiled = core.compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads,
                                                "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1})
    request = compiled.create_infer_request()
    return lambda x: request.infer({"image": x})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runtime", choices=["onnxruntime", "openvino"])
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    shape = (arguments.batch, arguments.size, arguments.size, 3)
    x = np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
    run = session(arguments.runtime, arguments.model, arguments.threads, shape)
    run(x)
    samples = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        run(x)
        samples.append(time.perf_counter() - start)
    samples.sort()
    print(json.dumps({"median": samples[len(samples) // 2], "minimum": samples[0]}))


if __name__ == "__main__":
    main()
