"""semdedup: semantic deduplication of embeddings (SemDeDup, as NVIDIA NeMo Curator runs it).

NeMo Curator 1.4's classes, keyword names and defaults over semdedup's C++ engine:

    KMeansStage, PairwiseStage, RankingStrategy, SemanticDeduplicationWorkflow
    pairwise_cosine_similarity_batched

plus in-memory calls on numpy / DLPack arrays and anything with ``__arrow_c_stream__``:

    kmeans, deduplicate, remove

Logs go to the standard ``logging`` logger ``"semdedup"``. Long calls release the GIL and stop
on Ctrl-C (KeyboardInterrupt) without leaving half-written files. Bad input raises ValueError or
TypeError, I/O failures OSError, each with the CLI's one-line message.
"""

import importlib.util as _importlib_util
import logging as _logging
import os as _os

# The extension links the Arrow C++ libraries of the pyarrow wheel: loading pyarrow first makes
# them resident whatever the extension's RPATH finds.
import pyarrow as _pyarrow  # noqa: F401

from . import _core

_logging.getLogger("semdedup").addHandler(_logging.NullHandler())


def _use_wheel_blas() -> None:
    """A wheel build takes its BLAS from the scipy-openblas32 wheel (symbols prefixed scipy_,
    a pthreads build), located without importing it: importing it would load the library
    before the engine picks the CPU core type."""
    spec = _importlib_util.find_spec("scipy_openblas32")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("semdedup needs the scipy-openblas32 package (pip install scipy-openblas32)")
    path = _os.path.join(spec.submodule_search_locations[0], "lib", "libscipy_openblas.so")
    _core.use_blas_library(path, "scipy_", True)


if _core.BLAS_FROM_WHEEL:
    _use_wheel_blas()
_core.initialize_arrow()

from ._memory import deduplicate, kmeans, pairwise_cosine_similarity_batched, remove  # noqa: E402
from ._stages import (  # noqa: E402
    KMeansStage,
    PairwiseStage,
    RankingStrategy,
    SemanticDeduplicationWorkflow,
    StageResult,
    WorkflowResult,
)

__version__ = _core.__version__

__all__ = [
    "KMeansStage",
    "PairwiseStage",
    "RankingStrategy",
    "SemanticDeduplicationWorkflow",
    "StageResult",
    "WorkflowResult",
    "deduplicate",
    "kmeans",
    "pairwise_cosine_similarity_batched",
    "remove",
]
