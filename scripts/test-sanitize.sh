#!/usr/bin/env bash
# CI variant: builds with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) and runs the unit tests
# (the long end-to-end runs are left to scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVLMQ_SANITIZE=ON -DVLMQ_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j "$jobs" -E "E2E|Pipeline|CliRun|QuantizedFidelity|ExportCoreml.*FullSize"
