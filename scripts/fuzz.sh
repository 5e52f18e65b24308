#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted bytes (Sources/FuzzTargets), with
# libFuzzer and AddressSanitizer: each target runs FUZZ_SECONDS (default 60) from its committed
# seeds (Fuzz/Corpus/<target>) plus what earlier runs found (.build-fuzz/work/corpus/<target>).
# A crash, a sanitizer report, a leak of the 2 GB memory limit or a 10 s hang stops the target
# and leaves the input in .build-fuzz/work/crashes/<target>/. Ends with one line:
#   fuzz: T targets, E executions, C crashes
# and fails when C > 0.
#
#   scripts/fuzz.sh MIXER_CONVERT MIXER_FUZZ
set -uo pipefail
cd "$(dirname "$0")/.."
mixer_convert=$(realpath "$1")
mixer_fuzz=$2
seconds=${FUZZ_SECONDS:-60}
work=.build-fuzz/work
template=$work/template
mkdir -p "$work"
if [ ! -f "$template/graph.json" ]; then
  rm -rf "$template"
  "$mixer_convert" Tests/Fixtures/mixer_tiny/params.npz "$template" --quiet || exit 1
fi
targets=0
executions=0
crashes=0
for target in $("$mixer_fuzz" --list); do
  corpus=$work/corpus/$target
  artifacts=$work/crashes/$target
  log=$work/$target.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  LSAN_OPTIONS=suppressions=Fuzz/lsan.supp "$mixer_fuzz" "$target" --child "$mixer_convert" --bundle-template "$template" \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$artifacts/" "$corpus" "Fuzz/Corpus/$target" >"$log" 2>&1
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  found=$(find "$artifacts" -type f | wc -l)
  echo "fuzz: $target: ${runs:-0} executions, $found crashes (log $log)"
  find "$artifacts" -type f -exec echo "  {}" \;
  targets=$((targets + 1))
  executions=$((executions + ${runs:-0}))
  crashes=$((crashes + found))
done
echo "fuzz: $targets targets, $executions executions, $crashes crashes"
[ "$crashes" -eq 0 ]
