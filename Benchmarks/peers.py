#!/usr/bin/env python3
"""Serves timed runs of a peer runtime on an ONNX file, for `mixer-bench forward`, which
interleaves them run by run with mixer-convert's: ONNX Runtime or OpenVINO, float32, a fixed
number of threads, one input shape.

After loading the model and one untimed run it prints `ready`; then, for every line read from
standard input, it runs the batch once and prints `seconds S`, the time the run took. It exits
at the end of its input.

With --cpu N it runs on that CPU only (the thread pools the runtime starts included).

Usage: peers.py onnxruntime|openvino MODEL.onnx --threads T --batch B --size S [--cpu N]
"""
import argparse
import os
import sys
import time

import numpy as np


def session(runtime, path, threads):
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
    parser.add_argument("--cpu", type=int)
    arguments = parser.parse_args()
    if arguments.cpu is not None:
        os.sched_setaffinity(0, {arguments.cpu})
    shape = (arguments.batch, arguments.size, arguments.size, 3)
    x = np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
    run = session(arguments.runtime, arguments.model, arguments.threads)
    run(x)
    print("ready", flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        run(x)
        print("seconds", time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    main()
