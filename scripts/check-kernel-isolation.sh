#!/usr/bin/env bash
# The three kernel builds are compiled from one source for different CPU levels. If one of
# them defined a weak code symbol (a generic specialisation from the standard library), the
# linker could bind every module's calls to that copy, and AVX-512 instructions would run on
# a CPU without them. This fails the build if any ISA module defines a weak code symbol.
set -euo pipefail
build="${1:-.build/release}"
status=0
for module in KernelsAVX512 KernelsAVX2 KernelsPortable; do
  objects=("$build/$module.build/"*.o)
  weak=$(nm --defined-only "${objects[@]}" | awk '$2 == "W" || $2 == "w" {print $3}' | sort -u)
  if [ -n "$weak" ]; then
    echo "check-kernel-isolation: $module defines weak code symbols:"; echo "$weak"; status=1
  fi
done
[ $status -eq 0 ] && echo "check-kernel-isolation: no weak code symbols in the ISA modules"
# The vector math (VectorMath.swift, and every helper taking a vector by value) is meant to
# inline into the loops that use it. An outlined copy takes its vector split into 128-bit
# pieces and costs 1.5-2x (seen once when a helper call inside vexp tipped the inliner), so the
# binary must not call an ISA module's function whose first parameter is a SIMD vector. (Calls,
# not symbols: a build for testing emits a symbol for every internal function, inlined or not.)
outlined=$(objdump -d --no-show-raw-insn "$build/mixer-convert" \
  | grep -oE 'call.*<\$s(13KernelsAVX512|11KernelsAVX2|15KernelsPortable)[0-9]+[A-Za-z_]+ys[0-9]SIMD[0-9]+V[^>]*>' \
  | sort -u || true)
if [ -n "$outlined" ]; then
  echo "check-kernel-isolation: vector math called out of line:"; echo "$outlined"; status=1
fi
exit $status
