"""Pairwise benchmark (not a test).

--mode nemo (default): semdedup's triangular max-similarity kernel (the family this CPU picks)
vs NeMo's algorithm written in numpy, on the same data with the same number of BLAS threads.

NeMo (spec section 10), for each column batch [s, s+B):
    S = E @ E[s:s+B].T          (N x B, float32 GEMM)
    keep S[i, j] only where i < j (triu), 0 elsewhere
    max_sim, max_idx = column max and first argmax

--mode families: the kernel alone, its fp32 family (OpenBLAS sgemm tiles, the reference) vs its
avx512-bf16 family (bfloat16 filter, float64 decisions), in one process, interleaved, the
fastest of --reps runs each; checks the two outputs are identical bit for bit. Three data sets
per size: "random" (independent random unit vectors), "structured" (every row shares a
common direction, cosine about 0.4 between rows, like a k-means cluster; 10 % of rows are
near copies of an earlier row at cosine 0.95-0.999 and 2 % exact copies) and "dense" (cosine
0.92 +- 0.003 between all rows: nearly every row is within the bfloat16 bound of the best, the
case the bf16 family hands to the fp32 family's tiles).

Usage: .venv/bin/python bench/pairwise_bench.py [--build build] [--threads 2]
       [--sizes 2000,10000,50000] [--dim 768] [--batch 1024]
       .venv/bin/python bench/pairwise_bench.py --mode families --sizes 10000,50000 [--reps 3]
           [--data random,structured,dense]
Prints a table and one JSON line per size (and data set).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

parser = argparse.ArgumentParser()
parser.add_argument("--build", default="build")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--sizes", default="2000,10000,50000")
parser.add_argument("--dim", type=int, default=768)
parser.add_argument("--batch", type=int, default=1024)
parser.add_argument("--mode", choices=["nemo", "families"], default="nemo")
parser.add_argument("--data", default="random,structured,dense",
                    help="data sets of --mode families")
parser.add_argument("--reps", type=int, default=0,
                    help="runs per family in --mode families (0: 3 up to 10k rows, else 1)")
args = parser.parse_args()

# numpy's bundled OpenBLAS reads the thread counts and core type when it loads: set them before
# the import (bench/peer_env.py), and name the kernel it runs (threadpoolctl).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_env import blas_in_use, peer_env  # noqa: E402

os.environ.update(peer_env(args.threads))
import numpy as np  # noqa: E402

BENCH = os.path.join(args.build, "bench", "pairwise_bench")


def nemo_numpy(e, batch):
    n = e.shape[0]
    max_sim = np.empty(n, dtype=np.float32)
    max_idx = np.empty(n, dtype=np.int64)
    for s in range(0, n, batch):
        b = min(batch, n - s)
        sim = e @ e[s:s + b].T
        sim = np.triu(sim, k=1 - s)  # keep row i < column s + c
        idx = sim.argmax(axis=0)
        max_idx[s:s + b] = idx
        max_sim[s:s + b] = sim[idx, np.arange(b)]
    return max_sim, max_idx


def numpy_sgemm_gflops(e, batch):
    """numpy's own BLAS on NeMo's shape (N x B x dim), to show the two BLAS are comparable."""
    n, d = e.shape
    b = min(batch, n)
    batches = max(1, min(n // b, 6))
    e @ e[:b].T
    start = time.perf_counter()
    for k in range(batches):
        e @ e[k * b:(k + 1) * b].T
    return 2.0 * n * b * d * batches / (time.perf_counter() - start) / 1e9


def reps_for(n):
    return 3 if n <= 10000 else 1


def run_size(n, workdir):
    rng = np.random.default_rng(n)
    e = rng.standard_normal((n, args.dim), dtype=np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    data = os.path.join(workdir, "e.f32")
    out = os.path.join(workdir, "ours.bin")
    e.tofile(data)

    cmd = [BENCH, "--rows", str(n), "--dim", str(args.dim), "--threads", str(args.threads),
           "--batch", str(args.batch), "--reps", str(reps_for(n)), "--input", data,
           "--output", out]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                     env=env).stdout)
    raw = np.fromfile(out, dtype=np.uint8)
    our_sim = raw[:4 * n].view(np.float32)
    our_idx = raw[4 * n:].view(np.int64)

    nemo_times = []
    tracemalloc.start()
    for _ in range(reps_for(n)):
        start = time.perf_counter()
        sim, idx = nemo_numpy(e, args.batch)
        nemo_times.append(time.perf_counter() - start)
    _, nemo_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nemo_seconds = min(nemo_times)

    useful = float(n) * (n - 1) * args.dim
    numpy_gflops = numpy_sgemm_gflops(e, args.batch)
    result = {
        "rows": n, "dim": args.dim, "threads": args.threads, "batch": args.batch,
        "semdedup_seconds": ours["seconds"], "nemo_numpy_seconds": nemo_seconds,
        "speedup": nemo_seconds / ours["seconds"],
        "semdedup_useful_gflops": ours["useful_gflops"],
        "sgemm_nemo_shape_gflops": ours["sgemm_nemo_shape_gflops"],
        "sgemm_tile_shape_gflops": ours["sgemm_tile_shape_gflops"],
        "fraction_of_sgemm": ours["useful_gflops"] / ours["sgemm_nemo_shape_gflops"],
        "nemo_useful_gflops": useful / nemo_seconds / 1e9,
        "numpy_sgemm_nemo_shape_gflops": numpy_gflops,
        "load_average_1min": os.getloadavg()[0],
        "semdedup_workspace_bytes": ours["workspace_bytes"],
        "semdedup_max_rss_bytes": ours["max_rss_bytes"],
        "nemo_peak_bytes_beyond_input": nemo_peak,
        "data_bytes": n * args.dim * 4,
        "same_max_idx_fraction": float(np.mean(idx == our_idx)),
        "max_abs_score_diff": float(np.max(np.abs(sim - our_sim))),
        "blas": ours["blas"],
    }
    return result


def structured_rows(n, dim, seed):
    """A k-means-like cluster: a shared direction (cosine about 0.4 between rows), 10 % near
    copies of an earlier row (cosine 0.95-0.999), 2 % exact copies."""
    rng = np.random.default_rng(seed)
    center = rng.standard_normal(dim).astype(np.float32)
    center /= np.linalg.norm(center)
    noise = rng.standard_normal((n, dim), dtype=np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    e = 0.8 * center + noise
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    for i in range(1, n):
        kind = rng.random()
        if kind < 0.10:
            src = rng.integers(0, i)
            scale = rng.uniform(0.045, 0.32)
            e[i] = e[src] + scale * noise[i]
            e[i] /= np.linalg.norm(e[i])
        elif kind < 0.12:
            e[i] = e[rng.integers(0, i)]
    return e.astype(np.float32)


def run_families(n, kind, workdir):
    if kind == "random":
        rng = np.random.default_rng(n)
        e = rng.standard_normal((n, args.dim), dtype=np.float32)
        e /= np.linalg.norm(e, axis=1, keepdims=True)
    elif kind == "dense":
        rng = np.random.default_rng(n + 2)
        base = rng.standard_normal(args.dim).astype(np.float32)
        noise = rng.standard_normal((n, args.dim), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        e = base / np.linalg.norm(base) + 0.3 * noise
        e /= np.linalg.norm(e, axis=1, keepdims=True)
    else:
        e = structured_rows(n, args.dim, n + 1)
    data = os.path.join(workdir, "e.f32")
    e.astype(np.float32).tofile(data)
    reps = args.reps or reps_for(n)
    cmd = [BENCH, "--rows", str(n), "--dim", str(args.dim), "--threads", str(args.threads),
           "--reps", str(reps), "--input", data, "--families", "1", "--sgemm", "0"]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    load_before = os.getloadavg()[0]
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                     env=env).stdout)
    fam = ours["families"]
    return {"rows": n, "dim": args.dim, "data": kind, "threads": args.threads, "reps": reps,
            "fp32_seconds": fam["fp32_seconds"], "bf16_seconds": fam["bf16_seconds"],
            "bf16_speedup": fam["bf16_speedup"], "fp32_cpu_seconds": fam["fp32_cpu_seconds"],
            "bf16_cpu_seconds": fam["bf16_cpu_seconds"], "bf16_cpu_speedup": fam["bf16_cpu_speedup"],
            "identical": fam["identical"],
            "bf16_useful_gflops": float(n) * (n - 1) * args.dim / fam["bf16_seconds"] / 1e9,
            "load_average_1min": (load_before + os.getloadavg()[0]) / 2, "blas": ours["blas"]}


def main_families():
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for n in (int(x) for x in args.sizes.split(",")):
            for kind in args.data.split(","):
                rows.append(run_families(n, kind, workdir))
                print(json.dumps(rows[-1]), flush=True)
    print()
    print(f"threads={args.threads} dim={args.dim}  {rows[0]['blas']}")
    print("wall: fastest run; cpu: fastest CPU time of all threads (less sensitive to other "
          "processes); GF/s: 2 dim flops per pair i < j per wall second")
    print("rows    data        fp32_s   bf16_s  wall_ratio  fp32_cpu_s  bf16_cpu_s  cpu_ratio  "
          "bf16_GF/s  identical  load")
    for r in rows:
        print(f"{r['rows']:<7} {r['data']:<10} {r['fp32_seconds']:>7.3f}  {r['bf16_seconds']:>7.3f}  "
              f"{r['bf16_speedup']:>9.2f}x  {r['fp32_cpu_seconds']:>10.3f}  "
              f"{r['bf16_cpu_seconds']:>10.3f}  {r['bf16_cpu_speedup']:>8.2f}x  "
              f"{r['bf16_useful_gflops']:>9.1f}  {str(r['identical']):>9}  "
              f"{r['load_average_1min']:>4.1f}")


def main():
    if not os.path.exists(BENCH):
        sys.exit(f"{BENCH} not found: build the pairwise_bench target (--build DIR)")
    if args.mode == "families":
        main_families()
        return
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for n in (int(x) for x in args.sizes.split(",")):
            rows.append(run_size(n, workdir))
            print(json.dumps(rows[-1]), flush=True)
    mib = 1 << 20
    print()
    print(f"threads={args.threads} dim={args.dim} batch={args.batch}  {rows[0]['blas']}")
    print(f"numpy's BLAS: {'; '.join(blas_in_use())}")
    print("GF/s: useful flops (2 dim per pair i < j) per second; sgemm: N x B x dim products, "
          "ours = the OpenBLAS semdedup loads, numpy = numpy's bundled one")
    print("rows    semdedup_s  nemo_numpy_s  speedup  ours_GF/s  sgemm_GF/s  ours/sgemm  "
          "numpy_sgemm_GF/s  ours_ws_MiB  nemo_peak_MiB  same_idx  load")
    for r in rows:
        print(f"{r['rows']:<7} {r['semdedup_seconds']:>10.3f}  {r['nemo_numpy_seconds']:>12.3f}  "
              f"{r['speedup']:>6.2f}x  {r['semdedup_useful_gflops']:>9.1f}  "
              f"{r['sgemm_nemo_shape_gflops']:>10.1f}  {r['fraction_of_sgemm']:>9.0%}  "
              f"{r['numpy_sgemm_nemo_shape_gflops']:>16.1f}  "
              f"{r['semdedup_workspace_bytes'] / mib:>11.1f}  "
              f"{r['nemo_peak_bytes_beyond_input'] / mib:>13.1f}  {r['same_max_idx_fraction']:>8.4f}  "
              f"{r['load_average_1min']:>4.1f}")


if __name__ == "__main__":
    main()
