#!/usr/bin/env python3
"""Baselines for @reformerjs/benchmarks on the GPU machine: Hugging Face transformers' Reformer and PyTorch's
scaled_dot_product_attention, timed on the shapes of our `speed` and `memory-depth` suites, written in the same
JSON schema (benchmarks/README.md), so that `npm run bench -- merge` (or the results directory's summary) gives
our time over theirs for each shape.

    python3 benchmarks/hf/bench_hf.py --out DIR [--match DIR] [--quick] [--budget SECONDS] [--json FILE]
    python3 benchmarks/hf/bench_hf.py --dry-run --out DIR     # no torch needed: the plan and the JSON shape

--match DIR reads our speed-*.json and memory-depth-*.json from DIR and times exactly the shapes they hold;
without it the built-in grid (the same defaults as our suites on a GPU) is used.

Measured: float32 with TF32 off (torch.backends.cuda.matmul.allow_tf32 = False, cudnn too, matmul precision
"highest"); CUDA events around `inner` runs queued back to back, divided by `inner`; the median of >= 5 samples
after a warm-up run, with min and max. Peak memory: torch.cuda.max_memory_allocated over one run (allocator
bytes, not tfjs's logical bytes: compare with care).

Rows:
  hf-lsh-<r>       transformers' LSHSelfAttention + ReformerSelfOutput (projections, LSH attention, output
                   projection): our lsh-<r>
  hf-full          the same layer with a chunk as long as the sequence (full shared-QK attention): our full
  sdpa             q, k, v projections + torch.nn.functional.scaled_dot_product_attention(is_causal=True) +
                   output projection: the standard full-attention baseline
  hf-model-lsh-<r> a ReformerModelWithLMHead training step (loss, backward, SGD): our model-lsh-<r>
  hf-model-full    the same with the chunk as long as the sequence: our model-full
"""
from __future__ import annotations

import argparse
import datetime as _dt
import glob
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

SCHEMA_VERSION = 2
VOCAB = 320
FF_FACTOR = 2
MODEL_CHUNK = 1024
MAX_POSITION_DEFAULT = 4096

TIMING_METHOD = (
    "CUDA events around `inner` runs queued back to back (divided by `inner`), after one warm-up run; the median "
    "of >= 5 samples with min and max. float32, TF32 off (matmul and cudnn), matmul precision 'highest'."
)
MEMORY_METHOD = (
    "torch.cuda.max_memory_allocated during one run (PyTorch caching-allocator bytes; base_bytes = "
    "torch.cuda.memory_allocated before it). Not tfjs's logical bytes."
)


# ----------------------------------------------------------------------------- shapes (pure Python, no torch)

def auto_num_buckets(length: int, chunk: int, max_position: int = MAX_POSITION_DEFAULT):
    """HF's automatic num_buckets for a (padded) length, as our lsh-hash autoNumBuckets computes it."""
    padded = int(math.ceil(length / chunk) * chunk)
    p = max(1, (2 * (padded // chunk)).bit_length() - 1)
    limit = 2 * max(int(math.sqrt(max_position // chunk)), chunk)
    if 2 ** p > limit:
        low = p // 2
        return [2 ** low, 2 ** (p - low)]
    return 2 ** p


def batch_for(tokens: int, length: int) -> int:
    return max(1, tokens // length)


def default_plan(quick: bool):
    """The shapes of our suites' GPU defaults (speed and memory-depth)."""
    heads, head_size, chunk = 4, 64, 64
    tokens = 65536
    lengths = [1024, 4096, 16384, 65536] if quick else [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
    hashes = [1, 2, 4, 8]
    plan = []
    for length in lengths:
        b = batch_for(tokens, length)
        plan.append(dict(impl="sdpa", kind="attention", length=length, batch=b, heads=heads, head_size=head_size, chunk=None, hashes=None, layers=1))
        plan.append(dict(impl="hf-full", kind="attention", length=length, batch=b, heads=heads, head_size=head_size, chunk=None, hashes=None, layers=1))
        for r in hashes:
            plan.append(dict(impl=f"hf-lsh-{r}", kind="attention", length=length, batch=b, heads=heads, head_size=head_size, chunk=chunk, hashes=r, layers=1))
    model_lengths = [min(lengths), max(lengths)] if quick else lengths
    for length in model_lengths:
        b = batch_for(tokens, length)
        plan.append(dict(impl="hf-model-full", kind="train-step", length=length, batch=b, heads=heads, head_size=head_size, chunk=None, hashes=None, layers=2))
        plan.append(dict(impl="hf-model-lsh-4", kind="train-step", length=length, batch=b, heads=heads, head_size=head_size, chunk=chunk, hashes=4, layers=2))
    depth_length = 16384
    for layers in [2, 4, 8, 12]:
        plan.append(dict(impl="hf-model-lsh-1", kind="train-step", length=depth_length, batch=batch_for(tokens, depth_length), heads=heads, head_size=head_size, chunk=chunk, hashes=1, layers=layers))
    return plan


def baseline_impls(row: dict):
    """The baseline rows that answer one of our rows (ours -> theirs, see report/analysis.ts baselineFor)."""
    impl = row["impl"]
    if impl == "full":
        return ["sdpa", "hf-full"]
    if impl.startswith("lsh-") or impl.startswith("model-lsh-"):
        return [f"hf-{impl}"]
    if impl == "model-full":
        return ["hf-model-full"]
    return []


def plan_from_results(directory: str):
    """The shapes of our speed and memory-depth reports in `directory`, as baseline rows."""
    plan, seen = [], set()
    files = sorted(glob.glob(os.path.join(directory, "speed-*.json")) + glob.glob(os.path.join(directory, "memory-depth-*.json")))
    if not files:
        raise SystemExit(f"--match: no speed-*.json or memory-depth-*.json in {directory}")
    for path in files:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        for row in report.get("rows", []):
            if row.get("skipped") and row.get("fwd_ms") is None and row.get("fwdbwd_ms") is None and row.get("peak_bytes") is None:
                continue  # we could not run it either
            if row.get("kind") == "train-step" and row.get("reversible") is False:
                continue  # HF's model is always reversible in training
            for impl in baseline_impls(row):
                shape = dict(impl=impl, kind=row["kind"], length=row["length"], batch=row["batch"], heads=row["heads"],
                             head_size=row["head_size"], chunk=row.get("chunk"), hashes=row.get("hashes"), layers=row.get("layers", 1))
                key = tuple(sorted((k, str(v)) for k, v in shape.items()))
                if key not in seen:
                    seen.add(key)
                    plan.append(shape)
    # Cheap shapes first, so a time budget cuts the expensive ones.
    plan.sort(key=lambda s: (s["kind"] != "attention", s["batch"] * s["length"] * (s["length"] if s["chunk"] is None else 128 * (s["hashes"] or 1)) * s["layers"]))
    return plan


def make_row(shape: dict) -> dict:
    return {
        "impl": shape["impl"],
        "kind": shape["kind"],
        "length": shape["length"],
        "batch": shape["batch"],
        "tokens": shape["batch"] * shape["length"],
        "heads": shape["heads"],
        "head_size": shape["head_size"],
        "hidden": shape["heads"] * shape["head_size"],
        "chunk": shape["chunk"],
        "hashes": shape["hashes"],
        "layers": shape["layers"],
        "reversible": True if shape["kind"] == "train-step" else None,
        "causal": True,
        "fwd_ms": None,
        "fwdbwd_ms": None,
        "tokens_per_s_fwd": None,
        "tokens_per_s": None,
        "peak_bytes": None,
        "peak_bytes_fwd": None,
        "base_bytes": None,
        "skipped": None,
        "note": None,
        # Our fused WebGPU kernels do not apply to the baselines (schema 2: null = not ours to set).
        "fused": None,
    }


def round_sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def summarize(samples, inner: int) -> dict:
    if len(samples) < 5:
        raise ValueError(f"expected at least 5 samples, got {len(samples)}")
    return {
        "median": round_sig(statistics.median(samples)),
        "min": round_sig(min(samples)),
        "max": round_sig(max(samples)),
        "mean": round_sig(sum(samples) / len(samples)),
        "runs": len(samples),
        "inner": inner,
    }


def tokens_per_s(tokens: int, ms):
    return None if not ms else round_sig(tokens * 1000.0 / ms)


def git_commit(cwd: str) -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except Exception:
        return os.environ.get("REFORMERJS_COMMIT", "unknown")


# ----------------------------------------------------------------------------- torch workloads

class Budget:
    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.perf_counter()

    def left(self) -> float:
        return math.inf if self.seconds is None else self.seconds - (time.perf_counter() - self.start)


def set_up_torch():
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("bench_hf: CUDA is not available (this script is for the GPU machine; --dry-run works anywhere)")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        torch.set_float32_matmul_precision("highest")
    except Exception:
        pass
    torch.manual_seed(0)
    return torch


def reformer_config(shape: dict, length_for_positions: int):
    from transformers import ReformerConfig

    hidden = shape["heads"] * shape["head_size"]
    chunk = shape["length"] if shape["chunk"] is None else shape["chunk"]
    rows = max(1, math.ceil(length_for_positions / 64))
    first = min(64, hidden // 2)
    num_buckets = 2 if shape["chunk"] is None else auto_num_buckets(shape["length"], shape["chunk"])
    return ReformerConfig(
        attn_layers=["lsh"] * shape["layers"],
        hidden_size=hidden,
        num_attention_heads=shape["heads"],
        attention_head_size=shape["head_size"],
        feed_forward_size=FF_FACTOR * hidden,
        vocab_size=VOCAB,
        is_decoder=True,
        lsh_attn_chunk_length=chunk,
        lsh_num_chunks_before=1,
        lsh_num_chunks_after=0,
        num_hashes=shape["hashes"] or 1,
        num_buckets=num_buckets,
        max_position_embeddings=rows * 64,
        axial_pos_embds=True,
        axial_pos_shape=[rows, 64],
        axial_pos_embds_dim=[first, hidden - first],
        chunk_size_feed_forward=MODEL_CHUNK,
        chunk_size_lm_head=MODEL_CHUNK,
        hidden_dropout_prob=0.0,
        lsh_attention_probs_dropout_prob=0.0,
        local_attention_probs_dropout_prob=0.0,
        hidden_act="relu",
        hash_seed=None,
        use_cache=False,
    )


def first_output(out):
    if hasattr(out, "hidden_states") and not isinstance(out, tuple):
        return out.hidden_states
    return out[0]


def make_attention(torch, shape: dict):
    """(forward(), forward_backward()) closures for one attention layer of `shape`."""
    import torch.nn.functional as F

    device = torch.device("cuda")
    hidden = shape["heads"] * shape["head_size"]
    b, length = shape["batch"], shape["length"]
    x = torch.randn(b, length, hidden, device=device, dtype=torch.float32)
    if shape["impl"] == "sdpa":
        heads, d = shape["heads"], shape["head_size"]
        proj = torch.nn.ModuleDict({n: torch.nn.Linear(hidden, heads * d, bias=False) for n in ("q", "k", "v")})
        proj["o"] = torch.nn.Linear(heads * d, hidden, bias=False)
        proj = proj.to(device)

        def layer(inp):
            def split(t):
                return t.view(b, length, heads, d).transpose(1, 2)  # [b, heads, length, d]

            q, k, v = split(proj["q"](inp)), split(proj["k"](inp)), split(proj["v"](inp))
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [b, heads, length, d]
            return proj["o"](o.transpose(1, 2).reshape(b, length, heads * d))

        params = list(proj.parameters())
    else:
        from transformers.models.reformer.modeling_reformer import LSHSelfAttention, ReformerSelfOutput

        config = reformer_config(shape, length)
        attn = LSHSelfAttention(config).to(device)
        out = ReformerSelfOutput(config).to(device)
        attn.train()
        out.train()

        def layer(inp):
            return out(first_output(attn(hidden_states=inp)))

        params = list(attn.parameters()) + list(out.parameters())

    def forward():
        with torch.no_grad():
            return layer(x)

    xg = x.clone().requires_grad_(True)

    def forward_backward():
        for p in params:
            p.grad = None
        xg.grad = None
        y = layer(xg)
        y.sum().backward()
        return xg.grad

    return forward, forward_backward


def make_model_step(torch, shape: dict):
    from transformers import ReformerModelWithLMHead

    device = torch.device("cuda")
    config = reformer_config(shape, shape["length"])
    model = ReformerModelWithLMHead(config).to(device)
    model.train()
    ids = torch.randint(1, VOCAB, (shape["batch"], shape["length"]), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)

    def forward():
        with torch.no_grad():
            return model(input_ids=ids, labels=ids).loss

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        return loss

    return forward, step


def cuda_time(torch, fn, reps: int, target_ms: float = 100.0, cap: int = 16):
    """Warm-up, estimate, then `reps` samples of `inner` back-to-back runs timed with CUDA events."""
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    estimate = start.elapsed_time(end)
    inner = max(1, min(cap, round(target_ms / estimate))) if estimate > 0 else 1
    samples = []
    for _ in range(reps):
        start.record()
        for _ in range(inner):
            fn()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) / inner)
    return summarize(samples, inner), estimate


def cuda_peak(torch, fn):
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated(), base


def estimate_full_bytes(shape: dict) -> int:
    """The [L, L] scores of full attention, times the copies HF's path keeps (a rough guard against OOM)."""
    return shape["batch"] * shape["heads"] * shape["length"] ** 2 * 4 * (8 if shape["kind"] == "attention" else 8 * shape["layers"])


def measure(torch, shape: dict, reps: int, budget: Budget, memory_limit: int) -> dict:
    row = make_row(shape)
    if shape["chunk"] is None and shape["impl"] != "sdpa" and estimate_full_bytes(shape) > memory_limit:
        row["skipped"] = f"predicted {estimate_full_bytes(shape) / 2**30:.0f} GiB of [L, L] tensors exceeds the {memory_limit / 2**30:.0f} GiB limit"
        return row
    if budget.left() <= 10:
        row["skipped"] = f"not started: under 10 s of the {budget.seconds} s time budget left"
        return row
    try:
        if shape["kind"] == "attention":
            forward, backward = make_attention(torch, shape)
        else:
            forward, backward = make_model_step(torch, shape)
        peak_f, base = cuda_peak(torch, forward)
        row["peak_bytes_fwd"], row["base_bytes"] = int(peak_f), int(base)
        timing, est = cuda_time(torch, forward, reps)
        row["fwd_ms"], row["tokens_per_s_fwd"] = timing, tokens_per_s(row["tokens"], timing["median"])
        if budget.left() * 1000 < est * 4 * (reps + 2):
            row["note"] = "fwdbwd not timed: time budget"
        else:
            peak_b, _ = cuda_peak(torch, backward)
            row["peak_bytes"] = int(peak_b)
            timing, _ = cuda_time(torch, backward, reps)
            row["fwdbwd_ms"], row["tokens_per_s"] = timing, tokens_per_s(row["tokens"], timing["median"])
    except torch.cuda.OutOfMemoryError as e:  # type: ignore[attr-defined]
        row["skipped"] = f"CUDA out of memory: {str(e).splitlines()[0][:200]}"
    except Exception as e:  # an API difference in this transformers version, a shape HF refuses, ...
        row["skipped"] = f"error: {type(e).__name__}: {str(e).splitlines()[0][:240] if str(e) else ''}"
        traceback.print_exc(limit=3)
    finally:
        torch.cuda.empty_cache()
    if row["skipped"] is None and row["fwd_ms"] is None and row["peak_bytes_fwd"] is None:
        row["skipped"] = "not measured"
    return row


# ----------------------------------------------------------------------------- report

def device_info(torch) -> dict:
    import os as _os

    info = {
        "description": f"{platform.processor() or platform.machine()} ({_os.cpu_count()} cores)",
        "cpus": _os.cpu_count() or 0,
        "cpu_model": platform.processor() or platform.machine(),
        "memory_bytes": (_os.sysconf("SC_PAGE_SIZE") * _os.sysconf("SC_PHYS_PAGES")) if hasattr(_os, "sysconf") else 0,
    }
    if torch is not None:
        props = torch.cuda.get_device_properties(0)
        info["description"] = f"{props.name} (CUDA, {props.total_memory / 2**30:.0f} GiB); host {info['description']}"
        info["adapter"] = {"name": props.name, "capability": f"{props.major}.{props.minor}", "total_memory": int(props.total_memory)}
    return info


def versions(torch) -> dict:
    v = {"python": platform.python_version()}
    if torch is not None:
        import transformers

        v["torch"] = torch.__version__
        v["transformers"] = transformers.__version__
        v["cuda"] = str(torch.version.cuda)
    return v


def report_envelope(args, rows, torch, started: float, notes) -> dict:
    return {
        "schema": SCHEMA_VERSION,
        "suite": "hf",
        "backend": "cuda",
        "machine": args.machine or os.path.basename(os.path.normpath(args.out)),
        "device": device_info(torch),
        "versions": versions(torch),
        "commit": git_commit(os.path.dirname(os.path.abspath(__file__))),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "config": {
            "command": "python3 " + " ".join(sys.argv),
            "quick": args.quick,
            "reps": args.reps,
            "budget_s": args.budget,
            "match": args.match,
            "dry_run": args.dry_run,
            "tf32": False,
        },
        "method": {"timing": TIMING_METHOD, "memory": MEMORY_METHOD},
        "elapsed_s": round(time.perf_counter() - started, 1),
        "rows": rows,
        "notes": notes,
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="results directory (hf-cuda.json is written there)")
    p.add_argument("--json", help="also write the report JSON here")
    p.add_argument("--match", help="time the shapes of our speed-*.json and memory-depth-*.json in this directory")
    p.add_argument("--quick", action="store_true", help="the small grid (with no --match)")
    p.add_argument("--budget", type=float, default=None, help="time budget in seconds; shapes beyond it are skipped")
    p.add_argument("--reps", type=int, default=5, help="timed samples per figure (>= 5)")
    p.add_argument("--machine", help="machine slug recorded in the report (default: the --out directory's name)")
    p.add_argument("--memory-limit-gib", type=float, default=100.0, help="skip full-attention shapes predicted to need more")
    p.add_argument("--dry-run", action="store_true", help="no torch: print the plan and write the JSON with every row skipped")
    args = p.parse_args(argv)
    if args.reps < 5:
        p.error(f"--reps: expected at least 5, got {args.reps}")
    if args.budget is not None and args.budget <= 0:
        p.error(f"--budget: expected a positive number of seconds, got {args.budget}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    plan = plan_from_results(args.match) if args.match else default_plan(args.quick)
    print(f"bench_hf: {len(plan)} shapes{' (from ' + args.match + ')' if args.match else ''}", flush=True)
    torch = None
    rows = []
    notes = [
        "hf-lsh-<r>: transformers' LSHSelfAttention + ReformerSelfOutput; hf-full: the same with the chunk as long as the sequence; "
        "sdpa: q, k, v projections + scaled_dot_product_attention(is_causal=True) + output projection; hf-model-*: a "
        "ReformerModelWithLMHead training step (loss, backward, SGD). num_buckets as our suites choose them.",
    ]
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "hf-cuda.json")

    def write(final: bool) -> None:
        # Written after every row, so that a run cut short by a timeout still leaves what it measured.
        report = report_envelope(args, rows, torch, started, notes + ([] if final else ["Partial: the run did not finish."]))
        for target in [path] + ([args.json] if args.json else []):
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            tmp = target + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
                f.write("\n")
            os.replace(tmp, target)

    if args.dry_run:
        for shape in plan:
            row = make_row(shape)
            row["skipped"] = "dry run"
            rows.append(row)
            print(f"  plan {shape['impl']} L={shape['length']} B={shape['batch']} layers={shape['layers']}")
        notes.append("Dry run: nothing was measured.")
    else:
        torch = set_up_torch()
        budget = Budget(args.budget)
        limit = int(args.memory_limit_gib * 2**30)
        for shape in plan:
            row = measure(torch, shape, args.reps, budget, limit)
            rows.append(row)
            fig = ", ".join(
                f"{k} {row[k]['median']:.3g} ms" for k in ("fwd_ms", "fwdbwd_ms") if row[k] is not None
            )
            print(f"  {'skip' if row['skipped'] else 'done'} {row['impl']} L={row['length']} B={row['batch']} layers={row['layers']}: {row['skipped'] or fig}", flush=True)
            write(final=False)
    write(final=True)
    print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
