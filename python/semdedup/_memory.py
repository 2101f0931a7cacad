"""In-memory calls: numpy / DLPack arrays and Arrow streams in, numpy arrays and pyarrow
Tables out, nothing written to disk."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from . import _options as opt
from ._stages import RankingStrategy, _pairwise_ranking


def pairwise_cosine_similarity_batched(
    cluster_reps: Any, batch_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """NeMo's pairwise_cosine_similarity_batched: for the rows of `cluster_reps` in ranked
    order, each row's max cosine similarity to the rows ranked before it and the position of
    that row (the earliest one on ties); row 0 gets (0.0, 0).

    `cluster_reps`: a C-contiguous float32 or float16 array of shape (rows, dim), L2-normalised
    by the caller, as a numpy array or anything with ``__dlpack__`` (a CPU torch tensor); float32
    is read in place, not copied. `batch_size` >= 1 is NeMo's column batch; the results never
    depend on it. Returns (max_similarity float32 [rows], max_indices int64 [rows])."""
    opt.positive_int("batch_size", batch_size)
    return _core.pairwise_cosine_similarity_batched(cluster_reps, batch_size, opt.call_options(0, False))


def kmeans(
    x: Any,
    n_clusters: int,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    random_state: int = 42,
    init: Literal["k-means||", "random"] | Any = "k-means||",
    n_init: int | Literal["auto"] = 1,
    oversampling_factor: float = 2.0,
    max_samples_per_batch: int = 1 << 15,
    threads: int = 0,
    storage_options: dict[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """k-means of the rows of `x` (C-contiguous float32/float16, (rows, dim)) after
    L2-normalising them, as the KMeansStage fits. Returns (centroids float32 (n_clusters, dim),
    labels int32 (rows,)), bit-identical for a seed whatever `threads`. `storage_options`
    (NeMo's / fsspec's spellings) opens an `init` .npy path given as s3://bucket/key."""
    storage = opt.storage_options("storage_options", storage_options)
    fit = opt.fit_params(n_clusters, max_iter, tol, random_state, init, n_init,
                         oversampling_factor, max_samples_per_batch)
    centroids, labels, _inertia, _n_iter = _core.kmeans_fit(
        x, fit, opt.call_options(threads, False, storage))
    return centroids, labels


def _table(data: Any, name: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data).read_all()
    raise TypeError(f"{name} must have __arrow_c_stream__ (a pyarrow Table, polars DataFrame, ...); "
                    f"got {type(data).__name__}")


def _check_unique_ids(ids: pa.ChunkedArray, id_field: str) -> None:
    if pc.count_distinct(ids, mode="all").as_py() == len(ids):
        return
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))[0]["values"]
    rows = pc.indices_nonzero(pc.equal(ids, repeated)).to_pylist()
    raise ValueError(
        f"column '{id_field}' row {rows[1]}: duplicate id {repeated.as_py()} (first at row {rows[0]}); "
        "ids must be unique"
    )


def deduplicate(
    data: Any,
    *,
    n_clusters: int,
    eps: float = 0.01,
    id_field: str = "id",
    embedding_field: str = "embeddings",
    which_to_keep: Literal["hard", "easy", "random"] = "hard",
    sim_metric: Literal["cosine", "l2"] = "cosine",
    ranking_strategy: RankingStrategy | None = None,
    pairwise_batch_size: int = 1024,
    max_iter: int = 300,
    tol: float = 1e-4,
    random_state: int = 42,
    init: Literal["k-means||", "random"] | Any = "k-means||",
    n_init: int | Literal["auto"] = 1,
    oversampling_factor: float = 2.0,
    max_samples_per_batch: int = 1 << 15,
    threads: int = 0,
    storage_options: dict[str, Any] | None = None,
) -> pa.Table:
    """The duplicates of the rows of `data` (anything with ``__arrow_c_stream__``), found as
    ``semdedup run --eps`` finds them from the same rows in a file: k-means, ranking, max
    similarity, threshold ``1 - eps``. Returns a pyarrow Table sorted by id with the columns
    ``id`` (the row to remove), ``max_id`` (the earlier-ranked row it is most similar to) and
    ``cosine_sim_score`` (float32). Nothing is written to disk; `storage_options` opens an
    `init` .npy path given as s3://bucket/key, as kmeans()."""
    storage = opt.storage_options("storage_options", storage_options)
    table = _table(data, "data")
    fit = opt.fit_params(n_clusters, max_iter, tol, random_state, init, n_init,
                         oversampling_factor, max_samples_per_batch)
    params = _core.PairwiseParams()
    params.id_field = id_field
    params.embedding_field = embedding_field
    _pairwise_ranking(params, ranking_strategy, which_to_keep, sim_metric, random_state, "sim_metric")
    params.pairwise_batch_size = opt.positive_int("pairwise_batch_size", pairwise_batch_size)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise TypeError(f"eps must be a float; got {eps!r}")
    if id_field not in table.column_names:
        raise ValueError(f"column '{id_field}' not found; available: {', '.join(table.column_names)}")
    ids = table.column(id_field)
    _check_unique_ids(ids, id_field)
    rows, max_rows, scores, _labels = _core.find_duplicates(
        table.__arrow_c_stream__(), fit, params, float(eps), opt.call_options(threads, False, storage)
    )
    out = pa.table({
        "id": ids.take(pa.array(rows)),
        "max_id": ids.take(pa.array(max_rows)),
        "cosine_sim_score": pa.array(scores, type=pa.float32()),
    })
    return out.sort_by([("id", "ascending")])


def remove(data: Any, duplicates: Any, *, id_field: str = "id") -> pa.Table:
    """The rows of `data` (anything with ``__arrow_c_stream__``) whose `id_field` is not among the
    ids of `duplicates` (deduplicate()'s table, its ``id`` column; or any array of ids), in
    their original order."""
    table = _table(data, "data")
    if id_field not in table.column_names:
        raise ValueError(f"column '{id_field}' not found; available: {', '.join(table.column_names)}")
    if hasattr(duplicates, "__arrow_c_stream__") or isinstance(duplicates, (pa.Table, pa.RecordBatch)):
        dup = _table(duplicates, "duplicates")
        if "id" not in dup.column_names:
            raise ValueError("duplicates has no column 'id'")
        drop = dup.column("id")
    else:
        drop = pa.chunked_array([pa.array(duplicates)])
    if not drop.type.equals(table.column(id_field).type):
        drop = drop.cast(table.column(id_field).type)
    keep = pc.invert(pc.is_in(table.column(id_field), value_set=drop.combine_chunks()))
    return table.filter(keep)
