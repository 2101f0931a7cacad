#!/usr/bin/env python3
"""End-to-end benchmark of `semdedup run` (design.md section 8, "end to end").

Generates N x D unit embeddings with planted duplicates (semdedup generate), runs
`semdedup run --n-clusters K --eps 0.01` and reports the wall time, each stage's share and the
peak RSS. In the same script, kmeans_bench measures the sgemm rate of the k-means shapes with the
same BLAS and threads. Two "GEMM time alone" figures at that rate:
  Lloyd only      the run's Lloyd iterations x 2 N K D flops;
  whole k-means   plus the k-means|| rounds (2 N C_r D for the C_r candidates of round r, read
                  from the run's debug log) and the final assignment pass.

Bars: wall time <= 30 s on 1M x 384, k = 1000 with 2 threads; peak RSS < 2.5 x the embedding
bytes (N D 4). Every process runs with OpenBLAS's core type set for this CPU (bench/peer_env.py).

    .venv/bin/python bench/e2e_bench.py --build build [--rows 1000000 --dim 384 --k 1000 --threads 2]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_env import peer_env  # noqa: E402


ENV = None


def run_measured(cmd):
    """Runs cmd; returns (wall seconds, peak RSS bytes of the process)."""
    # Output goes to files, not pipes: a pipe the child fills before exiting would block it.
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file, text=True, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{err}")
    return wall, usage.ru_maxrss * 1024, out, err


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", help="keep data here (reused when present)")
    parser.add_argument("--cpu-kernel", default="auto", help="semdedup --cpu-kernel")
    args = parser.parse_args()
    global ENV
    ENV = peer_env(args.threads)

    semdedup = os.path.join(args.build, "semdedup")
    kmeans_bench = os.path.join(args.build, "bench", "kmeans_bench")
    work = args.workdir or tempfile.mkdtemp(prefix="semdedup-e2e-")
    data = os.path.join(work, "gen")
    if not os.path.isdir(os.path.join(data, "data")):
        print(f"generating {args.rows} x {args.dim} into {data} ...", flush=True)
        subprocess.run([semdedup, "generate", "--output", data, "--rows", str(args.rows), "--dim",
                        str(args.dim), "--clusters", str(args.k), "--files", "8", "--quiet",
                        "--overwrite"], check=True)

    out = os.path.join(work, "out")
    print("running semdedup run ...", flush=True)
    wall, rss, _, log = run_measured([semdedup, "run", "--input", os.path.join(data, "data"), "--output",
                                      out, "--n-clusters", str(args.k), "--eps", "0.01", "--threads",
                                      str(args.threads), "--overwrite", "--log-level", "debug",
                                      "--progress", "never", "--cpu-kernel", args.cpu_kernel])
    kernel = re.search(r"threads, (\S+) assignment kernel", log)
    candidates = [int(c) for c in re.findall(r"k-means\|\| round \d+: cost \S+, (\d+) new candidates", log)]
    summary = json.load(open(os.path.join(out, "summary.json")))
    timings = summary["timings"]
    iterations = summary["kmeans_iterations"]

    print("measuring sgemm on the k-means shapes ...", flush=True)
    _, _, bench_out, _ = run_measured([kmeans_bench, "--rows", str(args.rows), "--dim", str(args.dim), "--k",
                                    str(args.k), "--iters", "1", "--threads", str(args.threads)])
    sgemm = json.loads(bench_out)["sgemm_gflops"]
    gemm_flops = 2.0 * args.rows * args.k * args.dim
    gemm_alone = iterations * gemm_flops / (sgemm * 1e9)
    # k-means||: the first centre, then each round's candidates against every row; then the
    # final assignment of every row to the fitted centroids (the predict pass).
    init_flops = 2.0 * args.rows * args.dim * (1 + sum(candidates))
    kmeans_gemm = (iterations * gemm_flops + init_flops + gemm_flops) / (sgemm * 1e9)
    embedding_bytes = args.rows * args.dim * 4

    rows = [
        ("rows x dim, k", f"{args.rows} x {args.dim}, {args.k}"),
        ("threads, assignment kernel, BLAS core", f"{args.threads}, {kernel.group(1) if kernel else '?'}, {ENV.get('OPENBLAS_CORETYPE')}"),
        ("wall time (s) (bar <= 30)", f"{wall:.2f}"),
        ("  k-means (s, share)", f"{timings['kmeans_time']:.2f} ({100 * timings['kmeans_time'] / wall:.0f}%)"),
        ("  pairwise (s, share)", f"{timings['pairwise_time']:.2f} ({100 * timings['pairwise_time'] / wall:.0f}%)"),
        ("  identify (s, share)", f"{timings['identification_time']:.2f} ({100 * timings['identification_time'] / wall:.0f}%)"),
        ("Lloyd iterations", iterations),
        ("sgemm rate, same shapes (GFLOP/s)", f"{sgemm:.1f}"),
        ("k-means|| rounds, candidates", f"{len(candidates)}, {sum(candidates)}"),
        ("GEMM time alone, Lloyd only (s)", f"{gemm_alone:.2f}"),
        ("GEMM time alone, whole k-means (s)", f"{kmeans_gemm:.2f}"),
        ("wall / Lloyd GEMM time", f"{wall / gemm_alone:.2f}"),
        ("wall / k-means GEMM time", f"{wall / kmeans_gemm:.2f}"),
        ("peak RSS (GB)", f"{rss / 1e9:.2f}"),
        ("peak RSS / embedding bytes (bar < 2.5)", f"{rss / embedding_bytes:.2f}"),
        ("duplicates (eps 0.01)", summary["num_duplicates"]),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
