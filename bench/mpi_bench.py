#!/usr/bin/env python3
"""End-to-end `semdedup run`: `mpirun -np 2` with one thread per rank vs one process with two
threads, on the same generated data. Prints each wall time, the medians of --repeats runs and
the overhead of the two-rank job in percent, and checks that both wrote the same bytes."""

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
}


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "summary.json"):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def timed(cmd, env, cwd) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default=str(here / "build" / "semdedup"))
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--n-clusters", type=int, default=200)
    parser.add_argument("--rows-per-part", type=int, default=25_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", default=None, help="kept when given; a temp dir otherwise")
    args = parser.parse_args()
    args.binary = str(Path(args.binary).resolve())

    work = Path(args.workdir or tempfile.mkdtemp(prefix="semdedup-mpi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "gen"
    if not (data / "data").exists():
        subprocess.run([args.binary, "generate", "--output", str(data), "--rows", str(args.rows),
                        "--dim", str(args.dim), "--files", str(args.files), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, **MPI_ENV)
    run_args = ["run", "--input", str(data / "data"), "--n-clusters", str(args.n_clusters),
                "--eps", "0.05", "--rows-per-part", str(args.rows_per_part), "--quiet"]
    one, two = [], []
    digests = set()
    for repeat in range(args.repeats):
        for label, times in (("1 process x 2 threads", one), ("mpirun -np 2 x 1 thread", two)):
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            if times is one:
                cmd = [args.binary, *run_args, "--output", str(out), "--threads", "2"]
            else:
                cmd = ["mpirun", "--oversubscribe", "--allow-run-as-root", "--mca", "btl",
                       "self,vader", "--bind-to", "none", "-np", "2", args.binary, *run_args,
                       "--output", str(out), "--threads", "1"]
            seconds = timed(cmd, env, work)
            times.append(seconds)
            digests.add(digest(out))
            print(f"repeat {repeat + 1}: {label:<24} {seconds:7.2f} s", flush=True)
    m1, m2 = statistics.median(one), statistics.median(two)
    print(f"data: {args.rows} rows x {args.dim} dims in {args.files} files, "
          f"{args.n_clusters} clusters; load average {os.getloadavg()[0]:.2f}")
    print(f"median 1 process x 2 threads: {m1:.2f} s")
    print(f"median mpirun -np 2 x 1 thread: {m2:.2f} s")
    print(f"overhead of 2 ranks: {100.0 * (m2 - m1) / m1:+.1f}%")
    print(f"identical outputs: {len(digests) == 1}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
