#!/usr/bin/env bash
# The main job on the bundled example (tests/data/tiny-fastvlm-a): install dependencies, build, quantize the
# tiny FastVLM progressively with the ADR-001 config (1000 calibration samples, validation with fallback),
# inspect the package, and answer a question about a bundled image with the original and the quantized model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
data=tests/data/tiny-fastvlm-a
out=${OUT:-build/example}
mkdir -p "$out"
image=$data/data/test/images/test_00000.png
question="How many triangles are there?"

echo "== inspect the source checkpoint"
build/vlmq inspect $data/model
echo "== progressive quantization with configs/adr-001.json"
build/vlmq quantize --model $data/model --config configs/adr-001.json \
  --calib $data/data/calib --val $data/data/val --out "$out/tiny-adr.vlmq"
echo "== inspect the package"
build/vlmq inspect "$out/tiny-adr.vlmq"
echo "== run: original model"
build/vlmq run --model $data/model --image $image --prompt "$question"
echo "== run: quantized package"
build/vlmq run --model "$out/tiny-adr.vlmq" --image $image --prompt "$question" --json
echo "report: $out/tiny-adr.vlmq/report.md"
