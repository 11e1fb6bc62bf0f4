#!/usr/bin/env bash
# Installs vlmq's build dependencies (idempotent). Debian/Ubuntu via apt, macOS via Homebrew.
#   --mpi   also Open MPI (for -DVLMQ_MPI=ON builds and scripts/test-mpi.sh)
#   --fuzz  also Clang with libFuzzer (for -DVLMQ_FUZZ=ON builds and scripts/test-fuzz.sh)
set -euo pipefail
mpi=0 fuzz=0
for a in "$@"; do
  [[ $a == --mpi ]] && mpi=1
  [[ $a == --fuzz ]] && fuzz=1
done

if [[ "$(uname)" == "Darwin" ]]; then
  brew install cmake ninja pkg-config nlohmann-json cli11 fmt utf8proc xxhash re2 googletest google-benchmark stb
  if ((mpi)); then brew install open-mpi; fi
  if ((fuzz)); then brew install llvm; fi
  exit 0
fi

pkgs=(cmake ninja-build g++ pkg-config nlohmann-json3-dev libcli11-dev libfmt-dev libstb-dev
      libutf8proc-dev libxxhash-dev libre2-dev libgtest-dev libbenchmark-dev)
if ((mpi)); then pkgs+=(libopenmpi-dev openmpi-bin); fi
# Debian 12's default Clang (14) with its compiler-rt, which holds libclang_rt.fuzzer (libclang-rt-14-dev).
if ((fuzz)); then pkgs+=(clang libclang-rt-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
