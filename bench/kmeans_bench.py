"""k-means benchmark: semdedup vs faiss-cpu Kmeans, faiss-cpu SuperKmeans and scikit-learn.

Every tool runs in its own process with the same thread count and, for the OpenBLAS peers, the
core type set before the library loads (bench/peer_env.py); each prints the BLAS it runs
(threadpoolctl). Runs are interleaved (tool after tool, --repeats rounds) and the min and
median of each tool are reported, since the machine may be shared.

Two modes:
  defaults   each tool's fit with its own defaults on the full data (semdedup: k-means||,
             max_iter 300, tol 1e-4; faiss Kmeans: niter 25; SuperKmeans: its defaults;
             max_points_per_centroid raised so faiss does not subsample). Bar: semdedup's fit
             time >= 3x faster than the better faiss peer, with an objective no worse.
  iteration  same initial centroids, same number of Lloyd iterations: seconds per iteration.

Every objective is recomputed the same way from each tool's final centroids (exact nearest
centroid, squared distances summed in float64).

    .venv/bin/python bench/kmeans_bench.py --build build [--mode defaults --rows 200000
        --dim 768 --k 1000 --threads 2 --repeats 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_env import blas_in_use, peer_env  # noqa: E402

PEERS = ("faiss", "superkmeans", "sklearn")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build", help="CMake build directory holding bench/kmeans_bench")
    p.add_argument("--mode", choices=("defaults", "iteration"), default="defaults")
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--iters", type=int, default=10, help="iteration mode: Lloyd iterations")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds; min and median kept")
    p.add_argument("--tools", default="semdedup,faiss,superkmeans",
                   help="comma-separated subset of semdedup,faiss,superkmeans,sklearn; "
                        "semdedup-unbounded is semdedup assigning every row in every Lloyd pass "
                        "(the same results, without the bound that skips rows)")
    p.add_argument("--data", help="an (n, d) float32 .npy of unit rows instead of generated data")
    p.add_argument("--faiss-core", help="OPENBLAS_CORETYPE for the peers (default: for this CPU)")
    p.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    p.add_argument("--init", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p.parse_args()


def worker(args):
    """One peer's fit, in this (child) process. Prints JSON."""
    import numpy as np

    x = np.load(args.data, mmap_mode="r")
    x = np.ascontiguousarray(x, dtype=np.float32)
    n, d = x.shape
    init = np.load(args.init) if args.mode == "iteration" else None
    k = init.shape[0] if init is not None else args.k
    if args.worker in ("faiss", "superkmeans"):
        import faiss

        faiss.omp_set_num_threads(args.threads)
        version = f"faiss {faiss.__version__}"
        common = dict(seed=args.seed, max_points_per_centroid=n, verbose=False)
        if args.mode == "iteration":
            km = faiss.Kmeans(d, k, niter=args.iters, min_points_per_centroid=1, **common)
            start = time.perf_counter()
            km.train(x, init_centroids=init)
        else:
            cls = faiss.Kmeans if args.worker == "faiss" else faiss.SuperKmeans
            km = cls(d, k, **common)
            start = time.perf_counter()
            km.train(x)
        seconds = time.perf_counter() - start
        centroids, iterations = km.centroids, len(km.iteration_stats)
    else:
        import sklearn
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        version = f"scikit-learn {sklearn.__version__}"
        with threadpool_limits(limits=args.threads):
            if args.mode == "iteration":
                km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=args.iters, tol=0.0,
                            algorithm="lloyd", random_state=args.seed)
            else:
                km = KMeans(n_clusters=k, random_state=args.seed)
            start = time.perf_counter()
            km.fit(x)
            seconds = time.perf_counter() - start
        centroids, iterations = km.cluster_centers_, int(km.n_iter_)
    np.save(args.out, np.ascontiguousarray(centroids, dtype=np.float32))
    print(json.dumps({"seconds": seconds, "iterations": iterations, "version": version,
                      "blas": blas_in_use()}))


def run_peer(args, name, data_path, init_path, out_path):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--mode", args.mode,
           "--data", data_path, "--out", out_path, "--threads", str(args.threads), "--k",
           str(args.k), "--iters", str(args.iters), "--seed", str(args.seed)]
    if init_path:
        cmd += ["--init", init_path]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env=peer_env(args.threads, args.faiss_core))
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_semdedup(args, data_path, init_path, out_path, bounded=True):
    binary = os.path.join(args.build, "bench", "kmeans_bench")
    cmd = [binary, "--data", data_path, "--threads", str(args.threads), "--centroids-out", out_path,
           "--sgemm-repeats", "0", "--bounded", "1" if bounded else "0"]
    if args.mode == "iteration":
        cmd += ["--init", init_path, "--iters", str(args.iters)]
    else:
        cmd += ["--defaults", "1", "--k", str(args.k), "--seed", str(args.seed)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env=peer_env(args.threads))
    run = json.loads(done.stdout)
    seconds = run["fit_seconds"] if args.mode == "defaults" else run["seconds_per_iteration"] * run["iterations"]
    assigned = run.get("iteration_assigned_rows", [])
    share = sum(assigned) / (len(assigned) * run["rows"]) if assigned else None
    return {"seconds": seconds, "iterations": run["iterations"], "version": "semdedup",
            "blas": [run["blas"]], "kernel": run.get("assign_kernel", "fp32"),
            "assigned_share": share}


def objective(x, centroids):
    """Σ over rows of the squared distance to the nearest centroid, nearest found in float32
    and the distance recomputed in float64."""
    import numpy as np

    c = centroids.astype(np.float32)
    c_norms = (c.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)
    total = 0.0
    for first in range(0, x.shape[0], 20000):
        block = x[first:first + 20000]
        nearest = np.argmin(c_norms[None, :] - 2.0 * (block @ c.T), axis=1)
        diff = block.astype(np.float64) - c[nearest].astype(np.float64)
        total += float((diff * diff).sum())
    return total


def main():
    args = parse_args()
    if args.worker:
        return worker(args)
    os.environ.update(peer_env(args.threads, args.faiss_core))
    import numpy as np

    tools = args.tools.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        data_path = args.data
        if not data_path:
            rng = np.random.default_rng(args.seed)
            x = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            data_path = os.path.join(tmp, "x.npy")
            np.save(data_path, x)
            del x
        x = np.load(data_path, mmap_mode="r")
        n, d = x.shape
        init_path = None
        if args.mode == "iteration":
            rng = np.random.default_rng(args.seed + 1)
            init_path = os.path.join(tmp, "init.npy")
            np.save(init_path, np.ascontiguousarray(x[np.sort(rng.choice(n, size=args.k, replace=False))]))

        times = {tool: [] for tool in tools}
        info, objectives, loads = {}, {}, [os.getloadavg()[0]]
        for _ in range(args.repeats):
            for tool in tools:
                out = os.path.join(tmp, f"{tool}.npy")
                if tool in ("semdedup", "semdedup-unbounded"):
                    run = run_semdedup(args, data_path, init_path, out, bounded=tool == "semdedup")
                else:
                    run = run_peer(args, tool, data_path, init_path, out)
                times[tool].append(run["seconds"])
                share = run.get("assigned_share")
                share = f", {share * 100:.1f} % of the Lloyd row passes computed" if share is not None else ""
                print(f"  {tool}: {run['seconds']:.2f} s, {run['iterations']} iterations{share}", flush=True)
                loads.append(os.getloadavg()[0])
                if tool not in info:
                    info[tool] = run
                    objectives[tool] = objective(np.asarray(x), np.load(out))

    what = "fit with each tool's defaults" if args.mode == "defaults" else f"{args.iters} Lloyd iterations from the same centroids"
    print(f"k-means: {n} x {d} unit vectors, k = {args.k}, {args.threads} threads, {what}; "
          f"{args.repeats} interleaved rounds")
    for tool in tools:
        extra = f", assignment kernel {info[tool]['kernel']}" if "kernel" in info[tool] else ""
        print(f"  {tool}: {info[tool]['version']}{extra}; BLAS: {'; '.join(info[tool]['blas'])}")
    print(f"load average (1 min) during the runs: {', '.join(f'{v:.2f}' for v in loads)}")
    print()
    print(f"{'tool':<18} {'min s':>9} {'median s':>9} {'iters':>6} {'objective':>14} {'vs best peer':>13}")
    peers = [t for t in tools if not t.startswith("semdedup")]
    best_peer_obj = min((objectives[t] for t in peers), default=None)
    for tool in tools:
        rel = f"{(objectives[tool] / best_peer_obj - 1) * 100:+.3f}%" if best_peer_obj else "-"
        print(f"{tool:<18} {min(times[tool]):>9.2f} {statistics.median(times[tool]):>9.2f} "
              f"{info[tool]['iterations']:>6} {objectives[tool]:>14.4f} {rel:>13}")
    if "semdedup" in tools and peers:
        best_min = min(min(times[t]) for t in peers)
        best_median = min(statistics.median(times[t]) for t in peers)
        print()
        print(f"semdedup vs the faster peer: {best_min / min(times['semdedup']):.2f}x (min), "
              f"{best_median / statistics.median(times['semdedup']):.2f}x (median)"
              + (" (bar >= 3x, objective no worse)" if args.mode == "defaults" else ""))


if __name__ == "__main__":
    main()
