"""Indexes: exact search vs a naive loop, exhaustive configurations, PCA, save/load."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import indexing as ix


def _data(n=600, m=25, d=36, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    Q = rng.standard_normal((m, d)).astype(np.float32)
    return X, Q


def _naive_knn(X, Q, k):
    dist = np.empty((len(Q), k))
    idx = np.empty((len(Q), k), dtype=int)
    for i, q in enumerate(Q.astype(np.float64)):
        d = np.array([np.sqrt(np.sum((x - q) ** 2)) for x in X.astype(np.float64)])
        order = np.argsort(d, kind="stable")[:k]
        dist[i], idx[i] = d[order], order
    return dist, idx


def test_brute_force_matches_naive_loop():
    X, Q = _data()
    d, i = ix.BruteForceIndex(block=7).build(X).query(Q, k=8)
    dn, inn = _naive_knn(X, Q, 8)
    np.testing.assert_array_equal(i, inn)
    np.testing.assert_allclose(d, dn, rtol=1e-4, atol=1e-4)


def test_brute_force_k_larger_than_database_pads():
    X, Q = _data(n=5, m=3)
    d, i = ix.BruteForceIndex().build(X).query(Q, k=7)
    assert (i[:, 5:] == -1).all() and np.isinf(d[:, 5:]).all()
    assert sorted(i[0, :5]) == list(range(5))


@pytest.mark.parametrize("kind,params", [
    ("kdtree", {"n_components": None}),
    ("kdtree", {"n_components": 36, "rerank": 1}),
    ("lsh", {"n_bits": 0, "n_tables": 1}),
    ("hnsw", {"M": 8, "ef_construction": 40, "ef_search": 600}),
])
def test_exhaustive_configuration_is_exact(kind, params):
    X, Q = _data()
    d, i = ix.make_index(kind, **params).build(X).query(Q, k=10)
    dn, inn = _naive_knn(X, Q, 10)
    np.testing.assert_array_equal(i, inn)
    np.testing.assert_allclose(d, dn, rtol=1e-4, atol=1e-4)


def test_approximate_indexes_find_planted_neighbours():
    """Queries are tiny perturbations of database rows: every index must find the row."""
    X, _ = _data(n=2000, d=48)
    rng = np.random.default_rng(1)
    rows = rng.choice(len(X), 40, replace=False)
    Q = X[rows] + 0.01 * rng.standard_normal((40, 48)).astype(np.float32)
    for index in (ix.KDTreeIndex(n_components=8, rerank=20), ix.LSHIndex(n_bits=10, n_tables=6),
                  ix.HNSWIndex(M=16), ix.HNSWIndex(M=16, n_components=12, rerank=5)):
        _, i = index.build(X).query(Q, k=1)
        assert np.mean(i[:, 0] == rows) >= 0.9, index


def test_pca_with_all_components_keeps_distances():
    X, Q = _data(n=400, d=24)
    p = ix.PCA(24).fit(X)
    Xp, Qp = p.transform(X), p.transform(Q)
    full = np.linalg.norm(X[None, :, :] - Q[:, None, :], axis=2)
    proj = np.linalg.norm(Xp[None, :, :] - Qp[:, None, :], axis=2)
    np.testing.assert_allclose(proj, full, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(p.components_ @ p.components_.T, np.eye(24), atol=1e-5)
    assert np.isclose(p.explained_variance_ratio_.sum(), 1.0, atol=1e-5)
    # truncation keeps the leading components
    np.testing.assert_allclose(p.truncate(5).transform(X), Xp[:, :5], atol=1e-5)


@pytest.mark.parametrize("kind,params", [(k, {}) for k in sorted(ix.INDEX_TYPES)]
                         + [("hnsw", {"n_components": 8})])
def test_save_load_round_trip(kind, params, tmp_path):
    X, Q = _data()
    index = ix.make_index(kind, **params).build(X)
    d, i = index.query(Q, k=5)
    path = index.save(tmp_path / f"{kind}.npz")
    back = ix.load_index(path)
    assert type(back) is type(index) and back.params() == index.params()
    d2, i2 = back.query(Q, k=5)
    np.testing.assert_array_equal(i, i2)
    np.testing.assert_allclose(d, d2, rtol=1e-6)


def test_recall_at_k():
    assert ix.recall_at_k([[1, 2], [3, 4]], [[2, 1], [3, 5]]) == 0.75


def test_bad_input():
    X, Q = _data()
    index = ix.BruteForceIndex()
    with pytest.raises(ValueError, match="build"):
        index.query(Q)
    index.build(X)
    with pytest.raises(ValueError, match="columns"):
        index.query(Q[:, :5])
    with pytest.raises(ValueError, match="k must"):
        index.query(Q, k=0)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ix.HNSWIndex().build(bad)
    with pytest.raises(ValueError, match="kind"):
        ix.make_index("annoy")
    with pytest.raises(ValueError, match="does not exist"):
        ix.load_index("/nonexistent/index.npz")
