#!/usr/bin/env bash
# MPI: builds vlmq with -DVLMQ_MPI=ON into build/ (switching the option rebuilds only core/distributed_*.cpp)
# and checks that `mpirun -n N vlmq ...` writes byte-identical outputs for N = 1, 2, 3 and equals the run
# without mpirun, on the bundled tiny model. CI runs it after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --mpi
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLMQ_MPI=ON >/dev/null
cmake --build build -j "$jobs" --target vlmq
bin=$(realpath build/vlmq)
data=$(realpath tests/data/tiny-fastvlm-a)
work=build/mpi-outputs
rm -rf "$work" && mkdir -p "$work"
# Open MPI refuses root unless told; CI containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

run_all() {  # <dir> <launcher...>: every MPI-aware command, run in dir (outputs echo their relative paths)
    local d=$1
    shift
    mkdir -p "$d"
    # 40 samples = 3 calibration blocks of 16, so 2 and 3 ranks each merge blocks computed elsewhere.
    (cd "$d" && "$@" "$bin" --threads 1 calibrate --model "$data/model" --data "$data/data/calib" --samples 40 \
        --out stats.safetensors --json >calibrate.json)
}

run_all "$work/single" env
for n in 1 2 3; do run_all "$work/n$n" mpirun -n "$n"; done
status=0
for n in 1 2 3; do
    for f in "$work/single"/*; do
        if ! cmp -s "$f" "$work/n$n/$(basename "$f")"; then
            echo "MPI: $(basename "$f") differs between the single-process run and mpirun -n $n"
            status=1
        fi
    done
done
[[ $status == 0 ]] && echo "MPI: outputs byte-identical for the single-process run and mpirun -n 1, 2, 3 ($(ls "$work/single" | wc -l) files)"
exit $status
