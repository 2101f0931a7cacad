"""The numbers of `semdedup report` (text) held against numpy, and `identify --exact` against an
independent search for identical embeddings.

1. Synthetic pairwise files with scores over [-1, 1] (and a little above 1, as float32 rounding
   gives identical vectors), some exactly on or one float32 step beside the bin edges, a NaN:
   every histogram row (count, and the share of rows below the bin's upper edge), the closest
   pairs by decade, and per eps: removed, added since the previous eps, chained.
2. The demo data: exact copies (rows whose embedding equals an earlier-ranked row's in their
   cluster, found here from the KMeans output with numpy) per eps and in total, and the ids
   `identify --exact` writes.

Usage: report_numbers_test.py SEMDEDUP_BINARY
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)


def run(args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def section(text, title):
    """The lines of the report section whose heading starts with `title`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start + 1:end]


def pct(part, whole):
    return f"{100.0 * part / whole:.2f}%"


def write_pairwise(directory, rng):
    """Three clusters of float32 scores; returns (scores as float64, max_row, cluster sizes)."""
    os.makedirs(directory)
    edges = np.concatenate([np.arange(-10, 11) / 10, np.arange(160, 201) / 200])
    on_edges = edges.astype(np.float32)
    beside = np.concatenate([np.nextafter(on_edges, np.float32(2)), np.nextafter(on_edges, np.float32(-2))])
    special = np.array([-1.0, 0.0, 1.0, 1.0000002, 1.0000001, 0.9999999, 0.99999994, np.nan], np.float32)
    pool = np.concatenate([rng.uniform(-1, 1, 3000).astype(np.float32),
                           (1 - 10 ** rng.uniform(-7.5, 0, 2000)).astype(np.float32),
                           on_edges, beside, special])
    rng.shuffle(pool)
    all_scores, all_max_rows = [], []
    for cluster, part in enumerate(np.array_split(pool, 3)):
        n = len(part)
        ids = np.arange(n, dtype=np.int64) + 100000 * cluster
        # Each row's max_id is an earlier-ranked row (the first row: itself, scored 0 by NeMo 1.4).
        max_row = np.array([0] + [int(rng.integers(0, r)) for r in range(1, n)])
        part = part.copy()
        part[0] = 0
        table = pa.table({"id": ids, "max_id": ids[max_row], "cosine_sim_score": part})
        pq.write_table(table, os.path.join(directory, f"cluster_{cluster}.parquet"))
        all_scores.append(part.astype(np.float64))
        all_max_rows.append(max_row)
    return all_scores, all_max_rows


def check_histograms(text, s):
    rows = len(s)
    row = re.compile(r"^\s+(\[(-?[\d.]+), (-?[\d.]+)\)|< (-?[\d.]+)|>= (-?[\d.]+))\s+(\d+)\s+([\d.]+%|-)")
    for title in ("cosine_sim_score, all rows", "decision range"):
        seen = 0
        for line in section(text, title)[1:]:
            m = row.match(line)
            check(m is not None, f"{title}: unreadable row {line!r}")
            if not m:
                continue
            count, share = int(m.group(6)), m.group(7)
            if m.group(2) is not None:
                lo, hi = float(m.group(2)), float(m.group(3))
                want, below = np.sum((s >= lo) & (s < hi)), np.sum(s < hi)
            elif m.group(4) is not None:
                want = below = np.sum(s < float(m.group(4)))
            else:
                want, below = np.sum(s >= float(m.group(5))), rows
            check(count == want, f"{title}: {line.strip()!r}: numpy counts {want}")
            check(share == pct(below, rows), f"{title}: {line.strip()!r}: numpy share {pct(below, rows)}")
            seen += count
        check(seen == rows, f"{title}: rows add up to {seen}, not {rows}")


def check_closest(text, s):
    rows = len(s)
    lines = section(text, "closest pairs")[1:]
    nearest = 1.0 - 10.0 ** -7
    removed = np.sum(s >= nearest)
    check(lines[0].split()[-2:] == [str(removed), pct(removed, rows)], f"closest: {lines[0]!r}")
    for decade, line in zip(range(7, 0, -1), lines[1:8]):
        lo, hi = 1.0 - 10.0 ** -(decade - 1), 1.0 - 10.0 ** -decade
        count = np.sum((s >= lo) & (s < hi))
        at_or_above = np.sum(s >= lo)
        check(line.split()[-2:] == [str(count), pct(at_or_above, rows)],
              f"closest: {line!r}: numpy {count} rows, {pct(at_or_above, rows)} at or above")
    negative = np.sum(s < 0)
    check(lines[8].split()[-2] == str(negative), f"closest: {lines[8]!r}: numpy {negative} below 0")


def sweep_rows(text):
    out = {}
    for line in section(text, "eps sweep")[1:]:
        parts = line.split()
        if len(parts) == 8 and re.match(r"^[\d.e-]+$", parts[0]):
            out[float(parts[0])] = parts
    return out


def check_sweep(text, scores, max_rows, eps_list, exact=None):
    rows = sweep_rows(text)
    previous = None
    for eps in sorted(eps_list):
        threshold = 1.0 - eps
        removed = chained = exact_removed = 0
        added = 0
        for c, s in enumerate(scores):
            keep = ~np.isnan(s)
            out = keep & (s >= threshold)
            removed += np.sum(out)
            if previous is not None:
                added += np.sum(out & ~(s >= previous))
            else:
                added += np.sum(out)
            m = max_rows[c]
            chained += np.sum(out & (m != np.arange(len(s))) & (s[m] >= threshold))
            if exact is not None:
                exact_removed += np.sum(out & exact[c])
        got = rows.get(eps)
        check(got is not None, f"sweep: no row for eps {eps}")
        if got:
            check(int(got[2]) == removed, f"sweep eps {eps}: removed {got[2]}, numpy {removed}")
            check(int(got[4]) == added, f"sweep eps {eps}: added {got[4]}, numpy {added}")
            check(int(got[5]) == chained, f"sweep eps {eps}: chained {got[5]}, numpy {chained}")
            if exact is not None:
                check(got[6] == str(exact_removed), f"sweep eps {eps}: exact {got[6]}, numpy {exact_removed}")
                check(got[7] == str(removed - exact_removed), f"sweep eps {eps}: near {got[7]}")
        previous = threshold


def synthetic(binary, work):
    rng = np.random.default_rng(7)
    directory = os.path.join(work, "pairwise")
    scores, max_rows = write_pairwise(directory, rng)
    eps_list = [0.0, 1e-7, 0.001, 0.0125, 0.05, 0.3, 0.95]
    text = run([binary, "report", "--input", directory, "--eps", ",".join(map(str, eps_list)),
                "--examples", "0", "--quiet"])
    s = np.concatenate(scores)
    s = s[~np.isnan(s)]
    check(f"{len(s)} rows in 3 clusters" in text, "synthetic: row count line")
    check_histograms(text, s)
    check_closest(text, s)
    check_sweep(text, scores, max_rows, eps_list)
    check("exact copies unknown" in text, "synthetic: exact copies should be unknown")


def exact_flags(output):
    """Per cluster file (sorted by K): whether each ranked row's embedding equals an earlier one's."""
    pairwise = os.path.join(output, "pairwise_results")
    names = sorted((n for n in os.listdir(pairwise) if n.startswith("cluster_")),
                   key=lambda n: int(n[len("cluster_"):-len(".parquet")]))
    scores, max_rows, flags, ids_out = [], [], [], []
    for name in names:
        k = int(name[len("cluster_"):-len(".parquet")])
        p = pq.read_table(os.path.join(pairwise, name))
        ids = p.column("id").to_numpy()
        position = {v: i for i, v in enumerate(ids)}
        km = pq.read_table(os.path.join(output, "kmeans_results", f"centroid={k}"),
                           columns=["id", "embeddings"])
        embedding = dict(zip(km.column("id").to_pylist(),
                             np.array(km.column("embeddings").to_pylist(), dtype=np.float32)))
        seen, flag = set(), np.zeros(len(ids), bool)
        for r, row_id in enumerate(ids):
            key = (embedding[int(row_id)] + np.float32(0)).tobytes()  # -0.0 + 0.0 is +0.0
            flag[r] = key in seen
            seen.add(key)
        scores.append(p.column("cosine_sim_score").to_numpy().astype(np.float64))
        max_rows.append(np.array([position[v] for v in p.column("max_id").to_numpy()]))
        flags.append(flag)
        ids_out.append(ids)
    return scores, max_rows, flags, ids_out


def demo(binary, work):
    root = os.path.join(work, "demo")
    run([binary, "demo", "--output", root, "--rows", "3000", "--dim", "16", "--n-clusters", "6",
         "--quiet"])
    output = os.path.join(root, "output")
    eps_list = [0.0, 0.001, 0.01, 0.05]
    text = run([binary, "report", "--input", output, "--eps", ",".join(map(str, eps_list)),
                "--quiet"])
    scores, max_rows, flags, ids = exact_flags(output)
    total = int(sum(f.sum() for f in flags))
    check(total > 0, "demo: numpy finds no exact copies")
    check(f"\n{total} exact copies" in text, f"demo: numpy finds {total} exact copies")
    check_sweep(text, scores, max_rows, eps_list, flags)
    check("topic " in section(text, "examples nearest threshold 0.999")[2],
          "demo: the examples show no text")

    run([binary, "identify", "--input", os.path.join(output, "pairwise_results"), "--output",
         os.path.join(work, "exact"), "--exact", "--quiet"])
    written = pq.read_table(os.path.join(work, "exact", "duplicates")).column("id").to_pylist()
    expected = sorted(int(v) for c, f in zip(ids, flags) for v in c[f])
    check(sorted(written) == expected,
          f"identify --exact wrote {len(written)} ids, numpy finds {len(expected)}")


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="semdedup-report-numbers-")
    try:
        synthetic(binary, work)
        demo(binary, work)
    finally:
        shutil.rmtree(work)
    if FAILURES:
        print("\n".join(FAILURES), file=sys.stderr)
        sys.exit(1)
    print("report numbers: every check passed")


if __name__ == "__main__":
    main()
