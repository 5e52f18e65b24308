# mixer-convert — build, test, demo and benchmarks.
#
#   make demo    synthesise a Mixer-B/16, inspect it, convert it, verify the export, classify an image
#   make test    unit, end-to-end and CLI tests, and the cross-checks with the real Python libraries
#                (numpy, safetensors, h5py, onnx, ONNX Runtime, OpenVINO, timm, transformers, …) in the
#                test virtual environment
#   make test-full  the same, with every released model, the largest and both namings included (slower)
#   make bench   benchmarks (inspect and streaming against cat, …)
#   make venv    the test virtual environment alone (made by `make test` when missing)
#   make install PREFIX=/usr/local   the binary (Swift runtime linked in), its label lists and shell completions
#   make deb     the same as a Debian package (mixer-convert_VERSION_amd64.deb)
#   make fuzz    coverage-guided fuzzing of every parser, FUZZ_SECONDS (default 60) per target
#   make test-sanitize  the test suite under AddressSanitizer

SWIFT      ?= swift
CONFIG     ?= release
# The program is always built as installed: the Swift standard library and Foundation linked
# statically, so it runs without a Swift toolchain (only Debian's runtime libraries stay shared;
# README, "Install"), and with no Swift runtime to load it starts in 18 ms instead of 28 here.
# `swift test` builds the modules for testing in a folder of its own (TEST_BUILD), so neither
# build undoes the other (switching one folder between them recompiles every module, 2 minutes).
SWIFT_BUILD := $(SWIFT) build -c $(CONFIG) --static-swift-stdlib
TEST_BUILD := .build-test
BUILD_DIR  := .build/$(CONFIG)
BIN        := $(BUILD_DIR)/mixer-convert
BENCH      := $(BUILD_DIR)/mixer-bench
DEMO_DIR   ?= demo-out
APT_PACKAGES := libzip-dev libhdf5-dev libjpeg-dev libpng-dev pkg-config libopenblas-dev qemu-user parallel strace time
# OpenBLAS 0.3.21 in Debian does not recognise recent CPUs (recent Intel ones, and Zen 5,
# family 26, which it runs on its Haswell kernels) and falls back to an older kernel; so on any
# CPU with AVX-512 the core is named for a fair comparison (SkylakeX: on Zen 4, which it
# recognises as Cooperlake, the same single-precision kernels), and on Intel without it,
# Haswell. Earlier Zens keep its own choice. The recipe sets OPENBLAS_CORETYPE from this (or
# clears it), over any in the environment (the machines here set Haswell): `make bench-matmul
# BLAS_CORE=...` picks another.
BLAS_CORE ?= $(shell grep -q avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX \
  || { grep -q GenuineIntel /proc/cpuinfo 2>/dev/null && echo Haswell; })
# The test virtual environment: outside the repository, so a new clone on the same machine
# reuses it; rebuilt when Tests/python/requirements.txt changes.
VENV         ?= $(HOME)/.cache/mixer-convert/venv
PYTHON       := $(VENV)/bin/python
REQUIREMENTS := Tests/python/requirements.txt
VENV_STAMP   := $(VENV)/.requirements-$(shell sha256sum $(REQUIREMENTS) 2>/dev/null | cut -c1-16)

.PHONY: all deps venv build install deb test test-full test-swift test-python test-install test-sanitize fuzz demo bench bench-build bench-checkpoint bench-matmul bench-kernels bench-convert bench-verify bench-forward kernels clean

all: build

# Installs the system libraries with apt-get when pkg-config cannot find them (quiet and
# idempotent: nothing happens when they are there).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libzip hdf5 zlib libjpeg libpng openblas \
	    || ! command -v qemu-x86_64 >/dev/null 2>&1 || ! command -v parallel >/dev/null 2>&1 \
	    || ! command -v strace >/dev/null 2>&1 || ! test -x /usr/bin/time; then \
	  echo "make: installing $(APT_PACKAGES) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

venv: $(VENV_STAMP)

# The stamp's name is the requirements' hash, so it needs no timestamp prerequisite: a new clone
# (newer file times) reuses the environment; changed requirements make a new stamp name.
$(VENV_STAMP):
	@echo "make: creating the test virtual environment in $(VENV) (torch brings about 3 GB of CUDA libraries; once)"
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r $(REQUIREMENTS)
	touch $@

build: deps
	$(SWIFT_BUILD) --product mixer-convert

test: test-python test-swift test-install

# The largest ViTs (over 150 M parameters) and the Linen naming of every configuration are
# left out of `make test` to keep it near 5 minutes; this runs them too.
test-full:
	MIXER_CONVERT_TEST_FULL=1 $(MAKE) test

test-swift: deps
	$(SWIFT) test -c $(CONFIG) --build-path $(TEST_BUILD)
	scripts/check-kernel-isolation.sh $(TEST_BUILD)/$(CONFIG)
	python3 scripts/generate-microkernels.py --check

test-python: build venv
	$(PYTHON) Tests/python/check_synth.py $(BIN)
	$(PYTHON) Tests/python/check_bundles.py $(BIN)
	$(PYTHON) Tests/python/check_hdf5.py $(BIN)
	$(PYTHON) Tests/python/check_onnx.py $(BIN)
	$(PYTHON) Tests/python/check_write_back.py $(BIN)
	HF_HUB_OFFLINE=1 $(PYTHON) Tests/python/check_timm.py $(BIN)
	HF_HUB_OFFLINE=1 $(PYTHON) Tests/python/check_transformers.py $(BIN)
	$(PYTHON) Tests/python/check_convert_all.py $(BIN)
	PATH=$(VENV)/bin:$$PATH MIXER_CONVERT=$(BIN) examples/ci/parity-gate.sh "" $(BUILD_DIR)/parity-gate >/dev/null

# The installed program is the one `make build` makes.
PREFIX       ?= /usr/local
DESTDIR      ?=
VERSION      := $(shell sed -n 's/.*version: "\([0-9.]*\)".*/\1/p' Sources/mixer-convert/MixerConvert.swift)
LIBEXEC      := $(PREFIX)/lib/mixer-convert
RESOURCES    := mixer-convert_Classification.resources
DEB_DEPENDS  := libc6, libgcc-s1, libstdc++6, zlib1g, libzip4, libhdf5-103-1 (>= 1.10.7), libjpeg62-turbo, libpng16-16

install: build
	install -d $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(LIBEXEC)/mixer-convert
	rm -rf $(DESTDIR)$(LIBEXEC)/$(RESOURCES) && cp -R $(BUILD_DIR)/$(RESOURCES) $(DESTDIR)$(LIBEXEC)/
	ln -sf ../lib/mixer-convert/mixer-convert $(DESTDIR)$(PREFIX)/bin/mixer-convert
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mixer-convert
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mixer-convert
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/mixer-convert.fish
	@echo "make: installed mixer-convert $(VERSION) in $(DESTDIR)$(PREFIX)"

deb:
	rm -rf $(BUILD_DIR)/deb && $(MAKE) install DESTDIR=$(CURDIR)/$(BUILD_DIR)/deb PREFIX=/usr
	install -d $(BUILD_DIR)/deb/DEBIAN
	printf 'Package: mixer-convert\nVersion: $(VERSION)\nArchitecture: amd64\nMaintainer: mixer-convert developers\nDepends: $(DEB_DEPENDS)\nSection: science\nPriority: optional\nDescription: Convert MLP-Mixer and ViT checkpoints to portable exports and prove parity\n' \
	  > $(BUILD_DIR)/deb/DEBIAN/control
	dpkg-deb --root-owner-group --build $(BUILD_DIR)/deb mixer-convert_$(VERSION)_amd64.deb

# Installs into a temporary prefix and runs the installed program with an empty environment.
test-install: build
	scripts/check-install.sh

# The GEMM micro-kernels of the three kernel builds (Sources/Kernels*/MicroKernel.swift) are
# generated; `make test` fails when a file differs from what the generator writes.
kernels:
	python3 scripts/generate-microkernels.py

# The whole suite under AddressSanitizer, in its own build folder (the command-line tests run
# the sanitized mixer-convert built there too). Swift has no UndefinedBehaviorSanitizer on Linux;
# its own arithmetic and bounds are checked at run time anyway. The CPU-emulation test is left
# out: AddressSanitizer's shadow memory cannot be mapped under qemu-user.
SANITIZE_DIR := .build-sanitize
SANITIZERS   := --sanitize=address
test-sanitize: deps
	$(SWIFT) build -c $(CONFIG) --build-path $(SANITIZE_DIR) $(SANITIZERS) --product mixer-convert
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test -c $(CONFIG) --build-path $(SANITIZE_DIR) $(SANITIZERS) \
	  --skip olderCPUsGetTheirOwnPath

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser of untrusted bytes;
# FUZZ_SECONDS per target. scripts/fuzz.sh says more.
FUZZ_SECONDS ?= 60
FUZZ_DIR     := .build-fuzz
fuzz: build
	$(SWIFT) build -c $(CONFIG) --build-path $(FUZZ_DIR) --product mixer-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(BIN) $(FUZZ_DIR)/$(CONFIG)/mixer-fuzz

demo: build
	@mkdir -p $(DEMO_DIR)
	$(BIN) synth Mixer-B_16 $(DEMO_DIR)/Mixer-B_16.npz --force
	$(BIN) inspect $(DEMO_DIR)/Mixer-B_16.npz --depth 1
	$(BIN) convert $(DEMO_DIR)/Mixer-B_16.npz $(DEMO_DIR)/mixer-b16 --force
	$(BIN) verify $(DEMO_DIR)/Mixer-B_16.npz $(DEMO_DIR)/mixer-b16
	$(BIN) classify $(DEMO_DIR)/mixer-b16 Tests/Fixtures/images/baseline444.jpg --top 3

bench: bench-checkpoint bench-matmul bench-kernels bench-convert bench-verify bench-forward

# The benchmark program (it links OpenBLAS, which the product never does), and the program.
bench-build: build
	$(SWIFT_BUILD) --product mixer-bench

bench-checkpoint: bench-build
	$(BENCH) checkpoint --binary $(BIN)

bench-kernels: bench-build
	$(BENCH) kernels

bench-convert: bench-build venv
	$(BENCH) convert --binary $(BIN) --python $(PYTHON)

bench-verify: bench-build
	$(BENCH) verify --binary $(BIN)

bench-forward: bench-build venv
	$(BENCH) forward --python $(PYTHON)

bench-matmul: bench-build
	$(if $(BLAS_CORE),OPENBLAS_CORETYPE=$(BLAS_CORE),env -u OPENBLAS_CORETYPE) $(BENCH) matmul

clean:
	rm -rf .build $(TEST_BUILD) $(SANITIZE_DIR) $(FUZZ_DIR) $(DEMO_DIR) mixer-convert_*.deb
