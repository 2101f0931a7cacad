"""pairwise_cosine_similarity_batched on NeMo's 6x3 fixture (spec section 10, test item 27)."""

from __future__ import annotations

import numpy as np
import pytest

import semdedup

ROWS = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [1, 2, 3], [1, 2, 3]], dtype=np.float64)
EXPECTED_SCORES = [0.0, 0.974631, 0.998190, 0.999618, 1.0, 1.0]
EXPECTED_INDICES = [0, 0, 1, 2, 0, 0]


def normalised(dtype=np.float32) -> np.ndarray:
    return np.ascontiguousarray((ROWS / np.linalg.norm(ROWS, axis=1, keepdims=True)).astype(dtype))


@pytest.mark.parametrize("batch_size", range(1, 8))
def test_six_by_three_fixture_for_every_batch_size(batch_size):
    scores, indices = semdedup.pairwise_cosine_similarity_batched(normalised(), batch_size=batch_size)
    assert scores.dtype == np.float32 and indices.dtype == np.int64
    np.testing.assert_allclose(scores, EXPECTED_SCORES, atol=1e-6)
    assert indices.tolist() == EXPECTED_INDICES


def test_float16_input_gives_the_same_positions():
    scores, indices = semdedup.pairwise_cosine_similarity_batched(normalised(np.float16))
    np.testing.assert_allclose(scores, EXPECTED_SCORES, atol=2e-3)
    assert indices.tolist() == EXPECTED_INDICES


def test_dlpack_object_is_accepted():
    class DLPackOnly:
        """Exposes nothing but the DLPack protocol (as a CPU torch tensor does)."""

        def __init__(self, array):
            self._array = array

        def __dlpack__(self, *args, **kwargs):
            return self._array.__dlpack__(*args, **kwargs)

        def __dlpack_device__(self):
            return self._array.__dlpack_device__()

    scores, indices = semdedup.pairwise_cosine_similarity_batched(DLPackOnly(normalised()))
    np.testing.assert_allclose(scores, EXPECTED_SCORES, atol=1e-6)
    assert indices.tolist() == EXPECTED_INDICES


def test_matches_brute_force_and_never_depends_on_batch_size():
    g = np.random.default_rng(7)
    x = g.standard_normal((700, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    scores, indices = semdedup.pairwise_cosine_similarity_batched(x, 1024)
    sim = x.astype(np.float64) @ x.T.astype(np.float64)  # the oracle, in double
    checked = 0
    for j in range(1, len(x)):
        best = sim[:j, j].max()
        if best > 0:  # NeMo's rules before and since 1.4 agree when the maximum is positive
            assert abs(scores[j] - best) < 1e-5
            assert indices[j] < j and abs(sim[indices[j], j] - best) < 1e-5
            checked += 1
    assert checked > 650
    for batch in (1, 100, 512, 2048):
        s, i = semdedup.pairwise_cosine_similarity_batched(x, batch)
        assert np.array_equal(s, scores) and np.array_equal(i, indices)


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros((4, 3), dtype=np.float64), TypeError),
        (np.asfortranarray(np.ones((4, 3), dtype=np.float32)), TypeError),
        (np.array([[1.0, np.nan, 0.0]], dtype=np.float32), ValueError),
    ],
)
def test_bad_input_raises_one_line(bad, error):
    with pytest.raises(error) as info:
        semdedup.pairwise_cosine_similarity_batched(bad)
    assert "\n" not in str(info.value)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        semdedup.pairwise_cosine_similarity_batched(normalised(), batch_size=0)
