"""k-means iteration benchmark: semdedup vs faiss-cpu Kmeans vs scikit-learn KMeans (lloyd).

Same data (unit vectors), same initial centroids, same iteration count and thread count for
all three; plus the sgemm GFLOP/s of the same shapes, measured inside semdedup's process.

    .venv/bin/python bench/kmeans_bench.py --build build [--rows 200000 --dim 768 --k 1000
        --iters 10 --threads 2]

The bars (design section 8): semdedup's per-iteration throughput >= 1.25x faiss and >= 80% of
the sgemm rate; final inertia within 0.5% of scikit-learn's at equal iterations. Every final
inertia is recomputed the same way (exact nearest centroid with faiss IndexFlatL2, summed in
float64) from each tool's final centroids.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build", help="CMake build directory holding bench/kmeans_bench")
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=1,
                   help="alternate semdedup and faiss this many times; the best of each is kept")
    p.add_argument("--skip-sklearn", action="store_true")
    return p.parse_args()


ARGS = parse_args()
# Thread counts must be fixed before numpy, faiss or scikit-learn start their pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import faiss  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


def inertia(x, centroids):
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(np.ascontiguousarray(centroids, dtype=np.float32))
    d, _ = index.search(x, 1)
    return float(d.astype(np.float64).sum())


def run_semdedup(binary, data_path, init_path, out_path):
    cmd = [binary, "--data", data_path, "--init", init_path, "--iters", str(ARGS.iters),
           "--threads", str(ARGS.threads), "--centroids-out", out_path]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def run_faiss(x, init):
    faiss.omp_set_num_threads(ARGS.threads)
    km = faiss.Kmeans(x.shape[1], init.shape[0], niter=ARGS.iters, seed=ARGS.seed, verbose=False,
                      max_points_per_centroid=x.shape[0], min_points_per_centroid=1)
    start = time.perf_counter()
    km.train(x, init_centroids=init)
    wall = time.perf_counter() - start
    stats = km.iteration_stats
    last = stats[-1]
    iter_time = (last["time"] if isinstance(last, dict) else last.time)
    return km.centroids.copy(), iter_time / ARGS.iters, wall


def run_sklearn(x, init):
    with threadpool_limits(limits=ARGS.threads):
        km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, max_iter=ARGS.iters, tol=0.0,
                    algorithm="lloyd", random_state=ARGS.seed)
        start = time.perf_counter()
        km.fit(x)
        wall = time.perf_counter() - start
    return km.cluster_centers_.astype(np.float32), wall / km.n_iter_, km.n_iter_, float(km.inertia_)


def main():
    binary = os.path.join(ARGS.build, "bench", "kmeans_bench")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: build the kmeans_bench target first")
    n, d, k = ARGS.rows, ARGS.dim, ARGS.k
    rng = np.random.default_rng(ARGS.seed)
    x = rng.standard_normal((n, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    init = np.ascontiguousarray(x[np.sort(rng.choice(n, size=k, replace=False))])
    flops = 2.0 * n * k * d

    with tempfile.TemporaryDirectory() as tmp:
        data_path, init_path = os.path.join(tmp, "x.npy"), os.path.join(tmp, "init.npy")
        ours_path = os.path.join(tmp, "ours.npy")
        np.save(data_path, x)
        np.save(init_path, init)

        ours, faiss_best, faiss_centroids = None, None, None
        loads = [os.getloadavg()[0]]
        for _ in range(ARGS.repeats):
            run = run_semdedup(binary, data_path, init_path, ours_path)
            if ours is None or run["seconds_per_iteration"] < ours["seconds_per_iteration"]:
                ours = run
                ours_centroids = np.load(ours_path)
            loads.append(os.getloadavg()[0])
            centroids, per_iter, wall = run_faiss(x, init)
            if faiss_best is None or per_iter < faiss_best[0]:
                faiss_best = (per_iter, wall)
                faiss_centroids = centroids
            loads.append(os.getloadavg()[0])
        if not ARGS.skip_sklearn:
            sk_centroids, sk_per_iter, sk_iters, sk_own_inertia = run_sklearn(x, init)
            loads.append(os.getloadavg()[0])

    ours_inertia = inertia(x, ours_centroids)
    faiss_inertia = inertia(x, faiss_centroids)
    rows = [("semdedup", ours["seconds_per_iteration"], ours["iterations"], ours_inertia),
            ("faiss-cpu Kmeans", faiss_best[0], ARGS.iters, faiss_inertia)]
    if not ARGS.skip_sklearn:
        sk_inertia = inertia(x, sk_centroids)
        rows.append(("sklearn KMeans lloyd", sk_per_iter, sk_iters, sk_inertia))
    reference = rows[-1][3] if not ARGS.skip_sklearn else None

    print(f"k-means: {n} x {d} unit vectors, k = {k}, {ARGS.iters} iterations, {ARGS.threads} threads, "
          f"same initial centroids")
    print(f"faiss {faiss.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
          f"{ours['blas']}")
    print(f"load average (1 min) during the runs: {', '.join(f'{v:.2f}' for v in loads)}")
    print()
    print(f"{'method':<22} {'s/iter':>9} {'GFLOP/s':>9} {'iters':>6} {'inertia':>14} {'vs sklearn':>11}")
    for name, per_iter, iters, value in rows:
        rel = f"{(value / reference - 1) * 100:+.3f}%" if reference else "-"
        print(f"{name:<22} {per_iter:>9.3f} {flops / per_iter / 1e9:>9.1f} {iters:>6} {value:>14.4f} {rel:>11}")
    print(f"{'sgemm (same shapes)':<22} {flops / (ours['sgemm_gflops'] * 1e9):>9.3f} "
          f"{ours['sgemm_gflops']:>9.1f}")
    print()
    speedup = faiss_best[0] / ours["seconds_per_iteration"]
    of_sgemm = ours["gemm_gflops_per_iteration"] / ours["sgemm_gflops"]
    print(f"semdedup vs faiss: {speedup:.2f}x per iteration (bar >= 1.25x)")
    print(f"semdedup vs sgemm: {of_sgemm * 100:.1f}% of {ours['sgemm_gflops']:.1f} GFLOP/s (bar >= 80%)")
    if reference:
        print(f"semdedup inertia vs sklearn: {(ours_inertia / reference - 1) * 100:+.4f}% (bar: within 0.5%)")
    print(f"semdedup iteration seconds: {ours['iteration_seconds']}; tile {ours['tile']}")


if __name__ == "__main__":
    main()
