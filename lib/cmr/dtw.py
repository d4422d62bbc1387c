"""Dynamic time warping: classical, constrained, subsequence and multiscale.

This is the code that notebook ``02_DTW_and_Synchronization`` explains.

Conventions
-----------
* Feature sequences are arrays of shape ``(d, N)`` (features, frames), like
  librosa. ``X`` is the first sequence (rows of the cost matrix, index ``n``),
  ``Y`` the second (columns, index ``m``).
* A *step size* is a pair ``(dn, dm)`` of non-negative integers, not both zero:
  a path may move from cell ``(n - dn, m - dm)`` to ``(n, m)``. Each step has a
  multiplicative *weight* ``w`` applied to the local cost of the cell it
  enters. The accumulated cost is

  .. math::

      D(0, 0) = C(0, 0), \\qquad
      D(n, m) = \\min_k \\bigl[ D(n - dn_k,\\, m - dm_k) + w_k\\, C(n, m) \\bigr],

  with :math:`D = \\infty` outside the matrix (and outside a band, if one is
  given). This is the definition of ``librosa.sequence.dtw`` with
  ``weights_mul`` (its tests compare the two).
* Paths are returned as integer arrays of shape ``(L, 2)`` holding ``(n, m)``
  pairs **in forward order** (first row is the start cell). With steps larger
  than one (e.g. ``(2, 1)``) a path jumps over cells, as in librosa.

Implementation
--------------
All work happens in one numba kernel (``cache=True``). It never holds the
float accumulated-cost matrix: it keeps ``max(dn) + 1`` rows of it in a ring
buffer and stores, per cell, only the index of the chosen step as ``uint8``
(one byte per cell inside the band). The local cost is either read from a
given matrix ``C`` or computed on the fly from the features (cosine or
Euclidean), so a banded DTW never allocates anything of size ``N x M``. The
full ``D`` is materialised only when asked for (``return_D=True``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

__all__ = [
    "STEPS_CLASSIC",
    "STEPS_TEMPO",
    "DTWResult",
    "SubsequenceResult",
    "cost_matrix",
    "dtw",
    "subsequence_dtw",
    "multiscale_dtw",
    "sakoe_chiba_band",
    "band_from_path",
    "brute_force_dtw",
]

#: The classical step sizes: diagonal, vertical, horizontal.
STEPS_CLASSIC = ((1, 1), (1, 0), (0, 1))
#: Step sizes that bound the local tempo ratio to between 1/2 and 2.
STEPS_TEMPO = ((1, 1), (2, 1), (1, 2))

_METRICS = {"precomputed": 0, "cosine": 1, "euclidean": 2}
_NO_STEP = 255  # backpointer of a start cell


# ---------------------------------------------------------------------------
# result containers
# ---------------------------------------------------------------------------

@dataclass
class DTWResult:
    """The outcome of :func:`dtw` or :func:`multiscale_dtw`.

    Attributes
    ----------
    cost : float
        Accumulated cost of the optimal path, ``D(N-1, M-1)``.
    path : np.ndarray, shape (L, 2), int64
        The optimal warping path as ``(n, m)`` pairs from ``(0, 0)`` to
        ``(N-1, M-1)``.
    D : np.ndarray, shape (N, M), float64, or None
        The accumulated cost matrix (``inf`` outside the band); only when
        ``return_D=True`` was requested.
    n_cells : int
        Number of cells the kernel evaluated (``N * M`` for full DTW, the band
        area otherwise; summed over levels for multiscale DTW).
    info : dict
        Extra facts (for multiscale DTW: the sizes of the levels).
    """

    cost: float
    path: np.ndarray
    D: np.ndarray | None = None
    n_cells: int = 0
    info: dict = field(default_factory=dict)


@dataclass
class SubsequenceResult:
    """The outcome of :func:`subsequence_dtw`.

    Attributes
    ----------
    Delta : np.ndarray, shape (M,), float64
        The matching curve: ``Delta[m]`` is the cost of the best alignment of
        the whole query that ends at database frame ``m`` (the last row of
        ``D``). Divide by the query length ``N`` to compare queries of
        different lengths. ``inf`` where no path can end.
    D : np.ndarray, shape (N, M), or None
        Accumulated cost matrix, only when ``return_D=True``.
    """

    Delta: np.ndarray
    D: np.ndarray | None
    _bp: np.ndarray = field(repr=False)
    _lo: np.ndarray = field(repr=False)
    _hi: np.ndarray = field(repr=False)
    _off: np.ndarray = field(repr=False)
    _steps: np.ndarray = field(repr=False)

    @property
    def best_end(self) -> int:
        """Database frame where the cheapest match ends (``argmin Delta``)."""
        return int(np.argmin(self.Delta))

    @property
    def cost(self) -> float:
        """Cost of the cheapest match (``min Delta``)."""
        return float(np.min(self.Delta))

    def path(self, end: int | None = None) -> np.ndarray:
        """Backtrack the optimal path that ends at database frame ``end``.

        Parameters
        ----------
        end : int, optional
            Database frame (column) where the match ends; default
            :attr:`best_end`.

        Returns
        -------
        np.ndarray, shape (L, 2), int64
            ``(n, m)`` pairs from ``(0, a)`` to ``(N-1, end)``; ``a`` is the
            start of the match in the database.
        """
        M = self.Delta.shape[0]
        end = self.best_end if end is None else int(end)
        if not 0 <= end < M:
            raise ValueError(f"end must be a database frame in [0, {M - 1}], got {end}")
        if not np.isfinite(self.Delta[end]):
            raise ValueError(f"no path of the query ends at database frame {end} (Delta is inf there)")
        N = self._lo.shape[0]
        return _backtrack(self._bp, self._lo, self._hi, self._off, self._steps, N - 1, end)

    def segment(self, end: int | None = None) -> tuple[int, int]:
        """``(start, end)`` database frames (inclusive) of the match ending at ``end``."""
        p = self.path(end)
        return int(p[0, 1]), int(p[-1, 1])


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _as_features(X, name: str) -> np.ndarray:
    if X is None:
        raise ValueError(f"{name} is required when no cost matrix C is given")
    X = np.asarray(X)
    if X.dtype == object or not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array of shape (d, frames), got dtype {X.dtype}")
    if X.ndim == 1:
        X = X[np.newaxis, :]
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (d, frames), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty with shape (d, frames), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf values")
    return X


def _prepare_features(X, Y, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Return frames-major float32 copies (N, d), (M, d), unit-norm for cosine."""
    X = _as_features(X, "X")
    Y = _as_features(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have the same feature dimension, got X with d={X.shape[0]} "
                         f"(shape {X.shape}) and Y with d={Y.shape[0]} (shape {Y.shape})")
    Xt = np.ascontiguousarray(X.T, dtype=np.float32)
    Yt = np.ascontiguousarray(Y.T, dtype=np.float32)
    if metric == "cosine":
        Xt = _unit_rows(Xt)
        Yt = _unit_rows(Yt)
    return Xt, Yt


def _unit_rows(A: np.ndarray) -> np.ndarray:
    """Normalise each row to unit length; all-zero rows become the uniform unit vector.

    (Silence then costs 0 against silence and about 1 - 1/sqrt(d) against a
    single pitch class, instead of NaN.)
    """
    norms = np.sqrt(np.einsum("ij,ij->i", A, A, dtype=np.float64))
    out = np.empty_like(A)
    tiny = norms < 1e-10
    out[~tiny] = A[~tiny] / norms[~tiny, None]
    out[tiny] = 1.0 / np.sqrt(A.shape[1])
    return out


def _check_metric(metric: str) -> str:
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"metric must be 'cosine' or 'euclidean', got {metric!r}")
    return metric


def _check_steps(step_sizes, weights) -> tuple[np.ndarray, np.ndarray]:
    steps = np.asarray(step_sizes)
    if steps.ndim != 2 or steps.shape[1] != 2 or steps.shape[0] == 0:
        raise ValueError(f"step_sizes must be a list of (dn, dm) pairs, got shape {steps.shape}")
    if not np.issubdtype(steps.dtype, np.integer):
        if not np.all(steps == np.round(steps)):
            raise ValueError(f"step_sizes must be integers, got {steps.tolist()}")
    steps = steps.astype(np.int64)
    if np.any(steps < 0) or np.any(steps.sum(axis=1) == 0):
        raise ValueError(f"each step (dn, dm) needs dn, dm >= 0 and not both 0, got {steps.tolist()}")
    if steps.shape[0] >= _NO_STEP:
        raise ValueError(f"at most {_NO_STEP - 1} step sizes are supported, got {steps.shape[0]}")
    if weights is None:
        w = np.ones(steps.shape[0], dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape[0] != steps.shape[0]:
            raise ValueError(f"weights must have one entry per step size ({steps.shape[0]}), got {w.shape[0]}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"weights must be finite and >= 0, got {w.tolist()}")
    return steps, w


def _check_cost(C) -> np.ndarray:
    C = np.asarray(C)
    if C.ndim != 2:
        raise ValueError(f"C must be a cost matrix of shape (N, M), got shape {C.shape}")
    if C.shape[0] == 0 or C.shape[1] == 0:
        raise ValueError(f"C must be non-empty, got shape {C.shape}")
    if not np.issubdtype(C.dtype, np.number):
        raise TypeError(f"C must be numeric, got dtype {C.dtype}")
    if not np.all(np.isfinite(C)):
        raise ValueError("C contains NaN or inf values")
    return np.ascontiguousarray(C, dtype=np.float64)


# ---------------------------------------------------------------------------
# cost matrices
# ---------------------------------------------------------------------------

def cost_matrix(X, Y, metric: str = "cosine") -> np.ndarray:
    """Local cost matrix between two feature sequences.

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
    Y : np.ndarray, shape (d, M)
    metric : {'cosine', 'euclidean'}
        ``cosine``: :math:`1 - \\langle x, y\\rangle / (\\|x\\|\\|y\\|)` (an all-zero
        frame counts as the uniform vector); ``euclidean``: :math:`\\|x - y\\|_2`.

    Returns
    -------
    C : np.ndarray, shape (N, M), float32
    """
    metric = _check_metric(metric)
    Xt, Yt = _prepare_features(X, Y, metric)
    C = np.empty((Xt.shape[0], Yt.shape[0]), dtype=np.float32)
    _cost_matrix_kernel(_METRICS[metric], Xt, Yt, C)
    return C


@njit(cache=True)
def _cost_matrix_kernel(mode, Xt, Yt, C):  # pragma: no cover - numba
    N, d = Xt.shape
    M = Yt.shape[0]
    for n in range(N):
        for m in range(M):
            acc = np.float32(0.0)
            if mode == 1:
                for i in range(d):
                    acc += Xt[n, i] * Yt[m, i]
                C[n, m] = max(np.float32(1.0) - acc, np.float32(0.0))
            else:
                for i in range(d):
                    t = Xt[n, i] - Yt[m, i]
                    acc += t * t
                C[n, m] = np.sqrt(acc)


# ---------------------------------------------------------------------------
# bands (global constraints)
# ---------------------------------------------------------------------------

def _full_band(N: int, M: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(N, dtype=np.int64), np.full(N, M, dtype=np.int64)


def _connect(lo: np.ndarray, hi: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
    """Clip to [0, M] and make consecutive rows overlap, so a (1,1)/(1,0)/(0,1) path fits."""
    lo = np.clip(lo, 0, M - 1).astype(np.int64)
    hi = np.clip(hi, 1, M).astype(np.int64)
    lo[0] = 0
    hi[-1] = M
    # a row must start no later than where the previous one ended (diagonal step)
    lo[1:] = np.minimum(lo[1:], hi[:-1])
    hi[:-1] = np.maximum(hi[:-1], lo[1:] + 1)
    # and keep monotone: lo non-decreasing from the right, hi non-decreasing from the left
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    return lo, hi


def sakoe_chiba_band(N: int, M: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Sakoe-Chiba band: cells within ``radius`` columns of the straight line.

    The line runs from ``(0, 0)`` to ``(N-1, M-1)``, so the band also works for
    sequences of different lengths.

    Parameters
    ----------
    N, M : int
        Number of rows and columns of the cost matrix.
    radius : int
        Half width of the band in frames (columns).

    Returns
    -------
    lo, hi : np.ndarray, shape (N,), int64
        Row ``n`` may use the columns ``lo[n] <= m < hi[n]``.
    """
    N, M, radius = int(N), int(M), int(radius)
    if N < 1 or M < 1:
        raise ValueError(f"N and M must be >= 1, got N={N}, M={M}")
    if radius < 0:
        raise ValueError(f"radius must be >= 0 frames, got {radius}")
    centre = np.arange(N) * ((M - 1) / (N - 1) if N > 1 else 0.0)
    lo = np.floor(centre - radius).astype(np.int64)
    hi = np.ceil(centre + radius).astype(np.int64) + 1
    return _connect(lo, hi, M)


def band_from_path(path, N: int, M: int, radius: int, factor: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A band around a (possibly coarse) warping path.

    Each path cell ``(i, j)`` is taken to cover the ``factor x factor`` block
    of fine cells ``[i*factor, (i+1)*factor) x [j*factor, (j+1)*factor)``; the
    union of the blocks is then widened by ``radius`` cells in every
    direction. With ``factor=1`` this is simply a band around ``path``.

    Parameters
    ----------
    path : np.ndarray, shape (L, 2)
        ``(n, m)`` pairs of a monotone path (coarse resolution).
    N, M : int
        Size of the fine cost matrix.
    radius : int
        Extra cells on each side, >= 0.
    factor : int
        Ratio of the fine to the coarse frame rate, >= 1.

    Returns
    -------
    lo, hi : np.ndarray, shape (N,), int64
        Row ``n`` may use columns ``lo[n] <= m < hi[n]``.
    """
    path = np.asarray(path)
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
        raise ValueError(f"path must have shape (L, 2) with L >= 1, got {path.shape}")
    N, M, radius, factor = int(N), int(M), int(radius), int(factor)
    if radius < 0 or factor < 1:
        raise ValueError(f"need radius >= 0 and factor >= 1, got radius={radius}, factor={factor}")
    lo = np.full(N, M, dtype=np.int64)
    hi = np.zeros(N, dtype=np.int64)
    _path_blocks(path.astype(np.int64), factor, lo, hi)
    # rows the path skipped (steps with dn > 1) inherit from their neighbours
    empty = hi <= lo
    if np.any(empty):
        lo_f = lo.astype(np.float64)
        hi_f = hi.astype(np.float64)
        lo_f[empty] = np.nan
        hi_f[empty] = np.nan
        idx = np.arange(N)
        good = ~empty
        lo = np.floor(np.interp(idx, idx[good], lo_f[good])).astype(np.int64)
        hi = np.ceil(np.interp(idx, idx[good], hi_f[good])).astype(np.int64)
    if radius > 0:
        from scipy.ndimage import maximum_filter1d, minimum_filter1d

        size = 2 * radius + 1
        lo = minimum_filter1d(lo, size, mode="nearest") - radius
        hi = maximum_filter1d(hi, size, mode="nearest") + radius
    return _connect(lo, hi, M)


@njit(cache=True)
def _path_blocks(path, factor, lo, hi):  # pragma: no cover - numba
    N = lo.shape[0]
    for k in range(path.shape[0]):
        i = path[k, 0]
        j = path[k, 1]
        a = j * factor
        b = (j + 1) * factor
        for n in range(i * factor, min((i + 1) * factor, N)):
            if a < lo[n]:
                lo[n] = a
            if b > hi[n]:
                hi[n] = b


def _check_band(band, N: int, M: int) -> tuple[np.ndarray, np.ndarray]:
    if band is None:
        return _full_band(N, M)
    if np.isscalar(band):
        return sakoe_chiba_band(N, M, int(band))
    try:
        lo, hi = band
    except (TypeError, ValueError):
        raise TypeError("band must be None, an int radius (Sakoe-Chiba) or a (lo, hi) pair of arrays") from None
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if lo.shape != (N,) or hi.shape != (N,):
        raise ValueError(f"band arrays lo, hi must have shape ({N},), got {lo.shape} and {hi.shape}")
    if np.any(lo < 0) or np.any(hi > M) or np.any(hi <= lo):
        raise ValueError(f"band rows must satisfy 0 <= lo[n] < hi[n] <= M={M}")
    return np.ascontiguousarray(lo), np.ascontiguousarray(hi)


# ---------------------------------------------------------------------------
# the kernel
# ---------------------------------------------------------------------------

@njit(cache=True)
def _cost_block(mode, Xt, Yd, n0, n1, A, B, cb):  # pragma: no cover - numba
    """Local cost of rows ``n0 <= n < n1`` and columns ``A <= m < B`` into ``cb[n - n0, m - A]``.

    ``mode`` 1: cosine of unit-norm features, 2: Euclidean. The columns are
    processed in tiles, so a tile of ``Yd`` stays in cache while all rows of
    the block use it; all loops run over 0-based slices (numba then knows
    the indices are not negative and the compiler vectorises them).
    """
    d = Xt.shape[1]
    W = B - A
    TILE = 2048
    for t0 in range(0, W, TILE):
        t1 = min(W, t0 + TILE)
        L = t1 - t0
        for r in range(n1 - n0):
            row = cb[r, t0:t1]
            for j in range(L):
                row[j] = 0.0
            for i in range(d):
                xi = Xt[n0 + r, i]
                yi = Yd[i, A + t0: A + t1]
                if mode == 1:
                    for j in range(L):
                        row[j] += xi * yi[j]
                else:
                    for j in range(L):
                        t = xi - yi[j]
                        row[j] += t * t
            if mode == 1:
                for j in range(L):
                    c = np.float32(1.0) - row[j]
                    row[j] = c if c > np.float32(0.0) else np.float32(0.0)
            else:
                for j in range(L):
                    row[j] = np.sqrt(row[j])


@njit(cache=True)
def _dp_row(n, a, b, cost, full, ring, R, pad, steps, weights, vk, vw, vslot, hk, simple_h, h_first, h_last,
            subseq, arg):  # pragma: no cover - numba
    """One row of the DTW recursion: ``full`` is the ring row of ``n``, ``cost[j]`` the cost of column ``a + j``.

    The steps with ``dn > 0`` only read finished rows: they are combined in
    one branch-free pass (unrolled for two or three such steps). The steps
    with ``dn == 0`` (horizontal moves) then need one left-to-right pass; for
    the usual horizontal step ``(0, 1)`` the left neighbour is kept in a
    register. Ties go to the step listed first, as in librosa.
    """
    inf = np.inf
    L = b - a
    nv = vk.shape[0]
    n_h = hk.shape[0]
    cur = full[a + pad: b + pad]
    # --- steps from earlier rows
    if n > 0 and nv > 0:
        for j in range(nv):
            dn = steps[vk[j], 0]
            vslot[j] = (n - dn) % R if n - dn >= 0 else R
        if nv == 2:
            p0 = ring[vslot[0]][a + pad - steps[vk[0], 1]: b + pad - steps[vk[0], 1]]
            p1 = ring[vslot[1]][a + pad - steps[vk[1], 1]: b + pad - steps[vk[1], 1]]
            w0 = vw[0]
            w1 = vw[1]
            k0 = np.uint8(vk[0])
            k1 = np.uint8(vk[1])
            for j in range(L):
                c = np.float64(cost[j])
                v0 = p0[j] + w0 * c
                v1 = p1[j] + w1 * c
                better = v1 < v0
                cur[j] = v1 if better else v0
                arg[j] = k1 if better else k0
        elif nv == 3:
            p0 = ring[vslot[0]][a + pad - steps[vk[0], 1]: b + pad - steps[vk[0], 1]]
            p1 = ring[vslot[1]][a + pad - steps[vk[1], 1]: b + pad - steps[vk[1], 1]]
            p2 = ring[vslot[2]][a + pad - steps[vk[2], 1]: b + pad - steps[vk[2], 1]]
            w0 = vw[0]
            w1 = vw[1]
            w2 = vw[2]
            k0 = np.uint8(vk[0])
            k1 = np.uint8(vk[1])
            k2 = np.uint8(vk[2])
            for j in range(L):
                c = np.float64(cost[j])
                best = p0[j] + w0 * c
                bk = k0
                v = p1[j] + w1 * c
                better = v < best
                best = v if better else best
                bk = k1 if better else bk
                v = p2[j] + w2 * c
                better = v < best
                best = v if better else best
                bk = k2 if better else bk
                cur[j] = best
                arg[j] = bk
        else:
            for j in range(L):
                cur[j] = inf
                arg[j] = 255
            for i in range(nv):
                pi = ring[vslot[i]][a + pad - steps[vk[i], 1]: b + pad - steps[vk[i], 1]]
                wi = vw[i]
                ki = np.uint8(vk[i])
                for j in range(L):
                    v = pi[j] + wi * np.float64(cost[j])
                    better = v < cur[j]
                    cur[j] = v if better else cur[j]
                    arg[j] = ki if better else arg[j]
    else:
        for j in range(L):
            arg[j] = 255
    # --- start cells: (0, 0), or the whole first row for subsequence DTW
    j0 = 0
    if n == 0:
        if subseq:
            j0 = L
        elif a == 0:
            j0 = 1
        for j in range(j0):
            cur[j] = cost[j]
            arg[j] = 255
    # --- horizontal steps, left to right
    if n_h > 0 and j0 < L:
        if simple_h:
            kh = hk[0]
            khu = np.uint8(kh)
            wh = weights[kh]
            left = full[a + j0 + pad - 1]
            if h_last:
                for j in range(j0, L):
                    v = left + wh * np.float64(cost[j])
                    best = cur[j]
                    if v < best:
                        cur[j] = v
                        arg[j] = khu
                        left = v
                    else:
                        left = best
            else:
                for j in range(j0, L):
                    v = left + wh * np.float64(cost[j])
                    best = cur[j]
                    if v < best or (v == best and (h_first or kh < arg[j])):
                        cur[j] = v
                        arg[j] = khu
                        left = v
                    else:
                        left = best
        else:
            for j in range(j0, L):
                c = np.float64(cost[j])
                best = cur[j]
                bk = np.int64(arg[j])
                for i in range(n_h):
                    k = hk[i]
                    v = full[a + j + pad - steps[k, 1]] + weights[k] * c
                    if v < best or (v == best and k < bk):
                        best = v
                        bk = k
                cur[j] = best
                arg[j] = np.uint8(bk)


@njit(cache=True)
def _dtw_kernel(mode, Xt, Yd, C, lo, hi, off, steps, weights, subseq, bp, D_out, store_D):  # pragma: no cover
    """Banded DTW with on-the-fly cost; fills ``bp`` and returns the last row of D.

    ``mode``: 0 = read ``C``, 1 = cosine from unit-norm ``Xt`` (N, d) and
    ``Yd`` (d, M), 2 = Euclidean. ``bp[off[n] + m - lo[n]]`` receives the
    index of the step that reached cell ``(n, m)``, or 255 for a start cell.
    The local cost is computed for blocks of rows at a time
    (:func:`_cost_block`) and the recursion runs row by row (:func:`_dp_row`)
    on a ring buffer of ``max(dn) + 1`` rows of accumulated cost.
    """
    N = lo.shape[0]
    if mode == 0:
        M = C.shape[1]
    else:
        M = Yd.shape[1]
    K = steps.shape[0]
    max_dn = 0
    max_dm = 0
    n_h = 0
    for k in range(K):
        max_dn = max(max_dn, steps[k, 0])
        max_dm = max(max_dm, steps[k, 1])
        if steps[k, 0] == 0:
            n_h += 1
    R = max_dn + 1
    pad = max_dm
    inf = np.inf
    # rows 0..R-1: ring buffer of accumulated cost (cell m at column m + pad);
    # row R stays inf (what steps reaching above row 0 read)
    ring = np.full((R + 1, M + pad), inf)
    prev_lo = np.zeros(R, dtype=np.int64)
    prev_hi = np.zeros(R, dtype=np.int64)
    hk = np.empty(n_h, dtype=np.int64)
    nv = K - n_h
    vk = np.empty(nv, dtype=np.int64)
    vw = np.empty(nv, dtype=np.float64)
    vslot = np.empty(nv, dtype=np.int64)
    i_h = 0
    i_v = 0
    for k in range(K):
        if steps[k, 0] == 0:
            hk[i_h] = k
            i_h += 1
        else:
            vk[i_v] = k
            vw[i_v] = weights[k]
            i_v += 1
    simple_h = n_h == 1 and steps[hk[0], 1] == 1
    h_first = n_h > 0 and nv > 0 and hk[0] < vk[0]
    h_last = n_h > 0 and (nv == 0 or hk[n_h - 1] > vk[nv - 1])
    # rows per cost block: the block (rows x M float32) stays around 2 MB
    RB = 1
    if mode != 0:
        RB = max(1, min(32, (1 << 19) // max(M, 1)))
    cb = np.empty((RB, M if mode != 0 else 0), dtype=np.float32)
    for n0 in range(0, N, RB):
        n1 = min(N, n0 + RB)
        A = M
        B = 0
        if mode != 0:
            for n in range(n0, n1):
                A = min(A, lo[n])
                B = max(B, hi[n])
            _cost_block(mode, Xt, Yd, n0, n1, A, B, cb)
        for n in range(n0, n1):
            s = n % R
            full = ring[s]
            old = full[prev_lo[s] + pad: prev_hi[s] + pad]
            for j in range(old.shape[0]):
                old[j] = inf
            a = lo[n]
            b = hi[n]
            prev_lo[s] = a
            prev_hi[s] = b
            arg = bp[off[n]: off[n] + (b - a)]
            if mode == 0:
                _dp_row(n, a, b, C[n][a:b], full, ring, R, pad, steps, weights, vk, vw, vslot, hk, simple_h,
                        h_first, h_last, subseq, arg)
            else:
                _dp_row(n, a, b, cb[n - n0][a - A: b - A], full, ring, R, pad, steps, weights, vk, vw, vslot, hk,
                        simple_h, h_first, h_last, subseq, arg)
            if store_D:
                for m in range(a, b):
                    D_out[n, m] = full[m + pad]
    last = np.full(M, inf)
    s = (N - 1) % R
    for m in range(lo[N - 1], hi[N - 1]):
        last[m] = ring[s, m + pad]
    return last


@njit(cache=True)
def _backtrack(bp, lo, hi, off, steps, n_end, m_end):  # pragma: no cover - numba
    """Follow the backpointers from ``(n_end, m_end)`` to a start cell."""
    out = np.empty((n_end + m_end + 1, 2), dtype=np.int64)
    n = n_end
    m = m_end
    L = 0
    while True:
        out[L, 0] = n
        out[L, 1] = m
        L += 1
        if m < lo[n] or m >= hi[n]:
            break
        k = bp[off[n] + m - lo[n]]
        if k == 255:
            break
        n -= steps[k, 0]
        m -= steps[k, 1]
    return out[:L][::-1].copy()


def _run(mode, Xt, Yt, C, N, M, lo, hi, steps, w, subseq, return_D):
    widths = hi - lo
    off = np.zeros(N, dtype=np.int64)
    np.cumsum(widths[:-1], out=off[1:])
    n_cells = int(widths.sum())
    bp = np.empty(n_cells, dtype=np.uint8)
    D_out = np.full((N, M), np.inf) if return_D else np.empty((0, 0))
    dummy_f = np.empty((0, 1), dtype=np.float32)
    dummy_c = np.empty((0, 1), dtype=np.float64)
    last = _dtw_kernel(mode,
                       Xt if Xt is not None else dummy_f,
                       np.ascontiguousarray(Yt.T) if Yt is not None else dummy_f,
                       C if C is not None else dummy_c,
                       lo, hi, off, steps, w, subseq, bp, D_out, return_D)
    return last, bp, off, (D_out if return_D else None), n_cells


def _inputs(X, Y, C, metric):
    if C is not None:
        if X is not None or Y is not None:
            raise ValueError("give either features X and Y or a cost matrix C, not both")
        C = _check_cost(C)
        return 0, None, None, C, C.shape[0], C.shape[1]
    metric = _check_metric(metric)
    Xt, Yt = _prepare_features(X, Y, metric)
    return _METRICS[metric], Xt, Yt, None, Xt.shape[0], Yt.shape[0]


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------

def dtw(X=None, Y=None, *, C=None, metric: str = "cosine", step_sizes=STEPS_CLASSIC, weights=None,
        band=None, return_D: bool = False) -> DTWResult:
    """Classical dynamic time warping with arbitrary step sizes and a band.

    Parameters
    ----------
    X : np.ndarray, shape (d, N), optional
        First feature sequence (rows of the cost matrix).
    Y : np.ndarray, shape (d, M), optional
        Second feature sequence (columns).
    C : np.ndarray, shape (N, M), optional
        A precomputed cost matrix, instead of ``X`` and ``Y``.
    metric : {'cosine', 'euclidean'}
        Local cost computed from the features inside the kernel.
    step_sizes : sequence of (dn, dm)
        Allowed steps; default ``((1, 1), (1, 0), (0, 1))``.
    weights : sequence of float, optional
        Multiplicative weight per step (applied to the cost of the cell the
        step enters); default all ones. ``(2, 1, 1)`` with the classical steps
        removes the preference for diagonal moves.
    band : None, int, or (lo, hi)
        Global constraint: ``None`` (full matrix), an int radius in frames
        (Sakoe-Chiba band, see :func:`sakoe_chiba_band`), or per-row column
        ranges ``lo[n] <= m < hi[n]`` (see :func:`band_from_path`).
    return_D : bool
        Also return the full accumulated cost matrix (``N x M`` float64;
        only for small inputs).

    Returns
    -------
    DTWResult
        ``cost`` (``D(N-1, M-1)``), ``path`` (``(L, 2)``, forward order), and
        ``D`` if requested.

    Raises
    ------
    ValueError
        Empty or NaN input, different feature dimensions, bad step sizes,
        or no path from corner to corner exists with these steps and band.
    """
    mode, Xt, Yt, C, N, M = _inputs(X, Y, C, metric)
    steps, w = _check_steps(step_sizes, weights)
    lo, hi = _check_band(band, N, M)
    last, bp, off, D, n_cells = _run(mode, Xt, Yt, C, N, M, lo, hi, steps, w, False, return_D)
    total = float(last[M - 1])
    if not np.isfinite(total):
        raise ValueError(f"no warping path from (0, 0) to ({N - 1}, {M - 1}) exists with step sizes "
                         f"{steps.tolist()} inside the given band (sizes N={N}, M={M})")
    path = _backtrack(bp, lo, hi, off, steps, N - 1, M - 1)
    return DTWResult(cost=total, path=path, D=D, n_cells=n_cells)


def subsequence_dtw(X=None, Y=None, *, C=None, metric: str = "cosine", step_sizes=STEPS_CLASSIC,
                    weights=None, return_D: bool = False) -> SubsequenceResult:
    """Subsequence DTW: align all of a query ``X`` with any part of a database ``Y``.

    The first row is free (``D(0, m) = C(0, m)`` for every ``m``), so a path
    may start at any database frame and end at any database frame; the last
    row of ``D`` is the matching curve ``Delta``.

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
        Query features.
    Y : np.ndarray, shape (d, M)
        Database features, ``M >= N``.
    C : np.ndarray, shape (N, M), optional
        Precomputed cost matrix instead of ``X`` and ``Y``.
    metric, step_sizes, weights, return_D
        As in :func:`dtw`. For audio matching the steps
        ``((2, 1), (1, 2), (1, 1))`` (:data:`STEPS_TEMPO`) with weights
        ``(1, 1, 1)`` are common.

    Returns
    -------
    SubsequenceResult
        ``Delta`` (shape ``(M,)``), ``path(end)`` to backtrack the match that
        ends at a database frame, ``segment(end)`` for its start and end.
    """
    mode, Xt, Yt, C, N, M = _inputs(X, Y, C, metric)
    if N > M:
        raise ValueError(f"the query (N={N} frames) must not be longer than the database (M={M} frames)")
    steps, w = _check_steps(step_sizes, weights)
    lo, hi = _full_band(N, M)
    last, bp, off, D, _ = _run(mode, Xt, Yt, C, N, M, lo, hi, steps, w, True, return_D)
    if not np.any(np.isfinite(last)):
        raise ValueError(f"the query (N={N}) cannot be aligned anywhere in the database (M={M}) "
                         f"with step sizes {steps.tolist()}")
    return SubsequenceResult(Delta=last, D=D, _bp=bp, _lo=lo, _hi=hi, _off=off, _steps=steps)


def _downsample(A: np.ndarray, factor: int) -> np.ndarray:
    """Average (frames, d) features over blocks of ``factor`` frames (last block may be short)."""
    n = A.shape[0]
    full = n // factor
    out_len = -(-n // factor)
    out = np.empty((out_len, A.shape[1]), dtype=np.float32)
    if full:
        out[:full] = A[: full * factor].reshape(full, factor, -1).mean(axis=1)
    if out_len > full:
        out[full] = A[full * factor:].mean(axis=0)
    return out


def multiscale_dtw(X, Y, *, metric: str = "cosine", step_sizes=STEPS_CLASSIC, weights=None,
                   factor: int = 4, radius: int = 4, coarsest: int = 1000) -> DTWResult:
    """Multiscale DTW (MsDTW): coarse alignment, then refinement inside a band.

    The features are averaged over blocks of ``factor`` frames repeatedly
    until both sequences have at most ``coarsest`` frames. DTW runs there in
    full; its path is projected to the next finer level (each coarse cell
    becomes a ``factor x factor`` block), widened by ``radius`` cells, and
    DTW runs again inside that band, level by level. Time and memory grow
    linearly with ``N + M`` instead of with ``N * M``; the result can differ
    from exact DTW when the true path leaves the band.

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
    Y : np.ndarray, shape (d, M)
    metric, step_sizes, weights
        As in :func:`dtw` (used on every level).
    factor : int
        Rate ratio between consecutive levels, >= 2.
    radius : int
        Band half width (in frames of the finer level) around the projected
        path, >= 0.
    coarsest : int
        Sequences with at most this many frames are aligned by full DTW.

    Returns
    -------
    DTWResult
        Cost and path at full resolution; ``n_cells`` counts cells over all
        levels; ``info['levels']`` lists the ``(N, M)`` sizes, coarsest first,
        ``info['bands']`` the ``(lo, hi)`` column ranges used on each level
        (full rows on the coarsest) and ``info['paths']`` each level's path.
    """
    metric = _check_metric(metric)
    steps, w = _check_steps(step_sizes, weights)
    factor, radius, coarsest = int(factor), int(radius), int(coarsest)
    if factor < 2:
        raise ValueError(f"factor must be >= 2, got {factor}")
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    if coarsest < 2:
        raise ValueError(f"coarsest must be >= 2 frames, got {coarsest}")
    Xt, Yt = _prepare_features(X, Y, metric)
    pyramid = [(Xt, Yt)]
    while max(pyramid[-1][0].shape[0], pyramid[-1][1].shape[0]) > coarsest and \
            min(pyramid[-1][0].shape[0], pyramid[-1][1].shape[0]) >= 2 * factor:
        a, b = pyramid[-1]
        pyramid.append((_downsample(a, factor), _downsample(b, factor)))
    mode = _METRICS[metric]
    path = None
    total_cells = 0
    cost = np.inf
    levels = []
    bands = []
    paths = []
    for level in range(len(pyramid) - 1, -1, -1):
        A, B = pyramid[level]
        if metric == "cosine" and level > 0:
            A, B = _unit_rows(A), _unit_rows(B)
        N, M = A.shape[0], B.shape[0]
        levels.append((N, M))
        if path is None:
            lo, hi = _full_band(N, M)
        else:
            lo, hi = band_from_path(path, N, M, radius, factor)
        r = radius
        while True:
            last, bp, off, _, n_cells = _run(mode, A, B, None, N, M, lo, hi, steps, w, False, False)
            total_cells += n_cells
            cost = float(last[M - 1])
            if np.isfinite(cost):
                break
            if path is None or r > max(N, M):
                raise ValueError(f"no warping path exists with step sizes {steps.tolist()} "
                                 f"for sizes N={N}, M={M}")
            r = 2 * r + 1  # the band was too narrow for these step sizes: widen it
            lo, hi = band_from_path(path, N, M, r, factor)
        path = _backtrack(bp, lo, hi, off, steps, N - 1, M - 1)
        bands.append((lo, hi))
        paths.append(path)
    return DTWResult(cost=cost, path=path, D=None, n_cells=total_cells,
                     info={"levels": levels, "bands": bands, "paths": paths, "factor": factor})


# ---------------------------------------------------------------------------
# reference implementation (for tests and the notebook)
# ---------------------------------------------------------------------------

def brute_force_dtw(C, step_sizes=STEPS_CLASSIC, weights=None) -> tuple[float, list[tuple[int, int]]]:
    """Enumerate every warping path from corner to corner; return the cheapest.

    Exponential time: only for matrices of a few cells per side. Used to test
    :func:`dtw` against the definition rather than against another
    recursion.

    Returns
    -------
    cost : float
        ``C(0,0) + sum_k w_k C(cell entered by step k)`` minimised over paths
        (``inf`` if no path exists).
    path : list of (n, m)
    """
    C = np.asarray(C, dtype=np.float64)
    steps, w = _check_steps(step_sizes, weights)
    N, M = C.shape
    best = [np.inf, []]

    def walk(n, m, acc, cells):
        if (n, m) == (N - 1, M - 1):
            if acc < best[0]:
                best[0], best[1] = acc, list(cells)
            return
        for (dn, dm), wk in zip(steps.tolist(), w.tolist()):
            a, b = n + dn, m + dm
            if a < N and b < M:
                cells.append((a, b))
                walk(a, b, acc + wk * C[a, b], cells)
                cells.pop()

    walk(0, 0, C[0, 0], [(0, 0)])
    return float(best[0]), best[1]
