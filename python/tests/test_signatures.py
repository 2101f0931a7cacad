"""Every public class's keyword names and defaults against NeMo Curator 1.4's signatures, as
listed in section 19 of the project's NeMo specification (quoted below verbatim)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

import semdedup

NEMO_1_4_SIGNATURES = """
KMeansStage(n_clusters, id_field, embedding_field, input_path, output_path,
            metadata_fields=None, verbose=False, input_filetype="parquet",
            input_file_extensions=None, read_kwargs=None, write_kwargs=None, max_iter=300,
            tol=1e-4, random_state=42, init="k-means||", n_init=1, oversampling_factor=2.0,
            max_samples_per_batch=32768, fit_data_fraction=None, cache_path=None,
            embedding_output_dtype="float32")
PairwiseStage(id_field, embedding_field, input_path, output_path, ranking_strategy=None,
              pairwise_batch_size=1024, verbose=False, read_kwargs=None, write_kwargs=None,
              which_to_keep="hard", sim_metric="cosine", random_seed=42, compute_dtype="float32")
RankingStrategy(metadata_cols, ascending=True, strategy="sort", random_seed=42)
SemanticDeduplicationWorkflow(input_path, output_path, n_clusters, cache_path=None, id_field="id",
    embedding_field="embeddings", metadata_fields=None, input_filetype="parquet",
    input_file_extensions=None, max_iter=300, tol=1e-4, random_state=42, init="k-means||",
    n_init=1, oversampling_factor=2.0, max_samples_per_batch=32768, fit_data_fraction=None,
    distance_metric="cosine", which_to_keep="hard", ranking_strategy=None,
    pairwise_batch_size=1024, eps=None, read_kwargs=None, cache_kwargs=None, write_kwargs=None,
    clear_output=True, verbose=True, pairwise_compute_dtype="float16",
    kmeans_embedding_output_dtype="float16")
pairwise_cosine_similarity_batched(cluster_reps, batch_size=1024) -> (max_similarity, max_indices)
"""

# Keywords semdedup adds: none on the constructors (run() takes threads/overwrite/resume).
EXTRA: dict[str, set[str]] = {}


def nemo_signatures() -> dict[str, list[tuple[str, object]]]:
    """name -> [(keyword, default or REQUIRED)] parsed from the quoted text."""
    text = NEMO_1_4_SIGNATURES.replace("\n", " ")
    out = {}
    for name, args in re_calls(text):
        tree = ast.parse(f"def {name}({args}): pass")
        fn = tree.body[0].args
        defaults = [REQUIRED] * (len(fn.args) - len(fn.defaults)) + [ast.literal_eval(d) for d in fn.defaults]
        out[name] = [(a.arg, d) for a, d in zip(fn.args, defaults)]
    return out


REQUIRED = object()


def re_calls(text: str):
    import re

    for match in re.finditer(r"(\w+)\(([^()]*)\)( -> [^\n]*)?", text):
        yield match.group(1), match.group(2)


def test_the_quoted_list_parses():
    sigs = nemo_signatures()
    assert set(sigs) == {"KMeansStage", "PairwiseStage", "RankingStrategy",
                         "SemanticDeduplicationWorkflow", "pairwise_cosine_similarity_batched"}


@pytest.mark.parametrize("name", ["KMeansStage", "PairwiseStage", "RankingStrategy",
                                  "SemanticDeduplicationWorkflow", "pairwise_cosine_similarity_batched"])
def test_keywords_and_defaults_are_nemos(name):
    expected = nemo_signatures()[name]
    params = inspect.signature(getattr(semdedup, name)).parameters
    ours = [(p.name, REQUIRED if p.default is inspect.Parameter.empty else p.default)
            for p in params.values() if p.name != "self"]
    assert [n for n, _ in ours if n not in EXTRA.get(name, set())] == [n for n, _ in expected]
    for (n, default), (_, nemo_default) in zip(ours, expected):
        if nemo_default is REQUIRED:
            assert default is REQUIRED, n
        else:
            assert default == nemo_default and type(default) is type(nemo_default), n


def test_unknown_keyword_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="embedding_dim"):
        semdedup.KMeansStage(5, "id", "embeddings", "in", "out", embedding_dim=3)
    with pytest.raises(TypeError, match="bogus"):
        semdedup.SemanticDeduplicationWorkflow("in", "out", 5, bogus=1)


@pytest.mark.parametrize("name, kwargs, error, match", [
    ("KMeansStage", {"embedding_output_dtype": "bfloat16"}, ValueError, "embedding_output_dtype"),
    ("KMeansStage", {"fit_data_fraction": 1.5}, ValueError, "fit_data_fraction"),
    ("KMeansStage", {"read_kwargs": {"columns": ["a"]}}, ValueError, "Unsupported keys in kwargs: columns"),
    ("KMeansStage", {"write_kwargs": {"index": False}}, ValueError, "Unsupported keys in kwargs: index"),
    ("KMeansStage", {"read_kwargs": {"engine": "pyarrow"}}, TypeError, "engine"),
    ("KMeansStage", {"read_kwargs": {"storage_options": {"bogus": 1}}}, ValueError,
     r"read_kwargs\['storage_options'\]: unknown storage option 'bogus'"),
    ("KMeansStage", {"write_kwargs": {"storage_options": {"anon": "maybe"}}}, ValueError,
     "storage option anonymous: expected true or false, got 'maybe'"),
    ("KMeansStage", {"read_kwargs": {"storage_options": {"key": "a"}}}, ValueError,
     "access_key and secret_key go together"),
    ("KMeansStage", {"read_kwargs": {"storage_options": {"client_kwargs": {"verify": [1]}}}},
     ValueError, "storage option 'client_kwargs.verify' must be a string, number or bool"),
    ("KMeansStage", {"read_kwargs": {"storage_options": {"anon": True}},
                     "write_kwargs": {"storage_options": {"anon": False}}}, ValueError,
     r"read_kwargs\['storage_options'\] and write_kwargs\['storage_options'\] differ"),
    ("SemanticDeduplicationWorkflow", {"read_kwargs": {"storage_options": {"anon": True}},
                                       "cache_kwargs": {"storage_options": {"region": "eu-west-1"}}},
     ValueError, r"read_kwargs\['storage_options'\] and cache_kwargs\['storage_options'\] differ"),
    ("KMeansStage", {"input_filetype": "csv"}, ValueError, "input_filetype"),
    ("PairwiseStage", {"compute_dtype": "int8"}, ValueError, "compute_dtype"),
    ("PairwiseStage", {"which_to_keep": "middle"}, ValueError, "Invalid which_to_keep: middle"),
    ("PairwiseStage", {"sim_metric": "dot"}, ValueError, "Invalid sim_metric: dot"),
    ("SemanticDeduplicationWorkflow", {"distance_metric": "dot"}, ValueError, "Invalid distance_metric: dot"),
    ("SemanticDeduplicationWorkflow", {"pairwise_compute_dtype": "int8"}, ValueError, "pairwise_compute_dtype"),
    ("SemanticDeduplicationWorkflow", {"eps": 1.5}, ValueError, "eps"),
])
def test_values_are_checked_at_construction(name, kwargs, error, match):
    args = {
        "KMeansStage": dict(n_clusters=5, id_field="id", embedding_field="embeddings",
                            input_path="in", output_path="out"),
        "PairwiseStage": dict(id_field="id", embedding_field="embeddings", input_path="in",
                              output_path="out"),
        "SemanticDeduplicationWorkflow": dict(input_path="in", output_path="out", n_clusters=5),
    }[name]
    with pytest.raises(error, match=match) as info:
        getattr(semdedup, name)(**args, **kwargs)
    assert "\n" not in str(info.value)


def test_storage_options_are_flattened_for_the_engine():
    """NeMo's fsspec storage_options become the engine's flat text map, as the CLI reads YAML."""
    from semdedup import _options

    nemo = {"key": "AK", "secret": "SK", "anon": False, "token": None, "connect_timeout": 5,
            "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-west-1"}}
    assert _options.storage_options("so", nemo) == {
        "key": "AK", "secret": "SK", "anon": "false", "connect_timeout": "5",
        "client_kwargs.endpoint_url": "http://127.0.0.1:9000",
        "client_kwargs.region_name": "eu-west-1",
    }
    stage = semdedup.KMeansStage(5, "id", "embeddings", "s3://b/in", "out",
                                 read_kwargs={"storage_options": nemo})
    assert stage._storage_options() == _options.storage_options("so", nemo)
    # Equal options in read and write kwargs, or one empty, make one set for the run.
    same = semdedup.SemanticDeduplicationWorkflow(
        "s3://b/in", "s3://b/out", 5, read_kwargs={"storage_options": {"anon": True}},
        write_kwargs={"storage_options": {"anon": "true"}}, cache_kwargs={"storage_options": {}})
    assert same._storage_options() == {"anon": "true"}
    assert _options.call_options(0, False, {"anon": "true"}).storage_options == {"anon": "true"}
    with pytest.raises(ValueError, match="storage_options: storage option anonymous is given twice"):
        semdedup.kmeans(np.zeros((4, 2), np.float32), 2, storage_options={"anon": True, "anonymous": True})


def test_ranking_strategy_checks_lengths():
    with pytest.raises(ValueError, match=r"Length of ascending \(1\) must match metadata_cols \(2\)"):
        semdedup.RankingStrategy(["a", "b"], ascending=[True])
    r = semdedup.RankingStrategy.random(7)
    assert r.strategy == "random" and r.random_seed == 7


def test_nemo_14_values_reach_the_engine():
    k = semdedup.KMeansStage(5, "id", "embeddings", "in", "out", embedding_output_dtype="float16",
                             fit_data_fraction=1.0)._params()
    assert k.embedding_output_dtype == "float16"
    assert k.fit_data_fraction == 1.0
    p = semdedup.PairwiseStage("id", "embeddings", "in", "out", compute_dtype="float16",
                               pairwise_batch_size="auto")._params()
    assert p.compute_dtype == "float16"
    assert p.pairwise_batch_size == 0  # the engine's "auto"
    w = semdedup.SemanticDeduplicationWorkflow("in", "out", 5)._params()
    assert w.kmeans.embedding_output_dtype == "float16"  # NeMo 1.4's workflow defaults
    assert w.pairwise.compute_dtype == "float16"
