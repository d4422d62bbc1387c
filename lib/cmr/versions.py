"""Version (cover song) identification with chroma and local alignment.

Notebook 04 explains this module. Two recordings are versions of the same
piece when long stretches of their chroma sequences agree after allowing for

* a different **key**: a cyclic shift of the chroma axis, estimated from the
  global chroma profiles (:func:`oti`, optimal transposition index) or found
  by trying all twelve shifts;
* a different **tempo**: the local alignment steps (1, 1), (2, 1) and (1, 2)
  follow diagonals with slopes between 1/2 and 2;
* a different **structure**: *local* alignment scores the best matching pair
  of subsequences, so an intro left out or a chorus repeated costs little;
* a different **timbre**: chroma features (CENS) are largely blind to it.

Pipeline for a pair (query ``X``, document ``Y``, both (12, frames))::

    S = cross_similarity(X, Y, shift=oti(X, Y))   # (N, M) cosine similarity
    S = smooth_diagonal(S, length)                 # optional enhancement
    R = binarize(S, "knn", kappa=0.2)              # cross-recurrence plot
    A = local_alignment(R, gap_onset, gap_extension)   # Qmax recursion

:func:`align` does all of this for one pair and keeps every intermediate
matrix for plotting; :func:`score_matrix` scores a whole collection in
parallel (numba ``prange``) and keeps only the scores.

The key handling (OTI) and binary local alignment follow Serrà, Gómez,
Herrera and Serra (IEEE TASLP 2008); the cross-recurrence plot with mutual
nearest neighbours and the "Qmax" recursion follow Serrà, Serra and
Andrzejak (New J. Phys. 2009). With the match indicator :math:`R_{i,j}` and predecessors
:math:`(i-1,j-1), (i-2,j-1), (i-1,j-2)`

.. math::

    Q_{i,j} = \\begin{cases}
        \\max(Q_{i-1,j-1}, Q_{i-2,j-1}, Q_{i-1,j-2}) + R_{i,j} & R_{i,j} > 0 \\\\
        \\max\\{0,\\; Q_{p} - \\gamma(p) : p \\text{ a predecessor}\\} & \\text{else}
    \\end{cases}

with :math:`\\gamma(p) = \\gamma_o` (gap onset) if the predecessor ``p`` is a
match and :math:`\\gamma_e` (gap extension) if it is not. The score is
:math:`Q_{\\max} = \\max_{i,j} Q_{i,j}`.

Default parameters (``kappa=0.2``, ``gap_onset=1``, ``gap_extension=0.5``)
come from a small sweep on the real 330-recording collection
(``benchmarks/eval_versions_real.py --grid``) and the rendered cover
collection; Serrà et al. used a neighbourhood of 10 % and a larger gap
onset (5) on their pop-music features. Both collections are also the ones we
evaluate on, so the reported MAP values are slightly optimistic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

__all__ = [
    "chroma_profile",
    "oti",
    "transpose",
    "reduce_rate",
    "cross_similarity",
    "smooth_diagonal",
    "binarize",
    "local_alignment",
    "LocalAlignment",
    "align",
    "VersionAlignment",
    "version_score",
    "score_matrix",
    "rank_collection",
    "CoverCollection",
    "load_cover_collection",
    "melody_and_bass",
]

_BINARIZATION = {"knn": 0, "threshold": 1, "none": 2}
_NORMALIZATION = ("none", "min", "sqrt", "max")


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _check_chroma(C, name: str) -> np.ndarray:
    if not isinstance(C, np.ndarray):
        try:
            C = np.asarray(C, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a numeric array of shape (12, N), got {type(C).__name__}") from None
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"{name} must have shape (12, N) (chroma, frames), got shape {C.shape}")
    if C.shape[1] == 0:
        raise ValueError(f"{name} has no frames (shape {C.shape}); need at least one")
    if not np.issubdtype(C.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {C.dtype}")
    if not np.all(np.isfinite(C)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return C


def _unit_columns(C: np.ndarray) -> np.ndarray:
    """Float32 copy with unit-length columns; all-zero frames stay zero."""
    C = np.asarray(C, dtype=np.float32)
    norm = np.sqrt((C.astype(np.float64) ** 2).sum(axis=0)).astype(np.float32)
    out = np.zeros_like(C)
    ok = norm > 1e-9
    out[:, ok] = C[:, ok] / norm[ok]
    return out


def _check_penalties(gap_onset, gap_extension):
    for name, v in (("gap_onset", gap_onset), ("gap_extension", gap_extension)):
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")


# ---------------------------------------------------------------------------
# key handling
# ---------------------------------------------------------------------------

def chroma_profile(C) -> np.ndarray:
    """Global chroma profile: the frame sum, scaled to maximum 1.

    Parameters
    ----------
    C : np.ndarray, shape (12, N)

    Returns
    -------
    g : np.ndarray, shape (12,)
        All zeros for an all-zero input.
    """
    C = _check_chroma(C, "C")
    g = np.asarray(C, dtype=np.float64).sum(axis=1)
    m = g.max()
    return g / m if m > 0 else g


def transpose(C, shift: int) -> np.ndarray:
    """Cyclically shift chroma by ``shift`` semitones up (row c moves to c + shift)."""
    return np.roll(np.asarray(C), int(shift), axis=0)


def oti(X, Y) -> int:
    """Optimal transposition index: the shift of ``Y`` that best matches ``X``.

    Returns the ``k`` in 0..11 maximising the dot product of the global
    profiles of ``X`` and ``transpose(Y, k)``. Comparing ``X`` with
    ``transpose(Y, oti(X, Y))`` removes a key difference.

    Parameters
    ----------
    X, Y : np.ndarray, shape (12, N) and (12, M)

    Returns
    -------
    k : int in 0..11 (0 if either input is all zero)
    """
    gx = chroma_profile(X)
    gy = chroma_profile(Y)
    scores = np.array([gx @ np.roll(gy, k) for k in range(12)])
    return int(np.argmax(scores))


def _oti_matrix(profiles: np.ndarray) -> np.ndarray:
    """OTI for all pairs of (K, 12) profiles: shifts[a, b] = oti(item a, item b)."""
    scores = np.stack([profiles @ np.roll(profiles, k, axis=1).T for k in range(12)])
    return np.argmax(scores, axis=0).astype(np.int64)


def reduce_rate(C, factor: int) -> np.ndarray:
    """Average blocks of ``factor`` frames and re-normalise each frame (unit length).

    Lowers the feature rate (e.g. 1 Hz CENS to 0.5 Hz with ``factor=2``), which
    makes alignment ``factor**2`` times cheaper. A last incomplete block is
    averaged over the frames it has.

    Parameters
    ----------
    C : np.ndarray, shape (12, N)
    factor : int >= 1

    Returns
    -------
    np.ndarray, float32, shape (12, ceil(N / factor))
    """
    C = _check_chroma(C, "C")
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"factor must be an integer >= 1, got {factor!r}")
    if factor == 1:
        return _unit_columns(C)
    n = C.shape[1]
    n_out = -(-n // factor)
    pad = n_out * factor - n
    Cp = np.concatenate([C.astype(np.float64), np.zeros((12, pad))], axis=1)
    counts = np.full(n_out, factor, dtype=np.float64)
    counts[-1] = factor - pad
    blocks = Cp.reshape(12, n_out, factor).sum(axis=2) / counts
    return _unit_columns(blocks)


# ---------------------------------------------------------------------------
# cross-similarity, enhancement, binarization (numba kernels)
# ---------------------------------------------------------------------------

@njit(cache=True)
def _cross_sim(Xn, Yn, shift):
    """S[i, j] = <X[:, i], roll(Y, shift)[:, j]> for unit-column float32 inputs."""
    N = Xn.shape[1]
    M = Yn.shape[1]
    S = np.zeros((N, M), dtype=np.float32)
    for c in range(12):
        cy = (c - shift) % 12
        for i in range(N):
            x = Xn[c, i]
            if x != 0.0:
                for j in range(M):
                    S[i, j] += x * Yn[cy, j]
    return S


@njit(cache=True)
def _cross_sim_t(Xn, Yn, shift):
    """The transpose of ``_cross_sim(Xn, Yn, shift)``, bit for bit (same summation order)."""
    N = Xn.shape[1]
    M = Yn.shape[1]
    ST = np.zeros((M, N), dtype=np.float32)
    for c in range(12):
        cy = (c - shift) % 12
        for j in range(M):
            y = Yn[cy, j]
            if y != 0.0:
                for i in range(N):
                    ST[j, i] += Xn[c, i] * y
    return ST


@njit(cache=True)
def _smooth_diag(S, length, tempi):
    """Centred moving average along lines of slope t (max over tempi)."""
    N, M = S.shape
    out = np.zeros((N, M), dtype=np.float32)
    h = length // 2
    for ti in range(tempi.shape[0]):
        t = tempi[ti]
        for i in range(N):
            for j in range(M):
                acc = 0.0
                cnt = 0
                for l in range(-h, length - h):
                    ii = i + l
                    jj = j + int(np.floor(l * t + 0.5))
                    if ii >= 0 and ii < N and jj >= 0 and jj < M:
                        acc += S[ii, jj]
                        cnt += 1
                v = acc / cnt if cnt > 0 else 0.0
                if ti == 0 or v > out[i, j]:
                    out[i, j] = v
    return out


@njit(cache=True)
def _select(buf, n, kth):
    """The value of rank ``kth`` (0-based, ascending) among buf[:n]; reorders buf (quickselect)."""
    lo = 0
    hi = n - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        # median of three as pivot
        a = buf[lo]
        b = buf[mid]
        c = buf[hi]
        if a > b:
            a, b = b, a
        if b > c:
            b = c
            if a > b:
                b = a
        pivot = b
        i = lo
        j = hi
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                t = buf[i]
                buf[i] = buf[j]
                buf[j] = t
                i += 1
                j -= 1
        if kth <= j:
            hi = j
        elif kth >= i:
            lo = i
        else:
            return buf[kth]
    return buf[kth]


@njit(cache=True)
def _kth_largest_rows(S, k):
    """Per row of S, the exact k-th largest value (1 <= k <= M).

    A 256-bin histogram over [-1, 1] (cosine similarities; values outside
    are clipped into the end bins) finds the bin holding the answer in one
    pass; a quickselect among that bin's values gives the exact value.
    """
    N, M = S.shape
    B = 256
    thr = np.empty(N, dtype=np.float32)
    counts = np.zeros(B, dtype=np.int64)
    buf = np.empty(M, dtype=np.float32)
    for i in range(N):
        counts[:] = 0
        for j in range(M):
            b = int((S[i, j] + 1.0) * (0.5 * B))
            b = min(B - 1, max(0, b))
            counts[b] += 1
        above = 0
        target = B - 1
        for b in range(B - 1, -1, -1):
            if above + counts[b] >= k:
                target = b
                break
            above += counts[b]
        n = 0
        for j in range(M):
            b = int((S[i, j] + 1.0) * (0.5 * B))
            b = min(B - 1, max(0, b))
            if b == target:
                buf[n] = S[i, j]
                n += 1
        r = k - above  # rank from the top inside the bin, 1..n
        thr[i] = _select(buf, n, n - r)
    return thr


@njit(cache=True)
def _match_matrix(S, ST, method, param):
    """Match scores D (> 0 means match) from a similarity matrix.

    ``ST`` is ``S.T`` as a C-contiguous array (only used by method 0).
    method 0: mutual k-nearest neighbours, param = kappa (fraction);
    method 1: S >= param; method 2: D = S - param (real valued).
    """
    N, M = S.shape
    D = np.zeros((N, M), dtype=np.float32)
    if method == 0:
        k_row = max(1, min(M, int(np.floor(param * M + 0.5))))
        k_col = max(1, min(N, int(np.floor(param * N + 0.5))))
        row_thr = _kth_largest_rows(S, k_row)
        col_thr = _kth_largest_rows(ST, k_col)
        for i in range(N):
            for j in range(M):
                s = S[i, j]
                if s > 0.0 and s >= row_thr[i] and s >= col_thr[j]:
                    D[i, j] = 1.0
    elif method == 1:
        for i in range(N):
            for j in range(M):
                if S[i, j] >= param:
                    D[i, j] = 1.0
    else:
        for i in range(N):
            for j in range(M):
                D[i, j] = S[i, j] - param
    return D


# ---------------------------------------------------------------------------
# local alignment (Qmax recursion)
# ---------------------------------------------------------------------------

@njit(cache=True)
def _qmax_full(D, go, ge):
    """Full Q matrix and uint8 backpointers (0 start, 1 diag, 2 (2,1), 3 (1,2))."""
    N, M = D.shape
    Q = np.zeros((N, M), dtype=np.float32)
    P = np.zeros((N, M), dtype=np.uint8)
    for i in range(N):
        for j in range(M):
            d = D[i, j]
            best = 0.0
            arg = 0
            if d > 0.0:
                if i >= 1 and j >= 1 and Q[i - 1, j - 1] > best:
                    best = Q[i - 1, j - 1]
                    arg = 1
                if i >= 2 and j >= 1 and Q[i - 2, j - 1] > best:
                    best = Q[i - 2, j - 1]
                    arg = 2
                if i >= 1 and j >= 2 and Q[i - 1, j - 2] > best:
                    best = Q[i - 1, j - 2]
                    arg = 3
                Q[i, j] = best + d
            else:
                if i >= 1 and j >= 1:
                    v = Q[i - 1, j - 1] - (go if D[i - 1, j - 1] > 0.0 else ge)
                    if v > best:
                        best = v
                        arg = 1
                if i >= 2 and j >= 1:
                    v = Q[i - 2, j - 1] - (go if D[i - 2, j - 1] > 0.0 else ge)
                    if v > best:
                        best = v
                        arg = 2
                if i >= 1 and j >= 2:
                    v = Q[i - 1, j - 2] - (go if D[i - 1, j - 2] > 0.0 else ge)
                    if v > best:
                        best = v
                        arg = 3
                Q[i, j] = best
            P[i, j] = arg
    return Q, P


@njit(cache=True)
def _qmax_score(D, go, ge):
    """Best Q value and its cell, with three rolling rows (no full matrices)."""
    N, M = D.shape
    Q = np.zeros((3, M), dtype=np.float32)
    top = 0.0
    bi = -1
    bj = -1
    for i in range(N):
        r0 = i % 3
        r1 = (i + 2) % 3
        r2 = (i + 1) % 3
        for j in range(M):
            d = D[i, j]
            best = 0.0
            if d > 0.0:
                if i >= 1 and j >= 1 and Q[r1, j - 1] > best:
                    best = Q[r1, j - 1]
                if i >= 2 and j >= 1 and Q[r2, j - 1] > best:
                    best = Q[r2, j - 1]
                if i >= 1 and j >= 2 and Q[r1, j - 2] > best:
                    best = Q[r1, j - 2]
                best += d
            else:
                if i >= 1 and j >= 1:
                    v = Q[r1, j - 1] - (go if D[i - 1, j - 1] > 0.0 else ge)
                    if v > best:
                        best = v
                if i >= 2 and j >= 1:
                    v = Q[r2, j - 1] - (go if D[i - 2, j - 1] > 0.0 else ge)
                    if v > best:
                        best = v
                if i >= 1 and j >= 2:
                    v = Q[r1, j - 2] - (go if D[i - 1, j - 2] > 0.0 else ge)
                    if v > best:
                        best = v
            Q[r0, j] = best
            if best > top:
                top = best
                bi = i
                bj = j
    return top, bi, bj


def _traceback(P: np.ndarray, i: int, j: int) -> np.ndarray:
    """Cells of the local alignment ending at (i, j), in increasing order, shape (L, 2)."""
    cells = [(i, j)]
    while True:
        step = P[i, j]
        if step == 0:
            break
        if step == 1:
            i, j = i - 1, j - 1
        elif step == 2:
            i, j = i - 2, j - 1
        else:
            i, j = i - 1, j - 2
        cells.append((i, j))
    return np.array(cells[::-1], dtype=np.int64).reshape(-1, 2)


@dataclass
class LocalAlignment:
    """Result of :func:`local_alignment`.

    Attributes
    ----------
    score : float
        :math:`Q_{\\max}`; 0 if nothing matches.
    path : np.ndarray of int, shape (L, 2)
        Aligned cells ``(i, j)`` (query frame, document frame) in increasing
        order; shape (0, 2) if ``score`` is 0.
    Q : np.ndarray, float32, shape (N, M)
        The accumulated score matrix.
    """

    score: float
    path: np.ndarray
    Q: np.ndarray

    @property
    def query_frames(self) -> tuple[int, int]:
        """First and last aligned query frame (inclusive); (-1, -1) if empty."""
        return (int(self.path[0, 0]), int(self.path[-1, 0])) if len(self.path) else (-1, -1)

    @property
    def document_frames(self) -> tuple[int, int]:
        """First and last aligned document frame (inclusive); (-1, -1) if empty."""
        return (int(self.path[0, 1]), int(self.path[-1, 1])) if len(self.path) else (-1, -1)


def local_alignment(D, gap_onset: float = 1.0, gap_extension: float = 0.5) -> LocalAlignment:
    """Local alignment (Qmax recursion) on a match matrix.

    Parameters
    ----------
    D : np.ndarray, shape (N, M)
        Match scores: cells > 0 are matches and add their value (1 for a
        binary cross-recurrence plot from :func:`binarize`); cells <= 0 are
        gaps and cost ``gap_onset`` right after a match, ``gap_extension``
        after another gap.
    gap_onset, gap_extension : float >= 0
        Gap penalties (in units of one matching frame).

    Returns
    -------
    LocalAlignment
    """
    D = np.asarray(D)
    if D.ndim != 2 or D.shape[0] == 0 or D.shape[1] == 0:
        raise ValueError(f"D must be a non-empty 2-D matrix (query frames, document frames), got shape {D.shape}")
    if not np.all(np.isfinite(D)):
        raise ValueError("D contains NaN or infinite values")
    _check_penalties(gap_onset, gap_extension)
    D = np.ascontiguousarray(D, dtype=np.float32)
    Q, P = _qmax_full(D, np.float32(gap_onset), np.float32(gap_extension))
    score = float(Q.max())
    if score <= 0:
        return LocalAlignment(0.0, np.zeros((0, 2), dtype=np.int64), Q)
    i, j = np.unravel_index(int(np.argmax(Q)), Q.shape)
    return LocalAlignment(score, _traceback(P, int(i), int(j)), Q)


# ---------------------------------------------------------------------------
# public matrix functions
# ---------------------------------------------------------------------------

def cross_similarity(X, Y, shift: int = 0) -> np.ndarray:
    """Cosine similarity of every query frame with every (shifted) document frame.

    Parameters
    ----------
    X : np.ndarray, shape (12, N)
        Query chroma.
    Y : np.ndarray, shape (12, M)
        Document chroma.
    shift : int
        Semitones by which ``Y`` is transposed before comparing
        (``transpose(Y, shift)``); use ``oti(X, Y)``.

    Returns
    -------
    S : np.ndarray, float32, shape (N, M)
        ``S[i, j]`` in [0, 1] for non-negative chroma; frames that are all
        zero have similarity 0 with everything.
    """
    X = _unit_columns(_check_chroma(X, "X"))
    Y = _unit_columns(_check_chroma(Y, "Y"))
    return _cross_sim(X, Y, int(shift) % 12)


def smooth_diagonal(S, length: int, tempi=(1.0,)) -> np.ndarray:
    """Enhance diagonal stripes: average ``length`` cells along lines of slope t.

    For each tempo ratio ``t`` (document frames per query frame) the cell
    ``(i, j)`` becomes the mean of ``S[i + l, j + round(l t)]`` for
    ``l = -length//2 .. length - 1 - length//2`` (cells outside the matrix are
    left out of the mean); the result is the maximum over ``tempi``.
    Stripes of repeated material get stronger, isolated noise weaker.

    Parameters
    ----------
    S : np.ndarray, shape (N, M)
    length : int >= 1
        Filter length in frames (1 returns a float32 copy).
    tempi : sequence of float > 0

    Returns
    -------
    np.ndarray, float32, shape (N, M)
    """
    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(f"S must be a 2-D matrix, got shape {S.shape}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be an integer >= 1, got {length!r}")
    t = np.asarray(tempi, dtype=np.float64).ravel()
    if t.size == 0 or np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"tempi must be positive numbers, got {tempi!r}")
    S = np.ascontiguousarray(S, dtype=np.float32)
    if length == 1 or S.size == 0:
        return S.copy()
    return _smooth_diag(S, int(length), t)


def binarize(S, method: str = "knn", kappa: float = 0.2, threshold: float = 0.8) -> np.ndarray:
    """Turn a similarity matrix into a match matrix for :func:`local_alignment`.

    Parameters
    ----------
    S : np.ndarray, shape (N, M)
        Similarities (higher = more similar).
    method : {"knn", "threshold", "none"}
        ``"knn"``: cross-recurrence plot, 1 where the document frame is among
        the ``round(kappa M)`` most similar to the query frame *and* the query
        frame among the ``round(kappa N)`` most similar to the document frame
        (mutual nearest neighbours), else 0. ``"threshold"``: 1 where
        ``S >= threshold``. ``"none"``: real-valued ``S - threshold`` (positive
        above the threshold).
    kappa : float in (0, 1]
        Neighbourhood size as a fraction of the sequence length (``"knn"``).
    threshold : float
        Similarity threshold (``"threshold"``, ``"none"``).

    Returns
    -------
    D : np.ndarray, float32, shape (N, M)
    """
    S = np.asarray(S)
    if S.ndim != 2 or S.shape[0] == 0 or S.shape[1] == 0:
        raise ValueError(f"S must be a non-empty 2-D matrix, got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError("S contains NaN or infinite values")
    if method not in _BINARIZATION:
        raise ValueError(f"method must be one of {sorted(_BINARIZATION)}, got {method!r}")
    if method == "knn" and not (0 < kappa <= 1):
        raise ValueError(f"kappa must be in (0, 1], got {kappa!r}")
    param = kappa if method == "knn" else threshold
    S = np.ascontiguousarray(S, dtype=np.float32)
    return _match_matrix(S, np.ascontiguousarray(S.T), _BINARIZATION[method], float(param))


def _normalize(score, n, m, normalize):
    if normalize == "none":
        return score
    if normalize == "min":
        return score / np.minimum(n, m)
    if normalize == "max":
        return score / np.maximum(n, m)
    return score / np.sqrt(n * m)


def _check_options(key, binarization, kappa, normalize):
    if not (key in ("oti", "best") or key is None or isinstance(key, (int, np.integer))):
        raise ValueError(f"key must be 'oti', 'best', None or an integer shift, got {key!r}")
    if binarization not in _BINARIZATION:
        raise ValueError(f"binarization must be one of {sorted(_BINARIZATION)}, got {binarization!r}")
    if binarization == "knn" and not (0 < kappa <= 1):
        raise ValueError(f"kappa must be in (0, 1], got {kappa!r}")
    if normalize not in _NORMALIZATION:
        raise ValueError(f"normalize must be one of {_NORMALIZATION}, got {normalize!r}")


@dataclass
class VersionAlignment:
    """Everything :func:`align` computed for one query/document pair.

    Attributes
    ----------
    score : float
        Raw local alignment score :math:`Q_{\\max}` (matched frames minus gap costs).
    normalized_score : float
        ``score`` divided according to ``normalize`` (see :func:`align`).
    shift : int
        Semitones the document was transposed by.
    S : np.ndarray, float32, shape (N, M)
        Cross-similarity after transposition and smoothing.
    D : np.ndarray, float32, shape (N, M)
        Match matrix (binarized ``S``).
    Q : np.ndarray, float32, shape (N, M)
        Accumulated local alignment scores.
    path : np.ndarray of int, shape (L, 2)
        Aligned (query frame, document frame) cells.
    feature_rate : float
        Frames per second of ``S`` (after ``reduce``).
    """

    score: float
    normalized_score: float
    shift: int
    S: np.ndarray
    D: np.ndarray
    Q: np.ndarray
    path: np.ndarray
    feature_rate: float

    @property
    def path_seconds(self) -> np.ndarray:
        """The path in seconds, shape (L, 2)."""
        return self.path / self.feature_rate

    @property
    def query_interval(self) -> tuple[float, float]:
        """Aligned query section (start, end) in seconds; (nan, nan) if nothing matched."""
        if not len(self.path):
            return (float("nan"), float("nan"))
        return (self.path[0, 0] / self.feature_rate, (self.path[-1, 0] + 1) / self.feature_rate)

    @property
    def document_interval(self) -> tuple[float, float]:
        """Aligned document section (start, end) in seconds; (nan, nan) if nothing matched."""
        if not len(self.path):
            return (float("nan"), float("nan"))
        return (self.path[0, 1] / self.feature_rate, (self.path[-1, 1] + 1) / self.feature_rate)


def align(X, Y, feature_rate: float = 1.0, *, key="oti", binarization: str = "knn",
          kappa: float = 0.2, threshold: float = 0.8, smooth: int = 1, tempi=(1.0,),
          gap_onset: float = 1.0, gap_extension: float = 0.5, reduce: int = 1,
          normalize: str = "min") -> VersionAlignment:
    """Compare a query with one document and keep every intermediate step.

    Parameters
    ----------
    X : np.ndarray, shape (12, N)
        Query chroma (CENS recommended).
    Y : np.ndarray, shape (12, M)
        Document chroma.
    feature_rate : float
        Frames per second of ``X`` and ``Y``.
    key : "oti", "best", None or int
        ``"oti"``: transpose ``Y`` by :func:`oti`; ``"best"``: try all twelve
        shifts and keep the best score; ``None``: no transposition; an int:
        that shift.
    binarization, kappa, threshold
        See :func:`binarize`.
    smooth : int
        Diagonal smoothing length in frames (1: none); ``tempi`` as in
        :func:`smooth_diagonal`.
    gap_onset, gap_extension : float
        Gap penalties of :func:`local_alignment`.
    reduce : int
        Average ``reduce`` frames into one first (:func:`reduce_rate`).
    normalize : {"min", "sqrt", "max", "none"}
        ``normalized_score`` = score / min(N, M), / sqrt(N M), / max(N, M)
        or the raw score (lengths after ``reduce``).

    Returns
    -------
    VersionAlignment
    """
    X = _check_chroma(X, "X")
    Y = _check_chroma(Y, "Y")
    if not (np.isfinite(feature_rate) and feature_rate > 0):
        raise ValueError(f"feature_rate must be a positive number (frames per second), got {feature_rate!r}")
    _check_options(key, binarization, kappa, normalize)
    _check_penalties(gap_onset, gap_extension)
    Xr = reduce_rate(X, reduce)
    Yr = reduce_rate(Y, reduce)
    if key == "best":
        shifts = range(12)
    elif key == "oti":
        shifts = [oti(Xr, Yr)]
    else:
        shifts = [0 if key is None else int(key) % 12]
    best = None
    for k in shifts:
        S = _cross_sim(Xr, Yr, k)
        if smooth > 1:
            S = smooth_diagonal(S, smooth, tempi)
        D = binarize(S, binarization, kappa=kappa, threshold=threshold)
        la = local_alignment(D, gap_onset, gap_extension)
        if best is None or la.score > best[0].score:
            best = (la, k, S, D)
    la, k, S, D = best
    n, m = Xr.shape[1], Yr.shape[1]
    return VersionAlignment(score=la.score, normalized_score=float(_normalize(la.score, n, m, normalize)),
                            shift=int(k), S=S, D=D, Q=la.Q, path=la.path,
                            feature_rate=float(feature_rate) / reduce)


def version_score(X, Y, **kwargs) -> float:
    """Normalised local alignment score of one pair (see :func:`align` for options)."""
    return align(X, Y, **kwargs).normalized_score


# ---------------------------------------------------------------------------
# collections
# ---------------------------------------------------------------------------

@njit(cache=True)
def _pair_score(X, Y, shift, method, param, smooth, tempi, go, ge):
    S = _cross_sim(X, Y, shift)
    if smooth > 1:
        S = _smooth_diag(S, smooth, tempi)
    if method == 0:
        ST = np.ascontiguousarray(S.T) if smooth > 1 else _cross_sim_t(X, Y, shift)
    else:
        ST = S[:1, :1]
    D = _match_matrix(S, ST, method, param)
    top, _, _ = _qmax_score(D, go, ge)
    return top


@njit(parallel=True, cache=True)
def _pairs_kernel(F, offsets, pairs, shifts, method, param, smooth, tempi, go, ge):
    P = pairs.shape[0]
    out = np.zeros(P, dtype=np.float64)
    for p in prange(P):
        a = pairs[p, 0]
        b = pairs[p, 1]
        X = F[:, offsets[a]:offsets[a + 1]]
        Y = F[:, offsets[b]:offsets[b + 1]]
        out[p] = _pair_score(X, Y, shifts[p], method, param, smooth, tempi, go, ge)
    return out


def score_matrix(features, queries=None, *, key="oti", binarization: str = "knn", kappa: float = 0.2,
                 threshold: float = 0.8, smooth: int = 1, tempi=(1.0,), gap_onset: float = 1.0,
                 gap_extension: float = 0.5, reduce: int = 1, normalize: str = "min",
                 symmetric: bool = True, batch_size: int = 2000, progress: bool = False,
                 parallel: bool | None = None) -> np.ndarray:
    """Version-identification scores of every query against every document.

    The pairs are scored in parallel (numba ``prange``) with the same steps as
    :func:`align` but without keeping matrices.

    Parameters
    ----------
    features : sequence of np.ndarray, each shape (12, N_k)
        The collection (CENS chroma at a common feature rate).
    queries : sequence of int, optional
        Indices of the items used as queries (default: all).
    key, binarization, kappa, threshold, smooth, tempi, gap_onset, gap_extension, reduce, normalize
        As in :func:`align`. ``key="best"`` scores all twelve shifts (12x slower).
    symmetric : bool
        Score each unordered pair once and mirror it (the Qmax score with
        these steps and a symmetric binarization is symmetric). Only used when
        all items are queries.
    batch_size : int
        Pairs per parallel call (the progress bar advances per batch).
    progress : bool
        Show a tqdm progress bar.
    parallel : bool, optional
        Use the multi-threaded kernel. Default: only when the collection is
        large (more than 2e7 matrix cells to fill), because compiling the
        parallel kernel the first time takes longer than scoring a small
        collection serially.

    Returns
    -------
    scores : np.ndarray, float64, shape (Q, K)
        ``scores[q, d]`` = normalised score of document d for query
        ``queries[q]`` (higher = more likely a version). The diagonal (a query
        against itself) is computed too; exclude it when evaluating.
    """
    feats = [reduce_rate(_check_chroma(f, f"features[{k}]"), reduce) for k, f in enumerate(features)]
    if not feats:
        raise ValueError("features is empty: need at least one item")
    _check_options(key, binarization, kappa, normalize)
    _check_penalties(gap_onset, gap_extension)
    K = len(feats)
    q_idx = np.arange(K) if queries is None else np.asarray(queries, dtype=np.int64)
    if q_idx.ndim != 1 or q_idx.size == 0 or q_idx.min() < 0 or q_idx.max() >= K:
        raise ValueError(f"queries must be indices in 0..{K - 1}, got {queries!r}")
    lengths = np.array([f.shape[1] for f in feats], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    F = np.ascontiguousarray(np.concatenate(feats, axis=1), dtype=np.float32)
    profiles = np.stack([f.astype(np.float64).sum(axis=1) for f in feats])

    all_queries = queries is None
    if all_queries and symmetric:
        a, b = np.triu_indices(K)
        pairs = np.stack([a, b], axis=1)
        rows = a
    else:
        qq, dd = np.meshgrid(q_idx, np.arange(K), indexing="ij")
        pairs = np.stack([qq.ravel(), dd.ravel()], axis=1)
        rows = np.repeat(np.arange(len(q_idx)), K)
    pairs = pairs.astype(np.int64)
    # large pairs first: better load balance across threads and batches
    order = np.argsort(-(lengths[pairs[:, 0]] * lengths[pairs[:, 1]]), kind="stable")
    pairs = pairs[order]
    rows = rows[order]

    if key == "oti":
        shift_mat = _oti_matrix(profiles)
        shift_lists = [shift_mat[pairs[:, 0], pairs[:, 1]]]
    elif key == "best":
        shift_lists = [np.full(len(pairs), k, dtype=np.int64) for k in range(12)]
    else:
        shift_lists = [np.full(len(pairs), 0 if key is None else int(key) % 12, dtype=np.int64)]

    if parallel is None:
        parallel = float(np.sum(lengths[pairs[:, 0]] * lengths[pairs[:, 1]])) * len(shift_lists) > 2e7
    method = _BINARIZATION[binarization]
    param = float(kappa if binarization == "knn" else threshold)
    t = np.asarray(tempi, dtype=np.float64).ravel()
    raw = np.full(len(pairs), -np.inf)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(pairs) * len(shift_lists), desc="scoring pairs", unit="pair")
    for shifts in shift_lists:
        for start in range(0, len(pairs), batch_size):
            sl = slice(start, start + batch_size)
            if parallel:
                s = _pairs_kernel(F, offsets, np.ascontiguousarray(pairs[sl]), np.ascontiguousarray(shifts[sl]),
                                  method, param, int(smooth), t, np.float32(gap_onset), np.float32(gap_extension))
            else:
                s = np.array([_pair_score(F[:, offsets[a]:offsets[a + 1]], F[:, offsets[b]:offsets[b + 1]],
                                          int(k), method, param, int(smooth), t, np.float32(gap_onset),
                                          np.float32(gap_extension))
                              for (a, b), k in zip(pairs[sl], shifts[sl])], dtype=np.float64)
            raw[sl] = np.maximum(raw[sl], s)
            if bar is not None:
                bar.update(len(s))
    if bar is not None:
        bar.close()

    norm = _normalize(raw, lengths[pairs[:, 0]], lengths[pairs[:, 1]], normalize)
    if all_queries and symmetric:
        out = np.zeros((K, K))
        out[pairs[:, 0], pairs[:, 1]] = norm
        out[pairs[:, 1], pairs[:, 0]] = norm
        return out
    out = np.zeros((len(q_idx), K))
    out[rows, pairs[:, 1]] = norm
    return out


def rank_collection(scores, exclude_self: bool = True, queries=None) -> list[np.ndarray]:
    """Documents ranked from most to least likely version, per query.

    Parameters
    ----------
    scores : np.ndarray, shape (Q, K)
        From :func:`score_matrix`.
    exclude_self : bool
        Leave the query itself out of its ranking.
    queries : sequence of int, optional
        Collection index of each query row (default ``0..Q-1``).

    Returns
    -------
    list of np.ndarray of int
        One ranking per query (ties keep collection order).
    """
    S = np.asarray(scores, dtype=np.float64)
    if S.ndim != 2:
        raise ValueError(f"scores must have shape (Q, K), got {S.shape}")
    if np.isnan(S).any():
        raise ValueError("scores contains NaN")
    q_idx = np.arange(S.shape[0]) if queries is None else np.asarray(queries)
    out = []
    for r in range(S.shape[0]):
        order = np.argsort(-S[r], kind="stable")
        if exclude_self:
            order = order[order != q_idx[r]]
        out.append(order)
    return out


def melody_and_bass(notes):
    """Reduce a note table to its melody and bass line (a thinner texture for a "cover").

    Keeps the highest note at each onset of the first part (the melody) and
    the lowest note at each onset of the last part (the bass line).

    Parameters
    ----------
    notes : pandas.DataFrame
        A note table as :func:`cmr.symbolic.score_notes` returns (columns
        ``start_beat``, ``pitch``, ``part``, ...).

    Returns
    -------
    pandas.DataFrame
        The reduced table, same columns and ``attrs``.
    """
    import pandas as pd

    if not isinstance(notes, pd.DataFrame) or not {"start_beat", "pitch", "part"} <= set(notes.columns):
        raise TypeError("notes must be a note table (DataFrame with start_beat, pitch, part columns)")
    if len(notes) == 0:
        return notes.copy()
    attrs = dict(notes.attrs)
    notes = notes.copy()
    notes.attrs = {}  # pandas compares attrs on concat; DataFrames inside attrs break that
    parts = sorted(notes["part"].unique())
    top = notes[notes["part"] == parts[0]]
    top = top.sort_values(["start_beat", "pitch"]).groupby("start_beat", as_index=False).tail(1)
    low = notes[notes["part"] == parts[-1]]
    low = low.sort_values(["start_beat", "pitch"]).groupby("start_beat", as_index=False).head(1)
    out = pd.concat([top, low]).sort_values(["start_beat", "part"], kind="stable").reset_index(drop=True)
    out.attrs = attrs
    return out


# ---------------------------------------------------------------------------
# the rendered cover collection of notebook 04
# ---------------------------------------------------------------------------

@dataclass
class CoverCollection:
    """The rendered cover collection (``scripts/build_cover_collection.py``).

    Attributes
    ----------
    meta : pandas.DataFrame
        One row per version: ``id``, ``piece`` (int label), ``score`` (music21
        corpus name), ``title``, ``version`` (``original``,
        ``key_tempo_timbre``, ``melody_bass``, ``structure``), ``params``
        (the :class:`cmr.synth.Version` as JSON), ``duration`` (s).
    cens : list of np.ndarray, float32, shape (12, N_k)
        CENS features at ``cens_rate`` Hz.
    chroma : list of np.ndarray, float32, shape (12, M_k)
        IIR chroma at ``chroma_rate`` Hz (before CENS smoothing).
    cens_rate, chroma_rate : float
        Frames per second.
    measure_times : pandas.DataFrame
        Ground truth: ``item``, ``measure``, ``occurrence``, ``start_beat``,
        ``start`` (seconds in that version's audio).
    """

    meta: "object"
    cens: list
    chroma: list
    cens_rate: float
    chroma_rate: float
    measure_times: "object"

    @property
    def labels(self) -> np.ndarray:
        """Piece label of every version, shape (K,)."""
        return self.meta["piece"].to_numpy()

    def relevance(self) -> np.ndarray:
        """(K, K) bool: same piece."""
        lab = self.labels
        return lab[:, None] == lab[None, :]

    def index(self, piece: int, version: str) -> int:
        """Row of one (piece, version)."""
        m = self.meta
        hit = np.flatnonzero((m["piece"].to_numpy() == piece) & (m["version"].to_numpy() == version))
        if hit.size == 0:
            raise ValueError(f"no version {version!r} of piece {piece}; versions are "
                             f"{sorted(set(m['version']))}, pieces 0..{m['piece'].max()}")
        return int(hit[0])


def load_cover_collection(path=None) -> CoverCollection:
    """Load the committed cover collection features (``lib/cmr/data/cover_collection.npz``).

    Regenerate it with ``.venv/bin/python scripts/build_cover_collection.py``.
    """
    import pandas as pd
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "cover_collection.npz" if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cover collection not found at {path}; build it with "
                                "scripts/build_cover_collection.py")
    with np.load(path, allow_pickle=False) as z:
        meta = pd.DataFrame({k: z[k] for k in ("ids", "piece", "score", "title", "version", "params", "duration")})
        meta = meta.rename(columns={"ids": "id"})
        co, ho = z["cens_offsets"], z["chroma_offsets"]
        cens_all = z["cens"].astype(np.float32)
        chroma_all = z["chroma"].astype(np.float32)
        cens = [cens_all[:, co[k]:co[k + 1]] for k in range(len(meta))]
        chroma_ = [chroma_all[:, ho[k]:ho[k + 1]] for k in range(len(meta))]
        mt = pd.DataFrame(z["measure_times"], columns=["item", "measure", "occurrence", "start_beat", "start"])
        for c in ("item", "measure", "occurrence"):
            mt[c] = mt[c].astype(int)
        return CoverCollection(meta=meta, cens=cens, chroma=chroma_, cens_rate=float(z["cens_rate"]),
                               chroma_rate=float(z["chroma_rate"]), measure_times=mt)
