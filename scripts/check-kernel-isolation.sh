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
exit $status
