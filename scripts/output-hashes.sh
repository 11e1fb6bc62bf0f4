#!/usr/bin/env bash
# Every output vlmq writes for the bundled tiny model, hashed: plain / data-aware / size-budgeted / progressive
# quantization (package, report.{json,md,svg}), calibration statistics, evaluation results, both exports,
# dequantization, and the machine-readable plan and inspect output. A refactor must leave every hash unchanged.
#
#   scripts/output-hashes.sh BIN WORKDIR            print "<sha256>  <output>" lines
#   scripts/output-hashes.sh BIN WORKDIR --check F  compare with a recorded list; exit 1 naming each difference
#
# Runs with --kernels ref (scalar reference kernels, the same bytes on every x86-64 machine) and again with
# --kernels auto, whose results depend on the SIMD tier: auto hashes are only compared when F.<tier> exists (tier: avx2, avx512, other).
set -euo pipefail
bin=$(realpath "$1")
work=$2
shift 2
check=""
if [[ ${1:-} == --check ]]; then check=$(realpath "$2"); fi
root=$(cd "$(dirname "$0")/.." && pwd)
# The recorded hashes are x86-64's (other machines have another libm and other SIMD tiers).
if [[ -n $check && $(uname -m) != x86_64 ]]; then
    echo "output hashes: skipped on $(uname -m) (recorded on x86-64)"
    exit 0
fi
rm -rf "$work"
mkdir -p "$work"
# Outputs record the paths they were given: run from the work directory with relative paths only.
ln -s "$root/tests/data/tiny-fastvlm-a" "$work/tiny-fastvlm-a"
ln -s "$root/tests/data/output-hashes" "$work/configs"
ln -s "$root/configs/adr-001.json" "$work/adr-001.json"
cd "$work"
data=tiny-fastvlm-a
cfgs=configs

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi; }

hash_tree() {  # <label> <path>: one line per file, relative names, sorted
    local label=$1 path=$2
    if [[ -d $path ]]; then
        (cd "$path" && find . -type f | LC_ALL=C sort | while read -r f; do
            printf '%s  %s/%s\n' "$(sha256 "$f" | cut -d' ' -f1)" "$label" "${f#./}"; done)
    else
        printf '%s  %s\n' "$(sha256 "$path" | cut -d' ' -f1)" "$label"
    fi
}

run_all() {  # <kernels>
    local k=$1 w=$1 v=("$bin" --kernels "$1" --threads 2)
    mkdir -p "$w"
    "${v[@]}" quantize --model "$data/model" --config adr-001.json --dry-run --json >"$w/plan.json"
    "${v[@]}" quantize --model "$data/model" --config adr-001.json --out "$w/adr.vlmq" --json >/dev/null
    "${v[@]}" inspect "$w/adr.vlmq" --json >"$w/inspect.json"
    "${v[@]}" calibrate --model "$data/model" --data "$data/data/calib" --samples 16 --out "$w/stats.safetensors" --json >/dev/null
    "${v[@]}" quantize --model "$data/model" --config "$cfgs/algorithms.json" --stats "$w/stats.safetensors" \
        --out "$w/algorithms.vlmq" --json >/dev/null
    "${v[@]}" quantize --model "$data/model" --config "$cfgs/algorithms.json" --calib "$data/data/calib" \
        --calib-samples 8 --target-size 1.2 --out "$w/budget.vlmq" --json >/dev/null
    "${v[@]}" quantize --model "$data/model" --config adr-001.json --calib "$data/data/calib" \
        --calib-samples 16 --val "$data/data/val" --val-samples 24 --out "$w/progressive.vlmq" --json >"$w/progressive.json"
    "${v[@]}" quantize --model "$data/model" --config "$cfgs/fallback.json" --stats "$w/stats.safetensors" \
        --val "$data/data/val" --val-samples 24 --target-size 1.0 --out "$w/fallback.vlmq" --json >"$w/fallback.json"
    "${v[@]}" eval --model "$w/adr.vlmq" --data "$data/data/test" --samples 40 --reference "$data/model" \
        --out "$w/results.json" --json >/dev/null
    "${v[@]}" export coreml --model "$w/adr.vlmq" --out "$w/vision.mlpackage" --json >/dev/null
    "${v[@]}" export mlx --model "$w/adr.vlmq" --out "$w/mlx" --json >/dev/null
    "${v[@]}" export mlx --model "$w/algorithms.vlmq" --out "$w/mlx-llm" --only-llm --json >/dev/null
    "${v[@]}" dequantize "$w/adr.vlmq" --out "$w/dequantized" >/dev/null
    for o in plan.json adr.vlmq inspect.json stats.safetensors algorithms.vlmq budget.vlmq progressive.vlmq \
             progressive.json fallback.vlmq fallback.json results.json vision.mlpackage mlx mlx-llm dequantized; do
        hash_tree "$k/$o" "$w/$o"
    done
}

tier=$(grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo avx512 || { grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo avx2 || echo other; })
{ run_all ref; run_all auto; } >hashes.txt
if [[ -z $check ]]; then
    cat hashes.txt
    exit 0
fi
expected=$(grep -h '  ref/' "$check"; if [[ -f $check.$tier ]]; then grep -h '  auto/' "$check.$tier"; fi)
actual=$(grep '  ref/' hashes.txt; if [[ -f $check.$tier ]]; then grep '  auto/' hashes.txt; fi)
if diff <(echo "$expected") <(echo "$actual") >diff.txt; then
    echo "output hashes: $(echo "$actual" | wc -l) outputs identical to $check$([[ -f $check.$tier ]] && echo " and $check.$tier")"
    exit 0
fi
echo "output hashes differ from $check (< recorded, > now):"
cat diff.txt
exit 1
