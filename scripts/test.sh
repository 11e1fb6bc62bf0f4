#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite (the command CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu)
ctest --test-dir build --output-on-failure -j "$jobs"
