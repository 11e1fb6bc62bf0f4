#!/usr/bin/env bash
# The accuracy study of docs/accuracy.md, re-runnable on any FastVLM checkpoint with VQA data:
#   scripts/accuracy-study.sh [--model DIR] [--calib DATA] [--test DATA] [--out DIR] [--samples N]
#                             [--calib-samples N] [--counts "32 128 1000"] [--sections "..."]
# DATA is anything `vlmq eval --data` takes (a dataset folder, a LLaVA .jsonl, a VQAv2 questions .json); extra
# dataset flags go in CALIB_ARGS / TEST_ARGS (e.g. TEST_ARGS="--annotations ann.json --images val2014/").
# Defaults: tests/data/shapes-fastvlm (model/, data/calib, data/test), every test question, 1000 calibration
# samples. Every row is a real package (`vlmq quantize --stats`) evaluated with `vlmq eval --reference` against
# the unquantized model: VQA accuracy overall and per question type, KLD, top-1 and answer agreement, bytes.
# Writes OUT/rows.jsonl (one JSON object per row) and OUT/accuracy.md (the tables). Sections (default all):
#   components  each component alone at int8/int4/int3/int2 (RTN)
#   configs     the ADR config and everything int4
#   algorithms  rtn/weighted/gptq/awq/refine at int4 and int3, decoder and vision tower alone
#   images      calibration with the images vs with blank images (text only), gptq int3
#   counts      calibration sample count (--counts), gptq int3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vlmq=${VLMQ:-$root/build/vlmq}
model=$root/tests/data/shapes-fastvlm/model
calib="" test="" out=$root/build/accuracy-study samples=0 calib_samples=1000 counts="32 128 1000"
sections="components configs algorithms images counts"
while [[ $# -gt 0 ]]; do
  case $1 in
    --model) model=$2; shift 2 ;;
    --calib) calib=$2; shift 2 ;;
    --test) test=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --calib-samples) calib_samples=$2; shift 2 ;;
    --counts) counts=$2; shift 2 ;;
    --sections) sections=$2; shift 2 ;;
    *) echo "accuracy-study.sh: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
[[ -n $calib ]] || calib=$(dirname "$model")/data/calib
[[ -n $test ]] || test=$(dirname "$model")/data/test
for p in "$model" "$calib" "$test"; do [[ -e $p ]] || { echo "accuracy-study.sh: $p: not found" >&2; exit 1; }; done
[[ -x $vlmq ]] || { echo "accuracy-study.sh: $vlmq: not built (scripts/build.sh)" >&2; exit 1; }
read -r -a calib_args <<< "${CALIB_ARGS:-}"
read -r -a test_args <<< "${TEST_ARGS:-}"
eval_limit=(); [[ $samples -gt 0 ]] && eval_limit=(--samples "$samples")
mkdir -p "$out/stats" "$out/configs" "$out/eval"
rows=$out/rows.jsonl
: > "$rows"
start=$(date +%s)

# stats NAME SAMPLES [--blank-images]: calibration statistics, computed once per name.
stats() {
  local f=$out/stats/$1.safetensors
  [[ -f $f ]] || "$vlmq" calibrate --model "$model" --data "$calib" "${calib_args[@]}" --samples "$2" "${@:3}" \
                   --out "$f" --json > /dev/null
  echo "$f"
}

# row SECTION LABEL STATS CONFIG_JSON: quantize with CONFIG_JSON, evaluate, append one JSON line to rows.jsonl.
row() {
  local section=$1 label=$2 st=$3 cfg_json=$4 id
  id=$(echo "$section-$label" | tr -c 'A-Za-z0-9_.-' '_')
  local cfg=$out/configs/$id.json pkg=$out/pkg
  echo "$cfg_json" > "$cfg"
  local t0=$SECONDS
  rm -rf "$pkg"
  "$vlmq" quantize --model "$model" --config "$cfg" --stats "$st" --out "$pkg" --json > "$out/eval/$id.quantize.json"
  "$vlmq" eval --model "$pkg" --reference "$model" --data "$test" "${test_args[@]}" "${eval_limit[@]}" --json \
    > "$out/eval/$id.eval.json"
  local bytes
  bytes=$(find "$pkg" -name '*.safetensors' -printf '%s\n' | awk '{s += $1} END {print s}')
  python3 - "$section" "$label" "$cfg" "$out/eval/$id.eval.json" "$bytes" "$((SECONDS - t0))" >> "$rows" <<'EOF'
import json, sys
section, label, cfg, ev, size, secs = sys.argv[1:]
e = json.load(open(ev))
s = e.get("score", {})
f = e.get("fidelity", {})
print(json.dumps({"section": section, "label": label, "config": json.load(open(cfg)), "samples": e["samples"],
                  "vqa": s.get("overall"), "per_type": s.get("perQuestionType", {}), "kld": f.get("kld"),
                  "top1": f.get("top1_agreement"), "agreement": f.get("answer_agreement"), "bytes": int(size),
                  "seconds": int(secs)}))
EOF
  echo "  $section $label: $(tail -1 "$rows" | python3 -c 'import json, sys; r = json.load(sys.stdin); print("vqa %s kld %.5f agreement %.3f bytes %d (%d s)" % (r["vqa"], r["kld"], r["agreement"], r["bytes"], r["seconds"]))')"
}

prec() { echo "{\"bits\": $1, \"group_size\": 32, \"symmetric\": true, \"algorithm\": \"$2\"}"; }
int_prec() { [[ $1 == 8 ]] && echo '"int8"' || prec "$1" "$2"; }

main_stats=$(stats "images-$calib_samples" "$calib_samples")
# The unquantized model against itself: its VQA accuracy and the fidelity floor (bf16 source -> f32 package).
row baseline unquantized "$main_stats" '{}'
for s in $sections; do
  case $s in
    components)
      for comp in vision_encoder text_encoder fusion_layers decoder; do
        for b in 8 4 3 2; do row components "$comp int$b" "$main_stats" "{\"$comp\": $(int_prec $b rtn)}"; done
      done ;;
    configs)
      row configs "ADR-001" "$main_stats" "$(cat "$root/configs/adr-001.json")"
      row configs "all int4" "$main_stats" \
        '{"vision_encoder": "int4", "text_encoder": "int4", "fusion_layers": "int4", "decoder": "int4"}' ;;
    algorithms)
      for comp in decoder vision_encoder; do
        for b in 4 3; do
          for a in rtn weighted gptq awq refine; do
            row algorithms "$comp int$b $a" "$main_stats" "{\"$comp\": $(prec $b $a)}"
          done
        done
      done ;;
    images)
      blank=$(stats "blank-$calib_samples" "$calib_samples" --blank-images)
      for comp in decoder vision_encoder; do
        row images "$comp int3 gptq, images" "$main_stats" "{\"$comp\": $(prec 3 gptq)}"
        row images "$comp int3 gptq, blank images" "$blank" "{\"$comp\": $(prec 3 gptq)}"
      done ;;
    counts)
      for n in $counts; do
        st=$(stats "images-$n" "$n")
        for comp in decoder vision_encoder; do row counts "$comp int3 gptq, $n samples" "$st" "{\"$comp\": $(prec 3 gptq)}"; done
      done ;;
    *) echo "accuracy-study.sh: unknown section '$s'" >&2; exit 1 ;;
  esac
done
rm -rf "$out/pkg"

python3 "$root/scripts/accuracy-table.py" "$rows" \
  --command "scripts/accuracy-study.sh --model $model --calib $calib --test $test --samples $samples --calib-samples $calib_samples" \
  --seconds "$(( $(date +%s) - start ))" > "$out/accuracy.md"
echo "wrote $out/accuracy.md ($(( $(date +%s) - start )) s)"
