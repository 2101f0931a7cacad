"""Read benchmark: semdedup's reader (bench/read_bench) against pyarrow + numpy.

Writes N x D float32 unit vectors as F Parquet files (list<float32> `embeddings`, int64 `id`)
into a temporary directory, then times, best of R runs each:
  * semdedup: `read_bench FILE...` (read, validate, L2-normalise into one float32 matrix);
  * pyarrow:  pyarrow.parquet.read_table on the directory + numpy conversion to a float32
              (N, D) matrix + L2 normalisation.
Prints a table and the ratio pyarrow seconds / semdedup seconds (>= 1.0: semdedup is faster).

  .venv/bin/python bench/read_bench.py [--binary build/bench/read_bench] [--rows 1000000]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write_dataset(directory, rows, dim, files, seed):
    rng = np.random.default_rng(seed)
    per_file = (rows + files - 1) // files
    paths = []
    for index in range(files):
        first = index * per_file
        count = min(per_file, rows - first)
        x = rng.standard_normal((count, dim), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        embeddings = pa.ListArray.from_arrays(
            pa.array(np.arange(0, count * dim + 1, dim, dtype=np.int32)), pa.array(x.ravel()))
        table = pa.table({"id": pa.array(np.arange(first, first + count, dtype=np.int64)),
                          "embeddings": embeddings})
        path = os.path.join(directory, f"part_{index:03d}.parquet")
        pq.write_table(table, path)
        paths.append(path)
    return paths


def pyarrow_read(directory, dim):
    start = time.perf_counter()
    table = pq.read_table(directory, columns=["embeddings"])
    column = table.column("embeddings")
    flat = np.concatenate([chunk.flatten().to_numpy() for chunk in column.chunks])
    x = flat.astype(np.float32, copy=False).reshape(-1, dim)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    x /= norms[:, None]
    seconds = time.perf_counter() - start
    return x.shape[0], seconds


def semdedup_read(binary, paths):
    out = subprocess.run([binary, *paths], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    return result["rows"], result["seconds"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(here, "..", "build", "bench",
                                                         "read_bench"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="semdedup-read-bench-")
    try:
        paths = write_dataset(directory, args.rows, args.dim, args.files, args.seed)
        size = sum(os.path.getsize(p) for p in paths)
        ours = [semdedup_read(args.binary, paths) for _ in range(args.repeats)]
        theirs = [pyarrow_read(directory, args.dim) for _ in range(args.repeats)]
        assert all(rows == args.rows for rows, _ in ours + theirs)
        best_ours = min(seconds for _, seconds in ours)
        best_theirs = min(seconds for _, seconds in theirs)
        matrix_gb = args.rows * args.dim * 4 / 1e9
        print(f"{args.rows} x {args.dim} float32 in {args.files} Parquet files "
              f"({size / 1e9:.2f} GB on disk, {matrix_gb:.2f} GB as float32), "
              f"best of {args.repeats}, {os.cpu_count()} CPUs")
        print(f"{'reader':<28}{'seconds':>10}{'GB/s':>10}")
        print(f"{'semdedup read_bench':<28}{best_ours:>10.3f}{matrix_gb / best_ours:>10.2f}")
        print(f"{'pyarrow read_table + numpy':<28}{best_theirs:>10.3f}"
              f"{matrix_gb / best_theirs:>10.2f}")
        print(f"ratio (pyarrow / semdedup): {best_theirs / best_ours:.2f}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
