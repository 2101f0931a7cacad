"""deduplicate / remove / kmeans over in-memory data, against the CLI on the same rows."""

from __future__ import annotations

import glob
import os
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import semdedup


def near_duplicates(rows: int = 3000, dim: int = 48, seed: int = 3) -> pa.Table:
    """Random unit rows, a fifth of them near copies of earlier rows, string ids, a metadata
    column."""
    g = np.random.default_rng(seed)
    x = g.standard_normal((rows, dim))
    copies = g.choice(rows, rows // 5, replace=False)
    x[copies] = x[g.integers(0, rows, rows // 5)] + 0.01 * g.standard_normal((rows // 5, dim))
    return pa.table({
        "doc": pa.array([f"doc-{i:05d}" for i in range(rows)]),
        "vec": pa.array(list(x.astype(np.float32)), type=pa.list_(pa.float32())),
        "quality": pa.array(g.integers(0, 5, rows)),
    })


def cli_run(cli: str, table: pa.Table, tmp_path, *args: str) -> tuple[pa.Table, pa.Table]:
    """(duplicates, pairwise results) of `semdedup run` on `table` written to one Parquet file."""
    src = tmp_path / "in.parquet"
    pq.write_table(table, src)
    out = tmp_path / "cli_out"
    subprocess.run([cli, "run", "--input", str(src), "--output", str(out), "--quiet", *args],
                   check=True)
    dup = pq.read_table(glob.glob(str(out / "duplicates" / "*.parquet")))
    pairwise = pq.read_table(glob.glob(str(out / "pairwise_results" / "*.parquet")))
    return dup, pairwise


def assert_same_as_cli(found: pa.Table, dup: pa.Table, pairwise: pa.Table) -> None:
    assert found.column("id").to_pylist() == sorted(dup.column(0).to_pylist())
    by_id = {i: (m, s) for i, m, s in zip(*(pairwise.column(c).to_pylist()
                                             for c in ("id", "max_id", "cosine_sim_score")))}
    for i, m, s in zip(*(found.column(c).to_pylist() for c in ("id", "max_id", "cosine_sim_score"))):
        assert by_id[i] == (m, s)  # the same float32 bits


def test_deduplicate_equals_cli_on_nemo_blobs(cli, blobs_table, tmp_path):
    found = semdedup.deduplicate(blobs_table, n_clusters=5, eps=0.01)
    assert found.num_rows == 1471
    assert found.schema.names == ["id", "max_id", "cosine_sim_score"]
    dup, pairwise = cli_run(cli, blobs_table, tmp_path, "--n-clusters", "5", "--eps", "0.01")
    assert_same_as_cli(found, dup, pairwise)


@pytest.mark.parametrize("which", ["hard", "easy", "random"])
def test_deduplicate_equals_cli_with_string_ids(cli, tmp_path, which):
    table = near_duplicates()
    found = semdedup.deduplicate(
        pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=700)),
        id_field="doc", embedding_field="vec", n_clusters=20, eps=0.05, which_to_keep=which,
        random_state=9, threads=1,
    )
    assert found.num_rows > 0
    dup, pairwise = cli_run(cli, table, tmp_path, "--id-field", "doc", "--embedding-field", "vec",
                            "--n-clusters", "20", "--eps", "0.05", "--which-to-keep", which,
                            "--random-state", "9", "--random-seed", "9")
    assert_same_as_cli(found, dup, pairwise)


def test_deduplicate_with_a_ranking_strategy_equals_cli(cli, tmp_path):
    table = near_duplicates(seed=5)
    found = semdedup.deduplicate(
        table, id_field="doc", embedding_field="vec", n_clusters=10, eps=0.05,
        ranking_strategy=semdedup.RankingStrategy(["quality", "doc"], ascending=[False, True]),
    )
    dup, pairwise = cli_run(cli, table, tmp_path, "--id-field", "doc", "--embedding-field", "vec",
                            "--metadata-fields", "quality", "--n-clusters", "10", "--eps", "0.05",
                            "--ranking-columns", "quality,doc", "--ranking-ascending", "false,true")
    assert_same_as_cli(found, dup, pairwise)


def test_remove_drops_exactly_the_duplicates(blobs_table):
    found = semdedup.deduplicate(blobs_table, n_clusters=5, eps=0.01)
    kept = semdedup.remove(blobs_table, found)
    assert kept.num_rows == 1500 - 1471
    assert set(kept.column("id").to_pylist()).isdisjoint(found.column("id").to_pylist())
    assert kept.column("id").to_pylist() == sorted(kept.column("id").to_pylist())  # order kept


def test_kmeans_matches_the_stage(blobs_dir, blobs_table, tmp_path):
    x = np.asarray(blobs_table.column("embeddings").to_pylist(), dtype=np.float32)
    centroids, labels = semdedup.kmeans(x, 5)
    assert centroids.shape == (5, 3) and labels.shape == (1500,) and labels.dtype == np.int32
    stage = semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(tmp_path / "k")).run()
    stage_centroids = np.load(stage.centroids_path)
    # float64 -> float32 happens in numpy here and in the reader there: the same values.
    assert np.array_equal(centroids, stage_centroids)
    again, labels_1 = semdedup.kmeans(x, 5, threads=1)
    assert np.array_equal(again, centroids) and np.array_equal(labels_1, labels)


@pytest.mark.parametrize("mutate, error, message", [
    (lambda t: t.set_column(1, "embeddings", pa.array([[1.0, float("nan"), 0.0]] + t.column(1).to_pylist()[1:])),
     ValueError, "column 'embeddings' row 0: non-finite value nan at index 1"),
    (lambda t: t.set_column(1, "embeddings", pa.array(t.column(1).to_pylist()[:7] + [None] + t.column(1).to_pylist()[8:])),
     ValueError, "column 'embeddings' row 7: null embedding"),
    (lambda t: t.set_column(1, "embeddings", pa.array(t.column(1).to_pylist()[:3] + [[1.0, 2.0]] + t.column(1).to_pylist()[4:])),
     ValueError, "column 'embeddings' row 3: list has 2 values but the first row has 3"),
    (lambda t: t.set_column(1, "embeddings", pa.array(t.column(1).to_pylist()[:2] + [[0.0, 0.0, 0.0]] + t.column(1).to_pylist()[3:])),
     ValueError, "column 'embeddings' row 2: zero norm"),
    (lambda t: t.set_column(0, "id", pa.array([5] + list(range(1, 1500)))),
     ValueError, "column 'id' row 5: duplicate id 5 (first at row 0)"),
    (lambda t: t.rename_columns(["id", "emb"]), ValueError, "column 'embeddings' not found"),
])
def test_bad_in_memory_input_is_a_one_line_error(blobs_table, mutate, error, message):
    with pytest.raises(error) as info:
        semdedup.deduplicate(mutate(blobs_table), n_clusters=5)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_arguments():
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        semdedup.deduplicate([1, 2, 3], n_clusters=2)
    table = pa.table({"id": [1, 2], "embeddings": [[1.0, 0.0], [0.0, 1.0]]})
    with pytest.raises(ValueError, match="n_clusters"):
        semdedup.deduplicate(table, n_clusters=3)
    with pytest.raises(ValueError, match="eps"):
        semdedup.deduplicate(table, n_clusters=1, eps=1.0)
    with pytest.raises(TypeError, match="n_clusters"):
        semdedup.deduplicate(table)


def test_fp16_bits_and_extreme_scales_read_as_the_files_read_them(cli, tmp_path):
    """NeMo 1.4's list<uint16> fp16 bits and rows at the 1e-30 scale: the in-memory source
    follows the file reader's rules (fp16 decoded exactly; tiny rows normalised in double)."""
    g = np.random.default_rng(7)
    rows, dim = 600, 16
    x = g.standard_normal((rows, dim)).astype(np.float16)
    x[g.choice(rows, 60, replace=False)] = x[g.integers(0, rows, 60)]
    ids = pa.array(np.arange(rows, dtype=np.int64))
    bits = pa.table({"id": ids, "embeddings": pa.array(list(x.view(np.uint16)),
                                                       type=pa.list_(pa.uint16()))})
    floats = pa.table({"id": ids, "embeddings": pa.array(list(x.astype(np.float32)),
                                                         type=pa.list_(pa.float32()))})
    found = semdedup.deduplicate(bits, n_clusters=4, eps=0.01)
    assert found.num_rows >= 30  # the planted exact copies, at least
    assert found.equals(semdedup.deduplicate(floats, n_clusters=4, eps=0.01))
    dup, pairwise = cli_run(cli, bits, tmp_path, "--n-clusters", "4", "--eps", "0.01")
    assert_same_as_cli(found, dup, pairwise)

    tiny = pa.table({"id": ids, "embeddings": pa.array(list(x.astype(np.float32) * np.float32(1e-30)),
                                                       type=pa.list_(pa.float32()))})
    found_tiny = semdedup.deduplicate(tiny, n_clusters=4, eps=0.01)
    (tmp_path / "tiny").mkdir()
    dup, pairwise = cli_run(cli, tiny, tmp_path / "tiny", "--n-clusters", "4", "--eps", "0.01")
    assert_same_as_cli(found_tiny, dup, pairwise)
