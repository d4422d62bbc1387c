"""Tests for cmr.matching: curves against brute force, tempo and key robustness, selection, evaluation."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import matching as mt

FR = 4.0  # feature rate (Hz) of the synthetic feature sequences


# ---------------------------------------------------------------------------
# synthetic "music": sequences of chords with durations in seconds
# ---------------------------------------------------------------------------

def random_chords(rng, n):
    """n random triads (pitch-class sets) and durations in seconds."""
    roots = rng.integers(0, 12, n)
    kinds = rng.integers(0, 2, n)
    chords = [{int(r), int((r + (4 if k else 3)) % 12), int((r + 7) % 12)} for r, k in zip(roots, kinds)]
    durs = rng.uniform(1.0, 3.0, n)
    return chords, durs


def render_chords(chords, durs, stretch=1.0, transpose=0, fr=FR, smooth=3):
    """Chroma at fr Hz of a chord sequence played `stretch` times slower, smoothed like CENS."""
    edges = np.concatenate([[0.0], np.cumsum(durs)]) * stretch
    n = int(np.ceil(edges[-1] * fr))
    X = np.zeros((12, n), np.float32)
    t = (np.arange(n) + 0.5) / fr
    idx = np.minimum(np.searchsorted(edges, t, side="right") - 1, len(chords) - 1)
    for i, c in enumerate(idx):
        for pc in chords[c]:
            X[(pc + transpose) % 12, i] = 1.0
    if smooth > 1:
        kernel = np.hanning(smooth + 2)[1:-1]
        X = np.stack([np.convolve(row, kernel, mode="same") for row in X]).astype(np.float32)
    return X


def brute_force_curve(query, db, tempo_factors, shifts=(0,)):
    F = db.features
    rem = db.remaining()
    qn = mt.normalize_features(query)
    best = np.full(db.n_frames, np.inf)
    for s in shifts:
        for r in tempo_factors:
            Q = mt.scale_tempo(np.roll(qn, s, axis=0), r)
            L = Q.shape[1]
            for n in range(db.n_frames):
                if rem[n] >= L:
                    best[n] = min(best[n], np.mean(1.0 - np.sum(Q * F[:, n:n + L], axis=0)))
    return best


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


# ---------------------------------------------------------------------------
# the curve itself
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("tempi,shifts", [((1.0,), (0,)), ((0.7, 1.0, 1.3, 1.5), (0,)), ((0.8, 1.25), (0, 3, 11))])
def test_diagonal_matches_brute_force(tempi, shifts):
    rng = np.random.default_rng(1)
    docs = [np.abs(rng.standard_normal((12, n))) for n in (40, 7, 65, 23)]
    db = mt.Database.from_features(docs, FR)
    query = np.abs(rng.standard_normal((12, 12)))
    curve = mt.diagonal_matching(query, db, tempo_factors=tempi, shifts=shifts, block=16)
    ref = brute_force_curve(query, db, tempi, shifts)
    assert np.array_equal(np.isinf(curve.cost), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(curve.cost[fin], ref[fin], atol=2e-5)


def test_query_found_at_own_position(rng):
    chords, durs = random_chords(rng, 40)
    docs = [render_chords(*random_chords(rng, 30)) for _ in range(3)] + [render_chords(chords, durs)]
    db = mt.Database.from_features(docs, FR, doc_ids=["a", "b", "c", "target"])
    start, length = 37, 60  # frames
    query = db.doc_features("target")[:, start:start + length]
    curve, matches = mt.match(query, db, tempo_factors=mt.DEFAULT_TEMPO_FACTORS, num=5)
    top = matches[0]
    assert top.doc_id == "target"
    assert top.start == pytest.approx(start / FR)
    assert top.end == pytest.approx((start + length) / FR)
    assert top.cost < 1e-4
    assert top.tempo == 1.0
    assert matches[1].cost > 0.05  # the next best match is clearly worse


def test_time_stretched_version_needs_its_tempo_factor(rng):
    chords, durs = random_chords(rng, 40)
    original = render_chords(chords, durs)
    slow = render_chords(chords, durs, stretch=1.3)
    distractors = [render_chords(*random_chords(rng, 40), stretch=1.3) for _ in range(3)]
    db = mt.Database.from_features(distractors + [slow], FR)
    # query: chords 10..19 of the original
    t0, t1 = np.sum(durs[:10]), np.sum(durs[:20])
    query = original[:, int(round(t0 * FR)):int(round(t1 * FR))]
    true_start = t0 * 1.3
    with_factor = mt.diagonal_matching(query, db, tempo_factors=(1.0, 1.3))
    without = mt.diagonal_matching(query, db, tempo_factors=(1.0,))
    m_with = mt.select_matches(with_factor, num=3)
    assert m_with[0].doc == 3
    assert abs(m_with[0].start - true_start) <= 0.5
    assert m_with[0].tempo == 1.3
    assert m_with[0].end - m_with[0].start == pytest.approx(1.3 * query.shape[1] / FR, abs=0.3)
    # at the true position the curve is clearly worse without the factor
    i = db.offsets[3] + int(round(true_start * FR))
    window = slice(i - 2, i + 3)
    assert np.min(with_factor.cost[window]) < 0.05
    assert np.min(without.cost[window]) > np.min(with_factor.cost[window]) + 0.05


def test_transposed_version_needs_transposition_invariance(rng):
    chords, durs = random_chords(rng, 40)
    original = render_chords(chords, durs)
    up3 = render_chords(chords, durs, transpose=3)
    distractors = [render_chords(*random_chords(rng, 40)) for _ in range(4)]
    db = mt.Database.from_features(distractors + [up3], FR)
    a = int(round(np.sum(durs[:5]) * FR))
    query = original[:, a:a + 80]
    on = mt.match(query, db, transposition_invariant=True, num=5)[1]
    assert on[0].doc == 4 and abs(on[0].start - a / FR) <= 0.25
    assert on[0].shift == 3 and on[0].cost < 1e-3
    off_curve, off = mt.match(query, db, transposition_invariant=False, num=5)
    i = db.offsets[4] + a
    assert off_curve.cost[i] > 0.2  # without the shift the true passage looks unrelated
    assert not any(m.doc == 4 and abs(m.start - a / FR) <= 1.0 for m in off[:1])


def test_documents_never_merge():
    rng = np.random.default_rng(3)
    docs = [np.abs(rng.standard_normal((12, n))) for n in (30, 30)]
    db = mt.Database.from_features(docs, FR)
    # the query straddles the boundary of the concatenated array
    query = db.features[:, 22:38]
    curve = mt.diagonal_matching(query, db, tempo_factors=(1.0,))
    L = query.shape[1]
    assert np.all(np.isinf(curve.cost[30 - L + 1:30]))
    assert np.all(np.isfinite(curve.cost[:30 - L + 1]))
    for m in mt.select_matches(curve, num=None):
        assert 0 <= m.start and m.end <= 30 / FR + 1e-9


def test_query_too_long_and_empty_database():
    rng = np.random.default_rng(4)
    db = mt.Database.from_features([np.abs(rng.standard_normal((12, 20)))], FR)
    with pytest.raises(ValueError, match="query"):
        mt.diagonal_matching(np.ones((12, 40)), db)
    # with a small enough tempo factor it fits again
    assert np.isfinite(mt.diagonal_matching(np.ones((12, 40)), db, tempo_factors=(0.5,)).cost).any()
    empty = mt.Database.from_features([], FR)
    curve, matches = mt.match(np.ones((12, 5)), empty)
    assert curve.cost.shape == (0,) and matches == []


def test_bad_input_is_named():
    db = mt.Database.from_features([np.ones((12, 20))], FR)
    with pytest.raises(ValueError, match="query"):
        mt.diagonal_matching(np.full((12, 4), np.nan), db)
    with pytest.raises(ValueError, match="query"):
        mt.diagonal_matching(np.ones((13, 4)), db)
    with pytest.raises(ValueError, match="query"):
        mt.diagonal_matching(np.ones(12), db)
    with pytest.raises(TypeError, match="db"):
        mt.diagonal_matching(np.ones((12, 4)), np.ones((12, 20)))
    with pytest.raises(ValueError, match="tempo_factors"):
        mt.diagonal_matching(np.ones((12, 4)), db, tempo_factors=(0.0,))
    with pytest.raises(ValueError, match="method"):
        mt.matching_curve(np.ones((12, 4)), db, method="fft")


def test_silent_frames_give_no_nan():
    X = np.zeros((12, 30))
    X[0, 10:20] = 1.0
    db = mt.Database.from_features([X], FR)
    curve = mt.diagonal_matching(np.zeros((12, 5)), db, tempo_factors=(0.8, 1.0, 1.2))
    assert not np.isnan(curve.cost).any()
    assert curve.cost[0] == pytest.approx(0.0, abs=1e-6)  # flat query vs flat (silent) database


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def test_scale_tempo_lengths_and_endpoints():
    X = mt.normalize_features(np.abs(np.random.default_rng(5).standard_normal((12, 10))))
    for r, n in [(1.5, 15), (0.66, 7), (1.0, 10), (0.01, 1)]:
        Y = mt.scale_tempo(X, r)
        assert Y.shape == (12, n)
        assert np.allclose(np.linalg.norm(Y, axis=0), 1.0, atol=1e-5)
    Y = mt.scale_tempo(X, 2.0)
    np.testing.assert_allclose(Y[:, 0], X[:, 0], atol=1e-6)
    np.testing.assert_allclose(Y[:, -1], X[:, -1], atol=1e-6)


def test_select_matches_exclusion_threshold_and_num():
    db = mt.Database.from_features([np.ones((12, 10)), np.ones((12, 10))], 1.0)
    cost = np.array([0.9, 0.5, 0.1, 0.2, 0.8, 0.3, 0.9, 0.9, 0.4, 0.9,
                     0.15, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], np.float32)
    n = len(cost)
    curve = mt.MatchingCurve(cost, "start", np.arange(n) + 2, np.ones(n, np.float32), np.zeros(n, np.int8),
                             db, 2, "hand")
    # exclusion 1 s = 1 frame each side; frame 10 is in the second document and is
    # not suppressed by the minimum at frame 8 of the first document
    got = mt.select_matches(curve, num=None, threshold=0.45, exclusion=1.0)
    assert [(m.doc, m.start, round(m.cost, 2)) for m in got] == [(0, 2.0, 0.1), (1, 0.0, 0.15), (0, 5.0, 0.3),
                                                                 (0, 8.0, 0.4)]
    assert [m.rank for m in got] == [1, 2, 3, 4]
    assert len(mt.select_matches(curve, num=2, exclusion=1.0)) == 2
    assert got[0].end - got[0].start == 2.0


def test_evaluation_hand_example():
    db = mt.Database.from_features([np.ones((12, 100)), np.ones((12, 100))], 1.0, doc_ids=["x", "y"])
    M = mt.Match
    matches = [M(1, 0, "x", 10.0, 20.0, 0.1), M(2, 1, "y", 51.0, 60.0, 0.2), M(3, 0, "x", 11.0, 21.0, 0.25),
               M(4, 0, "x", 70.0, 80.0, 0.3)]
    truth = [("x", 10.5, 20.0), ("y", 50.0, 60.0), ("y", 80.0, 90.0)]
    ev = mt.evaluate_matches(matches, truth, tolerance=2.0, db=db)
    # correct: rank 1 (x@10.5) and rank 2 (y@50); rank 3 duplicates an already found occurrence
    assert ev.correct.tolist() == [True, True, False, False]
    assert ev.precision == pytest.approx(2 / 4)
    assert ev.recall == pytest.approx(2 / 3)
    assert ev.f_measure == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert mt.precision_at_r(matches, truth, tolerance=2.0, db=db) == pytest.approx(2 / 3)
    assert mt.evaluate_matches(matches, truth, tolerance=0.1, db=db).n_correct == 0
    assert mt.evaluate_matches([], [], tolerance=1.0).precision == 1.0


def test_database_roundtrip_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CMR_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(6)
    calls = []

    def feats(y, sr):
        calls.append(len(y))
        return np.abs(np.stack([np.resize(y, 8) + i for i in range(12)]))

    items = [{"id": f"doc{i}", "y": rng.standard_normal(100 + i), "sr": 100, "piece": "p"} for i in range(3)]
    db = mt.build_database(items, feature_rate=2.0, feature_fn=feats, name="unit", progress=False)
    assert db.n_docs == 3 and db.doc_lengths().tolist() == [8, 8, 8] and db.meta[1]["piece"] == "p"
    cached = list((tmp_path / "cache" / "matching").glob("unit-*.npz"))
    assert len(cached) == 1
    again = mt.build_database(items, feature_rate=2.0, feature_fn=feats, name="unit", progress=False)
    assert len(calls) == 3  # second build came from the cache
    np.testing.assert_array_equal(again.features, db.features)
    path = db.save(tmp_path / "db16.npz", dtype=np.float16)
    small = mt.Database.load(path)
    assert small.doc_ids == db.doc_ids and np.allclose(small.features, db.features, atol=2e-3)
    with pytest.raises(FileNotFoundError, match="nothere"):
        mt.Database.load(tmp_path / "nothere.npz")
    with pytest.raises(ValueError, match="items"):
        mt.build_database([{"y": [0.0]}], feature_fn=feats, progress=False, cache=False)


def test_dtw_matching_finds_locally_warped_version(rng):
    """A version with a tempo change inside the passage: DTW follows it, no query scaling needed."""
    chords, durs = random_chords(rng, 40)
    original = render_chords(chords, durs)
    warped_durs = durs.copy()
    warped_durs[10:15] *= 1.5   # slower in the middle
    warped_durs[15:20] *= 0.75  # then faster
    warped = render_chords(chords, warped_durs)
    distractors = [render_chords(*random_chords(rng, 40)) for _ in range(3)]
    db = mt.Database.from_features(distractors + [warped], FR)
    t0, t1 = np.sum(durs[:8]), np.sum(durs[:22])
    query = original[:, int(round(t0 * FR)):int(round(t1 * FR))]
    true_start, true_end = np.sum(warped_durs[:8]), np.sum(warped_durs[:22])
    curve, matches = mt.match(query, db, method="dtw", num=3)
    top = matches[0]
    assert top.doc == 3
    assert abs(top.start - true_start) <= 0.5 and abs(top.end - true_end) <= 0.5
    assert top.cost < 0.05
    # the DTW curve at the true end equals a brute-force subsequence DTW with the same steps
    from cmr import dtw as cdtw
    X = db.doc_features(3)
    C = 1.0 - mt.normalize_features(query).T.astype(np.float64) @ X
    ref = cdtw.subsequence_dtw(C=C, step_sizes=cdtw.STEPS_TEMPO, weights=(1, 2, 1)).Delta / query.shape[1]
    np.testing.assert_allclose(curve.doc_curve(3)[1], ref, atol=1e-4)
    # a curve over documents never spans two of them: the query does not fit in a tiny document
    small = mt.Database.from_features([X[:, :5], X], FR)
    assert np.all(np.isinf(mt.dtw_matching(query, small).cost[:5]))
    with pytest.raises(ValueError, match="query"):
        mt.dtw_matching(np.ones((12, 10 * X.shape[1])), db)


def test_example_database_and_rendered_versions():
    """On the committed example recordings: a query from one version finds the others where the score says."""
    from cmr import synth

    db = mt.example_database(4.0, smooth_seconds=1.0, pieces=["bach-bwv846"])
    assert db.n_docs >= 3 and all(m["piece"] == "bach-bwv846" for m in db.meta)
    truths = {d: synth.load_example_truth(m["piece"], m["version"]) for d, m in enumerate(db.meta)}
    d = db.doc_index("bach-bwv846/piano")
    a, L = 8, 40  # 2-12 s at 4 Hz
    query = db.doc_features(d)[:, a:a + L]
    occ = mt.true_occurrences(db, truths, d, a / 4.0, (a + L) / 4.0)
    assert {db.doc_ids[o[0]] for o in occ} == set(db.doc_ids) - {"bach-bwv846/piano"}
    curve = mt.diagonal_matching(query, db, tempo_factors=mt.DEFAULT_TEMPO_FACTORS, transposition_invariant=True)
    curve.cost[db.offsets[d]:db.offsets[d + 1]] = np.inf  # other recordings only
    matches = mt.select_matches(curve, num=len(occ))
    assert mt.precision_at_r(matches, occ, tolerance=1.0) == 1.0
    guitar = [m for m in matches if m.doc_id.endswith("guitar-d-repeat")]
    assert guitar and all(m.shift == 2 for m in guitar)  # played in D: two semitones up


def test_explicit_query_variants_match_brute_force():
    rng = np.random.default_rng(11)
    docs = [np.abs(rng.standard_normal((12, n))) for n in (35, 9, 50)]
    db = mt.Database.from_features(docs, FR)
    query = np.abs(rng.standard_normal((12, 10)))
    variants = [(0.8, np.abs(rng.standard_normal((12, 8)))), (1.3, np.abs(rng.standard_normal((12, 13))))]
    curve = mt.diagonal_matching(query, db, query_variants=variants, shifts=(0, 5), block=16)
    F, rem = db.features, db.remaining()
    ref = np.full(db.n_frames, np.inf)
    for s in (0, 5):
        for _r, X in variants:
            Q = np.roll(mt.normalize_features(X), s, axis=0)
            L = Q.shape[1]
            for n in range(db.n_frames):
                if rem[n] >= L:
                    ref[n] = min(ref[n], np.mean(1.0 - np.sum(Q * F[:, n:n + L], axis=0)))
    assert np.array_equal(np.isinf(curve.cost), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(curve.cost[fin], ref[fin], atol=2e-5)
    # the reported end of each position is start + the winning variant's length
    i = int(np.argmin(curve.cost))
    assert curve.other[i] - i in (8, 13)


def test_cens_query_variants_lengths():
    C = np.abs(np.random.default_rng(12).standard_normal((12, 100)))  # 10 s at 10 Hz
    out = mt.cens_query_variants(C, 10.0, 4.0, (0.5, 1.0, 2.0), smooth_seconds=1.0)
    assert [r for r, _ in out] == [0.5, 1.0, 2.0]
    lengths = [X.shape[1] for _, X in out]
    assert abs(lengths[0] - 20) <= 1 and abs(lengths[1] - 40) <= 1 and abs(lengths[2] - 80) <= 1
    with pytest.raises(ValueError, match="chroma_rate"):
        mt.cens_query_variants(C, 10.0, 4.0, (3.0,))


def test_widgets_update_without_errors():
    """The query explorer and the ranked table react to every control (plain Python, Agg backend)."""
    import matplotlib
    matplotlib.use("Agg")
    pytest.importorskip("ipywidgets")
    from cmr.widgets import matching as mw

    db = mt.example_database(4.0, pieces=["bach-bwv846", "mozart-k545"])
    silent = np.zeros(22050 * 50, np.float32)
    box = mw.query_explorer(db, lambda d: silent, default_doc="mozart-k545/piano")
    controls = box.children[0]
    piece_w, version_w = controls.children[0].children
    start_w, length_w = controls.children[1].children
    method_w, ti_w = controls.children[2].children
    query_button = controls.children[3].children[0]
    query_button.click()
    piece_w.value = "bach-bwv846"
    version_w.value = "harpsichord"
    start_w.value = 3.0
    length_w.value = 6.0
    ti_w.value = False
    method_w.value = "dtw"
    curve, matches = mt.match(db.doc_features(0)[:, :20], db, num=3)
    table = mw.ranked_table(matches, lambda m: silent, relevant=[True, False, False])
    assert len(table.children) == 1 + len(matches) + 1  # header, rows, output area
    table.children[1].children[-1].click()  # the play button of rank 1 (row = HBox(text, button))


def test_query_explorer_does_not_list_the_query_itself(monkeypatch):
    """Both methods: the query's own passage is blanked (DTW curves are anchored at the match end)."""
    import matplotlib
    matplotlib.use("Agg")
    pytest.importorskip("ipywidgets")
    from cmr.widgets import matching as mw

    db = mt.example_database(4.0, pieces=["bach-bwv846", "mozart-k545"])
    seen = []
    select = mt.select_matches

    def spy(curve, **kwargs):
        out = select(curve, **kwargs)
        seen.append((curve.method, out))
        return out

    monkeypatch.setattr(mt, "select_matches", spy)
    box = mw.query_explorer(db, lambda d: np.zeros(22050, np.float32), default_doc="mozart-k545/piano")
    box.children[0].children[2].children[0].value = "dtw"
    methods = [m for m, _ in seen]
    assert "diagonal" in methods and "dtw" in methods
    d = db.doc_index("mozart-k545/piano")
    for method, matches in seen:
        # default query: 2-12 s of mozart-k545/piano; it must not come back as a match of itself
        for m in matches:
            assert not (m.doc == d and abs(m.start - 2.0) <= 1.0 and abs(m.end - 12.0) <= 1.0), (method, m)


def test_select_matches_equals_iterative_minimum():
    """The sorted greedy selection equals 'take the minimum, blank its neighbourhood, repeat'."""
    rng = np.random.default_rng(13)
    db = mt.Database.from_features([np.ones((12, n)) for n in (700, 300, 2000)], 2.0)
    cost = rng.random(db.n_frames).astype(np.float32)
    cost[rng.integers(0, db.n_frames, 200)] = np.inf
    cost[100:110] = 0.05  # ties
    n = db.n_frames
    curve = mt.MatchingCurve(cost, "start", np.arange(n) + 3, np.ones(n), np.zeros(n, np.int8), db, 6, "hand")
    for num, threshold, exclusion in [(5, None, 1.0), (40, 0.5, 3.0), (None, 0.2, 0.5), (300, None, 0.0)]:
        work = cost.astype(np.float64).copy()
        rho = int(round(exclusion * 2.0))
        ref = []
        while num is None or len(ref) < num:
            i = int(np.argmin(work))
            if not np.isfinite(work[i]) or (threshold is not None and work[i] > threshold):
                break
            ref.append(i)
            d = int(np.searchsorted(db.offsets, i, side="right") - 1)
            work[max(db.offsets[d], i - rho):min(db.offsets[d + 1], i + rho + 1)] = np.inf
        got = mt.select_matches(curve, num=num, threshold=threshold, exclusion=exclusion)
        assert [db.offsets[m.doc] + int(round(m.start * 2.0)) for m in got] == ref


# ---------------------------------------------------------------------------
# session 13: tempo normalisation, wide tempo sets, CRP features, boundary refinement
# ---------------------------------------------------------------------------

def test_normalized_curve_matches_brute_force_standardisation():
    """normalize=True: every factor's raw costs standardised, mapped to the scale of the factor closest to 1."""
    rng = np.random.default_rng(3)
    docs = [np.abs(rng.standard_normal((12, n))) for n in (90, 12, 150, 60)]
    db = mt.Database.from_features(docs, FR)
    query = np.abs(rng.standard_normal((12, 16)))
    tempi, shifts = (0.5, 0.9, 1.0, 1.6, 2.3), (0, 2, 7)
    curve = mt.diagonal_matching(query, db, tempo_factors=tempi, shifts=shifts, normalize=True, block=32)
    # independent reference: per-variant brute-force curves, statistics pooled over shifts per factor
    raw = {(r, s): brute_force_curve(query, db, (r,), (s,)) for r in tempi for s in shifts}
    stats = {}
    for r in tempi:
        vals = np.concatenate([raw[r, s][np.isfinite(raw[r, s])] for s in shifts])
        stats[r] = (vals.mean(), vals.std())
    mu0, sd0 = stats[1.0]
    ref = np.min([mu0 + sd0 / stats[r][1] * (raw[r, s] - stats[r][0]) for r in tempi for s in shifts], axis=0)
    assert np.array_equal(np.isinf(curve.cost), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(curve.cost[fin], ref[fin], atol=1e-4)
    for r in tempi:
        assert curve.details["tempo_stats"][r][:2] == pytest.approx(stats[r], abs=1e-4)
    # raw_cost is the unnormalised cost of the variant that won at each position
    n = np.nonzero(fin)[0]
    won = [raw[curve.tempo[i], curve.shift[i]][i] for i in n]
    np.testing.assert_allclose(curve.details["raw_cost"][n], won, atol=1e-4)
    with pytest.raises(ValueError, match="normalize"):
        mt.diagonal_matching(query, db, normalize=True, query_variants=[(1.0, query)])
    with pytest.raises(ValueError, match="normalize_sample"):
        mt.diagonal_matching(query, db, normalize=True, normalize_sample=0)


def test_normalized_statistics_from_a_sample_are_close():
    rng = np.random.default_rng(4)
    db = mt.Database.from_features([np.abs(rng.standard_normal((12, 5000))) for _ in range(4)], FR)
    query = np.abs(rng.standard_normal((12, 20)))
    tempi = (0.6, 1.0, 1.7)
    full = mt.diagonal_matching(query, db, tempo_factors=tempi, normalize=True, normalize_sample=10 ** 9)
    part = mt.diagonal_matching(query, db, tempo_factors=tempi, normalize=True, normalize_sample=2048, block=256)
    for r in tempi:
        n_full, n_part = full.details["tempo_stats"][r][2], part.details["tempo_stats"][r][2]
        assert n_part < n_full / 4  # really a sample
        assert part.details["tempo_stats"][r][0] == pytest.approx(full.details["tempo_stats"][r][0], rel=0.02)
        assert part.details["tempo_stats"][r][1] == pytest.approx(full.details["tempo_stats"][r][1], rel=0.1)


def test_own_position_keeps_near_zero_cost_when_normalized(rng):
    chords, durs = random_chords(rng, 40)
    docs = [render_chords(*random_chords(rng, 30)) for _ in range(3)] + [render_chords(chords, durs)]
    db = mt.Database.from_features(docs, FR, doc_ids=["a", "b", "c", "target"])
    query = db.doc_features("target")[:, 37:97]
    _, matches = mt.match(query, db, tempo_factors=mt.DEFAULT_TEMPO_FACTORS, normalize=True, num=3)
    assert matches[0].doc_id == "target" and matches[0].start == pytest.approx(37 / FR)
    assert matches[0].tempo == 1.0 and abs(matches[0].cost) < 1e-4  # reference factor: costs unchanged


def test_relative_tempo_2_3_found_only_when_the_set_covers_it(rng):
    """Query from a fast version (x1.4 faster), target the slow one (x0.6): 1.4 / 0.6 = 2.33 times longer."""
    chords, durs = random_chords(rng, 40)
    fast = render_chords(chords, durs, stretch=1 / 1.4)
    slow = render_chords(chords, durs, stretch=1 / 0.6)
    distractors = [render_chords(*random_chords(rng, 40), stretch=s) for s in (0.8, 1.2, 1.6, 2.0)]
    db = mt.Database.from_features(distractors + [slow], FR)
    t0, t1 = np.sum(durs[:6]), np.sum(durs[:16])
    query = fast[:, int(round(t0 / 1.4 * FR)):int(round(t1 / 1.4 * FR))]
    true_start = t0 / 0.6
    wide = tuple(np.round(np.geomspace(0.4, 2.5, 19), 3))  # covers 2.33 (factors about 10 % apart)
    _, m_wide = mt.match(query, db, tempo_factors=wide, normalize=True, num=3)
    assert m_wide[0].doc == 4 and abs(m_wide[0].start - true_start) <= 1.0
    assert 2.1 <= m_wide[0].tempo <= 2.6
    _, m_default = mt.match(query, db, tempo_factors=mt.DEFAULT_TEMPO_FACTORS, normalize=True, num=3)
    assert not any(m.doc == 4 and abs(m.start - true_start) <= 1.0 for m in m_default[:1])
    c_wide = mt.diagonal_matching(query, db, tempo_factors=wide)
    c_default = mt.diagonal_matching(query, db, tempo_factors=mt.DEFAULT_TEMPO_FACTORS)
    i = db.offsets[4] + int(round(true_start * FR))
    window = slice(i - 4, i + 5)
    assert np.min(c_default.cost[window]) > np.min(c_wide.cost[window]) + 0.05


def _tone_mix(pitches_per_second, sr, partials):
    """Audio: one chord per second, every note with the given partial amplitudes (a crude instrument)."""
    y = []
    t = np.arange(sr) / sr
    env = np.minimum(1.0, np.minimum(t, 1.0 - t) * 20.0)
    for chord in pitches_per_second:
        seg = np.zeros(sr)
        for p in chord:
            f0 = 440.0 * 2 ** ((p - 69) / 12)
            for k, a in enumerate(partials, start=1):
                if k * f0 < sr / 2:
                    seg += a * np.sin(2 * np.pi * k * f0 * t)
        y.append(seg * env)
    y = np.concatenate(y)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def test_crp_features_are_less_timbre_dependent_than_cens():
    sr = 22050
    rng = np.random.default_rng(5)
    chords = [[48 + r, 52 + r, 55 + r, 60 + r] for r in rng.integers(0, 12, 8)]
    mellow = _tone_mix(chords, sr, [1.0, 0.3, 0.1])               # mostly the fundamental
    bright = _tone_mix(chords, sr, [0.3, 0.1, 1.0, 0.1, 0.8, 0.1, 0.6])  # strong 3rd/5th/7th partials
    sims = {}
    for name, fn in (("cens", mt.cens_features), ("crp", mt.crp_features)):
        A, B = fn(mellow, sr, tuning_cents=0.0), fn(bright, sr, tuning_cents=0.0)
        assert A.shape == B.shape and A.shape[0] == 12 and A.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(A, axis=0), 1.0, atol=1e-5)
        sims[name] = float(np.mean(np.sum(A * B, axis=0)))
    assert sims["crp"] > sims["cens"] + 0.05
    silent = mt.crp_features(np.zeros(sr * 2, np.float32), sr)
    assert np.all(np.isfinite(silent))
    with pytest.raises(ValueError, match="feature_rate"):
        mt.crp_features(mellow, sr, feature_rate=0)


def test_refine_matches_fixes_the_start_of_a_drifting_passage(rng):
    """Tempo drifts inside the passage: the best straight line starts early; DTW refinement finds the start."""
    chords, durs = random_chords(rng, 50)
    original = render_chords(chords, durs)
    warped_durs = durs.copy()
    warped_durs[:20] *= 1.5
    warped_durs[20:] *= 2.0   # the second half much slower
    warped = render_chords(chords, warped_durs)
    distractors = [render_chords(*random_chords(rng, 50), stretch=1.7) for _ in range(3)]
    db = mt.Database.from_features(distractors + [warped], FR)
    t0, t1 = np.sum(durs[:10]), np.sum(durs[:34])
    query = original[:, int(round(t0 * FR)):int(round(t1 * FR))]
    true_start, true_end = np.sum(warped_durs[:10]), np.sum(warped_durs[:34])
    tempi = tuple(np.round(np.geomspace(0.5, 2.0, 15), 3))
    _, matches = mt.match(query, db, tempo_factors=tempi, num=5)
    assert matches[0].doc == 3
    diag_err = abs(matches[0].start - true_start)
    refined = mt.refine_matches(query, matches, db)
    assert refined[0].doc == 3 and refined[0].cost == matches[0].cost
    assert abs(refined[0].start - true_start) <= 0.75 and abs(refined[0].end - true_end) <= 0.75
    assert diag_err > 1.0  # the straight line alone was off (otherwise this test would show nothing)
    assert [m.rank for m in refined] == list(range(1, len(refined) + 1))
    _, via_match = mt.match(query, db, tempo_factors=tempi, num=5, refine=True)
    assert [(m.doc, m.start) for m in via_match] == [(m.doc, m.start) for m in refined]
    with pytest.raises(ValueError, match="refine"):
        mt.match(query, db, method="dtw", refine=True)
    with pytest.raises(ValueError, match="margin"):
        mt.refine_matches(query, matches, db, margin=-1)


def test_refine_matches_drops_candidates_that_converge():
    rng = np.random.default_rng(9)
    chords, durs = random_chords(rng, 30)
    X = render_chords(chords, durs)
    db = mt.Database.from_features([X], FR)
    q = X[:, 40:100]
    # two candidates around the true start (40 frames = 10 s): both refine to it, only the better survives
    cands = [mt.Match(1, 0, db.doc_ids[0], 10.5, 25.5, 0.1, 1.0, 0), mt.Match(2, 0, db.doc_ids[0], 9.25, 24.25, 0.2, 1.0, 0)]
    out = mt.refine_matches(q, cands, db)
    assert len(out) == 1 and out[0].cost == 0.1
    assert out[0].start == pytest.approx(10.0) and out[0].end == pytest.approx(25.0)


def test_example_database_with_crp_features():
    """The committed example CRP gives the same documents as the chroma and finds the versions of a piece."""
    from cmr import synth

    cens = mt.example_database(4.0, smooth_seconds=1.0, pieces=["bach-bwv846"])
    db = mt.example_database(4.0, smooth_seconds=1.0, pieces=["bach-bwv846"], features="crp")
    assert db.doc_ids == cens.doc_ids and np.array_equal(db.offsets, cens.offsets)
    assert np.min(db.features) < -0.01  # CRP values can be negative, CENS never
    np.testing.assert_allclose(np.linalg.norm(db.features, axis=0), 1.0, atol=1e-3)
    truths = {d: synth.load_example_truth(m["piece"], m["version"]) for d, m in enumerate(db.meta)}
    d = db.doc_index("bach-bwv846/piano")
    a, L = 8, 40
    occ = mt.true_occurrences(db, truths, d, a / 4.0, (a + L) / 4.0)
    curve = mt.diagonal_matching(db.doc_features(d)[:, a:a + L], db, tempo_factors=mt.DEFAULT_TEMPO_FACTORS,
                                 transposition_invariant=True, normalize=True)
    curve.cost[db.offsets[d]:db.offsets[d + 1]] = np.inf
    matches = mt.select_matches(curve, num=len(occ))
    assert mt.precision_at_r(matches, occ, tolerance=1.0) == 1.0
    assert all(m.shift == 2 for m in matches if m.doc_id.endswith("guitar-d-repeat"))
    with pytest.raises(ValueError, match="features"):
        mt.example_database(4.0, features="mfcc")
