"""cmr.versions against brute force, known shifts and planted shared sections."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import evaluation
from cmr import versions as V


MAJOR = [0, 2, 4, 5, 7, 9, 11]


def chord_sequence(rng, n_chords, hold=(2, 5), noise=0.05, key=None):
    """Synthetic chroma (12, N): triads held for a few frames, plus noise.

    With ``key`` (0..11) the triads are the diatonic ones of that major key
    (a tonal piece whose chroma profile is stable); otherwise any major or
    minor triad.
    """
    frames = []
    for _ in range(n_chords):
        if key is None:
            root = rng.integers(12)
            pcs = [root, root + rng.choice([3, 4]), root + 7]
        else:
            degree = rng.integers(7)
            pcs = [key + MAJOR[(degree + 2 * s) % 7] for s in range(3)]
        v = np.zeros(12)
        v[np.array(pcs) % 12] = 1.0
        frames += [v] * int(rng.integers(*hold))
    C = np.array(frames).T + noise * rng.random((12, len(frames)))
    return (C / np.linalg.norm(C, axis=0)).astype(np.float32)


def stretch(C, factor):
    """Tempo change by nearest-frame resampling (factor > 1: longer)."""
    n = C.shape[1]
    idx = np.minimum(n - 1, np.floor(np.arange(int(round(n * factor))) / factor).astype(int))
    return C[:, idx]


# --- brute-force references -------------------------------------------------

def qmax_reference(D, go, ge):
    """Straightforward Python version of the Qmax recursion."""
    N, M = D.shape
    Q = np.zeros((N, M))
    preds = [(1, 1), (2, 1), (1, 2)]
    for i in range(N):
        for j in range(M):
            cand = [(i - a, j - b) for a, b in preds if i - a >= 0 and j - b >= 0]
            if D[i, j] > 0:
                Q[i, j] = max([0.0] + [Q[p] for p in cand]) + D[i, j]
            else:
                Q[i, j] = max([0.0] + [Q[p] - (go if D[p] > 0 else ge) for p in cand])
    return Q


def knn_reference(S, kappa):
    N, M = S.shape
    kr = max(1, min(M, int(np.floor(kappa * M + 0.5))))
    kc = max(1, min(N, int(np.floor(kappa * N + 0.5))))
    row_thr = np.sort(S, axis=1)[:, M - kr]
    col_thr = np.sort(S, axis=0)[N - kc, :]
    return ((S >= row_thr[:, None]) & (S >= col_thr[None, :]) & (S > 0)).astype(np.float32)


# --- kernels ----------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_local_alignment_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    N, M = rng.integers(1, 25, size=2)
    D = (rng.random((N, M)) < 0.3).astype(np.float32)
    if seed % 2:
        D = (rng.random((N, M)) - 0.6).astype(np.float32)  # real-valued match scores
    go, ge = [(5.0, 0.5), (1.0, 1.0), (0.5, 0.2)][seed % 3]
    ref = qmax_reference(D, go, ge)
    la = V.local_alignment(D, go, ge)
    np.testing.assert_allclose(la.Q, ref, rtol=1e-5, atol=1e-5)
    assert la.score == pytest.approx(ref.max(), abs=1e-5)
    score_only, _, _ = V._qmax_score(D, np.float32(go), np.float32(ge))
    assert score_only == pytest.approx(ref.max(), abs=1e-5)
    if la.score > 0:
        # the path re-scores to Qmax: matches add D, gaps cost onset/extension
        total = 0.0
        for k, (i, j) in enumerate(la.path):
            if D[i, j] > 0:
                total += D[i, j]
            elif k > 0:
                pi, pj = la.path[k - 1]
                total -= go if D[pi, pj] > 0 else ge
        assert total == pytest.approx(la.score, abs=1e-4)
        steps = np.diff(la.path, axis=0)
        assert all(tuple(s) in {(1, 1), (2, 1), (1, 2)} for s in steps)
        assert D[tuple(la.path[0])] > 0 and D[tuple(la.path[-1])] > 0


@pytest.mark.parametrize("seed", range(5))
def test_knn_binarization_matches_sorting(seed):
    rng = np.random.default_rng(seed)
    N, M = rng.integers(1, 60, size=2)
    S = rng.random((N, M)).astype(np.float32)
    if seed == 3:
        S = np.round(S * 3) / 3  # many ties
    for kappa in (0.05, 0.1, 0.5, 1.0):
        np.testing.assert_array_equal(V.binarize(S, "knn", kappa=kappa), knn_reference(S, kappa))
    np.testing.assert_array_equal(V.binarize(S, "threshold", threshold=0.5), (S >= 0.5).astype(np.float32))


def test_smooth_diagonal_matches_brute_force():
    rng = np.random.default_rng(1)
    S = rng.random((9, 13)).astype(np.float32)
    L, tempi = 4, (0.5, 1.0, 1.5)
    ref = np.full(S.shape, -np.inf)
    for t in tempi:
        for i in range(9):
            for j in range(13):
                vals = [S[i + l, j + int(np.floor(l * t + 0.5))] for l in range(-2, 2)
                        if 0 <= i + l < 9 and 0 <= j + int(np.floor(l * t + 0.5)) < 13]
                ref[i, j] = max(ref[i, j], np.mean(vals))
    np.testing.assert_allclose(V.smooth_diagonal(S, L, tempi), ref, rtol=1e-5)


def test_cross_similarity_is_cosine_of_shifted_frames():
    rng = np.random.default_rng(2)
    X = rng.random((12, 7))
    Y = rng.random((12, 5))
    Y[:, 2] = 0  # silent frame: similarity 0, not NaN
    for k in (0, 3, 11):
        Yk = np.roll(Y, k, axis=0)
        ref = (X / np.linalg.norm(X, axis=0)).T @ (Yk / np.maximum(np.linalg.norm(Yk, axis=0), 1e-12))
        np.testing.assert_allclose(V.cross_similarity(X, Y, k), ref, rtol=1e-5, atol=1e-6)


def test_reduce_rate_hand_computed():
    C = np.zeros((12, 5))
    C[0, :] = 1
    C[1, [0, 1]] = 1  # frames 0,1 -> block 0 = (1, 1) direction; frames 2,3 -> (1, 0); frame 4 alone
    R = V.reduce_rate(C, 2)
    assert R.shape == (12, 3)
    np.testing.assert_allclose(R[:2, 0], [1 / np.sqrt(2), 1 / np.sqrt(2)], rtol=1e-6)
    np.testing.assert_allclose(R[:2, 1], [1, 0])
    np.testing.assert_allclose(R[:2, 2], [1, 0])


# --- acceptance criteria of issue 7 ------------------------------------------

def test_oti_recovers_transposition_and_score_is_unchanged():
    rng = np.random.default_rng(3)
    X = chord_sequence(rng, 40)
    Y = stretch(X, 1.25)  # a slower version
    base = V.align(X, Y)
    for k in (1, 5, 7, 11):
        Yk = V.transpose(Y, k)
        assert V.oti(X, Yk) == (12 - k) % 12
        moved = V.align(X, Yk, key="oti")
        assert moved.shift == (12 - k) % 12
        assert moved.score == pytest.approx(base.score)
        np.testing.assert_array_equal(moved.path, base.path)
        # without key handling the transposed version scores much lower
        assert V.align(X, Yk, key=None).score < 0.5 * base.score
        assert V.align(X, Yk, key="best").score == pytest.approx(base.score)


def test_identical_recording_scores_highest():
    rng = np.random.default_rng(4)
    collection = [chord_sequence(rng, int(rng.integers(20, 40))) for _ in range(8)]
    S = V.score_matrix(collection)
    for q in range(len(collection)):
        assert np.argmax(S[q]) == q
        assert S[q, q] > np.max(np.delete(S[q], q))
    # raw Qmax of a sequence with itself: every frame matches along the diagonal
    X = collection[0]
    assert V.align(X, X, normalize="none").score == pytest.approx(X.shape[1])


def test_local_alignment_finds_planted_shared_section():
    rng = np.random.default_rng(5)
    shared = chord_sequence(rng, 12, hold=(3, 4))  # 36 frames
    a1, a2 = chord_sequence(rng, 15), chord_sequence(rng, 20)
    b1, b2 = chord_sequence(rng, 25), chord_sequence(rng, 8)
    A = np.concatenate([a1, shared, a2], axis=1)
    B = np.concatenate([b1, stretch(shared, 1.5), b2], axis=1)  # slower in B
    # strict settings (Serra et al.'s 10 % neighbourhood and gap onset 5): random
    # triads share many chords, and lenient gaps let a path run on through them
    res = V.align(A, B, key=None, kappa=0.1, gap_onset=5.0, gap_extension=0.5)
    qa, qb = res.path[0, 0], res.path[-1, 0]
    da, db = res.path[0, 1], res.path[-1, 1]
    start_a, end_a = a1.shape[1], a1.shape[1] + shared.shape[1] - 1
    start_b = b1.shape[1]
    end_b = start_b + int(round(1.5 * shared.shape[1])) - 1
    assert abs(qa - start_a) <= 3 and abs(qb - end_a) <= 3
    assert abs(da - start_b) <= 4 and abs(db - end_b) <= 4
    # the path follows the tempo ratio 1.5 of the planted section
    slope = (db - da) / (qb - qa)
    assert slope == pytest.approx(1.5, abs=0.15)
    assert res.query_interval[0] == pytest.approx(qa)  # feature_rate 1: seconds = frames


def test_versions_rank_first_in_a_small_collection():
    """Tempo, key and structure changes: each version's siblings are retrieved first."""
    rng = np.random.default_rng(6)
    items, labels = [], []
    for piece in range(5):
        base = chord_sequence(rng, 30, key=int(rng.integers(12)))
        n = base.shape[1]
        variants = [base,
                    V.transpose(stretch(base, 0.8), 3),
                    np.concatenate([base[:, : n // 2], base[:, : n // 2], base[:, n // 2:]], axis=1),
                    stretch(base[:, n // 4:], 1.3)]
        for v in variants:
            items.append(np.clip(v + 0.05 * rng.random(v.shape), 0, None))
            labels.append(piece)
    labels = np.array(labels)
    S = V.score_matrix(items)
    rel = labels[:, None] == labels[None, :]
    m = evaluation.mean_average_precision(rel, S, exclude=np.eye(len(items), dtype=bool))
    assert m > 0.95
    # the parallel collection scorer agrees with align() pair by pair
    for q, d in [(0, 1), (3, 7), (6, 2), (19, 0)]:
        assert S[q, d] == pytest.approx(V.align(items[q], items[d]).normalized_score, rel=1e-6)
    # the multi-threaded kernel gives the same numbers as the serial loop
    np.testing.assert_allclose(V.score_matrix(items, parallel=True), S, rtol=1e-6)
    # query subset, not symmetric
    Sq = V.score_matrix(items, queries=[3, 7], reduce=1)
    np.testing.assert_allclose(Sq, S[[3, 7]], rtol=1e-6)
    ranks = V.rank_collection(Sq, queries=[3, 7])
    assert 3 not in ranks[0] and len(ranks[0]) == len(items) - 1
    assert labels[ranks[0][0]] == labels[3]


def test_bad_input_is_reported():
    X = np.ones((12, 5))
    with pytest.raises(ValueError, match=r"X must have shape \(12, N\)"):
        V.align(np.ones((10, 5)), X)
    with pytest.raises(ValueError, match="no frames"):
        V.align(X, np.ones((12, 0)))
    with pytest.raises(ValueError, match="NaN"):
        V.align(X, np.full((12, 3), np.nan))
    with pytest.raises(ValueError, match="gap_onset"):
        V.align(X, X, gap_onset=-1)
    with pytest.raises(ValueError, match="binarization"):
        V.align(X, X, binarization="fuzzy")
    with pytest.raises(ValueError, match="kappa"):
        V.binarize(np.ones((3, 3)), "knn", kappa=0)
    with pytest.raises(ValueError, match="key"):
        V.align(X, X, key="major")
    with pytest.raises(ValueError, match="queries"):
        V.score_matrix([X, X], queries=[5])
    with pytest.raises(ValueError, match="factor"):
        V.reduce_rate(X, 0)
    # silence is a degenerate but valid input: score 0, no NaN
    res = V.align(np.zeros((12, 6)), X)
    assert res.score == 0 and np.isnan(res.query_interval[0]) and res.path.shape == (0, 2)
    assert np.isfinite(V.score_matrix([np.zeros((12, 4)), X])).all()


def test_alignment_widget_updates():
    """The notebook widget builds headless and recomputes when a control changes."""
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from cmr.widgets import versions as vw

    rng = np.random.default_rng(8)
    X = chord_sequence(rng, 20, key=0)
    Y = V.transpose(stretch(X, 1.2), 2)
    y = np.zeros(2000 * 30, dtype=np.float32)
    box = vw.alignment_explorer(X, Y, 2.0, y_query=y, y_document=y, sr=2000)
    controls, fig_out, info, audio_html = box.children
    first = info.value
    assert "Qmax" in first and "<audio" in audio_html.value
    key = controls.children[2]
    key.value = 0  # no transposition: the score must change
    assert info.value != first


def test_cover_collection_ground_truth():
    """The committed rendered collection: OTI recovers every rendered transposition."""
    import json

    cc = V.load_cover_collection()
    assert len(cc.meta) == 80 and cc.meta["piece"].nunique() == 20
    assert (cc.meta.groupby("piece")["version"].nunique() == 4).all()
    assert all(c.shape[0] == 12 and np.all(np.isfinite(c)) for c in cc.cens)
    for p in range(20):
        o = cc.index(p, "original")
        for v in ("key_tempo_timbre", "melody_bass", "structure"):
            d = cc.index(p, v)
            t = json.loads(cc.meta.loc[d, "params"])["transpose"]
            assert V.oti(cc.cens[o], cc.cens[d]) == (-t) % 12, (p, v)
    with pytest.raises(ValueError, match="no version"):
        cc.index(0, "remix")
