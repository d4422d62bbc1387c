"""cmr.dtw against independent references: a hand-computed example, librosa, brute force."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import dtw as D

STEP_SETS = [
    (D.STEPS_CLASSIC, (1.0, 1.0, 1.0)),
    (D.STEPS_CLASSIC, (2.0, 1.0, 1.0)),
    (D.STEPS_TEMPO, (1.0, 1.0, 1.0)),
    (D.STEPS_TEMPO, (2.0, 3.0, 3.0)),
    (((0, 1), (1, 0), (1, 1)), (1.0, 1.0, 1.0)),  # horizontal listed first (tie order)
    (((1, 1), (1, 0), (0, 1), (2, 1), (1, 2)), (1.0, 1.5, 1.5, 2.0, 2.0)),
    (((1, 1), (1, 2), (0, 2)), (1.0, 1.0, 1.0)),  # a horizontal step of length 2
    (((1, 1),), (1.0,)),
]


def rng():
    return np.random.default_rng(1234)


# ---------------------------------------------------------------------------
# the textbook example (Mueller, Fundamentals of Music Processing, Sec. 3.2)
# ---------------------------------------------------------------------------

TOY_X = np.array([[1, 3, 3, 8, 1]], dtype=float)
TOY_Y = np.array([[2, 0, 0, 8, 7, 2]], dtype=float)
# C(n, m) = |x_n - y_m|; D filled in by hand with D(n, m) = C(n, m) + min(D(n-1, m-1), D(n-1, m), D(n, m-1))
TOY_C = np.array([[1, 1, 1, 7, 6, 1],
                  [1, 3, 3, 5, 4, 1],
                  [1, 3, 3, 5, 4, 1],
                  [6, 8, 8, 0, 1, 6],
                  [1, 1, 1, 7, 6, 1]], dtype=float)
TOY_D = np.array([[1, 2, 3, 10, 16, 17],
                  [2, 4, 5, 8, 12, 13],
                  [3, 5, 7, 10, 12, 13],
                  [9, 11, 13, 7, 8, 14],
                  [10, 10, 11, 14, 13, 9]], dtype=float)
TOY_PATH = [(0, 0), (1, 1), (2, 2), (3, 3), (3, 4), (4, 5)]


def test_toy_cost_matrix_is_absolute_difference():
    # in one dimension the Euclidean distance is |x - y|
    np.testing.assert_array_equal(D.cost_matrix(TOY_X, TOY_Y, metric="euclidean"), TOY_C)


@pytest.mark.parametrize("source", ["features", "matrix"])
def test_toy_example_matches_hand_computation(source):
    if source == "features":
        r = D.dtw(TOY_X, TOY_Y, metric="euclidean", return_D=True)
    else:
        r = D.dtw(C=TOY_C, return_D=True)
    np.testing.assert_array_equal(r.D, TOY_D)
    assert r.cost == 9.0
    assert [tuple(p) for p in r.path] == TOY_PATH
    # the path's cost is the sum of the local costs along it
    assert sum(TOY_C[n, m] for n, m in TOY_PATH) == 9.0


# ---------------------------------------------------------------------------
# librosa: same definition (weights_mul), same accumulated cost
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps,weights", STEP_SETS)
def test_accumulated_cost_equals_librosa(steps, weights):
    librosa = pytest.importorskip("librosa")
    g = rng()
    for N, M in [(7, 9), (30, 41), (40, 40)]:
        C = g.random((N, M))
        ours = D.dtw(C=C, step_sizes=steps, weights=weights, return_D=True) if _reachable(C, steps) else None
        ref, wp = librosa.sequence.dtw(C=C, step_sizes_sigma=np.array(steps), weights_mul=np.array(weights),
                                       backtrack=True) if ours is not None else (None, None)
        if ours is None:
            continue
        np.testing.assert_allclose(ours.D, ref, rtol=1e-12)
        assert ours.cost == pytest.approx(ref[-1, -1], rel=1e-12)
        np.testing.assert_array_equal(ours.path, wp[::-1])


def _reachable(C, steps):
    """Whether the corner (N-1, M-1) can be reached at all with these steps (tiny BFS)."""
    N, M = C.shape
    seen = np.zeros((N, M), bool)
    seen[0, 0] = True
    for n in range(N):
        for m in range(M):
            if seen[n, m]:
                for dn, dm in steps:
                    if n + dn < N and m + dm < M:
                        seen[n + dn, m + dm] = True
    return bool(seen[-1, -1])


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_cost_from_features_equals_librosa(metric):
    librosa = pytest.importorskip("librosa")
    g = rng()
    X = g.random((12, 60)).astype(np.float32)
    Y = g.random((12, 75)).astype(np.float32)
    ours = D.dtw(X, Y, metric=metric, step_sizes=D.STEPS_CLASSIC, weights=(2, 1, 1), return_D=True)
    ref, _ = librosa.sequence.dtw(X=X.astype(np.float64), Y=Y.astype(np.float64), metric=metric,
                                  step_sizes_sigma=np.array(D.STEPS_CLASSIC), weights_mul=np.array([2.0, 1, 1]))
    # the kernel computes the cost in float32
    np.testing.assert_allclose(ours.D, ref, rtol=1e-5)
    np.testing.assert_allclose(D.cost_matrix(X, Y, metric), _scipy_cost(X, Y, metric), atol=2e-6)


def _scipy_cost(X, Y, metric):
    from scipy.spatial.distance import cdist

    return cdist(X.T.astype(np.float64), Y.T.astype(np.float64), metric=metric)


@pytest.mark.parametrize("steps,weights", STEP_SETS[:4])
def test_subsequence_accumulated_cost_equals_librosa(steps, weights):
    librosa = pytest.importorskip("librosa")
    g = rng()
    C = g.random((12, 80))
    ours = D.subsequence_dtw(C=C, step_sizes=steps, weights=weights, return_D=True)
    ref, wp = librosa.sequence.dtw(C=C, step_sizes_sigma=np.array(steps), weights_mul=np.array(weights),
                                   subseq=True)
    np.testing.assert_allclose(ours.D, ref, rtol=1e-12)
    np.testing.assert_allclose(ours.Delta, ref[-1], rtol=1e-12)
    end = int(wp[0, 1])
    np.testing.assert_array_equal(ours.path(end), wp[::-1])


# ---------------------------------------------------------------------------
# brute force over all paths
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps,weights", STEP_SETS)
def test_brute_force_agrees_on_tiny_inputs(steps, weights):
    g = rng()
    checked = 0
    for N, M in [(1, 1), (1, 4), (4, 1), (3, 3), (4, 5), (5, 4), (5, 6)]:
        C = np.round(g.random((N, M)) * 10) / 10 + 0.05
        ref_cost, ref_path = _enumerate_paths(C, steps, weights)
        if not np.isfinite(ref_cost):
            with pytest.raises(ValueError, match="no warping path"):
                D.dtw(C=C, step_sizes=steps, weights=weights)
            continue
        r = D.dtw(C=C, step_sizes=steps, weights=weights)
        assert r.cost == pytest.approx(ref_cost, rel=1e-12)
        # the returned path really costs what is reported
        assert _path_cost(C, r.path, steps, weights) == pytest.approx(r.cost, rel=1e-12)
        checked += 1
    assert checked >= (2 if len(steps) == 1 else 3)


def _enumerate_paths(C, steps, weights):
    """All corner-to-corner paths by depth-first enumeration (independent of cmr)."""
    N, M = C.shape
    best = [np.inf, None]

    def go(n, m, acc, cells):
        if (n, m) == (N - 1, M - 1):
            if acc < best[0]:
                best[0], best[1] = acc, list(cells)
            return
        for (dn, dm), w in zip(steps, weights):
            if n + dn < N and m + dm < M:
                go(n + dn, m + dm, acc + w * C[n + dn, m + dm], cells + [(n + dn, m + dm)])

    go(0, 0, C[0, 0], [(0, 0)])
    return best[0], best[1]


def _path_cost(C, path, steps, weights):
    lookup = {tuple(s): w for s, w in zip(steps, weights)}
    total = C[path[0][0], path[0][1]]
    for (n0, m0), (n1, m1) in zip(path[:-1], path[1:]):
        total += lookup[(n1 - n0, m1 - m0)] * C[n1, m1]
    return total


def test_library_brute_force_matches_enumeration():
    g = rng()
    C = g.random((4, 5))
    assert D.brute_force_dtw(C)[0] == pytest.approx(_enumerate_paths(C, D.STEPS_CLASSIC, (1, 1, 1))[0])


# ---------------------------------------------------------------------------
# path properties
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps,weights", STEP_SETS[:6])
def test_path_is_monotone_with_allowed_steps_corner_to_corner(steps, weights):
    g = rng()
    X = g.random((12, 120))
    Y = g.random((12, 150))
    p = D.dtw(X, Y, step_sizes=steps, weights=weights).path
    assert tuple(p[0]) == (0, 0) and tuple(p[-1]) == (119, 149)
    moves = {tuple(x) for x in np.diff(p, axis=0)}
    assert moves <= {tuple(s) for s in steps}


def test_subsequence_path_free_on_database_axis_and_finds_planted_query():
    g = rng()
    Y = g.random((12, 500))
    X = Y[:, 200:260].copy()
    r = D.subsequence_dtw(X, Y)
    assert r.best_end == 259
    p = r.path()
    assert p[0, 0] == 0 and p[-1, 0] == 59
    assert r.segment() == (200, 259)
    assert np.all(np.diff(p, axis=0) >= 0)
    assert r.cost == pytest.approx(0.0, abs=1e-4)


def test_subsequence_delta_is_min_over_start_positions():
    # Delta(b) = min over a of DTW(X, Y[a..b]) by definition of subsequence DTW
    g = rng()
    C = g.random((4, 12))
    r = D.subsequence_dtw(C=C)
    for b in range(12):
        expect = min(D.dtw(C=C[:, a:b + 1]).cost for a in range(b + 1))
        assert r.Delta[b] == pytest.approx(expect, rel=1e-12)


# ---------------------------------------------------------------------------
# bands and multiscale DTW
# ---------------------------------------------------------------------------

def test_sakoe_chiba_band_equals_masked_full_dtw():
    g = rng()
    C = g.random((40, 55))
    lo, hi = D.sakoe_chiba_band(40, 55, radius=4)
    masked = C.copy()
    cols = np.arange(55)
    for n in range(40):
        masked[n, (cols < lo[n]) | (cols >= hi[n])] = 1e6
    r = D.dtw(C=C, band=4)
    assert r.cost == pytest.approx(D.dtw(C=masked).cost, rel=1e-12)
    assert np.all((r.path[:, 1] >= lo[r.path[:, 0]]) & (r.path[:, 1] < hi[r.path[:, 0]]))
    assert r.n_cells == int((hi - lo).sum()) < 40 * 55


def test_band_from_path_contains_the_projected_path():
    path = np.array([(0, 0), (1, 1), (1, 2), (2, 3), (3, 3)])
    lo, hi = D.band_from_path(path, 16, 16, radius=0, factor=4)
    for i, j in path:
        for n in range(4 * i, 4 * i + 4):
            assert lo[n] <= 4 * j and hi[n] >= 4 * j + 4


def test_multiscale_equals_exact_when_coarsest_level_is_everything():
    g = rng()
    X, Y = g.random((12, 90)), g.random((12, 70))
    exact = D.dtw(X, Y)
    ms = D.multiscale_dtw(X, Y, coarsest=100)
    assert ms.cost == pytest.approx(exact.cost, rel=1e-12)
    np.testing.assert_array_equal(ms.path, exact.path)


def test_multiscale_follows_exact_path_on_a_tempo_curve():
    # Y is X played with a smoothly varying tempo, plus noise
    g = rng()
    base = np.abs(np.cumsum(g.normal(size=(12, 3000)), axis=1))
    base = base / base.max()
    t = np.linspace(0, 1, 2400)
    warp = (t + 0.08 * np.sin(2 * np.pi * t)) * (base.shape[1] - 1)
    Y = np.stack([np.interp(warp, np.arange(base.shape[1]), row) for row in base]) + 0.01 * g.random((12, 2400))
    exact = D.dtw(base, Y)
    ms = D.multiscale_dtw(base, Y, factor=4, radius=4, coarsest=200)
    assert len(ms.info["levels"]) >= 3
    assert ms.cost >= exact.cost - 1e-9  # exact DTW is optimal
    # distance of every multiscale path cell to the exact path (per row, in columns)
    lo = np.full(3000, 10**9)
    hi = np.full(3000, -1)
    np.minimum.at(lo, exact.path[:, 0], exact.path[:, 1])
    np.maximum.at(hi, exact.path[:, 0], exact.path[:, 1])
    n, m = ms.path[:, 0], ms.path[:, 1]
    dist = np.maximum(lo[n] - m, m - hi[n]).clip(min=0)
    assert np.mean(dist <= 2) > 0.95
    assert ms.n_cells < 0.1 * 3000 * 2400


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

def test_mismatched_feature_dimensions_raise():
    with pytest.raises(ValueError, match="same feature dimension"):
        D.dtw(np.ones((12, 5)), np.ones((13, 6)))


@pytest.mark.parametrize("X,Y", [(np.ones((12, 0)), np.ones((12, 4))), (np.ones((12, 4)), np.ones((12, 0))),
                                 (np.ones((0, 4)), np.ones((0, 4)))])
def test_empty_inputs_raise(X, Y):
    with pytest.raises(ValueError, match="non-empty"):
        D.dtw(X, Y)
    with pytest.raises(ValueError, match="non-empty"):
        D.multiscale_dtw(X, Y)


def test_other_bad_input():
    X = np.ones((12, 5))
    with pytest.raises(ValueError, match="NaN"):
        D.dtw(X, np.full((12, 5), np.nan))
    with pytest.raises(ValueError, match="step"):
        D.dtw(X, X, step_sizes=((1, 1), (0, 0)))
    with pytest.raises(ValueError, match="weights"):
        D.dtw(X, X, weights=(1, 1))
    with pytest.raises(ValueError, match="metric"):
        D.dtw(X, X, metric="manhattan")
    with pytest.raises(ValueError, match="not both"):
        D.dtw(X, X, C=np.ones((5, 5)))
    with pytest.raises(ValueError, match="no warping path"):
        D.dtw(C=np.ones((1, 5)), step_sizes=D.STEPS_TEMPO)
    with pytest.raises(ValueError, match="longer than the database"):
        D.subsequence_dtw(np.ones((12, 10)), np.ones((12, 5)))
    with pytest.raises(ValueError, match="end"):
        D.subsequence_dtw(np.ones((12, 3)), np.ones((12, 5))).path(7)
    with pytest.raises(ValueError, match="band"):
        D.dtw(C=np.ones((3, 3)), band=(np.zeros(2, int), np.ones(2, int)))


def test_silent_frames_give_finite_costs():
    X = np.zeros((12, 10))
    Y = np.abs(np.random.default_rng(0).normal(size=(12, 12)))
    r = D.dtw(X, Y)
    assert np.isfinite(r.cost)
    assert D.dtw(X, X).cost == pytest.approx(0.0, abs=1e-5)
