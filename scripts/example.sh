#!/usr/bin/env bash
# The main job on the bundled example (tests/data/shapes-fastvlm: a small model with FastVLM's architecture,
# trained on the shapes VQA task, whose answers depend on its image and its weights): install dependencies,
# build, quantize it progressively with the ADR-001 plan validated by VQA accuracy against the labels
# (calibration, validation with retry and fallback, report.{md,json,svg}), inspect the package, and answer a
# question about a bundled image with the original and the quantized model.
#
# The ADR's bar (95 % of the unquantized accuracy) the int4 plan meets on this model without a fallback, so the
# example holds the plan to 99 % with per-unit fallback: the loop rejects, retries, ranks units by measured
# sensitivity and falls back where it must (--min-retention 0.99 --per-unit-fallback).
# Sample counts: CALIB_SAMPLES (default 1000, the config's calibration_samples: the whole calib split) and
# VAL_SAMPLES (default 300, the config's validation.samples: half the val split). A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
data=tests/data/shapes-fastvlm
out=${OUT:-build/example}
calib=${CALIB_SAMPLES:-1000}
val=${VAL_SAMPLES:-300}
mkdir -p "$out"
image=$data/data/test/images/test_00003.png
question=$'How many objects are there?\nAnswer the question using a single word or phrase.'

echo "== inspect the source checkpoint"
build/vlmq inspect $data/model
echo "== progressive quantization with configs/adr-001.json, validated by VQA accuracy ($calib calibration samples, $val validation questions)"
build/vlmq quantize --model $data/model --config configs/adr-001.json --metric vqa --min-retention 0.99 --per-unit-fallback \
  --calib $data/data/calib --calib-samples "$calib" --val $data/data/val --val-samples "$val" \
  --out "$out/shapes-adr.vlmq"
echo "== inspect the package"
build/vlmq inspect "$out/shapes-adr.vlmq"
echo "== run: original model (the image has 4 objects)"
build/vlmq run --model $data/model --image $image --prompt "$question"
echo "== run: quantized package"
build/vlmq run --model "$out/shapes-adr.vlmq" --image $image --prompt "$question" --json
echo "report: $out/shapes-adr.vlmq/report.md (steps, accuracy, KLD), report.svg (size vs accuracy)"
