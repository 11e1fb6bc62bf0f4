#!/usr/bin/env bash
# CI variant: one Clang build with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer coverage
# (build-san/) runs the unit tests (the long end-to-end runs are left to scripts/test.sh); the same build holds
# the fuzz targets, which `VLMQ_FUZZ_BUILD=build-san scripts/test-fuzz.sh` then runs without building again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fuzz
source scripts/use-clang.sh
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu)
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$vlmq_sanitize_flags" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$vlmq_sanitize_flags" -DVLMQ_SANITIZE=ON -DVLMQ_FUZZ=ON -DVLMQ_BUILD_BENCH=OFF >/dev/null
cmake --build build-san -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-san --output-on-failure -j "$jobs" -E "E2E|Pipeline|CliRun|QuantizedFidelity|ExportCoreml.*FullSize"
