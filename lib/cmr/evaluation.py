"""Retrieval metrics shared by the notebooks (versions, shingles, themes).

A retrieval system answers a query with a *ranked list* of documents. Two
ways of describing that list are accepted everywhere in this module:

* ``relevance`` alone: a 1-D array of 0/1 (or bool) flags **in rank order**,
  ``relevance[0]`` being the top-ranked document;
* ``relevance`` together with ``scores``: both 1-D arrays over the same
  documents in *collection order*; the documents are ranked by decreasing
  score (``higher_is_better=True``, similarities) or increasing score
  (``higher_is_better=False``, distances and costs). Ties are broken by
  collection order (a stable sort), so results are reproducible.

Ranks are 1-based: the top document has rank 1.

Definitions (binary relevance, ranked list of length :math:`N`, :math:`R`
relevant documents in the collection)

.. math::

    P(k) = \\frac{1}{k}\\sum_{i=1}^{k} \\mathrm{rel}_i, \\qquad
    \\mathrm{Rec}(k) = \\frac{1}{R}\\sum_{i=1}^{k} \\mathrm{rel}_i, \\qquad
    \\mathrm{AP} = \\frac{1}{R}\\sum_{k=1}^{N} P(k)\\,\\mathrm{rel}_k .

With untied scores, :func:`average_precision` equals scikit-learn's
``average_precision_score(labels, scores)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ranking",
    "average_precision",
    "mean_average_precision",
    "precision_at_k",
    "precision_recall_curve",
    "interpolated_precision",
    "mean_precision_recall_curve",
    "rank_of_first_relevant",
    "ranks_of_first_relevant",
    "mean_rank_of_first_relevant",
    "top_k_accuracy",
    "RetrievalReport",
    "evaluate_retrieval",
]


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _as_relevance(relevance, name: str = "relevance") -> np.ndarray:
    rel = np.asarray(relevance)
    if rel.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of 0/1 flags, got shape {rel.shape}")
    if rel.dtype == bool:
        return rel
    if rel.size and not np.issubdtype(rel.dtype, np.number):
        raise TypeError(f"{name} must hold 0/1 or bool values, got dtype {rel.dtype}")
    if rel.size and not np.all((rel == 0) | (rel == 1)):
        bad = rel[~((rel == 0) | (rel == 1))][0]
        raise ValueError(f"{name} must hold only 0/1 or bool values, found {bad!r}")
    return rel.astype(bool)


def ranking(scores, higher_is_better: bool = True) -> np.ndarray:
    """Indices that sort the documents from best to worst.

    Parameters
    ----------
    scores : array_like, shape (N,)
        One score per document (collection order). No NaN allowed.
    higher_is_better : bool
        True for similarities (rank by decreasing score), False for distances.

    Returns
    -------
    order : np.ndarray of int, shape (N,)
        ``order[0]`` is the index of the best document. Ties keep collection
        order.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be a 1-D array, got shape {s.shape}")
    if np.isnan(s).any():
        raise ValueError(f"scores contains NaN at index {int(np.flatnonzero(np.isnan(s))[0])}")
    key = -s if higher_is_better else s
    return np.argsort(key, kind="stable")


def _ranked(relevance, scores, higher_is_better) -> np.ndarray:
    """Relevance flags in rank order (bool array)."""
    rel = _as_relevance(relevance)
    if scores is None:
        return rel
    s = np.asarray(scores)
    if s.shape != rel.shape:
        raise ValueError(f"scores must have the same shape as relevance {rel.shape}, got {s.shape}")
    return rel[ranking(s, higher_is_better)]


def _n_relevant(rel: np.ndarray, n_relevant) -> int:
    found = int(rel.sum())
    if n_relevant is None:
        n = found
    else:
        n = int(n_relevant)
        if n < found:
            raise ValueError(f"n_relevant={n_relevant} is smaller than the {found} relevant "
                             "documents in the ranked list")
    if n == 0:
        raise ValueError("relevance has no relevant document: the metric is undefined "
                         "(drop queries without relevant documents)")
    return n


# ---------------------------------------------------------------------------
# single-query metrics
# ---------------------------------------------------------------------------

def average_precision(relevance, scores=None, *, n_relevant: int | None = None,
                      higher_is_better: bool = True) -> float:
    """Average precision of one ranked list.

    Parameters
    ----------
    relevance : array_like of 0/1 or bool, shape (N,)
        Relevance flags in rank order, or in collection order if ``scores``
        is given.
    scores : array_like, shape (N,), optional
        Scores used to rank the documents (see the module docstring).
    n_relevant : int, optional
        Total number of relevant documents in the collection when the list is
        truncated (relevant documents missing from the list count as never
        retrieved). Default: the number of relevant flags in ``relevance``.
    higher_is_better : bool
        Ranking direction when ``scores`` is given.

    Returns
    -------
    ap : float in [0, 1]

    Raises
    ------
    ValueError
        If there is no relevant document (AP is undefined).

    Examples
    --------
    >>> average_precision([1, 0, 1, 0])   # (1/1 + 2/3) / 2
    0.8333333333333333
    """
    rel = _ranked(relevance, scores, higher_is_better)
    R = _n_relevant(rel, n_relevant)
    hits = np.cumsum(rel)
    k = np.arange(1, rel.size + 1)
    return float(np.sum((hits / k)[rel]) / R)


def precision_at_k(relevance, k: int, scores=None, *, higher_is_better: bool = True) -> float:
    """Fraction of relevant documents among the top ``k``.

    If the list is shorter than ``k`` the missing positions count as not
    relevant (the denominator stays ``k``).

    Parameters
    ----------
    relevance : array_like of 0/1 or bool, shape (N,)
    k : int, >= 1
    scores : array_like, shape (N,), optional
    higher_is_better : bool

    Returns
    -------
    p : float in [0, 1]
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    rel = _ranked(relevance, scores, higher_is_better)
    return float(rel[:k].sum() / k)


def precision_recall_curve(relevance, scores=None, *, n_relevant: int | None = None,
                           higher_is_better: bool = True):
    """Precision and recall after each rank cut-off ``k = 1 .. N``.

    Parameters
    ----------
    relevance, scores, n_relevant, higher_is_better
        As in :func:`average_precision`.

    Returns
    -------
    precision : np.ndarray, shape (N,)
        ``precision[k-1]`` = P(k).
    recall : np.ndarray, shape (N,)
        ``recall[k-1]`` = Rec(k), non-decreasing.
    """
    rel = _ranked(relevance, scores, higher_is_better)
    R = _n_relevant(rel, n_relevant)
    hits = np.cumsum(rel)
    k = np.arange(1, rel.size + 1)
    return hits / k, hits / R


def interpolated_precision(precision, recall, recall_levels=None) -> np.ndarray:
    """Interpolated precision :math:`\\max_{k:\\,\\mathrm{Rec}(k) \\ge r} P(k)` at given recall levels.

    Parameters
    ----------
    precision, recall : array_like, shape (N,)
        From :func:`precision_recall_curve`.
    recall_levels : array_like, shape (L,), optional
        Default: the 11 standard levels 0, 0.1, ..., 1.

    Returns
    -------
    p : np.ndarray, shape (L,)
        0 at levels that are never reached.
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if p.shape != r.shape or p.ndim != 1:
        raise ValueError(f"precision and recall must be 1-D of equal length, got {p.shape} and {r.shape}")
    levels = np.linspace(0.0, 1.0, 11) if recall_levels is None else np.asarray(recall_levels, float)
    # running max of precision from the end: best precision at recall >= r[k]
    best_from = np.maximum.accumulate(p[::-1])[::-1] if p.size else p
    idx = np.searchsorted(r, levels - 1e-12, side="left")
    out = np.zeros(levels.shape)
    ok = idx < r.size
    out[ok] = best_from[idx[ok]]
    return out


def rank_of_first_relevant(relevance, scores=None, *, higher_is_better: bool = True) -> int:
    """1-based rank of the first relevant document.

    Raises
    ------
    ValueError
        If no document is relevant.
    """
    rel = _ranked(relevance, scores, higher_is_better)
    hit = np.flatnonzero(rel)
    if hit.size == 0:
        raise ValueError("relevance has no relevant document: rank of the first relevant is undefined")
    return int(hit[0]) + 1


def top_k_accuracy(ranks, k):
    """Fraction of queries whose correct answer is ranked within the top ``k``.

    Parameters
    ----------
    ranks : array_like of int, shape (Q,)
        1-based rank of the correct (or first relevant) document per query.
    k : int or array_like of int
        One cut-off or several.

    Returns
    -------
    acc : float, or np.ndarray of shape (len(k),) if ``k`` is a sequence
    """
    r = np.asarray(ranks)
    if r.ndim != 1 or r.size == 0:
        raise ValueError(f"ranks must be a non-empty 1-D array, got shape {r.shape}")
    if not np.issubdtype(r.dtype, np.number) or np.any(r < 1) or np.any(r != np.round(r)):
        raise ValueError("ranks must be 1-based integers >= 1")
    ks = np.atleast_1d(np.asarray(k))
    if np.any(ks < 1):
        raise ValueError(f"k must be >= 1, got {k!r}")
    acc = (r[None, :] <= ks[:, None]).mean(axis=1)
    return float(acc[0]) if np.ndim(k) == 0 else acc


# ---------------------------------------------------------------------------
# many queries: score matrices
# ---------------------------------------------------------------------------

def _query_lists(relevance, scores, exclude):
    """Yield (rel, scores_or_None) per query, with excluded documents removed."""
    if scores is None and not isinstance(relevance, np.ndarray):
        # ragged list of ranked relevance lists
        try:
            rows = [np.asarray(r) for r in relevance]
        except TypeError:
            raise TypeError("relevance must be a 2-D array or a list of 1-D arrays") from None
        if exclude is not None:
            raise ValueError("exclude needs a (Q, N) relevance matrix with scores")
        return [(r, None) for r in rows]
    rel = np.asarray(relevance)
    if rel.ndim != 2:
        raise ValueError(f"relevance must have shape (Q, N), got {rel.shape}")
    if scores is not None:
        s = np.asarray(scores)
        if s.shape != rel.shape:
            raise ValueError(f"scores must have the relevance shape {rel.shape}, got {s.shape}")
    if exclude is not None:
        ex = np.asarray(exclude, dtype=bool)
        if ex.shape != rel.shape:
            raise ValueError(f"exclude must have the relevance shape {rel.shape}, got {ex.shape}")
    out = []
    for q in range(rel.shape[0]):
        keep = slice(None) if exclude is None else ~ex[q]
        out.append((rel[q][keep], None if scores is None else s[q][keep]))
    return out


def mean_average_precision(relevance, scores=None, *, exclude=None, higher_is_better: bool = True,
                           return_per_query: bool = False):
    """Mean of the per-query average precision.

    Parameters
    ----------
    relevance : np.ndarray, shape (Q, N), or list of 1-D arrays
        Per query: flags in rank order (no ``scores``; rows may differ in
        length when given as a list), or in collection order with ``scores``.
    scores : np.ndarray, shape (Q, N), optional
        ``scores[q, d]`` = similarity (or distance) of document d to query q.
    exclude : np.ndarray of bool, shape (Q, N), optional
        Documents to leave out per query, e.g. ``np.eye(N, dtype=bool)`` to
        drop the query itself from a collection-vs-collection evaluation.
    higher_is_better : bool
    return_per_query : bool
        Also return the array of per-query APs.

    Returns
    -------
    map : float
    ap : np.ndarray, shape (Q,)  (only with ``return_per_query``)
    """
    aps = np.array([average_precision(r, s, higher_is_better=higher_is_better)
                    for r, s in _query_lists(relevance, scores, exclude)])
    if aps.size == 0:
        raise ValueError("relevance holds no query")
    m = float(aps.mean())
    return (m, aps) if return_per_query else m


def ranks_of_first_relevant(relevance, scores=None, *, exclude=None,
                            higher_is_better: bool = True) -> np.ndarray:
    """Per-query 1-based rank of the first relevant document, shape (Q,)."""
    return np.array([rank_of_first_relevant(r, s, higher_is_better=higher_is_better)
                     for r, s in _query_lists(relevance, scores, exclude)], dtype=np.int64)


def mean_rank_of_first_relevant(relevance, scores=None, *, exclude=None,
                                higher_is_better: bool = True) -> float:
    """Mean over queries of the rank of the first relevant document (1 is perfect)."""
    return float(ranks_of_first_relevant(relevance, scores, exclude=exclude,
                                         higher_is_better=higher_is_better).mean())


def mean_precision_recall_curve(relevance, scores=None, *, exclude=None, recall_levels=None,
                                higher_is_better: bool = True):
    """Interpolated precision averaged over queries at fixed recall levels.

    Returns
    -------
    recall_levels : np.ndarray, shape (L,)
    precision : np.ndarray, shape (L,)
    """
    levels = np.linspace(0.0, 1.0, 11) if recall_levels is None else np.asarray(recall_levels, float)
    curves = []
    for r, s in _query_lists(relevance, scores, exclude):
        p, rec = precision_recall_curve(r, s, higher_is_better=higher_is_better)
        curves.append(interpolated_precision(p, rec, levels))
    if not curves:
        raise ValueError("relevance holds no query")
    return levels, np.mean(curves, axis=0)


@dataclass
class RetrievalReport:
    """Summary of a many-query evaluation (see :func:`evaluate_retrieval`)."""

    map: float
    ap: np.ndarray
    first_relevant_ranks: np.ndarray
    mean_first_relevant_rank: float
    precision_at: dict = field(default_factory=dict)
    top_k: dict = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"MAP={self.map:.3f}", f"mean rank of first relevant={self.mean_first_relevant_rank:.2f}"]
        parts += [f"P@{k}={v:.3f}" for k, v in self.precision_at.items()]
        parts += [f"Top-{k}={v:.3f}" for k, v in self.top_k.items()]
        return ", ".join(parts)


def evaluate_retrieval(scores, relevance, *, exclude=None, ks=(1, 5, 10),
                       higher_is_better: bool = True) -> RetrievalReport:
    """All standard metrics for a (Q, N) score matrix at once.

    Parameters
    ----------
    scores : np.ndarray, shape (Q, N)
    relevance : np.ndarray of 0/1 or bool, shape (Q, N)
    exclude : np.ndarray of bool, shape (Q, N), optional
        Documents left out per query (e.g. the query itself).
    ks : sequence of int
        Cut-offs for precision at k and top-k accuracy (of the first relevant
        document).
    higher_is_better : bool

    Returns
    -------
    RetrievalReport
    """
    lists = _query_lists(relevance, scores, exclude)
    aps = np.array([average_precision(r, s, higher_is_better=higher_is_better) for r, s in lists])
    first = np.array([rank_of_first_relevant(r, s, higher_is_better=higher_is_better) for r, s in lists])
    pk = {int(k): float(np.mean([precision_at_k(r, int(k), s, higher_is_better=higher_is_better)
                                 for r, s in lists])) for k in ks}
    tk = {int(k): top_k_accuracy(first, int(k)) for k in ks}
    return RetrievalReport(map=float(aps.mean()), ap=aps, first_relevant_ranks=first,
                           mean_first_relevant_rank=float(first.mean()), precision_at=pk, top_k=tk)
