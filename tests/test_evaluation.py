"""Retrieval metrics against hand-computed examples and scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score
from sklearn.metrics import precision_recall_curve as sk_pr_curve

from cmr import evaluation as ev


# ranked list: R N R N N R  (3 relevant)
# P at relevant ranks: 1/1, 2/3, 3/6  ->  AP = (1 + 2/3 + 1/2) / 3 = 13/18
RANKED = [1, 0, 1, 0, 0, 1]


def test_average_precision_hand_computed():
    assert ev.average_precision(RANKED) == pytest.approx(13 / 18)
    assert ev.average_precision([1, 1, 0, 0]) == pytest.approx(1.0)
    assert ev.average_precision([0, 0, 0, 1]) == pytest.approx(1 / 4)
    # truncated list, 4 relevant in the collection: the missing one adds 0
    assert ev.average_precision(RANKED, n_relevant=4) == pytest.approx((1 + 2 / 3 + 1 / 2) / 4)


def test_average_precision_with_scores_and_distances():
    labels = np.array([0, 1, 0, 1, 1, 0])
    order = [1, 0, 3, 2, 5, 4]  # documents from best to worst
    assert list(labels[order]) == RANKED
    sim = np.empty(6)
    sim[order] = np.arange(6, 0, -1)
    assert ev.average_precision(labels, sim) == pytest.approx(13 / 18)
    assert ev.average_precision(labels, -sim, higher_is_better=False) == pytest.approx(13 / 18)
    assert list(ev.ranking(sim)) == order


def test_average_precision_matches_sklearn():
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        labels = rng.integers(0, 2, n)
        if labels.sum() == 0:
            labels[rng.integers(n)] = 1
        scores = rng.permutation(n).astype(float) + rng.random(n) * 0.1  # no ties
        assert ev.average_precision(labels, scores) == pytest.approx(
            average_precision_score(labels, scores), abs=1e-12)


def test_precision_recall_curve_hand_and_sklearn():
    p, r = ev.precision_recall_curve(RANKED)
    np.testing.assert_allclose(p, [1, 1 / 2, 2 / 3, 2 / 4, 2 / 5, 3 / 6])
    np.testing.assert_allclose(r, [1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1])
    # sklearn lists one point per distinct threshold (reversed); with untied
    # scores these are our points.
    scores = np.arange(6, 0, -1, dtype=float)
    skp, skr, _ = sk_pr_curve(RANKED, scores)
    np.testing.assert_allclose(skp[:-1][::-1], p)
    np.testing.assert_allclose(skr[:-1][::-1], r)


def test_interpolated_precision_hand_computed():
    p, r = ev.precision_recall_curve(RANKED)
    ip = ev.interpolated_precision(p, r, [0.0, 1 / 3, 0.5, 2 / 3, 0.9, 1.0])
    # best precision at recall >= level: 1, 1, 2/3, 2/3, 1/2, 1/2
    np.testing.assert_allclose(ip, [1, 1, 2 / 3, 2 / 3, 1 / 2, 1 / 2])
    # a level that is never reached (truncated list) gives 0
    p2, r2 = ev.precision_recall_curve([1, 0], n_relevant=2)
    np.testing.assert_allclose(ev.interpolated_precision(p2, r2, [0.5, 1.0]), [1.0, 0.0])


def test_precision_at_k_and_first_relevant():
    assert ev.precision_at_k(RANKED, 1) == 1.0
    assert ev.precision_at_k(RANKED, 4) == 0.5
    assert ev.precision_at_k(RANKED, 10) == pytest.approx(3 / 10)
    assert ev.rank_of_first_relevant([0, 0, 1, 1]) == 3
    assert ev.rank_of_first_relevant([0, 1, 1], scores=[3.0, 1.0, 2.0]) == 2


def test_top_k_accuracy():
    ranks = [1, 3, 2, 10, 1]
    assert ev.top_k_accuracy(ranks, 1) == pytest.approx(2 / 5)
    np.testing.assert_allclose(ev.top_k_accuracy(ranks, [1, 2, 3, 10]), [0.4, 0.6, 0.8, 1.0])


def test_matrix_metrics_with_excluded_diagonal():
    # three documents, 0 and 1 versions of one piece, 2 alone with a twin 3
    labels = np.array([0, 0, 1, 1])
    rel = labels[:, None] == labels[None, :]
    S = np.array([[9, 5, 6, 1],    # query 0: ranks 2(N) before 1(R) -> AP 1/2
                  [5, 9, 1, 2],    # query 1: 0 first -> AP 1
                  [6, 1, 9, 3],    # query 2: 0(N), 3(R) -> AP 1/2
                  [1, 2, 3, 9]],   # query 3: 2 first -> AP 1
                 dtype=float)
    ex = np.eye(4, dtype=bool)
    m, aps = ev.mean_average_precision(rel, S, exclude=ex, return_per_query=True)
    np.testing.assert_allclose(aps, [0.5, 1.0, 0.5, 1.0])
    assert m == pytest.approx(0.75)
    np.testing.assert_array_equal(ev.ranks_of_first_relevant(rel, S, exclude=ex), [2, 1, 2, 1])
    assert ev.mean_rank_of_first_relevant(rel, S, exclude=ex) == pytest.approx(1.5)
    rep = ev.evaluate_retrieval(S, rel, exclude=ex, ks=(1, 2))
    assert rep.map == pytest.approx(0.75)
    assert rep.precision_at[1] == pytest.approx(0.5)
    assert rep.top_k[2] == pytest.approx(1.0)
    levels, prec = ev.mean_precision_recall_curve(rel, S, exclude=ex, recall_levels=[0.0, 1.0])
    np.testing.assert_allclose(prec, [0.75, 0.75])
    # without excluding the query itself every query finds itself first
    assert ev.mean_average_precision(rel, S) > m


def test_ragged_ranked_lists():
    assert ev.mean_average_precision([[1, 0], [0, 0, 1]]) == pytest.approx((1 + 1 / 3) / 2)


def test_bad_input():
    with pytest.raises(ValueError, match="no relevant"):
        ev.average_precision([0, 0, 0])
    with pytest.raises(ValueError, match="0/1"):
        ev.average_precision([2, 0, 1])
    with pytest.raises(ValueError, match="NaN"):
        ev.average_precision([1, 0], scores=[np.nan, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        ev.average_precision([1, 0], scores=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="k must"):
        ev.precision_at_k([1, 0], 0)
    with pytest.raises(ValueError, match="n_relevant"):
        ev.average_precision([1, 1], n_relevant=1)
    with pytest.raises(ValueError, match="ranks"):
        ev.top_k_accuracy([0, 1], 1)
    with pytest.raises(ValueError, match="shape"):
        ev.mean_average_precision(np.ones((2, 3)), np.ones((2, 2)))
