#!/usr/bin/env bash
# CI part e: the package as a user installs it. `npm pack`, then a fresh project installs the
# tarball as a dependency with its install script not run (what npm 11 does for a dependency the
# user has not approved; --ignore-scripts makes that so whatever this npm's default), so the addon
# is not built and doctor says how to build it; then the documented command, `npx train-native
# build`, and `npx train-native train` on the built-in quickstart.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$CI_ROOT"
unset TRAIN_NATIVE_ADDON TRAIN_NATIVE_BUILD_DIR TRAIN_NATIVE_SKIP_BUILD

E="$CI_WORK/package"
rm -rf "$E"
mkdir -p "$E/project"
echo "-- npm pack"
TGZ="$E/$(npm pack --silent --pack-destination "$E" | tail -1)"
ls -l "$TGZ"

cd "$E/project"
echo "-- a fresh project: npm init, npm install $TGZ (install script not run)"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund "$TGZ"
node -e 'const d = require("./package.json").dependencies; if (!d["train-native"]) process.exit(1)'

echo "-- npx train-native doctor before the build: must fail and name the command"
set +e
out="$(npx train-native doctor 2>&1)"
status=$?
set -e
echo "$out" | head -3
[ "$status" -eq 1 ] || ci_fail "doctor exited $status without an addon (expected 1)"
echo "$out" | grep -q 'npx train-native build' || ci_fail "doctor does not name npx train-native build"

echo "-- npx train-native build"
nice -n 5 npx train-native build
npx train-native doctor

echo "-- npx train-native train (the built-in quickstart)"
npx train-native train --progress plain | tee "$E/train.log" | tail -4
grep -q '^done: 512/512 steps' "$E/train.log" || ci_fail "the quickstart did not finish its 512 steps"
[ -f runs/quickstart/checkpoints/step-00000512/model.safetensors ] || ci_fail "no final checkpoint in runs/quickstart"
