"""Checks shared by the stage classes: NeMo's Literal values, the kwargs dictionaries (their
storage_options flattened into the engine's), and the NeMo 1.4 settings the engine does not
offer yet."""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Sequence

from . import _core

# NeMo refuses these keys in read_kwargs / write_kwargs ("Unsupported keys in kwargs: ...").
_NEMO_FORBIDDEN_READ = ("columns", "assign_id")
_NEMO_FORBIDDEN_WRITE = ("partition_file_name", "partition_cols", "index")


def choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """`value` if it is one of `allowed`, else ValueError naming the parameter."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def not_yet(name: str, value: Any, supported: Iterable[Any]) -> None:
    """NotImplementedError naming `name` when the engine cannot honour `value` yet."""
    if value not in tuple(supported):
        raise NotImplementedError(
            f"{name}={value!r} is not supported by this semdedup engine yet "
            f"(supported: {', '.join(repr(s) for s in supported)})"
        )


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value}")
    return value


def _flatten(name: str, options: Mapping[str, Any], prefix: str, out: dict[str, str]) -> None:
    """NeMo's (fsspec's) storage_options into the engine's flat text map, as the CLI reads a
    YAML `storage_options` mapping: a nested mapping's keys get its key and a dot as a prefix
    (client_kwargs.endpoint_url), bools become "true"/"false", numbers their decimal text; a
    None value is left out (fsspec's default)."""
    for key, value in options.items():
        if not isinstance(key, str):
            raise ValueError(f"{name}: storage option keys must be strings; got {key!r}")
        full = prefix + key
        if value is None:
            continue
        if isinstance(value, Mapping):
            _flatten(name, value, full + ".", out)
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            text = str(value)
        else:
            raise ValueError(
                f"{name}: storage option '{full}' must be a string, number or bool; "
                f"got {type(value).__name__}"
            )
        if full in out:
            raise ValueError(f"{name}: storage option '{full}' is given twice")
        out[full] = text


def storage_options(name: str, options: Any) -> dict[str, str]:
    """The engine's storage options from NeMo's `storage_options` dict (None or {} = none: the
    AWS environment alone), checked by the engine: ValueError naming `name` and the bad key."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"{name} must be a dict or None; got {type(options).__name__}")
    flat: dict[str, str] = {}
    _flatten(name, options, "", flat)
    try:
        _core.validate_storage_options(flat)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    return flat


def check_kwargs(name: str, kwargs: Mapping[str, Any] | None, forbidden: Sequence[str]) -> dict[str, str]:
    """NeMo's read_kwargs / write_kwargs / cache_kwargs: its forbidden keys are a ValueError as in
    NeMo; storage_options (which NeMo hands to fsspec) is returned as the engine's storage
    options; every other key is a TypeError naming it: semdedup reads and writes with Arrow,
    whose options differ."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, Mapping):
        raise TypeError(f"{name} must be a dict or None; got {type(kwargs).__name__}")
    bad = [k for k in kwargs if k in forbidden]
    if bad:
        raise ValueError(f"Unsupported keys in kwargs: {', '.join(bad)}")
    for key in kwargs:
        if key != "storage_options":
            raise TypeError(f"{name}: semdedup does not support the key {key!r}")
    return storage_options(f"{name}['storage_options']", kwargs.get("storage_options"))


def check_read_kwargs(name: str, kwargs: Mapping[str, Any] | None) -> dict[str, str]:
    return check_kwargs(name, kwargs, _NEMO_FORBIDDEN_READ)


def check_write_kwargs(name: str, kwargs: Mapping[str, Any] | None) -> dict[str, str]:
    return check_kwargs(name, kwargs, _NEMO_FORBIDDEN_WRITE)


def one_storage_options(named: Sequence[tuple[str, dict[str, str]]]) -> dict[str, str]:
    """The one set of storage options a run uses (the engine opens every s3:// path of a run
    with the same options): the non-empty ones of `named` must be equal; ValueError naming two
    that differ."""
    chosen: tuple[str, dict[str, str]] | None = None
    for name, options in named:
        if not options:
            continue
        if chosen is None:
            chosen = (name, options)
        elif options != chosen[1]:
            raise ValueError(
                f"{chosen[0]}['storage_options'] and {name}['storage_options'] differ: semdedup "
                "opens every s3:// path of a run with one set of storage options; give the same "
                "options (or set only one of them)"
            )
    return dict(chosen[1]) if chosen else {}


def paths(name: str, value: Any) -> list[str]:
    """A path or a list of paths, as strings."""
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, os.PathLike)) for v in value):
        return [os.fspath(v) for v in value]
    raise TypeError(f"{name} must be a path or a non-empty list of paths; got {value!r}")


def path(name: str, value: Any) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"{name} must be a path; got {value!r}")


def file_type(name: str, value: Any) -> Any:
    return {"parquet": _core.FileType.parquet, "jsonl": _core.FileType.jsonl}[
        choice(name, value, ("parquet", "jsonl"))
    ]


def fit_params(
    n_clusters: Any,
    max_iter: Any,
    tol: Any,
    random_state: Any,
    init: Any,
    n_init: Any,
    oversampling_factor: Any,
    max_samples_per_batch: Any,
) -> Any:
    """The engine's FitParams from NeMo's KMeans keywords."""
    fit = _core.FitParams()
    fit.n_clusters = positive_int("n_clusters", n_clusters)
    fit.max_iter = positive_int("max_iter", max_iter)
    fit.tol = float(tol)
    if isinstance(random_state, bool) or not isinstance(random_state, int) or random_state < 0:
        raise ValueError(f"random_state must be a non-negative int; got {random_state!r}")
    fit.random_state = random_state
    if isinstance(init, str):
        fit.set_init(init)
    else:
        import numpy as np

        array = np.ascontiguousarray(init, dtype=np.float32)
        if array.ndim != 2:
            raise ValueError(f"init must be a (n_clusters, dim) array; got shape {array.shape}")
        fit.set_init_centroids(array)
    if n_init == "auto":
        fit.n_init = 0
    else:
        fit.n_init = positive_int("n_init", n_init)
    fit.oversampling_factor = float(oversampling_factor)
    fit.max_samples_per_batch = positive_int("max_samples_per_batch", max_samples_per_batch)
    fit.validate()
    return fit


def call_options(threads: Any, progress: bool, storage: dict[str, str] | None = None) -> Any:
    """The engine's CallOptions; `storage` = storage options already checked (storage_options)."""
    options = _core.CallOptions()
    if threads is None:
        threads = 0
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads must be an int >= 0 (0 = every core); got {threads!r}")
    options.threads = threads
    options.progress = bool(progress)
    options.storage_options = dict(storage or {})
    return options


def refuse_executor(executor: Any) -> None:
    if executor is not None:
        raise TypeError(
            "semdedup runs in this process (C++ threads); it takes no executor: call run() "
            "without one (threads=N sets the worker threads)"
        )
