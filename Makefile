# mixer-convert — build, test, demo and benchmarks.
#
#   make demo    synthesise a Mixer-B/16, inspect it, convert it, verify the export, classify an image
#   make test    unit, end-to-end and CLI tests, and the cross-checks with the real Python libraries
#                (numpy, safetensors, h5py, onnx, ONNX Runtime, OpenVINO, timm, transformers, …) in the
#                test virtual environment
#   make test-full  the same, with every released model, the largest and both namings included (slower)
#   make bench   benchmarks (inspect and streaming against cat, …)
#   make venv    the test virtual environment alone (made by `make test` when missing)

SWIFT      ?= swift
CONFIG     ?= release
BUILD_DIR  := .build/$(CONFIG)
BIN        := $(BUILD_DIR)/mixer-convert
BENCH      := $(BUILD_DIR)/mixer-bench
DEMO_DIR   ?= demo-out
APT_PACKAGES := libzip-dev libhdf5-dev libjpeg-dev libpng-dev pkg-config libopenblas-dev qemu-user
# OpenBLAS 0.3.21 in Debian does not recognise recent Intel CPUs and falls back to a generic
# kernel; name the core explicitly for a fair comparison.
OPENBLAS_CORETYPE ?= $(shell grep -q avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || echo Haswell)
# The test virtual environment: outside the repository, so a new clone on the same machine
# reuses it; rebuilt when Tests/python/requirements.txt changes.
VENV         ?= $(HOME)/.cache/mixer-convert/venv
PYTHON       := $(VENV)/bin/python
REQUIREMENTS := Tests/python/requirements.txt
VENV_STAMP   := $(VENV)/.requirements-$(shell sha256sum $(REQUIREMENTS) 2>/dev/null | cut -c1-16)

.PHONY: all deps venv build test test-full test-swift test-python demo bench bench-build bench-checkpoint bench-matmul bench-kernels bench-convert bench-forward clean

all: build

# Installs the system libraries with apt-get when pkg-config cannot find them (quiet and
# idempotent: nothing happens when they are there).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libzip hdf5 zlib libjpeg libpng openblas \
	    || ! command -v qemu-x86_64 >/dev/null 2>&1; then \
	  echo "make: installing $(APT_PACKAGES) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

venv: $(VENV_STAMP)

$(VENV_STAMP): $(REQUIREMENTS)
	@echo "make: creating the test virtual environment in $(VENV) (torch brings about 3 GB of CUDA libraries; once)"
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r $(REQUIREMENTS)
	touch $@

build: deps
	$(SWIFT) build -c $(CONFIG) --product mixer-convert

test: test-swift test-python

# The largest ViTs (over 150 M parameters) and the Linen naming of every configuration are
# left out of `make test` to keep it near 5 minutes; this runs them too.
test-full:
	MIXER_CONVERT_TEST_FULL=1 $(MAKE) test

test-swift: deps
	$(SWIFT) build -c $(CONFIG) --product mixer-convert
	$(SWIFT) test -c $(CONFIG)
	scripts/check-kernel-isolation.sh $(BUILD_DIR)

test-python: build venv
	$(PYTHON) Tests/python/check_synth.py $(BIN)
	$(PYTHON) Tests/python/check_bundles.py $(BIN)
	$(PYTHON) Tests/python/check_hdf5.py $(BIN)
	$(PYTHON) Tests/python/check_onnx.py $(BIN)
	$(PYTHON) Tests/python/check_write_back.py $(BIN)
	HF_HUB_OFFLINE=1 $(PYTHON) Tests/python/check_timm.py $(BIN)
	HF_HUB_OFFLINE=1 $(PYTHON) Tests/python/check_transformers.py $(BIN)
	PATH=$(VENV)/bin:$$PATH MIXER_CONVERT=$(BIN) examples/ci/parity-gate.sh "" $(BUILD_DIR)/parity-gate >/dev/null

demo: build
	@mkdir -p $(DEMO_DIR)
	$(BIN) synth Mixer-B_16 $(DEMO_DIR)/Mixer-B_16.npz --force
	$(BIN) inspect $(DEMO_DIR)/Mixer-B_16.npz --depth 1
	$(BIN) convert $(DEMO_DIR)/Mixer-B_16.npz $(DEMO_DIR)/mixer-b16 --force
	$(BIN) verify $(DEMO_DIR)/Mixer-B_16.npz $(DEMO_DIR)/mixer-b16
	$(BIN) classify $(DEMO_DIR)/mixer-b16 Tests/Fixtures/images/baseline444.jpg --top 3

bench: bench-checkpoint bench-matmul bench-kernels bench-convert bench-forward

# The benchmark program (it links OpenBLAS, which the product never does).
bench-build: build
	$(SWIFT) build -c $(CONFIG) --product mixer-bench

bench-checkpoint: bench-build
	$(BENCH) checkpoint --binary $(BIN)

bench-kernels: bench-build
	$(BENCH) kernels

bench-convert: bench-build
	$(BENCH) convert --binary $(BIN)

bench-forward: bench-build
	$(BENCH) forward

bench-matmul: bench-build
	OPENBLAS_CORETYPE=$(OPENBLAS_CORETYPE) $(BENCH) matmul

clean:
	rm -rf .build $(DEMO_DIR)
