"""How every benchmark runs a peer library at its best: in its own process, with thread counts
and OpenBLAS's core type set before the library loads, and the BLAS it actually runs named.

OpenBLAS picks its kernels from the CPU model when it loads; an OpenBLAS older than the CPU
(faiss-cpu 1.15 bundles 0.3.15) falls back to SSE3 "Prescott" kernels several times slower.
OPENBLAS_CORETYPE names the core instead; it must be in the environment before the library is
loaded, so peers run in child processes started with peer_env().
"""

import os


def blas_core_for_cpu():
    """The OpenBLAS core type for this CPU's features (as semdedup picks its own), or None."""
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        return None
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def peer_env(threads, core=None):
    """The environment of a benchmarked process: `threads` for OpenMP/OpenBLAS/MKL and the
    OpenBLAS core type `core`, else the one for this CPU (an OPENBLAS_CORETYPE inherited from the
    shell is replaced: every tool of a benchmark runs on the same, best core)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    core = core or blas_core_for_cpu()
    env.pop("OPENBLAS_CORETYPE", None)
    if core:
        env["OPENBLAS_CORETYPE"] = core
    return env


def blas_in_use():
    """One line per BLAS loaded in this process (threadpoolctl): library, version, the kernel
    architecture it runs and its threads. Call after importing the peer."""
    from threadpoolctl import threadpool_info

    lines = []
    for pool in threadpool_info():
        if pool.get("user_api") != "blas":
            continue
        lines.append(f"{pool.get('internal_api')} {pool.get('version')} "
                     f"core={pool.get('architecture')} threads={pool.get('num_threads')} "
                     f"({os.path.basename(pool.get('filepath', '?'))})")
    return lines
