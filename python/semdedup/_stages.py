"""NeMo Curator 1.4's stage classes over semdedup's engine. Each class takes NeMo's keyword
names and defaults; one method per class (`_params`) turns them into the engine's params struct,
and `run()` does the work on files and returns counts, timings and output paths."""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Literal, Sequence

from . import _core
from . import _options as opt

_log = logging.getLogger("semdedup")


@dataclasses.dataclass(frozen=True)
class StageResult:
    """What a stage's run() did: NeMo's metrics (seconds) and the engine's counts."""

    output_path: str
    metadata: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.metadata[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclasses.dataclass(frozen=True)
class WorkflowResult:
    """SemanticDeduplicationWorkflow.run(): NeMo's result metadata (num_duplicates, total_time,
    kmeans_time, pairwise_time, seconds) and where everything went."""

    num_duplicates: int
    total_time: float
    kmeans_time: float
    pairwise_time: float
    identify_time: float
    kmeans_results_path: str
    pairwise_results_path: str
    duplicates_path: str | None
    summary_path: str
    kmeans: dict[str, Any]
    pairwise: dict[str, Any]

    @property
    def metadata(self) -> dict[str, Any]:
        """NeMo's WorkflowRunResult.metadata keys."""
        return {
            "num_duplicates": self.num_duplicates,
            "total_time": self.total_time,
            "kmeans_time": self.kmeans_time,
            "pairwise_time": self.pairwise_time,
        }

    def get_metadata(self, key: str) -> Any:
        return self.metadata[key]


class RankingStrategy:
    """How the rows of a cluster are ordered before the similarity (NeMo's RankingStrategy):
    `strategy="sort"` sorts by `metadata_cols` in priority order (stable, nulls last),
    `ascending` one bool for all columns or one per column; `strategy="random"` a seeded shuffle,
    the same seed for every cluster. The row ranked first in a group of near-duplicates is kept."""

    def __init__(
        self,
        metadata_cols: list[str],
        ascending: bool | list[bool] = True,
        strategy: Literal["sort", "random"] = "sort",
        random_seed: int = 42,
    ) -> None:
        self.metadata_cols = list(metadata_cols) if metadata_cols is not None else []
        self.ascending = ascending
        self.strategy = strategy
        self.random_seed = random_seed
        if isinstance(ascending, (list, tuple)) and len(ascending) != len(self.metadata_cols):
            raise ValueError(
                f"Length of ascending ({len(ascending)}) must match metadata_cols "
                f"({len(self.metadata_cols)})"
            )

    @classmethod
    def metadata_based(
        cls, metadata_cols: list[str], ascending: bool | list[bool] = True, random_seed: int = 42
    ) -> "RankingStrategy":
        return cls(metadata_cols, ascending, "sort", random_seed)

    @classmethod
    def random(cls, random_seed: int = 42) -> "RankingStrategy":
        return cls([], True, "random", random_seed)

    def _apply(self, params: Any) -> None:
        """Sets the ranking fields of the engine's PairwiseParams."""
        if self.strategy == "random":
            params.which_to_keep = _core.WhichToKeep.random
            params.random_seed = self.random_seed
            params.ranking_columns = []
            params.ranking_ascending = []
        elif self.strategy == "sort":
            if not self.metadata_cols:
                raise ValueError("RankingStrategy(strategy='sort') needs metadata_cols")
            params.ranking_columns = list(self.metadata_cols)
            asc = self.ascending if isinstance(self.ascending, (list, tuple)) else [self.ascending]
            params.ranking_ascending = [bool(a) for a in asc]
            params.random_seed = self.random_seed
        else:
            raise ValueError(f"Invalid strategy: {self.strategy}. Supported: 'sort', 'random'")

    def __repr__(self) -> str:
        return (
            f"RankingStrategy(metadata_cols={self.metadata_cols!r}, ascending={self.ascending!r}, "
            f"strategy={self.strategy!r}, random_seed={self.random_seed!r})"
        )


def _pairwise_ranking(
    params: Any,
    ranking_strategy: RankingStrategy | None,
    which_to_keep: str,
    sim_metric: str,
    random_seed: int,
    metric_name: str,
) -> None:
    """NeMo's default ranking rules (spec section 9) onto the engine's PairwiseParams."""
    params.random_seed = random_seed
    if ranking_strategy is not None:
        if not isinstance(ranking_strategy, RankingStrategy):
            raise TypeError(
                f"ranking_strategy must be a semdedup.RankingStrategy; got {type(ranking_strategy).__name__}"
            )
        ranking_strategy._apply(params)
        return
    if which_to_keep not in ("hard", "easy", "random"):
        raise ValueError(f"Invalid which_to_keep: {which_to_keep}. Must be 'hard', 'easy', or 'random'")
    params.which_to_keep = getattr(_core.WhichToKeep, which_to_keep)
    if which_to_keep == "random":
        return
    if sim_metric not in ("cosine", "l2"):
        raise ValueError(f"Invalid {metric_name}: {sim_metric}. Must be 'cosine' or 'l2'")
    params.sim_metric = getattr(_core.SimMetric, sim_metric)


def _batch_size(value: Any) -> int:
    """NeMo's pairwise_batch_size: an int >= 1 or "auto" (the engine's 0). Results never depend
    on it: the kernel's tiles are fixed by row index."""
    if value == "auto":
        return 0
    return opt.positive_int("pairwise_batch_size", value)


def _kmeans_checks(embedding_output_dtype: str, fit_data_fraction: Any, dtype_name: str) -> None:
    """NeMo 1.4's embedding output dtype and fit_data_fraction, checked as NeMo checks them."""
    opt.choice(dtype_name, embedding_output_dtype, ("float16", "float32"))
    if fit_data_fraction is not None:
        if isinstance(fit_data_fraction, bool) or not isinstance(fit_data_fraction, (int, float)):
            raise TypeError(f"fit_data_fraction must be a float or None; got {fit_data_fraction!r}")
        if not 0.0 < fit_data_fraction <= 1.0:
            raise ValueError(f"fit_data_fraction must be in (0, 1]; got {fit_data_fraction}")


def _stage_storage_options(read_kwargs: Any, write_kwargs: Any) -> dict[str, str]:
    """A stage's storage options from its read_kwargs / write_kwargs (one set per run)."""
    return opt.one_storage_options([
        ("read_kwargs", opt.check_read_kwargs("read_kwargs", read_kwargs)),
        ("write_kwargs", opt.check_write_kwargs("write_kwargs", write_kwargs)),
    ])


def _mode(overwrite: bool, resume: bool) -> Any:
    if overwrite and resume:
        raise ValueError("overwrite and resume exclude each other")
    if overwrite:
        return _core.OutputMode.overwrite
    return _core.OutputMode.resume if resume else _core.OutputMode.fresh


class KMeansStage:
    """NeMo's KMeansStage: L2-normalises the embeddings, fits k-means (k-means|| then Lloyd,
    cuML's absolute `tol` on the squared centroid shift) and writes every row with its
    distances to `output_path/centroid=K/part-NNNNNN.parquet` and the centroids to
    `output_path/kmeans_centroids.npy` (and `cache_path`). Results are bit-identical for a seed
    whatever the threads or batch sizes.

    Args:
        n_clusters: number of centroids k, >= 1 and <= the number of rows.
        id_field, embedding_field: the id column (any integer or string type, unique) and the
            embedding column (list / large_list / fixed_size_list of floats or integers).
        input_path: files or directories (NeMo's discovery rules): local paths, file:// or
            s3://bucket/key URIs (as are every other path of the stages).
        output_path: directory for centroid=K/ and kmeans_centroids.npy; refused when not
            empty unless run(overwrite=True) or run(resume=True).
        metadata_fields: columns copied through to the output.
        verbose: report progress as the CLI does.
        input_filetype, input_file_extensions: "parquet" or "jsonl"; extensions that select
            files (default: the filetype's).
        read_kwargs, write_kwargs: only NeMo's `storage_options` (fsspec's spellings, for
            s3:// paths; see docs/python.md); when both hold one they must be equal.
        max_iter: Lloyd iterations per run, >= 1.
        tol: absolute threshold on the total squared centroid shift, >= 0 (cuML's rule).
        random_state: seeds the initialisation and every random draw of the fit.
        init: "k-means||" (scalable k-means++), "random", an .npy path or a (k, dim) array.
        n_init: independent runs, the best inertia kept; "auto" = 1 for k-means||, else 10.
        oversampling_factor: k-means|| candidates per round, as a multiple of k, > 0.
        max_samples_per_batch: rows per distance tile: memory only, never results.
        fit_data_fraction: fit on a seeded sample of this fraction of the files, in (0, 1]
            (1.0: every file); None fits on every row when the embeddings fit the memory
            budget, else on the first files that fit it (every row is still labelled).
        cache_path: directory for an extra copy of kmeans_centroids.npy.
        embedding_output_dtype: storage of the output's embeddings: "float32", or "float16"
            (NeMo 1.4's list<uint16> of IEEE half bits, rounded to nearest even).
    """

    def __init__(
        self,
        n_clusters: int,
        id_field: str,
        embedding_field: str,
        input_path: str | list[str],
        output_path: str,
        metadata_fields: list[str] | None = None,
        verbose: bool = False,
        input_filetype: Literal["jsonl", "parquet"] = "parquet",
        input_file_extensions: list[str] | None = None,
        read_kwargs: dict[str, Any] | None = None,
        write_kwargs: dict[str, Any] | None = None,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int = 42,
        init: Literal["k-means||", "random"] | Any = "k-means||",
        n_init: int | Literal["auto"] = 1,
        oversampling_factor: float = 2.0,
        max_samples_per_batch: int = 1 << 15,
        fit_data_fraction: float | None = None,
        cache_path: str | None = None,
        embedding_output_dtype: Literal["float16", "float32"] = "float32",
    ) -> None:
        self.n_clusters = n_clusters
        self.id_field = id_field
        self.embedding_field = embedding_field
        self.input_path = input_path
        self.output_path = output_path
        self.metadata_fields = metadata_fields
        self.verbose = verbose
        self.input_filetype = input_filetype
        self.input_file_extensions = input_file_extensions
        self.read_kwargs = read_kwargs
        self.write_kwargs = write_kwargs
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.init = init
        self.n_init = n_init
        self.oversampling_factor = oversampling_factor
        self.max_samples_per_batch = max_samples_per_batch
        self.fit_data_fraction = fit_data_fraction
        self.cache_path = cache_path
        self.embedding_output_dtype = embedding_output_dtype
        self._params()  # every keyword checked at construction, as NeMo does

    def _storage_options(self) -> dict[str, str]:
        return _stage_storage_options(self.read_kwargs, self.write_kwargs)

    def _params(self) -> Any:
        """The engine's KMeansParams: every keyword of this class goes through here."""
        self._storage_options()
        _kmeans_checks(self.embedding_output_dtype, self.fit_data_fraction, "embedding_output_dtype")
        p = _core.KMeansParams()
        p.fit = opt.fit_params(
            self.n_clusters, self.max_iter, self.tol, self.random_state, self.init, self.n_init,
            self.oversampling_factor, self.max_samples_per_batch,
        )
        p.input_paths = opt.paths("input_path", self.input_path)
        p.output_path = opt.path("output_path", self.output_path)
        p.id_field = self.id_field
        p.embedding_field = self.embedding_field
        p.metadata_fields = list(self.metadata_fields or [])
        p.input_filetype = opt.file_type("input_filetype", self.input_filetype)
        p.input_file_extensions = list(self.input_file_extensions or [])
        p.fit_data_fraction = self.fit_data_fraction
        p.cache_path = opt.path("cache_path", self.cache_path) if self.cache_path is not None else ""
        p.embedding_output_dtype = self.embedding_output_dtype
        p.validate()
        return p

    def run(self, executor: Any = None, *, threads: int = 0, overwrite: bool = False,
            resume: bool = False) -> StageResult:
        """Runs the stage on the files. `threads` = 0 uses every core. A non-empty output
        directory is refused unless `overwrite` (start over) or `resume` (finish a killed run)."""
        opt.refuse_executor(executor)
        p = self._params()
        p.output_mode = _mode(overwrite, resume)
        result = _core.run_kmeans_stage(
            p, opt.call_options(threads, self.verbose, self._storage_options()))
        return StageResult(p.output_path, result)


class PairwiseStage:
    """NeMo's PairwiseStage: for each `centroid=K` directory of a KMeans output (semdedup's or
    NeMo's), ranks the rows and writes each row's max cosine similarity to the rows ranked
    before it to `output_path/cluster_K.parquet` (id, max_id, cosine_sim_score).

    Args:
        id_field, embedding_field: columns of the KMeans output.
        input_path: the KMeans output directory (holding centroid=K/).
        output_path: directory for cluster_K.parquet; refused when not empty unless
            run(overwrite=True) or run(resume=True).
        ranking_strategy: a RankingStrategy; overrides which_to_keep and sim_metric.
        pairwise_batch_size: NeMo's column batch, >= 1: memory only, never results.
        verbose: report progress as the CLI does.
        read_kwargs, write_kwargs: as KMeansStage's.
        which_to_keep: "hard" keeps the row farthest from its centroid (ties: largest id),
            "easy" the closest (smallest id), "random" a seeded shuffle.
        sim_metric: distance column ranked by hard/easy: "cosine" or "l2".
        random_seed: seed of the random ranking (the same for every cluster).
        compute_dtype: "auto", "float16" or "float32": accepted and logged; semdedup computes
            every similarity as a float32 product of the stored values (fp16 widened exactly).
    """

    def __init__(
        self,
        id_field: str,
        embedding_field: str,
        input_path: str,
        output_path: str,
        ranking_strategy: RankingStrategy | None = None,
        pairwise_batch_size: int | Literal["auto"] = 1024,
        verbose: bool = False,
        read_kwargs: dict[str, Any] | None = None,
        write_kwargs: dict[str, Any] | None = None,
        which_to_keep: Literal["hard", "easy", "random"] = "hard",
        sim_metric: Literal["cosine", "l2"] = "cosine",
        random_seed: int = 42,
        compute_dtype: Literal["auto", "float16", "float32"] = "float32",
    ) -> None:
        self.id_field = id_field
        self.embedding_field = embedding_field
        self.input_path = input_path
        self.output_path = output_path
        self.ranking_strategy = ranking_strategy
        self.pairwise_batch_size = pairwise_batch_size
        self.verbose = verbose
        self.read_kwargs = read_kwargs
        self.write_kwargs = write_kwargs
        self.which_to_keep = which_to_keep
        self.sim_metric = sim_metric
        self.random_seed = random_seed
        self.compute_dtype = compute_dtype
        self._params()

    def _storage_options(self) -> dict[str, str]:
        return _stage_storage_options(self.read_kwargs, self.write_kwargs)

    def _params(self) -> Any:
        """The engine's PairwiseParams: every keyword of this class goes through here."""
        self._storage_options()
        opt.choice("compute_dtype", self.compute_dtype, ("auto", "float16", "float32"))
        p = _core.PairwiseParams()
        p.input_path = opt.path("input_path", self.input_path)
        p.output_path = opt.path("output_path", self.output_path)
        p.id_field = self.id_field
        p.embedding_field = self.embedding_field
        _pairwise_ranking(p, self.ranking_strategy, self.which_to_keep, self.sim_metric,
                          self.random_seed, "sim_metric")
        p.pairwise_batch_size = _batch_size(self.pairwise_batch_size)
        p.compute_dtype = self.compute_dtype
        p.validate()
        return p

    def run(self, executor: Any = None, *, threads: int = 0, overwrite: bool = False,
            resume: bool = False) -> StageResult:
        """Runs the stage over every cluster; see KMeansStage.run for the keywords."""
        opt.refuse_executor(executor)
        p = self._params()
        p.output_mode = _mode(overwrite, resume)
        result = _core.run_pairwise_stage(
            p, opt.call_options(threads, self.verbose, self._storage_options()))
        return StageResult(p.output_path, result)


class SemanticDeduplicationWorkflow:
    """NeMo's SemanticDeduplicationWorkflow: KMeans into `cache_path/kmeans_results`, Pairwise
    into `cache_path/pairwise_results`, and with `eps` the ids to remove into
    `output_path/duplicates` (rows with cosine_sim_score >= 1 - eps), plus
    `output_path/summary.json`.

    `clear_output=True` starts over in non-empty directories; `clear_output=False` finishes what
    an earlier run with the same parameters left (semdedup's --resume).

    The KMeans keywords are KMeansStage's (`random_state` also seeds the random ranking), the
    pairwise ones PairwiseStage's (`distance_metric` is its `sim_metric`). `eps` in [0, 1), or
    None to stop after the pairwise stage. `cache_kwargs` defaults to a copy of `write_kwargs`;
    their `storage_options` and read_kwargs' (s3:// paths) must be equal where given.
    `kmeans_embedding_output_dtype` defaults to NeMo 1.4's "float16" (list<uint16> storage);
    `pairwise_compute_dtype` is accepted and logged, and every similarity is computed in float32.
    """

    def __init__(
        self,
        input_path: str | list[str],
        output_path: str,
        n_clusters: int,
        cache_path: str | None = None,
        id_field: str = "id",
        embedding_field: str = "embeddings",
        metadata_fields: list[str] | None = None,
        input_filetype: Literal["jsonl", "parquet"] = "parquet",
        input_file_extensions: list[str] | None = None,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int = 42,
        init: Literal["k-means||", "random"] | Any = "k-means||",
        n_init: int | Literal["auto"] = 1,
        oversampling_factor: float = 2.0,
        max_samples_per_batch: int = 1 << 15,
        fit_data_fraction: float | None = None,
        distance_metric: Literal["cosine", "l2"] = "cosine",
        which_to_keep: Literal["hard", "easy", "random"] = "hard",
        ranking_strategy: RankingStrategy | None = None,
        pairwise_batch_size: int | Literal["auto"] = 1024,
        eps: float | None = None,
        read_kwargs: dict[str, Any] | None = None,
        cache_kwargs: dict[str, Any] | None = None,
        write_kwargs: dict[str, Any] | None = None,
        clear_output: bool = True,
        verbose: bool = True,
        pairwise_compute_dtype: Literal["auto", "float16", "float32"] = "float16",
        kmeans_embedding_output_dtype: Literal["float16", "float32"] = "float16",
    ) -> None:
        self.input_path = input_path
        self.output_path = output_path
        self.n_clusters = n_clusters
        self.cache_path = cache_path
        self.id_field = id_field
        self.embedding_field = embedding_field
        self.metadata_fields = metadata_fields
        self.input_filetype = input_filetype
        self.input_file_extensions = input_file_extensions
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.init = init
        self.n_init = n_init
        self.oversampling_factor = oversampling_factor
        self.max_samples_per_batch = max_samples_per_batch
        self.fit_data_fraction = fit_data_fraction
        self.distance_metric = distance_metric
        self.which_to_keep = which_to_keep
        self.ranking_strategy = ranking_strategy
        self.pairwise_batch_size = pairwise_batch_size
        self.eps = eps
        self.read_kwargs = read_kwargs
        self.cache_kwargs = dict(write_kwargs) if cache_kwargs is None and write_kwargs else cache_kwargs
        self.write_kwargs = write_kwargs
        self.clear_output = clear_output
        self.verbose = verbose
        self.pairwise_compute_dtype = pairwise_compute_dtype
        self.kmeans_embedding_output_dtype = kmeans_embedding_output_dtype
        if isinstance(n_clusters, int) and not isinstance(n_clusters, bool) and n_clusters < 1000:
            _log.warning(
                "n_clusters=%d < 1000 may result in out-of-memory errors since each cluster must "
                "fit in memory", n_clusters,
            )
        self._params()

    def _storage_options(self) -> dict[str, str]:
        """The engine's storage options from read_kwargs / cache_kwargs / write_kwargs (one set
        per run)."""
        return opt.one_storage_options([
            ("read_kwargs", opt.check_read_kwargs("read_kwargs", self.read_kwargs)),
            ("cache_kwargs", opt.check_write_kwargs("cache_kwargs", self.cache_kwargs)),
            ("write_kwargs", opt.check_write_kwargs("write_kwargs", self.write_kwargs)),
        ])

    def _params(self) -> Any:
        """The engine's WorkflowParams: every keyword of this class goes through here."""
        self._storage_options()
        _kmeans_checks(self.kmeans_embedding_output_dtype, self.fit_data_fraction,
                        "kmeans_embedding_output_dtype")
        opt.choice("pairwise_compute_dtype", self.pairwise_compute_dtype, ("auto", "float16", "float32"))
        if self.ranking_strategy is not None and self.metadata_fields is not None:
            missing = [c for c in self.ranking_strategy.metadata_cols
                       if c not in self.metadata_fields and c != self.id_field]
            if missing and self.ranking_strategy.strategy == "sort":
                raise ValueError(f"Metadata fields {set(missing)} are required for ranking")
        w = _core.WorkflowParams()
        k = _core.KMeansParams()
        k.fit = opt.fit_params(
            self.n_clusters, self.max_iter, self.tol, self.random_state, self.init, self.n_init,
            self.oversampling_factor, self.max_samples_per_batch,
        )
        k.input_paths = opt.paths("input_path", self.input_path)
        output = opt.path("output_path", self.output_path)
        # The stages' own paths are set by the workflow; these pass their validation.
        k.output_path = output
        k.id_field = self.id_field
        k.embedding_field = self.embedding_field
        k.metadata_fields = list(self.metadata_fields or [])
        k.input_filetype = opt.file_type("input_filetype", self.input_filetype)
        k.input_file_extensions = list(self.input_file_extensions or [])
        k.fit_data_fraction = self.fit_data_fraction
        k.embedding_output_dtype = self.kmeans_embedding_output_dtype
        p = _core.PairwiseParams()
        p.input_path = p.output_path = output
        p.id_field = self.id_field
        p.embedding_field = self.embedding_field
        _pairwise_ranking(p, self.ranking_strategy, self.which_to_keep, self.distance_metric,
                          self.random_state, "distance_metric")
        p.pairwise_batch_size = _batch_size(self.pairwise_batch_size)
        p.compute_dtype = self.pairwise_compute_dtype
        w.kmeans = k
        w.pairwise = p
        if self.eps is not None:
            if isinstance(self.eps, bool) or not isinstance(self.eps, (int, float)):
                raise TypeError(f"eps must be a float or None; got {self.eps!r}")
            w.eps = float(self.eps)
        w.output_path = output
        w.cache_path = opt.path("cache_path", self.cache_path) if self.cache_path is not None else ""
        w.output_mode = _core.OutputMode.overwrite if self.clear_output else _core.OutputMode.resume
        w.versions = [("semdedup", _core.__version__), ("blas", _core.blas_description())]
        w.validate()
        return w

    def run(self, executor: Any = None, *, threads: int = 0) -> WorkflowResult:
        """Runs KMeans, Pairwise and (with eps) identify. `threads` = 0 uses every core;
        results never depend on it. NeMo's kmeans/pairwise executors are not taken."""
        opt.refuse_executor(executor)
        w = self._params()
        try:
            r = _core.run_workflow(
                w, opt.call_options(threads, self.verbose, self._storage_options()))
        except Exception as error:
            _log.error("Semantic deduplication pipeline failed: %s", error)
            raise
        return WorkflowResult(
            num_duplicates=r["num_duplicates"],
            total_time=r["total_time"],
            kmeans_time=r["kmeans_time"],
            pairwise_time=r["pairwise_time"],
            identify_time=r["identify_time"],
            kmeans_results_path=r["kmeans_results_path"],
            pairwise_results_path=r["pairwise_results_path"],
            duplicates_path=r["duplicates_path"] or None,
            summary_path=r["summary_path"],
            kmeans=r["kmeans"],
            pairwise=r["pairwise"],
        )
