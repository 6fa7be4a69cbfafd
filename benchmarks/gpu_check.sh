#!/usr/bin/env bash
# The one prepared check for a machine with a GPU (CuPy, PyTorch and h5py installed, no
# network): install the project without dependencies, run the test suite on the real gpu
# backend, the three course practices at a small size with -b gpu, and the benchmarks
# against PyTorch CUDA; write a summary. About 5-8 minutes on a GPU machine.
#
# usage:  bash benchmarks/gpu_check.sh            (from the repository root)
# environment:
#   PY    python to use (default python3); its CuPy, torch and h5py are used as they are
#   OUT   folder for the summary and the logs (default gpu_check_out)
# Without a GPU it says so and runs what it can: the install and the test suite (whose
# gpu cases then run on the CuPy emulation, tests/device_emulation.py).
set -u
cd "$(dirname "$0")/.."
PY=${PY:-python3}
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
step() {  # step NAME SECONDS COMMAND...: run it with a time limit, log it, summarise it
    local name=$1 limit=$2; shift 2
    local log="$OUT/$name.log" start=$SECONDS
    timeout "$limit" "$@" > "$log" 2>&1
    local rc=$?
    say "$(printf '%-22s exit %-3s %4ss  %s' "$name" "$rc" "$((SECONDS - start))" \
        "$(grep -E 'passed|failed|Accuracy|error' "$log" | tail -n 1)")"
    return 0
}

say "gpu_check on $(hostname) at $(date -u '+%Y-%m-%d %H:%M UTC')"
"$PY" -m pip install --quiet --no-deps --no-build-isolation -e . > "$OUT/install.log" 2>&1 \
    || say "install: pip install --no-deps -e . failed (see $OUT/install.log)"
reason=$("$PY" -c 'from neon_compat.backends import cuda; print(cuda.gpu_unavailable_reason() or "")' 2>&1)
if [ -n "$reason" ]; then
    say "NO GPU FOUND: $reason"
    say "(the gpu cases of the tests run on the CuPy emulation, not a GPU; the -b gpu practices and the GPU benchmarks are left out)"
else
    say "GPU: $("$PY" -c 'import cupy; d = cupy.cuda.Device(0); print(cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(), "compute", d.compute_capability, "cupy", cupy.__version__)' 2>&1)"
fi

step tests 300 "$PY" -m pytest -q -p no:cacheprovider tests

if [ -z "$reason" ]; then
    DATA="$OUT/data"
    step data 120 bash -c "'$PY' examples/data/make_synthetic_imdb_wiki.py --out '$DATA/release' \
        -n 96 && '$PY' examples/data/prepare_imdb_wiki.py --mat '$DATA/release/wiki.mat' \
        --out '$DATA/wiki32' --size 32"
    EX="$(pwd)/examples"
    IN_OUT=(env -C "$OUT" "$PY")  # the practices write their files into $OUT
    step practice4_stack 120 "${IN_OUT[@]}" "$EX/practice4_autoencoders/main_train_stack.py" \
        -b gpu -e 2 -z 16 -r 0 --data_root data/wiki32 --image_size 32 --stack_file stack.prm \
        --no_progress_bar
    step practice4_transfer 120 "${IN_OUT[@]}" "$EX/practice4_autoencoders/main_transfer.py" \
        -b gpu -e 2 -z 16 -r 0 --data_root data/wiki32 --source_model stack.prm --no_progress_bar
    step practice3_structure 180 "${IN_OUT[@]}" "$EX/practice3_transfer/main_transfer.py" \
        -b gpu -e 1 -z 8 -r 0 --data_root data/wiki32 --experiment structure --no_progress_bar
    step practice5 180 "${IN_OUT[@]}" "$EX/practice5_rnn/main_classify.py" -b gpu -e 1 -z 8 \
        -r 0 --data_root data/wiki32 --image_size 32 --no_progress_bar
    step benchmarks 300 "$PY" benchmarks/run_all.py gpu
    grep -E 'ratio|n/a' "$OUT/benchmarks.log" >> "$SUMMARY"
fi
say "summary: $SUMMARY; logs in $OUT/"
