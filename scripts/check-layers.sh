#!/usr/bin/env bash
# Fails when an #include runs back up the layers of src/ (DEVELOPERS.md, "Layers"): a directory may include
# only itself and the directories listed before it. Directories on one line are peers and may not include each
# other. tools/ may include everything; tests/ and bench/ are not checked.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=(
    "core"
    "io"
    "qformat"
    "kernels"
    "calib"
    "rounding"
    "arch"
    "package"
    "text image"
    "model"
    "quant"
    "eval"
    "pipeline"
    "export synth"
)
declare -A level
for i in "${!layers[@]}"; do
    for d in ${layers[$i]}; do level[$d]=$i; done
done
status=0
for dir in src/*/; do
    d=$(basename "$dir")
    if [[ -z ${level[$d]+x} ]]; then
        echo "check-layers: src/$d is in no layer: add it to scripts/check-layers.sh and DEVELOPERS.md"
        status=1
        continue
    fi
    while IFS=: read -r file line inc; do
        target=$(sed -E 's/.*#include "([a-z_0-9]+)\/.*/\1/' <<<"$inc")
        [[ $target == "$d" ]] && continue
        if [[ -z ${level[$target]+x} ]] || ((level[$target] >= level[$d])); then
            echo "check-layers: $file:$line: $d (layer ${level[$d]}) includes $target (layer ${level[$target]:-?})"
            status=1
        fi
    done < <(grep -rnE '^#include "[a-z_0-9]+/' "$dir" || true)
done
if ((status == 0)); then echo "check-layers: every include in src/ runs down the layers"; fi
exit $status
