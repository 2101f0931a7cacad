"""NeMo's workflow test (spec section 17) through semdedup.SemanticDeduplicationWorkflow, and the
stage classes run one after the other."""

from __future__ import annotations

import glob
import json
import os

import pyarrow.parquet as pq
import pytest

import semdedup


@pytest.mark.parametrize("which, expected", [("hard", 1471), ("easy", 1495)])
def test_workflow_reproduces_nemo_counts(blobs_dir, tmp_path, which, expected):
    out = tmp_path / f"out_{which}"
    workflow = semdedup.SemanticDeduplicationWorkflow(
        input_path=str(blobs_dir), output_path=str(out), n_clusters=5, eps=0.01,
        which_to_keep=which, verbose=False,
    )
    result = workflow.run()
    assert result.num_duplicates == expected
    assert result.metadata["num_duplicates"] == expected
    assert result.total_time > 0 and result.kmeans_time > 0 and result.pairwise_time > 0
    dup = pq.read_table(glob.glob(os.path.join(result.duplicates_path, "*.parquet")))
    assert dup.num_rows == expected
    assert dup.schema.names == ["id"]
    assert os.path.isdir(result.kmeans_results_path)
    pw = pq.read_table(glob.glob(os.path.join(result.pairwise_results_path, "*.parquet")))
    assert sorted(pw.schema.names) == ["cosine_sim_score", "id", "max_id"]
    assert pw.num_rows == 1500
    with open(result.summary_path) as f:
        assert json.load(f)["num_duplicates"] == expected


def test_workflow_without_eps_stops_after_pairwise(blobs_dir, tmp_path):
    result = semdedup.SemanticDeduplicationWorkflow(
        str(blobs_dir), str(tmp_path / "out"), 5, verbose=False
    ).run()
    assert result.num_duplicates == 0
    assert result.duplicates_path is None
    assert not (tmp_path / "out" / "duplicates").exists()


def test_stages_one_after_the_other_match_the_workflow(blobs_dir, tmp_path):
    kdir, pdir = tmp_path / "k", tmp_path / "p"
    k = semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(kdir)).run()
    assert k.num_rows == 1500 and k.num_files == 2
    assert os.path.exists(k.centroids_path)
    p = semdedup.PairwiseStage("id", "embeddings", str(kdir), str(pdir)).run()
    assert p.clusters == 5 and p.rows == 1500
    scores = pq.read_table(glob.glob(str(pdir / "*.parquet"))).column("cosine_sim_score")
    assert sum(1 for s in scores.to_pylist() if s >= 0.99) == 1471


def test_stage_refuses_executor_and_non_empty_output(blobs_dir, tmp_path):
    stage = semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(tmp_path / "k"))
    with pytest.raises(TypeError, match="executor"):
        stage.run(object())
    stage.run()
    with pytest.raises(FileExistsError):
        stage.run()
    assert stage.run(overwrite=True).num_rows == 1500
