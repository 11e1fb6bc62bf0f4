#!/usr/bin/env bash
# CI step (docs/fuzzing.md): builds the libFuzzer targets with Clang, ASan + UBSan in build-fuzz/, writes their
# seed corpora from tests/data, and runs each target for VLMQ_FUZZ_SECONDS seconds (default 20), two at a time.
# Fails on any finding: a crash, a sanitizer report, a leak, an input slower than its timeout or an allocation
# over the memory limit. The input that caused it is kept in build-fuzz/findings/.
#   scripts/test-fuzz.sh                              every target
#   scripts/test-fuzz.sh image manifest               only these
#   VLMQ_FUZZ_SECONDS=600 VLMQ_FUZZ_JOBS=4 scripts/test-fuzz.sh    longer, four at a time
#   VLMQ_FUZZ_SEED=0 scripts/test-fuzz.sh             a new random seed (CI uses seed 1, so a finding reproduces)
#   VLMQ_FUZZ_BUILD=build-san scripts/test-fuzz.sh    the targets of scripts/test-sanitize.sh's build (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fuzz
seconds=${VLMQ_FUZZ_SECONDS:-20}
jobs=${VLMQ_FUZZ_JOBS:-2}
build=${VLMQ_FUZZ_BUILD:-build-fuzz}
jobs_build=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu)

source scripts/use-clang.sh
if [[ $build == build-fuzz ]]; then  # its own build: the library and the targets only
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$vlmq_sanitize_flags" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="$vlmq_sanitize_flags" -DVLMQ_FUZZ=ON -DVLMQ_BUILD_TESTS=OFF >/dev/null
else  # a build configured elsewhere with -DVLMQ_FUZZ=ON (scripts/test-sanitize.sh): build only what is missing
  grep -q "^VLMQ_FUZZ:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null ||
    { echo "test-fuzz.sh: $build is not a build configured with -DVLMQ_FUZZ=ON" >&2; exit 1; }
fi

# Per target: -max_len (bytes) and -timeout (seconds per input). The JSON inputs stay short enough that
# nesting cannot exhaust the stack before the parser's depth limit does; the largest seed of each target fits.
declare -A max_len=(
  [safetensors]=65536 [model_config]=8192 [quant_config]=8192 [tokenizer]=32768 [dataset_llava]=16384
  [dataset_vqav2]=16384 [dataset_cocoqa]=8192 [manifest]=131072 [image]=65536 [coreml]=262144)
declare -A timeout=([image]=20 [manifest]=20 [coreml]=20)
cmake --build "$build" -j "$jobs_build" --target vlmq_fuzz_seeds $(printf 'fuzz_%s ' "${!max_len[@]}")
targets=("$@")
((${#targets[@]})) || targets=("${!max_len[@]}")

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rm -rf "$build/seeds" "$build/logs"
mkdir -p "$build/corpus" "$build/findings" "$build/logs"
"$build/fuzz/vlmq_fuzz_seeds" tests/data configs "$build/seeds"

run_target() {
  local t=$1 dict=()
  [[ $t == image || $t == coreml ]] || dict=(-dict=fuzz/json.dict)
  mkdir -p "$build/corpus/$t"
  if "$build/fuzz/fuzz_$t" "$build/corpus/$t" "$build/seeds/$t" "${dict[@]}" -max_total_time="$seconds" \
      -max_len="${max_len[$t]}" -timeout="${timeout[$t]:-10}" -rss_limit_mb=2048 -print_final_stats=1 -seed="${VLMQ_FUZZ_SEED:-1}" \
      -artifact_prefix="$build/findings/$t-" >"$build/logs/$t.log" 2>&1; then
    local stat="$build/logs/$t.log"
    echo "fuzz_$t: no finding in ${seconds} s ($(awk '/number_of_executed_units/{print $2}' "$stat") inputs," \
      "$(awk '/average_exec_per_sec/{print $2}' "$stat") exec/s)"
  else
    echo "fuzz_$t: FINDING (log $build/logs/$t.log, input in $build/findings/)" >&2
    tail -n 40 "$build/logs/$t.log" >&2
    return 1
  fi
}

pids=() names=()
status=0
for t in "${targets[@]}"; do
  [[ -n ${max_len[$t]+x} ]] || { echo "test-fuzz.sh: no target '$t' (${!max_len[*]})" >&2; exit 1; }
  while (($(jobs -rp | wc -l) >= jobs)); do sleep 1; done
  run_target "$t" &
  pids+=($!) names+=("$t")
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || status=1; done
exit $status
