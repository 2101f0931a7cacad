"""The output guard of the file-based runs: the same rules as the CLI's commands (outputs apart
from inputs, one writer per output, the manifest first and _SUCCESS last, nothing that looks
finished after a failure or Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import semdedup


def tree(path):
    return sorted((p, os.path.getsize(os.path.join(d, p)))
                  for d, _, files in os.walk(path) for p in files)


def test_output_inside_the_input_is_refused_and_nothing_is_deleted(blobs_dir):
    before = tree(blobs_dir)
    inside = blobs_dir / "out"
    stage = semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(inside))
    with pytest.raises(ValueError, match="lies inside the input"):
        stage.run()
    assert not inside.exists()
    workflow = semdedup.SemanticDeduplicationWorkflow(str(blobs_dir), str(blobs_dir), 5,
                                                      eps=0.01, verbose=False, clear_output=True)
    with pytest.raises(ValueError, match="is the input"):
        workflow.run()
    assert tree(blobs_dir) == before


def test_overwrite_refuses_files_semdedup_did_not_write(blobs_dir, tmp_path):
    out = tmp_path / "k"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    stage = semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(out))
    with pytest.raises(ValueError, match="notes.txt"):
        stage.run(overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"


def test_workflow_writes_manifest_and_success(blobs_dir, tmp_path):
    out = tmp_path / "out"
    semdedup.SemanticDeduplicationWorkflow(str(blobs_dir), str(out), 5, eps=0.01,
                                           verbose=False).run()
    assert (out / "_SUCCESS").exists()
    manifest = (out / "_semdedup_manifest").read_text()
    assert manifest.splitlines()[1] == "command: run"
    assert "kmeans.n_clusters: 5" in manifest and "eps: 0.01" in manifest
    assert str(blobs_dir / "part_0000.parquet") in manifest  # the input fingerprint


def test_resume_checks_the_manifest(blobs_dir, tmp_path):
    out = tmp_path / "k"
    semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(out)).run()
    assert semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir),
                                str(out)).run(resume=True).num_rows == 1500
    with pytest.raises(ValueError, match="written with n_clusters 5, this run has n_clusters 4"):
        semdedup.KMeansStage(4, "id", "embeddings", str(blobs_dir), str(out)).run(resume=True)


def test_the_cli_reads_a_python_kmeans_output_as_finished(blobs_dir, tmp_path, cli):
    kdir = tmp_path / "k"
    semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(kdir)).run()
    assert (kdir / "_SUCCESS").exists()
    assert (kdir / "_semdedup_manifest").read_text().splitlines()[1] == "command: kmeans"
    run = subprocess.run([cli, "pairwise", "--input", str(kdir), "--output", str(tmp_path / "p"),
                          "--log-level", "info"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "not written by semdedup" not in run.stderr
    assert (tmp_path / "p" / "_SUCCESS").exists()


def long_input(tmp_path):
    x = np.random.default_rng(1).standard_normal((200_000, 64)).astype(np.float32)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": np.arange(len(x)),
                             "embeddings": pa.array(list(x), type=pa.list_(pa.float32()))}), src)
    return src


def test_an_interrupted_run_leaves_no_success(tmp_path, cli):
    src, out = long_input(tmp_path), tmp_path / "k"
    timer = threading.Timer(2.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        semdedup.KMeansStage(256, "id", "embeddings", str(src), str(out), max_iter=300,
                             tol=0.0).run()
    timer.join()
    assert not (out / "_SUCCESS").exists()
    # Either nothing is left or what is left is marked unfinished, never an unmarked output.
    assert not out.exists() or (out / "_semdedup_manifest").exists()
    if out.exists():
        # What is left is an unfinished output, which the CLI refuses to read.
        run = subprocess.run([cli, "pairwise", "--input", str(out), "--output",
                              str(tmp_path / "p")], capture_output=True, text=True, timeout=60)
        assert run.returncode == 1 and "unfinished semdedup kmeans output" in run.stderr


def test_a_second_run_on_the_same_output_is_refused(blobs_dir, tmp_path, cli):
    src, out = long_input(tmp_path), tmp_path / "k"
    holder = subprocess.Popen([cli, "kmeans", "--input", str(src), "--output", str(out),
                               "--n-clusters", "256", "--tol", "0", "--quiet"],
                              stderr=subprocess.PIPE, text=True)
    try:
        lock = tmp_path / ".k.semdedup.lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.exists(), holder.stderr.read() if holder.poll() is not None else "no lock"
        with pytest.raises(OSError, match="in use by another semdedup run"):
            semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(out)).run(
                overwrite=True)
        assert holder.poll() is None  # the first run goes on
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=60)
