#!/usr/bin/env bash
# CI part d: the files a run writes, read by the formats' reference implementations (Python
# safetensors and tensorboard, from part b's venv). A quickstart run; its last checkpoint is then
# removed (as if the run had died before writing it) and `--auto-resume --lr 3e-3` continues from
# step 448 in the same run directory with a re-based schedule (so the points the first session
# logged after step 448 are stale and differ); scripts/ci/check_formats.py compares every checkpoint tensor and every event
# record with what this library's readers return (scripts/ci/dump-run.js), and checks that
# TensorBoard's reader applies the purge at the resume. Then the TensorBoard cross-check test
# (tests/unit/logging-tensorboard-python.test.ts) with that tensorboard.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$CI_ROOT"

echo "-- reference readers: venv $CI_CPU_VENV (safetensors, tensorboard)"
ci_venv "$CI_CPU_VENV" "$CI_CPU_TORCH" numpy safetensors tensorboard
PY="$CI_CPU_VENV/bin/python"
"$PY" -c 'import safetensors, tensorboard; print("safetensors", safetensors.__version__, "tensorboard", tensorboard.__version__)'

RUN_ROOT="$CI_WORK/formats"
rm -rf "$RUN_ROOT"
mkdir -p "$RUN_ROOT"
RUN="$RUN_ROOT/runs/quickstart"
RESUME=448
echo "-- quickstart, then without its step-512 checkpoint --auto-resume --lr 3e-3 from step-$RESUME (in $RUN_ROOT)"
(cd "$RUN_ROOT" && node "$CI_ROOT/dist/cli.js" train --set EXPERIMENT.OUTPUT_DIR=runs --progress none) | tail -2
rm -rf "$RUN/checkpoints/step-00000512"
sleep 1 # the event file names carry whole seconds: the resumed session's file sorts after the first's
(cd "$RUN_ROOT" && node "$CI_ROOT/dist/cli.js" train --set EXPERIMENT.OUTPUT_DIR=runs --progress none --lr 3e-3 \
  --auto-resume) 2>&1 | grep -E "resuming from|re-based|done:"
test -d "$RUN/checkpoints/step-00000512" || { echo "FAIL the resumed session did not finish in $RUN"; exit 1; }

echo "-- the run read by safetensors and tensorboard, against the library's readers"
node scripts/ci/dump-run.js "$RUN" >"$RUN_ROOT/library-view.json"
"$PY" scripts/ci/check_formats.py "$RUN" "$RUN_ROOT/library-view.json" "$RESUME"

echo "-- tests/unit/logging-tensorboard-python.test.ts with that tensorboard"
TENSORBOARD_PYTHON="$PY" npx jest -c jest.fast.config.js tests/unit/logging-tensorboard-python.test.ts \
  --json --outputFile="$CI_WORK/jest-tb.json"
node scripts/ci/require-ran.js "$CI_WORK/jest-tb.json" tests/unit/logging-tensorboard-python.test.ts
