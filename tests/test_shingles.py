"""Shingles, tempo variants and document-level distances."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import shingles as sh


def _chroma(n, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.random((12, n)).astype(np.float32)
    return C / np.linalg.norm(C, axis=0)


def test_shingle_layout_and_norm():
    C = _chroma(30)
    X = sh.shingles(C, length=4, hop=3)
    assert X.shape == ((30 - 4) // 3 + 1, 48)
    # row 2 starts at frame 6: frames 6..9, one after the other
    expected = C[:, 6:10].T.reshape(-1)
    np.testing.assert_allclose(X[2], expected / np.linalg.norm(expected), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(sh.shingle_to_chroma(X[2]) * np.linalg.norm(expected), C[:, 6:10], rtol=1e-5)


def test_short_and_silent_inputs():
    assert sh.shingles(_chroma(5), length=20).shape == (0, 240)
    X = sh.shingles(np.zeros((12, 25)), length=20)
    assert X.shape == (6, 240) and not np.isnan(X).any() and not X.any()
    with pytest.raises(ValueError, match=r"\(12, N\)"):
        sh.shingles(np.zeros((10, 25)))
    with pytest.raises(ValueError, match="NaN"):
        sh.shingles(np.full((12, 25), np.nan))
    with pytest.raises(ValueError, match="length"):
        sh.shingles(_chroma(30), length=0)


def test_database_bookkeeping():
    feats = [_chroma(25, 0), _chroma(3, 1), _chroma(22, 2)]
    db = sh.build_database(feats, length=20, hop=2)
    assert db.n_docs == 3 and len(db) == 3 + 0 + 2
    assert db.doc_ids.tolist() == [0, 0, 0, 2, 2] and db.starts.tolist() == [0, 2, 4, 0, 2]
    np.testing.assert_allclose(db.X[4], sh.shingles(feats[2][:, 2:22])[0])


def test_document_distances_match_brute_force():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 24)).astype(np.float32)
    doc_ids = rng.integers(0, 6, 90)
    doc_ids[doc_ids == 4] = 5          # document 4 has no shingle
    Q = rng.standard_normal((7, 24)).astype(np.float32)
    groups = np.array([0, 0, 1, 2, 2, 2, 3])
    D = sh.document_distances(Q, X, doc_ids, 6, query_groups=groups, block=3)
    for g in range(4):
        for d in range(6):
            pairs = [np.linalg.norm(q - x) for q in Q[groups == g] for x in X[doc_ids == d]]
            ref = min(pairs) if pairs else np.inf
            assert np.isclose(D[g, d], ref, rtol=1e-4) or (np.isinf(ref) and np.isinf(D[g, d]))


def test_hits_to_documents():
    dist = np.array([[0.1, 0.2, 0.3], [0.5, 0.6, np.inf]])
    idx = np.array([[4, 0, 1], [2, 3, -1]])
    doc_ids = np.array([0, 0, 1, 1, 2])
    D = sh.document_distances_from_hits(dist, idx, doc_ids, 4)
    expected = np.array([[0.2, np.inf, 0.1, np.inf], [np.inf, 0.5, np.inf, np.inf]], dtype=np.float32)
    np.testing.assert_array_equal(D, expected)


def test_tempo_variants_recover_a_stretched_query():
    """A query resampled to another tempo matches best at the inverse tempo factor."""
    C = _chroma(40, 5)
    db = sh.shingles(C, length=20)
    slow = sh.resample_time(C[:, 10:30], 25)      # 20 frames played 25 % slower
    X, var = sh.query_shingles(slow, length=20, tempo_factors=(0.8, 1.0, 1.25))
    assert np.bincount(var).tolist() == [1, 6, 12]   # 20, 25 and 31 frames long
    D = np.linalg.norm(X[:, None, :] - db[None, :, :], axis=2)
    best_row = np.unravel_index(np.argmin(D), D.shape)[0]
    assert var[best_row] == 0 and np.argmin(D[best_row]) == 10
    with pytest.raises(ValueError, match="shorter"):
        sh.query_shingles(C[:, :10], length=20)


def test_resample_time_endpoints_and_identity():
    C = _chroma(9)
    np.testing.assert_allclose(sh.resample_time(C, 9), C, rtol=1e-6)
    R = sh.resample_time(C, 17)
    np.testing.assert_allclose(R[:, 0], C[:, 0], rtol=1e-6)
    np.testing.assert_allclose(R[:, -1], C[:, -1], rtol=1e-6)
    np.testing.assert_allclose(R[:, 2], C[:, 1], rtol=1e-5)   # 2 * 8 / 16 = frame 1 exactly


def test_excerpt_starts():
    assert sh.excerpt_starts(120, 20, 4).tolist() == [12, 38, 62, 88]
    assert sh.excerpt_starts(10, 20, 4).size == 0
