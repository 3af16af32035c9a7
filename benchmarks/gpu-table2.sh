#!/usr/bin/env bash
# The paper's Table 2 on the GPU machine: trains the duplication task's paper preset (|w| = 511, length 1024,
# 1 layer, d_model = d_ff = 256, 4 heads) with full attention and with LSH-1, -2 and -4, side by side on the one
# GPU (WebGPU through Dawn, with the fused kernels), each for the same wall-clock time; then evaluates every
# checkpoint with full attention and LSH-1/2/4/8 (the matrix: train setting × eval setting) through the benchmark
# suite `duplication` (carry benchmarks/dist too).
#
#   benchmarks/gpu-table2.sh OUT_DIR [--train SECONDS] [--samples N]
#
# Training stops by SIGINT, on which `reformer train` saves its checkpoint (atomically) and exits 130; the number
# of steps each run reached is in its trainer.json and in the table. Run from the checkout's root with .gpu/
# carried (../shared/gpu/pack.sh) and the packages' dist folders present (the CLI imports them).
set -uo pipefail

out=""
train=360
samples=64
while [ $# -gt 0 ]; do
  case "$1" in
    --train) train="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) if [ -z "$out" ]; then out="$1"; shift; else echo "gpu-table2.sh: unexpected argument '$1'" >&2; exit 2; fi ;;
  esac
done
[ -n "$out" ] || { echo "usage: benchmarks/gpu-table2.sh OUT_DIR [--train SECONDS] [--samples N]" >&2; exit 2; }
case "$train" in ''|*[!0-9]*) echo "gpu-table2.sh: --train: expected whole seconds, got '$train'" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.." || exit 2
if ! command -v node >/dev/null 2>&1; then
  # shellcheck disable=SC1091
  source .gpu/setup.sh
fi
cli=packages/cli/dist/bin.js
[ -f "$cli" ] || { echo "gpu-table2.sh: $cli missing (build the packages and carry their dist folders)" >&2; exit 2; }
mkdir -p "$out/runs"
log="$out/table2.log"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$log"

# name, then the flag that selects the attention it trains with
settings=("full --full-attention" "lsh1 --hashes 1" "lsh2 --hashes 2" "lsh4 --hashes 4")
pids=()
for setting in "${settings[@]}"; do
  read -r name flag value <<<"$setting"
  timeout -s INT -k 60 "$train" node "$cli" train --task duplication --preset paper --backend webgpu \
    $flag ${value:+"$value"} --steps 1000000 --log-every 250 --save-every 1000 --out "$out/runs/$name" --overwrite \
    >"$out/train-$name.log" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"; rc=$?
  echo "gpu-table2: train ${settings[$i]%% *} exited $rc (124: stopped at --train seconds by SIGINT, on which it saved)" | tee -a "$log"
  tail -n 3 "$out/train-${settings[$i]%% *}.log" | tee -a "$log"
done

# Every checkpoint evaluated with full attention and LSH-1/2/4/8 by the duplication suite (it runs `reformer eval`
# on each and writes duplication-webgpu.json and the table beside the paper's figures).
checkpoints=$(printf "$out/runs/%s," full lsh1 lsh2 lsh4)
node benchmarks/dist/cli.js duplication --backend webgpu --machine h200-webgpu --out "$out" \
  --checkpoints "${checkpoints%,}" --samples "$samples" 2>&1 | tee -a "$log"
# The checkpoints' weights stay on the machine; their configs and trainer state (steps, settings) come back.
rm -f "$out"/runs/*/model.safetensors "$out"/runs/*/optimizer.safetensors
