"""Audio shingles: short chroma sequences as points for nearest-neighbour search.

Notebook 05 (``05_Shingles_and_Indexing.ipynb``) explains this module.

A *shingle* is ``length`` consecutive CENS frames (at 1 Hz, 20 frames cover
20 seconds of music) flattened into one vector of ``12 * length`` numbers
and scaled to unit Euclidean length. A recording becomes a cloud of
overlapping shingles; a query excerpt becomes one (or a few) shingles, and
retrieval is a nearest-neighbour search in that vector space.

Layout conventions
------------------
Feature sequences follow the workbook convention ``(12, N)`` (features,
frames). A *set* of shingles, however, is not a time series but a point
cloud, so shingle matrices have shape ``(n_shingles, dim)``: one shingle per
row, the layout every nearest-neighbour library (scikit-learn, faiss)
expects. Inside a shingle vector the frames come one after the other:
``v[12 * j + c]`` is chroma band ``c`` of frame ``j``
(:func:`shingle_to_chroma` undoes the flattening).

Document-level retrieval
------------------------
Shingle hits are turned into a ranking of *documents* (recordings): each
document is scored by the smallest distance between a query shingle and
any of its shingles (:func:`document_distances`,
:func:`document_distances_from_hits`). The ranking is then evaluated with
:mod:`cmr.evaluation` (average precision, MAP).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Default shingle length in frames (20 frames of 1 Hz CENS = 20 s, 240 dims).
DEFAULT_LENGTH = 20
#: Default tempo factors for tempo-invariant queries (about -33 % .. +50 %).
DEFAULT_TEMPO_FACTORS = (0.67, 0.8, 1.0, 1.25, 1.5)


def _check_features(C, name: str = "C") -> np.ndarray:
    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"{name} must be a chroma matrix of shape (12, N), got shape {C.shape}")
    if not np.issubdtype(C.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {C.dtype}")
    if not np.all(np.isfinite(C)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return C.astype(np.float32, copy=False)


def _check_length_hop(length: int, hop: int) -> None:
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be a positive integer number of frames, got {length!r}")
    if not isinstance(hop, (int, np.integer)) or hop < 1:
        raise ValueError(f"hop must be a positive integer number of frames, got {hop!r}")


def normalize_rows(X: np.ndarray) -> np.ndarray:
    """Scale every row of ``X`` (shape (n, d)) to unit Euclidean norm.

    All-zero rows stay zero (no NaN); the result is float32.
    """
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)


def shingles(C, length: int = DEFAULT_LENGTH, hop: int = 1, normalize: bool = True) -> np.ndarray:
    """Cut a chroma sequence into overlapping shingles.

    Parameters
    ----------
    C : np.ndarray, shape (12, N)
        Chroma features (CENS at 1 Hz in the workbook).
    length : int
        Shingle length in frames (``L``); the shingle dimension is ``12 * L``.
    hop : int
        Frames between the starts of consecutive shingles.
    normalize : bool
        Scale each shingle to unit Euclidean norm (all-zero shingles stay zero).

    Returns
    -------
    X : np.ndarray, shape (n_shingles, 12 * length), float32
        One shingle per row, frames one after the other (see module notes).
        ``n_shingles = (N - length) // hop + 1``; zero rows if ``N < length``.
    """
    C = _check_features(C)
    _check_length_hop(length, hop)
    n = C.shape[1]
    if n < length:
        return np.zeros((0, 12 * length), dtype=np.float32)
    frames = np.ascontiguousarray(C.T)  # (N, 12)
    win = np.lib.stride_tricks.sliding_window_view(frames, length, axis=0)  # (N-L+1, 12, L)
    win = win[::hop]
    X = np.ascontiguousarray(win.transpose(0, 2, 1)).reshape(win.shape[0], 12 * length)
    return normalize_rows(X) if normalize else X.astype(np.float32, copy=False)


def shingle_to_chroma(v) -> np.ndarray:
    """Undo the flattening: a shingle vector of ``12 * L`` numbers -> (12, L) chroma."""
    v = np.asarray(v)
    if v.ndim != 1 or v.size % 12:
        raise ValueError(f"v must be a 1-D vector whose length is a multiple of 12, got shape {v.shape}")
    return v.reshape(-1, 12).T


@dataclass
class ShingleDatabase:
    """Shingles of many documents stacked in one matrix.

    Attributes
    ----------
    X : np.ndarray, shape (n_shingles, 12 * length), float32
    doc_ids : np.ndarray, shape (n_shingles,), int32 -- document of each shingle
    starts : np.ndarray, shape (n_shingles,), int32 -- first frame of each shingle
    length, hop : int -- shingle parameters (frames)
    n_docs : int -- number of documents (including ones too short for a shingle)
    """

    X: np.ndarray
    doc_ids: np.ndarray
    starts: np.ndarray
    length: int
    hop: int
    n_docs: int

    def __len__(self) -> int:
        return self.X.shape[0]


def build_database(features, length: int = DEFAULT_LENGTH, hop: int = 1) -> ShingleDatabase:
    """Shingle every document of a collection.

    Parameters
    ----------
    features : sequence of np.ndarray, each shape (12, N_i)
        One chroma sequence per document, in document order.
    length, hop : int
        Shingle length and hop in frames (see :func:`shingles`).

    Returns
    -------
    ShingleDatabase
        Documents shorter than ``length`` contribute no shingle (they can never
        be retrieved, and rank last in every document ranking).
    """
    _check_length_hop(length, hop)
    features = list(features)
    if not features:
        raise ValueError("features must contain at least one chroma matrix, got an empty sequence")
    blocks, docs, starts = [], [], []
    for i, C in enumerate(features):
        X = shingles(_check_features(C, f"features[{i}]"), length, hop)
        blocks.append(X)
        docs.append(np.full(len(X), i, dtype=np.int32))
        starts.append(np.arange(len(X), dtype=np.int32) * hop)
    X = np.concatenate(blocks)
    if len(X) == 0:
        raise ValueError(f"no document is at least length={length} frames long")
    return ShingleDatabase(X, np.concatenate(docs), np.concatenate(starts), int(length), int(hop), len(features))


def resample_time(C, n_frames: int) -> np.ndarray:
    """Linearly resample a (12, N) sequence to ``n_frames`` frames (same start and end)."""
    C = _check_features(C)
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    n = C.shape[1]
    if n == 0:
        raise ValueError("C has no frames; cannot resample an empty sequence")
    if n == 1 or n_frames == 1:
        return np.repeat(C[:, :1], n_frames, axis=1)
    src = np.linspace(0.0, n - 1, n_frames)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (src - lo).astype(np.float32)
    out = C[:, lo] * (1 - w) + C[:, hi] * w
    # keep CENS-like frames on the unit sphere after interpolation
    norms = np.linalg.norm(out, axis=0, keepdims=True)
    src_norm = np.linalg.norm(C, axis=0)
    target = np.interp(src, np.arange(n), src_norm).astype(np.float32)[None, :]
    return np.divide(out * target, norms, out=np.zeros_like(out), where=norms > 0).astype(np.float32)


def query_shingles(Q, length: int = DEFAULT_LENGTH, hop: int = 1,
                   tempo_factors=(1.0,)) -> tuple[np.ndarray, np.ndarray]:
    """Shingles of a query, optionally at several tempi.

    For a tempo factor ``r`` the query is resampled to ``round(N * r)`` frames
    (``r > 1``: the query is played faster than the database version it should
    match, so it is stretched) and then cut into shingles. Variants shorter
    than ``length`` frames are skipped.

    Parameters
    ----------
    Q : np.ndarray, shape (12, N)
        Query chroma (same feature rate as the database).
    length, hop : int
        Shingle parameters (frames), as for the database.
    tempo_factors : sequence of float
        Tempo factors ``r > 0``; ``(1.0,)`` means no tempo variants.

    Returns
    -------
    X : np.ndarray, shape (n, 12 * length), float32
    variant : np.ndarray, shape (n,), int32
        Index into ``tempo_factors`` of each row.
    """
    Q = _check_features(Q, "Q")
    _check_length_hop(length, hop)
    factors = np.atleast_1d(np.asarray(tempo_factors, dtype=float))
    if factors.size == 0 or np.any(~np.isfinite(factors)) or np.any(factors <= 0):
        raise ValueError(f"tempo_factors must be positive numbers, got {tempo_factors!r}")
    if Q.shape[1] == 0:
        raise ValueError("Q has no frames")
    rows, var = [], []
    for i, r in enumerate(factors):
        n = int(round(Q.shape[1] * r))
        if n < length:
            continue
        Qr = Q if n == Q.shape[1] else resample_time(Q, n)
        X = shingles(Qr, length, hop)
        rows.append(X)
        var.append(np.full(len(X), i, dtype=np.int32))
    if not rows:
        raise ValueError(f"query of {Q.shape[1]} frames is shorter than length={length} frames "
                         f"at every tempo factor {factors.tolist()}")
    return np.concatenate(rows), np.concatenate(var)


def _sorted_doc_segments(doc_ids: np.ndarray, n_docs: int):
    doc_ids = np.asarray(doc_ids)
    order = np.argsort(doc_ids, kind="stable")
    sorted_ids = doc_ids[order]
    present = np.unique(sorted_ids)
    if present.size and (present[0] < 0 or present[-1] >= n_docs):
        raise ValueError(f"doc_ids must lie in [0, n_docs={n_docs}), got range "
                         f"[{present[0]}, {present[-1]}]")
    starts = np.searchsorted(sorted_ids, present)
    return order, present, starts


def document_distances(Q, X, doc_ids, n_docs: int, query_groups=None, block: int = 512) -> np.ndarray:
    """Exact best shingle distance between every query and every document.

    Parameters
    ----------
    Q : np.ndarray, shape (n_query_shingles, d)
        Query shingles (one or several per query, see ``query_groups``).
    X : np.ndarray, shape (n_shingles, d)
        Database shingles.
    doc_ids : np.ndarray, shape (n_shingles,)
        Document of every database shingle, integers in ``[0, n_docs)``.
    n_docs : int
        Number of documents.
    query_groups : np.ndarray, shape (n_query_shingles,), optional
        Query number of every query shingle (e.g. tempo variants of one query
        share a number, numbered 0..n_queries-1). Default: one query per row.
    block : int
        Query rows per matrix product (memory: ``block * n_shingles`` floats).

    Returns
    -------
    D : np.ndarray, shape (n_queries, n_docs), float32
        Euclidean distance of the closest (query shingle, document shingle)
        pair; ``inf`` for documents without shingles.
    """
    Q = np.asarray(Q, dtype=np.float32)
    X = np.asarray(X, dtype=np.float32)
    if Q.ndim != 2 or X.ndim != 2 or Q.shape[1] != X.shape[1]:
        raise ValueError(f"Q and X must be 2-D with the same number of columns, got {Q.shape} and {X.shape}")
    if len(doc_ids) != len(X):
        raise ValueError(f"doc_ids must have one entry per row of X ({len(X)}), got {len(doc_ids)}")
    order, present, seg = _sorted_doc_segments(doc_ids, n_docs)
    Xs = X[order]
    xx = np.einsum("ij,ij->i", Xs, Xs)
    groups = np.arange(len(Q)) if query_groups is None else np.asarray(query_groups)
    if len(groups) != len(Q):
        raise ValueError(f"query_groups must have one entry per query row ({len(Q)}), got {len(groups)}")
    n_queries = int(groups.max()) + 1 if len(groups) else 0
    D = np.full((n_queries, n_docs), np.inf, dtype=np.float32)
    for a in range(0, len(Q), block):
        q = Q[a:a + block]
        d2 = xx[None, :] - 2.0 * (q @ Xs.T)
        d2 += np.einsum("ij,ij->i", q, q)[:, None]
        per_doc = np.minimum.reduceat(d2, seg, axis=1)  # (b, n_present)
        g = groups[a:a + block]
        cur = D[:, present]
        np.minimum.at(cur, g, np.sqrt(np.maximum(per_doc, 0.0)))
        D[:, present] = cur
    return D


def document_distances_from_hits(dist, idx, doc_ids, n_docs: int, query_groups=None) -> np.ndarray:
    """Document scores from k-nearest-neighbour hits (best distance per document).

    Parameters
    ----------
    dist, idx : np.ndarray, shape (n_query_shingles, k)
        Distances and database row numbers returned by an index; ``idx < 0``
        marks an empty slot (ignored).
    doc_ids : np.ndarray, shape (n_shingles,)
        Document of every database row.
    n_docs : int
    query_groups : np.ndarray, shape (n_query_shingles,), optional
        As in :func:`document_distances`.

    Returns
    -------
    D : np.ndarray, shape (n_queries, n_docs), float32
        Best hit distance per document; ``inf`` where a document had no hit
        (it then ranks after every document that had one).
    """
    dist = np.asarray(dist, dtype=np.float32)
    idx = np.asarray(idx)
    if dist.shape != idx.shape or dist.ndim != 2:
        raise ValueError(f"dist and idx must be 2-D arrays of the same shape, got {dist.shape} and {idx.shape}")
    doc_ids = np.asarray(doc_ids)
    groups = np.arange(len(dist)) if query_groups is None else np.asarray(query_groups)
    n_queries = int(groups.max()) + 1 if len(groups) else 0
    D = np.full((n_queries, n_docs), np.inf, dtype=np.float32)
    valid = idx >= 0
    rows = np.broadcast_to(groups[:, None], idx.shape)[valid]
    docs = doc_ids[idx[valid]]
    np.minimum.at(D, (rows, docs), dist[valid])
    return D


def excerpt_starts(n_frames: int, excerpt_length: int, n_excerpts: int) -> np.ndarray:
    """Start frames of ``n_excerpts`` evenly spread excerpts inside a sequence.

    The sequence's start range ``[0, n_frames - excerpt_length]`` is cut into
    ``n_excerpts`` equal parts and excerpt ``i`` starts in the middle of part
    ``i``, i.e. at ``(i + 1/2) / n_excerpts`` of the range. The very first
    and very last frames (often silence, tuning or applause) are thus never
    the start or end of a query. Used by the evaluations to pick query
    excerpts deterministically; fewer (or no) starts for short sequences.
    """
    last = n_frames - excerpt_length
    if last < 0 or n_excerpts < 1:
        return np.zeros(0, dtype=int)
    return np.unique(np.round((np.arange(n_excerpts) + 0.5) / n_excerpts * last).astype(int))


def rendered_testset():
    """The small rendered test collection committed for notebook 05.

    24 Bach chorales that are *not* among the embedding's training pieces,
    4 rendered versions each (random tempo, tempo curve, instruments,
    articulation, reverb, noise), first ~60 s, CENS at 1 Hz, stored as
    float16 in ``lib/cmr/data/shingles_rendered_testset.npz``
    (regenerate: ``python scripts/build_shingle_training_data.py --testset``).

    Returns
    -------
    features : list of np.ndarray, each shape (12, N_i), float32
    pieces : np.ndarray of str, shape (n_docs,) -- corpus name of each document
    versions : list of dict -- the cmr.synth.Version parameters of each document
    """
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "shingles_rendered_testset.npz"
    if not path.exists():
        raise ValueError(f"{path} is missing; run scripts/build_shingle_training_data.py --testset")
    with np.load(path) as f:
        cens, lengths = f["cens"].astype(np.float32), f["lengths"]
        pieces, versions = f["piece"], [json.loads(v) for v in f["version"]]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    feats = [cens[:, a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return feats, pieces, versions
