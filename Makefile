# mixer-convert — build, test, demo and benchmarks.
#
#   make demo    synthesise a Mixer-B/16, inspect it, convert it, verify the export, classify an image
#   make test    unit, end-to-end and CLI tests (plus numpy cross-checks when available)
#   make test-full  the same, with every released ViT and hybrid in both namings (slower)
#   make bench   benchmarks (inspect and streaming against cat, …)
#   make fuzz    coverage-guided fuzzing of every parser, FUZZ_SECONDS (default 60) per target
#   make test-sanitize  the test suite under AddressSanitizer and UndefinedBehaviorSanitizer

SWIFT      ?= swift
CONFIG     ?= release
BUILD_DIR  := .build/$(CONFIG)
BIN        := $(BUILD_DIR)/mixer-convert
BENCH      := $(BUILD_DIR)/mixer-bench
DEMO_DIR   ?= demo-out
APT_PACKAGES := libzip-dev libhdf5-dev libjpeg-dev libpng-dev pkg-config libopenblas-dev qemu-user strace time
# OpenBLAS 0.3.21 in Debian does not recognise recent Intel CPUs and falls back to a generic
# kernel; name the core explicitly for a fair comparison.
OPENBLAS_CORETYPE ?= $(shell grep -q avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || echo Haswell)

.PHONY: all deps build test test-full test-swift test-python test-sanitize fuzz demo bench bench-build bench-checkpoint bench-matmul bench-kernels bench-convert bench-forward clean

all: build

# Installs the system libraries with apt-get when pkg-config cannot find them (quiet and
# idempotent: nothing happens when they are there).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libzip hdf5 zlib libjpeg libpng openblas \
	    || ! command -v qemu-x86_64 >/dev/null 2>&1 || ! command -v strace >/dev/null 2>&1 \
	    || ! test -x /usr/bin/time; then \
	  echo "make: installing $(APT_PACKAGES) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

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

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own build folder
# (the command-line tests run the sanitized mixer-convert built there too).
SANITIZE_DIR := .build-sanitize
SANITIZERS   := --sanitize=address --sanitize=undefined
test-sanitize: deps
	$(SWIFT) build -c $(CONFIG) --build-path $(SANITIZE_DIR) $(SANITIZERS) --product mixer-convert
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test -c $(CONFIG) --build-path $(SANITIZE_DIR) $(SANITIZERS)

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser of untrusted bytes;
# FUZZ_SECONDS per target. scripts/fuzz.sh says more.
FUZZ_SECONDS ?= 60
FUZZ_DIR     := .build-fuzz
fuzz: build
	$(SWIFT) build -c $(CONFIG) --build-path $(FUZZ_DIR) --product mixer-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(BIN) $(FUZZ_DIR)/$(CONFIG)/mixer-fuzz

test-python: build
	@if python3 -c "import numpy" >/dev/null 2>&1; then \
	  python3 Tests/python/check_synth.py $(BIN) && python3 Tests/python/check_bundles.py $(BIN) \
	    && python3 Tests/python/check_hdf5.py $(BIN) \
	    && MIXER_CONVERT=$(BIN) examples/ci/parity-gate.sh "" $(BUILD_DIR)/parity-gate >/dev/null; \
	else \
	  echo "test-python: SKIPPED (python3 with numpy not found): synth outputs and bundles not cross-checked with numpy"; \
	fi

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
	rm -rf .build $(SANITIZE_DIR) $(FUZZ_DIR) $(DEMO_DIR)
