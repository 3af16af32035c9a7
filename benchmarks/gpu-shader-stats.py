#!/usr/bin/env python3
"""Registers and instruction mix of the compute pipelines NVIDIA's Vulkan driver compiled, read from its shader cache.

Dawn gives no way to ask how many registers a WGSL kernel got, and Nsight Compute does not see Vulkan shaders. The
driver's shader disk cache holds the machine code, though: run the benchmark with the cache pointed at an empty
folder, then disassemble what it wrote. On the GPU machine (CUDA toolkit's nvdisasm, a zstd binary):

    export __GL_SHADER_DISK_CACHE=1 __GL_SHADER_DISK_CACHE_SKIP_CLEANUP=1 __GL_SHADER_DISK_CACHE_PATH=/tmp/shaders
    mkdir -p /tmp/shaders && node benchmarks/dist/cli.js --backend webgpu profile
    python3 benchmarks/gpu-shader-stats.py /tmp/shaders --zstd .gpu/zstd/zstd

The cache format is the driver's own and undocumented; what this reads was found on driver 580.159.04 (H200): the
cache's .bin files are zstd frames, a frame that starts with b'NVDA' is one compiled pipeline, the 32-bit header
words 19 and 20 give the size and offset of its code section, and the SASS starts 8 bytes into that section. The
cache keeps no kernel names: tell pipelines apart by their counts, or by which line changes between two runs of
programs that differ in one kernel.

"registers" is the highest register index the code names plus one (the allocation rounds it up to a multiple of 8):
with 255 a 64-thread workgroup gets at most 4 of them per SM. LDL and STL are local-memory loads and stores, i.e.
spilled registers.
"""
import argparse
import collections
import glob
import os
import re
import struct
import subprocess
import sys
import tempfile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PIPELINE_MAGIC = b"NVDA"
COUNTED = ["FFMA", "FMUL", "LDS", "LDG", "STG", "MUFU", "SHFL", "BAR", "LDL", "STL"]


def frames(data: bytes):
    """The zstd frames of a cache file: from each frame magic to the next (the decompressor stops at the frame's end)."""
    starts = [m.start() for m in re.finditer(re.escape(ZSTD_MAGIC), data)]
    for i, start in enumerate(starts):
        yield data[start : starts[i + 1] if i + 1 < len(starts) else len(data)]


def pipeline_code(record: bytes) -> bytes:
    """The SASS of one pipeline record, cut to whole 16-byte instructions."""
    words = struct.unpack_from("<24I", record, 0)
    size, offset = words[19], words[20]
    return record[offset + 8 : offset + 8 + (size - 8) // 16 * 16]


def instruction_stats(sass: str) -> dict:
    ops = collections.Counter()
    for line in sass.splitlines():
        m = re.search(r"\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)", line)  # the opcode, after an optional predicate
        if m:
            ops[m.group(1)] += 1
    registers = [int(r) for r in re.findall(r"\bR(\d+)\b", sass)]
    return {"registers": max(registers) + 1 if registers else 0, "instructions": sum(ops.values()), **{op: ops[op] for op in COUNTED}, "ops": ops}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cache", help="the folder __GL_SHADER_DISK_CACHE_PATH pointed at")
    p.add_argument("--zstd", default="zstd", help="zstd binary (default: zstd on PATH)")
    p.add_argument("--nvdisasm", default="/usr/local/cuda/bin/nvdisasm")
    p.add_argument("--arch", default="SM90", help="nvdisasm -b architecture (SM90: Hopper)")
    p.add_argument("--min-instructions", type=int, default=150, help="leave out smaller pipelines (copies, element-wise ops)")
    p.add_argument("--top", type=int, default=0, help="also list each pipeline's N most frequent opcodes")
    args = p.parse_args()

    files = glob.glob(os.path.join(args.cache, "**", "*.bin"), recursive=True)
    if not files:
        print(f"cache: no .bin files under {args.cache!r}; expected the folder __GL_SHADER_DISK_CACHE_PATH named during a run", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        code_file = os.path.join(tmp, "code.bin")
        for path in files:
            for frame in frames(open(path, "rb").read()):
                record = subprocess.run([args.zstd, "-d", "-c"], input=frame, capture_output=True).stdout
                if not record.startswith(PIPELINE_MAGIC):
                    continue
                with open(code_file, "wb") as f:
                    f.write(pipeline_code(record))
                sass = subprocess.run([args.nvdisasm, "-b", args.arch, code_file], capture_output=True, text=True)
                if sass.returncode != 0:
                    print(f"nvdisasm failed on a pipeline of {path}: {sass.stderr.strip()[:200]}", file=sys.stderr)
                    continue
                stats = instruction_stats(sass.stdout)
                if stats["instructions"] >= args.min_instructions:
                    rows.append(stats)
    columns = ["registers", "instructions", *COUNTED]
    print("  ".join(f"{c:>12}" if c == "instructions" else f"{c:>9}" for c in columns))
    for r in sorted(rows, key=lambda r: -r["instructions"]):
        line = "  ".join(f"{r[c]:>12}" if c == "instructions" else f"{r[c]:>9}" for c in columns)
        if args.top:
            line += "  " + " ".join(f"{op}:{n}" for op, n in r["ops"].most_common(args.top))
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
