#!/usr/bin/env bash
# Gate a CI job on conversion parity: convert a checkpoint, verify the export against it, and
# fail the job (exit 1) if any output drifts beyond tolerance or any weight differs.
#
#   examples/ci/parity-gate.sh CHECKPOINT.npz OUT/          # your checkpoint
#   examples/ci/parity-gate.sh                              # a synthetic Mixer-S/32, to try it
set -euo pipefail
mixer_convert=${MIXER_CONVERT:-mixer-convert}
checkpoint=${1:-}
out=${2:-parity-gate-out}
out=${out%/}  # OUT/ and OUT name the same folder; the report goes beside it, not inside
if [ -z "$checkpoint" ]; then
  checkpoint="$out.npz"
  "$mixer_convert" synth Mixer-S_32 "$checkpoint" --force --quiet
fi

"$mixer_convert" convert "$checkpoint" "$out" --force --quiet
# verify exits 0 within tolerance, 1 on drift, 2 on bad input; keep the JSON report as an artifact.
set +e
"$mixer_convert" verify "$checkpoint" "$out" --json > "$out.verify.json"
status=$?
set -e
python3 - "$out.verify.json" <<'PY' || true
import json, sys
report = json.load(open(sys.argv[1]))
for o in report["outputs"]:
    print(f"{o['name']:10s} max abs diff {o['max_abs_diff']:.3g} (allowed {o['allowed_max_abs_diff']:.3g}) "
          f"{'ok' if o['passed'] else 'DRIFT'}")
print(f"weights: {report['weights']['exact']}/{report['weights']['tensors']} as expected")
PY
exit $status
