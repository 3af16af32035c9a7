#!/usr/bin/env bash
# Every suite on the GPU machine, then the Hugging Face / PyTorch baselines on the same shapes, then the summary
# with our time over theirs, all into one directory, within a 9-minute budget (the device allows 10 per command).
#
#   benchmarks/gpu-run.sh OUT_DIR [--machine SLUG] [--quick] [--total SECONDS]
#
# Run from the checkout's root with .gpu/ (../shared/gpu/pack.sh) and benchmarks/dist (npm run build --workspace
# benchmarks) carried along; .gpu/setup.sh is sourced here when node is not on the PATH. Each step gets a share of
# the time left, enforced twice: by the suite's own --budget (configurations predicted to overrun it are skipped,
# with the reason in their rows) and by `timeout` a little later. A step that fails does not stop the others.
set -uo pipefail

out=""
machine="h200-webgpu"
quick=""
total=540
while [ $# -gt 0 ]; do
  case "$1" in
    --machine) machine="$2"; shift 2 ;;
    --quick) quick="--quick"; shift ;;
    --total) total="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) if [ -z "$out" ]; then out="$1"; shift; else echo "gpu-run.sh: unexpected argument '$1'" >&2; exit 2; fi ;;
  esac
done
[ -n "$out" ] || { echo "usage: benchmarks/gpu-run.sh OUT_DIR [--machine SLUG] [--quick] [--total SECONDS]" >&2; exit 2; }
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
echo "gpu-run: setup took ${SECONDS}s; budget ${total}s; writing to $out" | tee "$log"
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
  echo "gpu-run: $name (budget ${budget}s, at ${SECONDS}s)" | tee -a "$log"
  timeout --kill-after=5 $(( budget + 25 )) "$@" --budget "$budget" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then echo "gpu-run: $name exited $rc" | tee -a "$log"; status=1; fi
}

ours=(node benchmarks/dist/cli.js --backend webgpu --machine "$machine" --out "$out" $quick)
step speed 38 "${ours[@]}" speed
step memory-depth 25 "${ours[@]}" memory-depth
step memory-length 33 "${ours[@]}" memory-length
# The baselines time exactly the shapes our reports hold (--match).
if python3 -c 'import torch, transformers' 2>/dev/null; then
  step hf 85 python3 benchmarks/hf/bench_hf.py --out "$out" --match "$out" --machine "$machine"
else
  echo "gpu-run: hf skipped: python3 cannot import torch and transformers" | tee -a "$log"; status=1
fi
# Charts and the summary again, now with every report (and our time over the baselines').
node benchmarks/dist/cli.js report "$out" --machine "$machine" 2>&1 | tee -a "$log"
node benchmarks/dist/cli.js merge "$out" --out "$out" 2>&1 | tee -a "$log"
echo "gpu-run: done in ${SECONDS}s (status $status)" | tee -a "$log"
exit $status
