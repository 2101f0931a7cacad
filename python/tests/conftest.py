"""Shared fixtures of the Python tests: NeMo's 1500-blob workflow data and the CLI binary."""

from __future__ import annotations

import os
import pathlib
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def nemo_blobs() -> pa.Table:
    """NeMo's test_workflow.py data: make_blobs(n_samples=[100, 200, 300, 400, 500],
    n_features=3, random_state=42), reproduced with numpy's RandomState (no scikit-learn):
    ids 0..1499 (int64), embeddings list<double>."""
    g = np.random.RandomState(42)
    sizes = [100, 200, 300, 400, 500]
    centers = g.uniform(-10.0, 10.0, size=(5, 3))
    x = np.concatenate([g.normal(loc=centers[i], scale=1.0, size=(n, 3)) for i, n in enumerate(sizes)])
    order = np.arange(1500)
    g.shuffle(order)
    x = x[order]
    return pa.table({"id": pa.array(np.arange(1500)), "embeddings": pa.array(x.tolist())})


@pytest.fixture
def blobs_table() -> pa.Table:
    return nemo_blobs()


@pytest.fixture
def blobs_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """The blobs as NeMo's test writes them: two Parquet files of 750 rows."""
    table = nemo_blobs()
    d = tmp_path / "in"
    d.mkdir()
    for i in range(2):
        pq.write_table(table.slice(i * 750, 750), d / f"part_{i:04d}.parquet")
    return d


@pytest.fixture
def cli() -> str:
    """The semdedup binary: $SEMDEDUP_BINARY, else build/semdedup of this checkout."""
    path = os.environ.get("SEMDEDUP_BINARY") or str(REPO / "build" / "semdedup")
    if not os.path.exists(path):
        found = shutil.which("semdedup")
        if not found:
            pytest.skip("no semdedup binary (build the CLI or set SEMDEDUP_BINARY)")
        path = found
    return path
