#!/usr/bin/env bash
# Every suite on the GPU machine, then the Hugging Face / PyTorch baselines on the same shapes, then the summary
# with our time over theirs, all into one directory, within a 9-minute budget (the device allows 10 per command).
#
#   benchmarks/gpu-run.sh OUT_DIR [--machine SLUG] [--quick] [--total SECONDS] [--speed-only] [--backend NAME]
#
# Steps, in order (share = percent of the time left when the step starts, less 15 s kept for the last two):
#   speed, fused kernels on    40%  lengths 4K, 16K, 64K (64K tokens per batch): full, LSH-1/2/4/8, model rows
#   speed, fused kernels off   30%  the same lengths, attention rows only (--no-model): the reference path
#   memory-depth               25%  (fused kernels on; left out with --speed-only)
#   memory-length              35%  (fused kernels on; left out with --speed-only)
#   hf                         85%  bench_hf.py --match OUT_DIR: the baselines on exactly the shapes we measured
#   report, merge                   the charts, the summary (fused against reference, ours over HF by length)
#
# Run from the checkout's root with .gpu/ (../shared/gpu/pack.sh) and benchmarks/dist (npm run build --workspace
# benchmarks) carried along; .gpu/setup.sh is sourced here when node is not on the PATH. Each step gets a share of
# the time left, enforced twice: by the suite's own --budget (configurations predicted to overrun it are skipped,
# with the reason in their rows) and by `timeout` 25 s later (a suite rewrites its JSON after every row, so a step
# stopped there keeps what it measured). A step that fails does not stop the others. --quick uses the suites'
# quick grids instead of 4K-64K; --backend (default webgpu) is for a dry run of the steps on a CPU backend, where
# the baselines are only planned (bench_hf.py --dry-run into OUT_DIR/hf-plan) for want of torch.
set -uo pipefail

out=""
machine="h200-webgpu"
quick=""
total=540
speed_only=""
backend="webgpu"
usage="usage: benchmarks/gpu-run.sh OUT_DIR [--machine SLUG] [--quick] [--total SECONDS] [--speed-only] [--backend NAME]"
while [ $# -gt 0 ]; do
  case "$1" in
    --machine) machine="$2"; shift 2 ;;
    --quick) quick="--quick"; shift ;;
    --total) total="$2"; shift 2 ;;
    --speed-only) speed_only=1; shift ;;
    --backend) backend="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) if [ -z "$out" ]; then out="$1"; shift; else echo "gpu-run.sh: unexpected argument '$1'" >&2; exit 2; fi ;;
  esac
done
[ -n "$out" ] || { echo "$usage" >&2; exit 2; }
case "$total" in ''|*[!0-9]*) echo "gpu-run.sh: --total: expected whole seconds, got '$total'" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.." || exit 2

SECONDS=0
if ! command -v node >/dev/null 2>&1; then
  [ -f .gpu/setup.sh ] || { echo "gpu-run.sh: no node and no .gpu/setup.sh (run ../shared/gpu/pack.sh and carry .gpu)" >&2; exit 2; }
  # shellcheck disable=SC1091
  source .gpu/setup.sh
fi
[ -f benchmarks/dist/cli.js ] || { echo "gpu-run.sh: benchmarks/dist/cli.js missing (npm run build --workspace benchmarks, and carry it)" >&2; exit 2; }
mkdir -p "$out"
log="$out/gpu-run.log"
echo "gpu-run: setup took ${SECONDS}s; budget ${total}s; backend $backend; writing to $out" | tee "$log"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee -a "$log"

status=0
# step NAME SHARE(percent of the time left) COMMAND...: runs with --budget = share, hard timeout = share + 25 s.
step() {
  local name=$1 share=$2; shift 2
  local left=$(( total - SECONDS - 15 ))
  local budget=$(( left * share / 100 ))
  if [ "$budget" -lt 20 ]; then
    echo "gpu-run: $name skipped: ${left}s left" | tee -a "$log"; status=1; return
  fi
  local started=$SECONDS
  echo "gpu-run: $name (budget ${budget}s, at ${SECONDS}s)" | tee -a "$log"
  timeout --kill-after=5 $(( budget + 25 )) "$@" --budget "$budget" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  echo "gpu-run: $name took $(( SECONDS - started ))s" | tee -a "$log"
  if [ "$rc" -ne 0 ]; then echo "gpu-run: $name exited $rc" | tee -a "$log"; status=1; fi
}

ours=(node benchmarks/dist/cli.js --backend "$backend" --machine "$machine" --out "$out" $quick)
# The lengths the report compares with the baselines; the quick grids where asked.
grid=()
[ -n "$quick" ] || grid=(--lengths 4K,16K,64K)
step speed-fused 40 "${ours[@]}" speed --fused on ${grid[@]+"${grid[@]}"}
step speed-reference 30 "${ours[@]}" speed --fused off --no-model ${grid[@]+"${grid[@]}"}
if [ -z "$speed_only" ]; then
  step memory-depth 25 "${ours[@]}" memory-depth
  step memory-length 35 "${ours[@]}" memory-length
fi
# The baselines time exactly the shapes our reports hold (--match).
if python3 -c 'import torch, transformers' 2>/dev/null; then
  step hf 85 python3 benchmarks/hf/bench_hf.py --out "$out" --match "$out" --machine "$machine"
else
  echo "gpu-run: hf skipped: python3 cannot import torch and transformers; the plan it would run:" | tee -a "$log"
  python3 benchmarks/hf/bench_hf.py --dry-run --out "$out/hf-plan" --match "$out" --machine "$machine" 2>&1 | tee -a "$log"
  status=1
fi
# Charts and the summary again, now with every report (fused against reference, and our time over the baselines').
node benchmarks/dist/cli.js report "$out" --machine "$machine" 2>&1 | tee -a "$log"
node benchmarks/dist/cli.js merge "$out" --out "$out" 2>&1 | tee -a "$log"
echo "gpu-run: done in ${SECONDS}s (status $status)" | tee -a "$log"
exit $status
