#!/usr/bin/env bash
# Variants of the kernels measured side by side: the `profile` suite once per variant, variants alternating, so that
# the machine's drift (GPU clocks, other tenants) falls on all of them alike.
#
#   benchmarks/gpu-profile-ab.sh PLAN [--rounds N] [--grep REGEX] [--shader-stats ZSTD] [-- PROFILE_OPTIONS...]
#
# PLAN has one variant per line, `label | ENV=VALUE ... | bundle`: the environment (empty for none) and the CLI
# bundle to run (empty: benchmarks/dist/cli.js). A variant is usually a second bundle of a copy of the packages with
# the change, `BENCH_PACKAGES_DIR=<copy>/packages npx tsup` in benchmarks/ (see README.md), switched by environment
# variables that the copy reads. Blank lines and lines starting with # are skipped. Each round runs every variant
# once, in order (default 2 rounds); each run prints the profile's lines that match --grep (default: the fused
# kernels, the matmuls and the totals). With --shader-stats ZSTD, each run also points NVIDIA's shader disk cache at
# an empty folder and prints what gpu-shader-stats.py reads from it (ZSTD: a zstd binary; the GPU machine has none).
# PROFILE_OPTIONS go to the profile suite (default: --backend webgpu).
set -uo pipefail

usage="usage: benchmarks/gpu-profile-ab.sh PLAN [--rounds N] [--grep REGEX] [--shader-stats ZSTD] [-- PROFILE_OPTIONS...]"
plan=""
rounds=2
pattern='^(Reformer|BatchMatMul|one run|wall)'
zstd=""
profile_options=(--backend webgpu)
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --grep) pattern="$2"; shift 2 ;;
    --shader-stats) zstd="$2"; shift 2 ;;
    --) shift; profile_options=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) if [ -z "$plan" ]; then plan="$1"; shift; else echo "gpu-profile-ab.sh: unexpected argument '$1'; $usage" >&2; exit 2; fi ;;
  esac
done
if [ -z "$plan" ] || [ ! -f "$plan" ]; then
  echo "gpu-profile-ab.sh: PLAN: expected a file of 'label | ENV=VALUE ... | bundle' lines, got '${plan}'; $usage" >&2
  exit 2
fi
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "gpu-profile-ab.sh: --rounds: expected a positive integer, got '$rounds'" >&2
  exit 2
fi
if ! command -v node >/dev/null && [ -f .gpu/setup.sh ]; then source .gpu/setup.sh >/dev/null; fi
here="$(cd "$(dirname "$0")" && pwd)"

labels=(); environments=(); bundles=()
while IFS='|' read -r label environment bundle; do
  label="$(echo "$label" | xargs)"
  [ -z "$label" ] || [[ "$label" == \#* ]] && continue
  bundle="$(echo "$bundle" | xargs)"
  bundle="${bundle:-$here/dist/cli.js}"
  if [ ! -f "$bundle" ]; then
    echo "gpu-profile-ab.sh: variant '$label': bundle '$bundle' not found" >&2
    exit 2
  fi
  labels+=("$label"); environments+=("$environment"); bundles+=("$bundle")
done < "$plan"
if [ ${#labels[@]} -eq 0 ]; then
  echo "gpu-profile-ab.sh: PLAN '$plan' has no variants" >&2
  exit 2
fi

for round in $(seq 1 "$rounds"); do
  for i in "${!labels[@]}"; do
    echo "=== ${labels[$i]} (round $round)"
    read -r -a variables <<< "${environments[$i]}"
    cache=""
    if [ -n "$zstd" ]; then
      cache="$(mktemp -d)"
      variables+=(__GL_SHADER_DISK_CACHE=1 __GL_SHADER_DISK_CACHE_SKIP_CLEANUP=1 "__GL_SHADER_DISK_CACHE_PATH=$cache")
    fi
    env "${variables[@]}" node "${bundles[$i]}" profile "${profile_options[@]}" 2>&1 | grep -E "$pattern" | cut -c1-110
    if [ -n "$cache" ]; then
      python3 "$here/gpu-shader-stats.py" "$cache" --zstd "$zstd"
      rm -rf "$cache"
    fi
  done
done
