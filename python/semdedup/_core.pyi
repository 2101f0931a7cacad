"""The semdedup engine (C++); use the package semdedup, not this module."""

from collections.abc import Mapping, Sequence
import enum
from typing import Annotated

import numpy
from numpy.typing import NDArray
from typing_extensions import CapsuleType


BLAS_FROM_WHEEL: bool = False

def initialize_arrow() -> str: ...

class FileType(enum.Enum):
    parquet = 0

    jsonl = 1

class OutputMode(enum.Enum):
    fresh = 0

    resume = 1

    overwrite = 2

class WhichToKeep(enum.Enum):
    hard = 0

    easy = 1

    random = 2

class SimMetric(enum.Enum):
    cosine = 0

    l2 = 1

class FitParams:
    def __init__(self) -> None: ...

    @property
    def n_clusters(self) -> int: ...

    @n_clusters.setter
    def n_clusters(self, arg: int, /) -> None: ...

    @property
    def max_iter(self) -> int: ...

    @max_iter.setter
    def max_iter(self, arg: int, /) -> None: ...

    @property
    def tol(self) -> float: ...

    @tol.setter
    def tol(self, arg: float, /) -> None: ...

    @property
    def random_state(self) -> int: ...

    @random_state.setter
    def random_state(self, arg: int, /) -> None: ...

    @property
    def n_init(self) -> int: ...

    @n_init.setter
    def n_init(self, arg: int, /) -> None: ...

    @property
    def oversampling_factor(self) -> float: ...

    @oversampling_factor.setter
    def oversampling_factor(self, arg: float, /) -> None: ...

    @property
    def max_samples_per_batch(self) -> int: ...

    @max_samples_per_batch.setter
    def max_samples_per_batch(self, arg: int, /) -> None: ...

    def set_init(self, arg: str, /) -> None:
        """
        NeMo's init string: 'k-means||', 'scalable-k-means++', 'random' or an .npy path.
        """

    def set_init_centroids(self, arg: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], /) -> None:
        """Initial centroids: a C-contiguous float32 (n_clusters, dim) array."""

    def validate(self) -> None: ...

class KMeansParams:
    def __init__(self) -> None: ...

    @property
    def fit(self) -> FitParams: ...

    @fit.setter
    def fit(self, arg: FitParams, /) -> None: ...

    @property
    def input_paths(self) -> list[str]: ...

    @input_paths.setter
    def input_paths(self, arg: Sequence[str], /) -> None: ...

    @property
    def input_filetype(self) -> FileType: ...

    @input_filetype.setter
    def input_filetype(self, arg: FileType, /) -> None: ...

    @property
    def input_file_extensions(self) -> list[str]: ...

    @input_file_extensions.setter
    def input_file_extensions(self, arg: Sequence[str], /) -> None: ...

    @property
    def id_field(self) -> str: ...

    @id_field.setter
    def id_field(self, arg: str, /) -> None: ...

    @property
    def embedding_field(self) -> str: ...

    @embedding_field.setter
    def embedding_field(self, arg: str, /) -> None: ...

    @property
    def metadata_fields(self) -> list[str]: ...

    @metadata_fields.setter
    def metadata_fields(self, arg: Sequence[str], /) -> None: ...

    @property
    def fit_data_fraction(self) -> float | None: ...

    @fit_data_fraction.setter
    def fit_data_fraction(self, arg: float | None, /) -> None: ...

    @property
    def output_path(self) -> str: ...

    @output_path.setter
    def output_path(self, arg: str, /) -> None: ...

    @property
    def cache_path(self) -> str: ...

    @cache_path.setter
    def cache_path(self, arg: str, /) -> None: ...

    @property
    def output_mode(self) -> OutputMode: ...

    @output_mode.setter
    def output_mode(self, arg: OutputMode, /) -> None: ...

    @property
    def memory_limit(self) -> int: ...

    @memory_limit.setter
    def memory_limit(self, arg: int, /) -> None: ...

    def validate(self) -> None: ...

    @property
    def input_embedding_dtype(self) -> str: ...

    @input_embedding_dtype.setter
    def input_embedding_dtype(self, arg: str, /) -> None: ...

    @property
    def embedding_output_dtype(self) -> str: ...

    @embedding_output_dtype.setter
    def embedding_output_dtype(self, arg: str, /) -> None: ...

class PairwiseParams:
    def __init__(self) -> None: ...

    @property
    def input_path(self) -> str: ...

    @input_path.setter
    def input_path(self, arg: str, /) -> None: ...

    @property
    def output_path(self) -> str: ...

    @output_path.setter
    def output_path(self, arg: str, /) -> None: ...

    @property
    def id_field(self) -> str: ...

    @id_field.setter
    def id_field(self, arg: str, /) -> None: ...

    @property
    def embedding_field(self) -> str: ...

    @embedding_field.setter
    def embedding_field(self, arg: str, /) -> None: ...

    @property
    def which_to_keep(self) -> WhichToKeep: ...

    @which_to_keep.setter
    def which_to_keep(self, arg: WhichToKeep, /) -> None: ...

    @property
    def sim_metric(self) -> SimMetric: ...

    @sim_metric.setter
    def sim_metric(self, arg: SimMetric, /) -> None: ...

    @property
    def random_seed(self) -> int: ...

    @random_seed.setter
    def random_seed(self, arg: int, /) -> None: ...

    @property
    def ranking_columns(self) -> list[str]: ...

    @ranking_columns.setter
    def ranking_columns(self, arg: Sequence[str], /) -> None: ...

    @property
    def ranking_ascending(self) -> list[bool]: ...

    @ranking_ascending.setter
    def ranking_ascending(self, arg: Sequence[bool], /) -> None: ...

    @property
    def pairwise_batch_size(self) -> int: ...

    @pairwise_batch_size.setter
    def pairwise_batch_size(self, arg: int, /) -> None: ...

    @property
    def output_mode(self) -> OutputMode: ...

    @output_mode.setter
    def output_mode(self, arg: OutputMode, /) -> None: ...

    def validate(self) -> None: ...

    @property
    def input_embedding_dtype(self) -> str: ...

    @input_embedding_dtype.setter
    def input_embedding_dtype(self, arg: str, /) -> None: ...

    @property
    def compute_dtype(self) -> str: ...

    @compute_dtype.setter
    def compute_dtype(self, arg: str, /) -> None: ...

class WorkflowParams:
    def __init__(self) -> None: ...

    @property
    def kmeans(self) -> KMeansParams: ...

    @kmeans.setter
    def kmeans(self, arg: KMeansParams, /) -> None: ...

    @property
    def pairwise(self) -> PairwiseParams: ...

    @pairwise.setter
    def pairwise(self, arg: PairwiseParams, /) -> None: ...

    @property
    def eps(self) -> float | None: ...

    @eps.setter
    def eps(self, arg: float | None, /) -> None: ...

    @property
    def output_path(self) -> str: ...

    @output_path.setter
    def output_path(self, arg: str, /) -> None: ...

    @property
    def cache_path(self) -> str: ...

    @cache_path.setter
    def cache_path(self, arg: str, /) -> None: ...

    @property
    def output_mode(self) -> OutputMode: ...

    @output_mode.setter
    def output_mode(self, arg: OutputMode, /) -> None: ...

    @property
    def versions(self) -> list[tuple[str, str]]: ...

    @versions.setter
    def versions(self, arg: Sequence[tuple[str, str]], /) -> None: ...

    def validate(self) -> None: ...

class CallOptions:
    def __init__(self) -> None: ...

    @property
    def threads(self) -> int: ...

    @threads.setter
    def threads(self, arg: int, /) -> None: ...

    @property
    def progress(self) -> bool: ...

    @progress.setter
    def progress(self, arg: bool, /) -> None: ...

    @property
    def storage_options(self) -> dict[str, str]: ...

    @storage_options.setter
    def storage_options(self, arg: Mapping[str, str], /) -> None: ...

def validate_storage_options(options: Mapping[str, str]) -> None:
    """
    Checks object-storage options (flat string keys and values): ValueError naming the first bad key or value.
    """

def run_kmeans_stage(arg0: KMeansParams, arg1: CallOptions, /) -> dict: ...

def run_pairwise_stage(arg0: PairwiseParams, arg1: CallOptions, /) -> dict: ...

def run_workflow(arg0: WorkflowParams, arg1: CallOptions, /) -> dict: ...

def use_blas_library(path: str, symbol_prefix: str, pthreads: bool) -> None:
    """
    Loads this BLAS instead of the build's OpenBLAS; only before the first GEMM.
    """

def blas_description() -> str:
    """The BLAS in use, with its core type."""

def pairwise_cosine_similarity_batched(cluster_reps: Annotated[NDArray, dict(shape=(None, None), device='cpu', writable=False)], batch_size: int, options: CallOptions) -> tuple: ...

def kmeans_fit(x: Annotated[NDArray, dict(shape=(None, None), device='cpu', writable=False)], params: FitParams, options: CallOptions) -> tuple: ...

def find_duplicates(stream: CapsuleType, fit: FitParams, pairwise: PairwiseParams, eps: float, options: CallOptions) -> tuple: ...
