# Shared by .ci/run and the scripts/ci/*.sh parts (sourced, not run).
#
# A part script exits 0 (passed), 77 (skipped: what it needs is not on this machine, and it said
# why) or anything else (failed). Everything a part installs goes under $CI_WORK (default
# .ci-work/ in the repository, ignored by git), so a second run reuses it.

CI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CI_WORK="${CI_WORK:-$CI_ROOT/.ci-work}"
CI_SKIP=77
# pip is offline against the machine's local wheel store: never wait on retries.
export PIP_RETRIES=0 PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# The venv parts b and d share: pip torch 2.13 CPU with the reference readers d needs.
CI_CPU_VENV="$CI_WORK/venv-torch213"
CI_CPU_TORCH="torch==2.13.0"
# Part c's venv: the CUDA build of torch and the nvidia wheels libtorch_cuda.so needs to load.
CI_CUDA_VENV="$CI_WORK/venv-torch2141-cu130"
CI_CUDA_TORCH="torch==2.14.1"

ci_skip() {
  echo "skipped: $*"
  exit "$CI_SKIP"
}

ci_fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# A Python that can install the store's cp311 wheels into a venv, or nothing.
ci_python() {
  local py
  for py in python3.11 python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 &&
      "$py" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

# ci_venv DIR PIP_ARGS...: creates DIR (once) and pip-installs into it. Exit status 77 with the
# reason when the store lacks a wheel ("No matching distribution"); 1 on any other failure.
ci_venv() {
  local dir="$1"
  shift
  local py
  py="$(ci_python)" || ci_skip "no Python 3.11 with venv on this machine (the wheel store's wheels are cp311)"
  if [ ! -x "$dir/bin/python" ]; then
    "$py" -m venv "$dir" || ci_fail "python -m venv $dir"
  fi
  local log="$dir.pip.log"
  if ! "$dir/bin/pip" install -q "$@" >"$log" 2>&1; then
    if grep -q -e 'No matching distribution found' -e 'Could not find a version that satisfies' "$log"; then
      ci_skip "the wheel store has no $(grep -o -m1 'requirement [^ ]*' "$log" | cut -d' ' -f2) ($*)"
    fi
    grep -v 'is ignored: it is neither a file nor a directory' "$log" >&2
    ci_fail "pip install $* into $dir"
  fi
}

# The folder of a venv's torch package (what `train-native build --libtorch` takes), read from
# its files so that a torch installed without its Python dependencies still answers.
ci_torch_dir() {
  local d
  d="$(ls -d "$1"/lib/python3*/site-packages/torch 2>/dev/null | head -1)"
  [ -f "$d/share/cmake/Torch/TorchConfig.cmake" ] || ci_fail "no torch with a CMake config in $1"
  echo "$d"
}

# ci_doctor_json ADDON: doctor's report for that .node file, on stdout.
ci_doctor_json() {
  TRAIN_NATIVE_ADDON="$1" node "$CI_ROOT/dist/cli.js" doctor --json
}

# gloo's headers (Debian's libgloo-dev): no LibTorch ships them, and the distributed code of the
# addon (ProcessGroupGloo) compiles only where they are. Installed once, by whichever part needs it.
ci_gloo_headers() {
  [ -f /usr/include/gloo/algorithm.h ] && return 0
  echo "-- Debian package: libgloo-dev (gloo's headers, for the distributed code)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgloo-dev >/dev/null ||
    ci_fail "apt-get install libgloo-dev"
}
