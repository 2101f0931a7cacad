"""What a Python user expects: exceptions by kind with the CLI's one-line message, logs through
`logging`, Ctrl-C stops a long call with KeyboardInterrupt and leaves no result behind."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import semdedup


def test_missing_input_is_an_os_error(tmp_path):
    stage = semdedup.KMeansStage(2, "id", "embeddings", str(tmp_path / "nowhere"), str(tmp_path / "out"))
    with pytest.raises(OSError) as info:
        stage.run()
    assert "nowhere" in str(info.value) and "\n" not in str(info.value)


def test_bad_row_in_a_file_names_file_column_and_row(blobs_dir, tmp_path):
    bad = pq.read_table(blobs_dir / "part_0001.parquet").to_pydict()
    bad["embeddings"][4] = [1.0, float("inf"), 2.0]
    path = blobs_dir / "part_0001.parquet"
    pq.write_table(pa.table(bad), path)
    out = tmp_path / "out"
    with pytest.raises(ValueError) as info:
        semdedup.SemanticDeduplicationWorkflow(str(blobs_dir), str(out), 5, eps=0.01, verbose=False).run()
    message = str(info.value)
    assert str(path) in message and "'embeddings'" in message and "row 4" in message
    assert "\n" not in message
    assert not (out / "summary.json").exists()


def test_missing_column_is_a_value_error(blobs_dir, tmp_path):
    with pytest.raises(ValueError, match="column 'vec' not found"):
        semdedup.KMeansStage(5, "id", "vec", str(blobs_dir), str(tmp_path / "k")).run()


def test_logs_go_to_the_semdedup_logger(blobs_dir, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="semdedup"):
        semdedup.SemanticDeduplicationWorkflow(str(blobs_dir), str(tmp_path / "o"), 5, eps=0.01,
                                               verbose=False).run()
    messages = [r.getMessage() for r in caplog.records if r.name == "semdedup"]
    assert any("Total documents identified as duplicates: 1471" in m for m in messages), messages
    assert any("float16" in m for m in messages)  # the dtype defaults are said, not passed over


def interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def long_kmeans_rows() -> np.ndarray:
    return np.random.default_rng(1).standard_normal((200_000, 64)).astype(np.float32)


def test_ctrl_c_stops_a_long_in_memory_call():
    x = long_kmeans_rows()
    timer = interrupt_after(1.0)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        semdedup.kmeans(x, 256, tol=0.0, max_iter=300)
    elapsed = time.monotonic() - start
    timer.join()
    assert elapsed < 20, elapsed  # the full fit takes minutes


def test_ctrl_c_stops_the_workflow_and_leaves_no_result(tmp_path):
    x = long_kmeans_rows()
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": np.arange(len(x)), "embeddings": pa.array(list(x), type=pa.list_(pa.float32()))}), src)
    out = tmp_path / "out"
    timer = interrupt_after(2.0)
    with pytest.raises(KeyboardInterrupt):
        semdedup.SemanticDeduplicationWorkflow(str(src), str(out), 256, tol=0.0, eps=0.01,
                                               verbose=False).run()
    timer.join()
    assert not (out / "summary.json").exists()
    assert not (out / "duplicates").exists()
    assert not list((out / "kmeans_results").glob("centroid=*/*.parquet")) if (out / "kmeans_results").exists() else True


def test_the_gil_is_released_during_a_long_call():
    x = np.random.default_rng(2).standard_normal((100_000, 64)).astype(np.float32)
    worker = threading.Thread(target=semdedup.kmeans, args=(x, 128), kwargs={"max_iter": 10, "tol": 0.0})
    ticks = 0
    start = time.monotonic()
    worker.start()
    while worker.is_alive():
        ticks += 1  # Python code running here while the fit runs there
        time.sleep(0.005)
    elapsed = time.monotonic() - start
    assert elapsed > 0.1 and ticks >= 10, (elapsed, ticks)
