"""Tests of cmr.themes: themes from scores, features, matching, ranking, Top-k.

Audio is rendered on the fly with cmr.synth (short excerpts), and every
check is against the rendering's ground truth or a hand-made example.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cmr import themes

CHORALE = "bach/bwv269"


@pytest.fixture(scope="module")
def chorale():
    from cmr import symbolic

    score = symbolic.load_score(CHORALE)
    melody = themes.top_voice(score)
    notes = symbolic.cached_score_notes(CHORALE)
    return score, melody, notes


@pytest.fixture(scope="module")
def theme(chorale):
    _, melody, _ = chorale
    th = themes.extract_themes(melody, "bwv269", n_later=1)
    assert len(th) == 2
    return th[1]  # the later theme: not at the start of the recording


def _render(notes, **kw):
    from cmr import synth

    version = synth.Version(bpm=90.0, programs=(40, 41, 42, 42), **kw)
    return synth.render(notes, version)


def _db(features, ids=("piece",)):
    from cmr.matching import Database

    return Database.from_features(features, themes.FEATURE_RATE, doc_ids=list(ids))


# --------------------------------------------------------------------------- dataset

def test_top_voice_of_a_small_score():
    from music21 import chord, note, stream

    s = stream.Score()
    up, low = stream.Part(), stream.Part()
    for p, ql in (("E5", 1.0), ("D5", 1.0)):
        up.append(note.Note(p, quarterLength=ql))
    up.append(chord.Chord(["C5", "G5"], quarterLength=2.0))
    for p in ("C3", "G2", "C3"):
        low.append(note.Note(p, quarterLength=4 / 3))
    s.insert(0, up)
    s.insert(0, low)
    mel = themes.top_voice(s)
    assert mel["pitch"].tolist() == [76, 74, 79]  # the chord gives its top note
    assert mel["start_beat"].tolist() == [0.0, 1.0, 2.0]
    assert mel["end_beat"].tolist() == [1.0, 2.0, 4.0]


def test_chorale_melody_is_the_soprano_and_themes_are_phrases(chorale):
    score, melody, notes = chorale
    soprano = notes[notes["part"] == 0]
    assert melody["pitch"].tolist() == soprano["pitch"].tolist()
    th = themes.extract_themes(melody, "x", n_later=2, min_notes=8, max_notes=20)
    assert th[0].start_beat == melody["start_beat"].iloc[0]
    starts = set(themes.phrase_starts(melody).tolist())
    for t in th:
        assert 8 <= t.n_notes <= 20
        assert t.first_note in starts
        assert len(set(t.pitches.tolist())) >= 3
    spans = sorted((t.first_note, t.first_note + t.n_notes) for t in th)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # no overlap


def test_find_occurrences_is_transposition_invariant():
    melody = [60, 62, 64, 65, 67, 62, 64, 66, 67, 69, 60]
    assert themes.find_occurrences([60, 62, 64], melody).tolist() == [0, 5]
    assert themes.find_occurrences([64, 66, 68], melody).tolist() == [0, 5]
    assert themes.find_occurrences([60, 61], melody).tolist() == [2, 7]
    assert themes.find_occurrences([60, 59], melody).tolist() == []
    assert themes.find_occurrences([1, 2, 3], [1, 2]).tolist() == []
    with pytest.raises(ValueError, match="theme_pitches"):
        themes.find_occurrences([60], melody)


def test_plan_version_is_seeded_and_in_range():
    a = themes.plan_version(np.random.default_rng(5), 4)
    b = themes.plan_version(np.random.default_rng(5), 4)
    assert a == b
    for seed in range(50):
        v = themes.plan_version(np.random.default_rng(seed), 3)
        assert 0.75 <= v["tempo_factor"] <= 1.33
        assert -50 <= v["tuning_cents"] <= 50 and abs(v["transpose"]) <= 5
        assert len(v["programs"]) == 3
    with pytest.raises(TypeError, match="rng"):
        themes.plan_version(5, 3)


# --------------------------------------------------------------------------- features

def test_pool_features_averages_cells():
    X = np.array([[1.0, 3.0, 5.0, 7.0, 9.0]])  # 10 Hz frames at 0, .1, .2, .3, .4 s
    Y = themes.pool_features(X, 10.0, 5.0)
    # cells: round(n / 2) -> frames 0 | 1, 2 (0.1 -> 0.5 rounds to 0 in numpy) ...
    idx = np.round(np.arange(5) / 2).astype(int)
    expect = [X[0, idx == m].mean() for m in range(3)]
    np.testing.assert_allclose(Y[0], expect)
    with pytest.raises(ValueError, match="rate_out"):
        themes.pool_features(X, 5.0, 10.0)


def test_melody_chroma_follows_the_upper_voice():
    P = np.zeros((88, 3))
    P[60 - 21, :] = 1.0   # C4 in all frames, loud
    P[67 - 21, 0] = 0.6   # G4 above it in frame 0
    P[72 + 7 - 21, :] = 0.2  # G5: 3rd harmonic of C4 (weak overtone)
    C = themes.melody_chroma(P)
    assert C[:, 0].argmax() == 7   # frame 0: the top voice is G
    assert C[:, 1].argmax() == 0   # frame 1: only C (its overtone G5 is not taken for a melody note)
    assert np.all(themes.melody_chroma(np.zeros((88, 4))) == 0)


def test_salience_chroma_recovers_a_weak_fundamental():
    from cmr import chroma

    # one brass-like tone on C4 whose G overtones (harmonics 3 and 6) carry most of the energy
    P = np.zeros((88, 3))
    for pitch, energy in [(60, 0.2), (72, 0.3), (79, 1.0), (84, 0.3), (91, 0.8)]:
        P[pitch - 21] = energy
    assert chroma.pitch_to_chroma(P)[:, 0].argmax() == 7          # plain folding: G wins
    assert themes.salience_chroma(P, suppress=0.0)[:, 0].argmax() == 7  # skyline takes the top overtone
    C = themes.salience_chroma(P, suppress=1.0)
    assert C[:, 0].argmax() == 0                                   # suppression: the overtones belong to C4
    assert np.allclose(C[:, 0], C[:, 2])
    assert np.all(themes.salience_chroma(np.zeros((88, 4))) == 0)
    with pytest.raises(ValueError, match="n_harmonics"):
        themes.salience_chroma(P, n_harmonics=9)
    with pytest.raises(ValueError, match="fold"):
        themes.salience_chroma(P, fold="max")
    with pytest.raises(ValueError, match="non-negative"):
        themes.salience_chroma(-P)


def test_theme_features_shape_and_errors(theme):
    Q = themes.theme_features(theme.notes(90.0), "cens")
    dur = theme.offsets[-1] * 60 / 90
    assert Q.shape == (12, 1 + int(np.floor(dur * themes.FEATURE_RATE)))
    np.testing.assert_allclose(np.linalg.norm(Q, axis=0), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="kind"):
        themes.theme_features(theme.notes(90.0), "mfcc")
    with pytest.raises(ValueError, match="qpm"):
        theme.notes(0)
    with pytest.raises(ValueError, match="mono"):
        themes.database_features(np.zeros((2, 100)), 22050)


# --------------------------------------------------------------------------- retrieval

def _true_interval(rendering, theme):
    t = rendering.beat_to_time(np.array([theme.start_beat, theme.end_beat]))
    return float(t[0]), float(t[1])


def test_theme_audio_is_found_in_its_piece_at_the_right_position(chorale, theme):
    from cmr import symbolic, synth

    _, _, notes = chorale
    piece = _render(notes, tempo_factor=1.15, tempo_curve=[(0, 0.95), (30, 1.05), (60, 0.97)])
    other = _render(symbolic.cached_score_notes("bach/bwv66.6"))
    # the theme alone, rendered as audio at the written tempo (a flute)
    t_notes = pd.DataFrame({"start_beat": theme.onsets, "end_beat": theme.offsets, "pitch": theme.pitches})
    alone = synth.render(t_notes, synth.Version(bpm=90.0, programs=73))
    q_audio, _ = themes.database_features(alone.audio, alone.sr, kinds=["iir"], tuning_cents=0.0)
    q_audio = q_audio["iir"][:, : int(np.ceil(theme.offsets[-1] * 60 / 90 * themes.FEATURE_RATE))]
    fa, _ = themes.database_features(piece.audio, piece.sr, kinds=["iir"], tuning_cents=0.0)
    fb, _ = themes.database_features(other.audio, other.sr, kinds=["iir"], tuning_cents=0.0)
    db = _db([fb["iir"], fa["iir"]], ids=("other", "piece"))
    ranking = themes.rank_documents(themes.match_theme(q_audio, db, transposition_invariant=False))
    assert ranking["doc_id"].iloc[0] == "piece"
    best = ranking.iloc[0]
    assert themes.position_overlap(best.start, best.end, [_true_interval(piece, theme)])
    s0, _ = _true_interval(piece, theme)
    assert abs(best.start - s0) < 1.0
    # and the symbolic query finds the same place
    q_sym = themes.theme_features(theme.notes(90.0), "iir")
    r2 = themes.rank_documents(themes.match_theme(q_sym, db, transposition_invariant=False))
    assert r2["doc_id"].iloc[0] == "piece" and abs(r2.iloc[0].start - s0) < 1.0


def test_transposition_invariance_recovers_a_transposed_rendering(chorale, theme):
    _, _, notes = chorale
    piece = _render(notes, transpose=3)
    f, _ = themes.database_features(piece.audio, piece.sr, kinds=["cens"], tuning_cents=0.0)
    db = _db([f["cens"]])
    q = themes.theme_features(theme.notes(90.0), "cens")
    inv = themes.rank_documents(themes.match_theme(q, db, transposition_invariant=True)).iloc[0]
    plain = themes.rank_documents(themes.match_theme(q, db, transposition_invariant=False)).iloc[0]
    assert inv["shift"] == 3
    assert themes.position_overlap(inv.start, inv.end, [_true_interval(piece, theme)])
    assert inv.cost < plain.cost - 0.15


def test_tuning_compensation_recovers_a_detuned_rendering(chorale, theme):
    from cmr import symbolic

    _, _, notes = chorale
    piece = _render(notes, tuning_cents=40.0)
    other = _render(symbolic.cached_score_notes("bach/bwv66.6"), tuning_cents=40.0)
    q = themes.theme_features(theme.notes(90.0), "iir")
    costs = {}
    for label, cents in (("compensated", None), ("plain", 0.0)):
        fa, est = themes.database_features(piece.audio, piece.sr, kinds=["iir"], tuning_cents=cents)
        fb, _ = themes.database_features(other.audio, other.sr, kinds=["iir"], tuning_cents=cents)
        db = _db([fb["iir"], fa["iir"]], ids=("other", "piece"))
        best = themes.rank_documents(themes.match_theme(q, db, transposition_invariant=False)).iloc[0]
        costs[label] = best
        if cents is None:
            assert abs(est - 40.0) < 8.0
    comp = costs["compensated"]
    assert comp.doc_id == "piece"
    assert themes.position_overlap(comp.start, comp.end, [_true_interval(piece, theme)])
    assert comp.cost < costs["plain"].cost - 0.05


def test_rank_documents_and_top_k_on_a_hand_made_ranking():
    from cmr.matching import MatchingCurve

    db = _db([np.ones((12, 4)), np.ones((12, 3)), np.ones((12, 5))], ids=("a", "b", "c"))
    cost = np.array([0.5, 0.4, np.inf, np.inf, 0.2, 0.9, np.inf, 0.3, 0.35, 0.1, np.inf, np.inf], np.float32)
    other = np.arange(12) + 2
    curve = MatchingCurve(cost, "start", other, np.ones(12), np.zeros(12, np.int8), db, 2, "diagonal")
    r = themes.rank_documents(curve)
    assert r["doc_id"].tolist() == ["c", "b", "a"]       # best costs 0.1, 0.2, 0.4
    assert r["cost"].tolist() == pytest.approx([0.1, 0.2, 0.4])
    assert r["start"].tolist() == pytest.approx([2 / 5, 0 / 5, 1 / 5])  # frame inside each document / rate
    assert themes.first_relevant_rank(r, ["a", "b"]) == 2
    acc = themes.top_k_accuracy([1, 3, 25, 60, 1], ks=(1, 20, 50))
    assert acc == {1: pytest.approx(0.4), 20: pytest.approx(0.6), 50: pytest.approx(0.8)}
    with pytest.raises(ValueError, match="relevant"):
        themes.first_relevant_rank(r, ["zzz"])
    assert themes.position_overlap(1.0, 2.0, [(1.5, 3.0)]) and not themes.position_overlap(1.0, 2.0, [(2.0, 3.0)])



def test_relative_scores_on_a_hand_made_curve():
    from cmr.matching import MatchingCurve

    db = _db([np.ones((12, 4)), np.ones((12, 3)), np.ones((12, 5)), np.ones((12, 2))], ids=("a", "b", "c", "d"))
    cost = np.array([0.5, 0.4, np.inf, np.inf, 0.2, 0.9, np.inf, 0.3, 0.35, 0.1, np.inf, np.inf, np.inf, np.inf],
                    np.float32)
    curve = MatchingCurve(cost, "start", np.arange(14) + 2, np.ones(14), np.zeros(14, np.int8), db, 2, "diagonal")
    raw = themes.rank_documents(curve)
    assert raw["doc_id"].tolist() == ["c", "b", "a", "d"] and "mean" not in raw
    r = themes.rank_documents(curve, relative=True)
    # best - mean of the finite costs: a 0.4 - 0.45, b 0.2 - 0.55, c 0.1 - 0.25; d fits nowhere
    assert r["doc_id"].tolist() == ["b", "c", "a", "d"]
    assert r["cost"].tolist()[:3] == pytest.approx([-0.35, -0.15, -0.05], abs=1e-6)
    assert r["best"].tolist()[:3] == pytest.approx([0.2, 0.1, 0.4]) and r["mean"].tolist()[:3] == pytest.approx(
        [0.55, 0.25, 0.45])
    assert np.isinf(r["cost"].iloc[-1]) and r["rank"].tolist() == [1, 2, 3, 4]
    assert r["start"].tolist()[:3] == pytest.approx([0 / 5, 2 / 5, 1 / 5])


def test_relative_scores_prefer_the_theme_over_a_texture_that_resembles_it_everywhere():
    from cmr import chroma
    from cmr.matching import Database

    notes = pd.DataFrame({"start": np.arange(7.0), "end": np.arange(7.0) + 1, "pitch": [60, 62, 64, 65, 67, 64, 60]})
    Q = themes.theme_features(notes, "melody")
    rng = np.random.default_rng(0)

    def one_hots(n):
        X = np.zeros((12, n), np.float32)
        X[rng.integers(0, 12, n), np.arange(n)] = 1.0
        return X

    M = Q.shape[1]
    # recording 1: unrelated frames, then the theme under three louder voices, then unrelated frames
    X = np.concatenate([one_hots(30), Q + 1.5 * (one_hots(M) + one_hots(M) + one_hots(M)), one_hots(30)], axis=1)
    # recording 2: the theme's pitch-class histogram held throughout (every frame a little like every theme frame)
    Y = np.repeat(Q.sum(axis=1, keepdims=True), 60, axis=1) + 0.05 * rng.random((12, 60))
    db = Database.from_features([chroma.normalize(X, "l2"), chroma.normalize(Y, "l2")], themes.FEATURE_RATE,
                                doc_ids=["theme", "texture"], normalize=False)
    curve = themes.match_theme(Q, db)
    raw = themes.rank_documents(curve)
    rel = themes.rank_documents(curve, relative=True)
    assert raw["doc_id"].tolist() == ["texture", "theme"]  # the best cost alone prefers the texture ...
    assert rel["doc_id"].tolist() == ["theme", "texture"]  # ... relative to its recording the theme stands out
    hit = rel.iloc[0]
    assert abs(hit["start"] - 30 / themes.FEATURE_RATE) <= 1.0 / themes.FEATURE_RATE
    assert rel.set_index("doc_id").loc["texture", "cost"] == pytest.approx(0.0, abs=0.01)  # flat curve: min = mean
    # tempo normalisation is passed through to the matching (normalised costs differ from the raw ones)
    norm = themes.match_theme(Q, db, normalize=True)
    assert "tempo_stats" in norm.details and np.isfinite(norm.cost).sum() == np.isfinite(curve.cost).sum()


# --------------------------------------------------------------------------- committed dataset

def test_cut_notes_ends_on_a_bar_line(chorale):
    _, _, notes = chorale
    cut = themes.cut_notes(notes, 20.0)
    ms = notes.attrs["measure_starts"]
    bar_ends = set(np.round(ms["start_beat"] + ms["length"], 6))
    assert round(cut.attrs["end_beat"], 6) in bar_ends and cut.attrs["end_beat"] <= 20.0
    assert cut["start_beat"].max() < cut.attrs["end_beat"] and cut["end_beat"].max() <= cut.attrs["end_beat"]
    assert len(cut) == int((notes["start_beat"] < cut.attrs["end_beat"]).sum())
    assert themes.cut_notes(notes, 1e6) is notes


def test_committed_dataset_is_consistent():
    pieces, theme_list, relevance = themes.load_dataset()
    assert len(pieces) >= 200 and pieces["piece"].is_unique
    assert set(theme_list["piece"]) <= set(pieces["piece"])
    assert theme_list["n_notes"].between(themes.MIN_THEME_NOTES, themes.MAX_THEME_NOTES).all()
    own = relevance[relevance["own"]]
    # every theme is found (by its interval pattern) at its own position in its own piece
    merged = theme_list.merge(own, on=["theme", "piece", "start_beat"], how="left", indicator=True)
    assert (merged.groupby("theme")["_merge"].apply(lambda m: (m == "both").any())).all()
    th = themes.theme_from_row(theme_list.iloc[0])
    assert th.n_notes == theme_list["n_notes"].iloc[0] and th.onsets[0] == 0.0


def test_committed_database_matches_the_pieces():
    from cmr import chroma

    pieces, _, _ = themes.load_dataset()
    db, info = themes.load_database("melody")
    assert db.doc_ids == list(pieces["piece"])
    lengths = np.diff(db.offsets)
    expect = [chroma.n_frames(d, db.feature_rate) for d in info["duration"]]
    assert lengths.tolist() == expect
    assert np.isfinite(db.features).all()
    with pytest.raises(ValueError, match="stored kinds"):
        themes.load_database("mfcc")


def test_render_piece_regenerates_the_database_recording():
    pieces, _, _ = themes.load_dataset()
    db, info = themes.load_database("melody")
    row = pieces[pieces["collection"] == "bach"].iloc[0]
    r = themes.render_piece(row)
    d = db.doc_index(row["piece"])
    assert r.duration == pytest.approx(float(info["duration"][d]), abs=1e-3)
    F, _ = themes.database_features(r.audio, r.sr, kinds=["melody"])
    np.testing.assert_allclose(F["melody"], db.doc_features(row["piece"]), atol=2e-3)  # stored as float16


# --------------------------------------------------------------------------- ground truth and learned salience

def test_version_notes_equal_the_rendered_ground_truth(chorale):
    from cmr import synth

    _, _, notes = chorale
    v = synth.Version(bpm=90.0, tempo_factor=1.2, tempo_curve=((0.0, 0.9), (20.0, 1.1), (40.0, 0.95)),
                      transpose=-3, programs=(40, 41, 42, 42))
    truth = synth.render(notes, v).truth.notes
    mine = themes.version_notes(notes, v)
    assert len(mine) == len(truth)
    np.testing.assert_allclose(mine["start"], truth["start"], atol=1e-9)
    np.testing.assert_allclose(mine["end"], truth["end"], atol=1e-9)
    np.testing.assert_array_equal(mine["pitch"], truth["pitch"])


def test_note_roll_and_skyline_on_hand_made_notes():
    notes = pd.DataFrame({"start": [0.0, 0.0, 0.25], "end": [0.3, 0.2, 0.45], "pitch": [60, 67, 72]})
    R = themes.note_roll(notes, 10.0, 6)
    # frame n covers [(n - .5)/10, (n + .5)/10): C4 sounds 0.5, 1, 1, 0.5 of frames 0..3
    np.testing.assert_allclose(R[60 - 21, :5], [0.5, 1.0, 1.0, 0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(R[67 - 21, :4], [0.5, 1.0, 0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(R[72 - 21, :6], [0.0, 0.0, 0.0, 1.0, 1.0, 0.0], atol=1e-6)
    top = themes.skyline(R)
    # frame 2: C4 (1.0) and G4 (0.5) sound -> G4; frame 3: C5 -> C5; frame 5 is silent
    assert [int(np.argmax(top[:, n])) + 21 if top[:, n].any() else None for n in range(6)] == \
        [67, 67, 67, 72, 72, None]
    C = themes.fold_chroma(top)
    assert C.shape == (12, 6) and C[7, 0] == 1 and C[0, 3] == 1 and C[:, 5].sum() == 0


def test_melody_net_gradient_matches_finite_differences():
    from cmr import melody

    net = melody.MelodyNet(context=1, hidden=(8,), seed=3)
    net.params = {k: v.astype(np.float64) for k, v in net.params.items()}
    rng = np.random.default_rng(0)
    X = rng.random((88 * 3, 5))
    y = np.array([3, 88, 40, 40, 0])
    _, grads = net.loss_and_grads(X, y)
    for name, entry in (("W0", (2, 17)), ("b0", (5, 0)), ("W1", (40, 3)), ("b1", (88, 0))):
        old = net.params[name][entry]
        net.params[name][entry] = old + 1e-6
        lp, _ = net.loss_and_grads(X, y)
        net.params[name][entry] = old - 1e-6
        lm, _ = net.loss_and_grads(X, y)
        net.params[name][entry] = old
        assert abs((lp - lm) / 2e-6 - grads[name][entry]) < 1e-6


def test_second_head_gradient_matches_finite_differences(tmp_path):
    from cmr import melody

    net = melody.MelodyNet(context=1, hidden=(8, 6), seed=3, second_head=True)
    net.params = {k: v.astype(np.float64) for k, v in net.params.items()}
    rng = np.random.default_rng(1)
    X = rng.random((88 * 3, 5))
    y, y2 = np.array([3, 88, 40, 40, 0]), np.array([1, 88, 88, 30, 5])
    _, grads = net.loss_and_grads(X, y, y2, lam=0.5)
    for name, entry in (("W0", (2, 17)), ("W1", (4, 3)), ("b1", (5, 0)), ("W2", (40, 3)), ("Wsec", (30, 2)),
                        ("bsec", (88, 0))):
        old = net.params[name][entry]
        net.params[name][entry] = old + 1e-6
        lp, _ = net.loss_and_grads(X, y, y2, lam=0.5)
        net.params[name][entry] = old - 1e-6
        lm, _ = net.loss_and_grads(X, y, y2, lam=0.5)
        net.params[name][entry] = old
        assert abs((lp - lm) / 2e-6 - grads[name][entry]) < 1e-6
    # the joint loss is CE(top) + lam CE(second), each computed from the probabilities
    P1 = net.softmax(net.logits(X))
    P2 = net.softmax(net.second_logits(X))
    ce = lambda Pr, t: -np.mean(np.log(Pr[t, np.arange(5)]))
    assert abs(net.loss_and_grads(X, y, y2, lam=0.5)[0] - (ce(P1, y) + 0.5 * ce(P2, y2))) < 1e-9
    # save / load keeps the head; the main output does not depend on it
    net.params = {k: v.astype(np.float32) for k, v in net.params.items()}
    Pe = rng.random((88, 4))
    back = melody.load_model(net.save(tmp_path / "two.npz"))
    assert back.second_head
    np.testing.assert_allclose(back.probabilities(Pe, head="second"), net.probabilities(Pe, head="second"), atol=1e-6)
    np.testing.assert_allclose(back.probabilities(Pe), net.probabilities(Pe), atol=1e-6)
    with pytest.raises(ValueError, match="no second head"):
        melody.MelodyNet(context=1, hidden=(8,)).probabilities(Pe, head="second")


def test_context_stack_and_bad_input():
    from cmr import melody

    L = np.arange(6, dtype=np.float32).reshape(2, 3)
    S = melody.context_stack(L, 1)
    # column t = [L[:, t-1], L[:, t], L[:, t+1]] with edges repeated
    np.testing.assert_array_equal(S[:, 0], [0, 3, 0, 3, 1, 4])
    np.testing.assert_array_equal(S[:, 2], [1, 4, 2, 5, 2, 5])
    with pytest.raises(ValueError, match="P must have shape"):
        melody.log_pitch(np.ones((12, 4)))
    assert np.all(melody.log_pitch(np.zeros((88, 4))) == 0)


def test_dilated_context_and_ensemble_round_trip(tmp_path):
    from cmr import melody

    L = np.arange(10, dtype=np.float32).reshape(2, 5)
    S = melody.context_stack(L, 1, dilation=2)
    # column t = [L[:, t-2], L[:, t], L[:, t+2]] with edges repeated
    np.testing.assert_array_equal(S[:, 2], [0, 5, 2, 7, 4, 9])
    np.testing.assert_array_equal(S[:, 0], [0, 5, 0, 5, 2, 7])
    with pytest.raises(ValueError, match="dilation"):
        melody.context_stack(L, 1, dilation=0)
    a = melody.MelodyNet(context=1, hidden=(8,), seed=1)
    b = melody.MelodyNet(context=2, hidden=(6, 5), seed=2, dilation=2)
    P = np.random.default_rng(0).random((88, 7))
    ens = melody.MelodyEnsemble([a, b])
    # the ensemble is the plain mean of its members (computed independently here)
    np.testing.assert_allclose(ens.probabilities(P), (a.probabilities(P) + b.probabilities(P)) / 2, atol=1e-6)
    back = melody.load_model(ens.save(tmp_path / "ens.npz"))
    assert isinstance(back, melody.MelodyEnsemble) and back.nets[1].dilation == 2
    np.testing.assert_allclose(back.probabilities(P), ens.probabilities(P), atol=1e-6)
    single = melody.load_model(b.save(tmp_path / "b.npz"))
    assert isinstance(single, melody.MelodyNet)
    np.testing.assert_allclose(single.probabilities(P), b.probabilities(P), atol=1e-6)
    with pytest.raises(ValueError, match="ensemble"):
        melody.MelodyNet.load(tmp_path / "ens.npz")
    with pytest.raises(TypeError, match="nets"):
        melody.MelodyEnsemble([])


def test_second_voice_targets_on_a_hand_made_roll():
    from cmr import melody

    R = np.zeros((88, 5), np.float32)
    R[[60 - 21, 64 - 21, 67 - 21], 0] = 1.0  # C major triad: second voice E4
    R[60 - 21, 1] = 1.0  # one note: no second voice
    R[[60 - 21, 64 - 21], 2] = 1.0
    R[67 - 21, 2] = 0.3  # G4 sounds through only 30 % of the frame: not counted, so the second voice is C4
    R[[40 - 21, 41 - 21], 4] = [0.5, 0.6]  # exactly at min_share: E2 below F2
    y = melody.second_voice_targets(R)
    np.testing.assert_array_equal(y, [64 - 21, 88, 60 - 21, 88, 40 - 21])
    # the same as cmr.themes.second_voice (another implementation) read through top_voice_targets
    np.testing.assert_array_equal(y, melody.top_voice_targets(themes.second_voice(R)))
    rng = np.random.default_rng(5)
    Rr = (rng.random((88, 200)) < 0.03) * rng.random((88, 200))
    np.testing.assert_array_equal(melody.second_voice_targets(Rr),
                                  melody.top_voice_targets(themes.second_voice(Rr)))
    with pytest.raises(ValueError, match="R must have shape"):
        melody.second_voice_targets(np.zeros((12, 3)))


def test_second_voice_net_round_trip_and_old_files(tmp_path):
    from cmr import melody

    net = melody.MelodyNet(context=1, hidden=(8,), seed=4, voice="second")
    P = np.random.default_rng(1).random((88, 6))
    back = melody.load_model(net.save(tmp_path / "second.npz"))
    assert back.voice == "second"
    np.testing.assert_allclose(back.probabilities(P), net.probabilities(P), atol=1e-6)
    ens = melody.load_model(melody.MelodyEnsemble([net, melody.MelodyNet(context=1, hidden=(5,), seed=5,
                                                                         voice="second")]).save(tmp_path / "e.npz"))
    assert ens.voice == "second" and all(n.voice == "second" for n in ens.nets)
    # a file written before the voice label existed (no "voice" key) loads as a top-voice net
    top = melody.MelodyNet(context=1, hidden=(8,), seed=4)
    np.savez(tmp_path / "old.npz", context=1, hidden=np.array([8]), gamma=10.0, **top.params)
    old = melody.load_model(tmp_path / "old.npz")
    assert old.voice == "top"
    np.testing.assert_allclose(old.probabilities(P), top.probabilities(P), atol=1e-6)
    with pytest.raises(ValueError, match="voice"):
        melody.MelodyNet(voice="bass")
    with pytest.raises(ValueError, match="different voices"):
        melody.MelodyEnsemble([net, top])


def test_greedy_forward_selection_follows_the_greedy_path():
    from cmr import melody

    # hand-made scores: the best pair {0, 2} is never reached greedily (member 1 is the best single)
    table = {(0,): 0.5, (1,): 0.7, (2,): 0.6, (0, 1): 0.72, (1, 2): 0.75, (0, 2): 0.9, (0, 1, 2): 0.75}
    calls = []

    def score(s):
        calls.append(s)
        return table[s]

    chosen, tried = melody.greedy_forward_selection(score, 3)
    assert chosen == (1, 2)  # step 2 winner; the full set ties at 0.75 and the smaller set wins
    assert [t[0] for t in tried] == [(0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2)] == calls
    assert [t[2] for t in tried] == [1, 1, 1, 2, 2, 3]
    assert melody.greedy_forward_selection(score, 3, max_size=1)[0] == (1,)
    with pytest.raises(ValueError, match="n_members"):
        melody.greedy_forward_selection(score, 0)
    # a NaN score (e.g. an empty validation set) would silently lose or win every comparison
    with pytest.raises(ValueError, match="finite"):
        melody.greedy_forward_selection(lambda s: float("nan") if s == (1,) else 0.5, 3)


def _brass_excerpt():
    """A hand-made four-part passage (not from any score of the corpus) and its brass rendering."""
    from cmr import synth

    chords = [(72, 67, 64, 48), (74, 67, 62, 55), (76, 72, 67, 48), (77, 69, 65, 53), (79, 72, 64, 48),
              (77, 69, 62, 50), (76, 67, 60, 52), (74, 65, 59, 55), (72, 64, 55, 48), (71, 62, 55, 43),
              (72, 64, 55, 48), (69, 65, 60, 53)]
    rows = []
    for i, ch in enumerate(chords):
        for part, p in enumerate(ch):
            rows.append({"start_beat": 2.0 * i, "end_beat": 2.0 * i + 2.0, "pitch": p, "part": part,
                         "velocity": 80})
    notes = pd.DataFrame(rows)
    notes.attrs["end_beat"] = 2.0 * len(chords)
    v = synth.Version(bpm=100.0, programs=(56, 60, 57, 58), transpose=2, tuning_cents=0.0)
    return synth.render(notes, v)


def test_learned_melody_chroma_follows_the_rendered_top_voice():
    """The trained model finds the brass top voice's pitch class more often than folded pitch energies do.

    The excerpt is hand-made (in no training piece); the target is the
    rendering's ground truth. The trumpet's strong upper partials make plain
    folding pick the wrong pitch class in many frames.
    """
    from cmr import chroma, melody

    r = _brass_excerpt()
    P = chroma.pitch_features(r.audio, r.sr, feature_rate=10.0, tuning_cents=0.0)
    y = melody.top_voice_targets(themes.skyline(themes.note_roll(r.truth.notes, 10.0, P.shape[1])))
    voiced = y < 88
    pc = (y[voiced] + 21) % 12
    learned = np.argmax(melody.learned_chroma(P)[:, voiced], axis=0) == pc
    folded = np.argmax(melody.fold_pitch_classes(melody.log_pitch(P))[:, voiced], axis=0) == pc
    assert learned.mean() > folded.mean() + 0.2, (learned.mean(), folded.mean())
    assert learned.mean() > 0.6


# --------------------------------------------------------------------------- themes in an inner voice

def test_second_voice_on_hand_made_notes():
    notes = pd.DataFrame({"start": [0.0, 0.0, 0.0, 0.3], "end": [0.5, 0.5, 0.3, 0.5], "pitch": [72, 64, 67, 55]})
    R = themes.note_roll(notes, 10.0, 6)
    second = themes.second_voice(R)
    # frame n covers [(n - .5)/10, (n + .5)/10); a note counts from half a frame on. Frames 0-3: C5 on
    # top, G4 second (G4 fills half of frame 3); frames 4-5: E4 second (the G3 bass from 0.3 s is lower)
    got = [int(np.argmax(second[:, n])) + 21 if second[:, n].any() else None for n in range(6)]
    assert got == [67, 67, 67, 67, 64, 64]
    assert np.all(second.sum(axis=0) <= 1) and not np.any(second * themes.skyline(R))
    alone = themes.note_roll(pd.DataFrame({"start": [0.0], "end": [0.5], "pitch": [60]}), 10.0, 5)
    assert not themes.second_voice(alone).any()  # one voice: no second voice
    with pytest.raises(ValueError, match="R must"):
        themes.second_voice(np.zeros(5))


def test_voice_blend_on_hand_made_chroma():
    top = np.zeros((12, 3))
    top[0] = 1.0  # the top voice plays C in every frame
    others = np.zeros((12, 3))
    others[0, :] = 1.0  # the other voices double the C ...
    others[7, 0] = 1.0  # ... and add G (frame 0), E (frame 1); frame 2: only the C
    others[4, 1] = 1.0
    X = themes.voice_blend(top, others, weight=0.5)
    # frame 0: A = e_C, O/|O| = (e_C + e_G)/sqrt 2, times (1 - A) -> e_G; X = (e_C + 0.5 e_G) / sqrt(1.25)
    np.testing.assert_allclose(X[[0, 7], 0], np.array([1.0, 0.5]) / np.sqrt(1.25), atol=1e-6)
    np.testing.assert_allclose(X[[0, 4], 1], np.array([1.0, 0.5]) / np.sqrt(1.25), atol=1e-6)
    # frame 2: nothing but the top voice's C remains -> B is silent, normalised to the flat vector
    flat = np.full(12, 1 / np.sqrt(12))
    expect = np.eye(12)[0] + 0.5 * flat
    np.testing.assert_allclose(X[:, 2], expect / np.linalg.norm(expect), atol=1e-6)
    np.testing.assert_allclose(themes.voice_blend(top, others, weight=0.0), top, atol=1e-6)
    kept = themes.voice_blend(top, others, weight=1.0, remove_top=False)
    e = np.array([1 + 1 / np.sqrt(2), 1 / np.sqrt(2)])  # A + O/|O| on (C, G) in frame 0
    np.testing.assert_allclose(kept[[0, 7], 0], e / np.linalg.norm(e), atol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        themes.voice_blend(top, others[:, :2])
    with pytest.raises(ValueError, match="same shape"):  # 88 pitches, not 12 pitch classes
        themes.voice_blend(np.ones((88, 3)), np.ones((88, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        themes.voice_blend(-top, others)
    with pytest.raises(ValueError, match="weight"):
        themes.voice_blend(top, others, weight=np.nan)


def _toy_voice_db(kind):
    """Two toy recordings (5 Hz): 'inner' has the theme C D E F G A in its second voice under a held B5;
    'decoy' has C x E x G x on top (x = B, every second note wrong) over a held F#2 bass."""
    from cmr.matching import Database

    theme_pcs = [60, 62, 64, 65, 67, 69]
    lead_in = pd.DataFrame({"start": [0.0], "end": [2.0], "pitch": [59]})
    inner = pd.concat([lead_in, pd.DataFrame({"start": 2.0 + np.arange(6), "end": 3.0 + np.arange(6),
                                              "pitch": theme_pcs}),
                       pd.DataFrame({"start": [0.0], "end": [9.0], "pitch": [83]})])
    decoy = pd.concat([lead_in, pd.DataFrame({"start": 2.0 + np.arange(6), "end": 3.0 + np.arange(6),
                                              "pitch": [60, 71, 64, 71, 67, 71]}),
                       pd.DataFrame({"start": [0.0], "end": [9.0], "pitch": [42]})])
    feats = []
    for notes in (inner, decoy):
        R = themes.note_roll(notes, themes.FEATURE_RATE, 45)
        top = themes.fold_chroma(themes.skyline(R))
        if kind == "top":
            feats.append(top)
        else:
            feats.append(themes.voice_blend(top, themes.fold_chroma(R), weight=0.7))
    db = Database.from_features(feats, themes.FEATURE_RATE, doc_ids=["inner", "decoy"])
    q = themes.theme_features(pd.DataFrame({"start": np.arange(6.0), "end": np.arange(1.0, 7.0),
                                            "pitch": theme_pcs}))
    curve = themes.match_theme(q, db, tempo_factors=(1.0,), transposition_invariant=False)
    return themes.rank_documents(curve)


def test_theme_in_the_second_voice_is_found_by_the_voice_blend_not_by_the_top_voice():
    top = _toy_voice_db("top").set_index("doc_id")
    blend = _toy_voice_db("blend").set_index("doc_id")
    # top voice only: the decoy shares half of the theme's frames, the inner-voice recording none
    assert top.loc["decoy", "rank"] == 1 and top.loc["inner", "cost"] > 0.9
    assert top.loc["decoy", "cost"] == pytest.approx(0.5, abs=0.1)
    # blend: the inner recording matches every theme frame at w / sqrt(1 + w^2) (0.57), the decoy half
    # of them at 1 / sqrt(1 + w^2) (0.82) -> inner wins, at the theme's position (2 s)
    assert blend.loc["inner", "rank"] == 1
    assert blend.loc["inner", "cost"] == pytest.approx(1 - 0.7 / np.sqrt(1.49), abs=0.05)
    assert blend.loc["decoy", "cost"] == pytest.approx(1 - 0.5 / np.sqrt(1.49), abs=0.05)
    assert blend.loc["inner", "start"] == pytest.approx(2.0, abs=0.2)


def test_log_likelihood_features_give_the_mean_negative_log_probability():
    from cmr.matching import Database

    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(12), size=30).T * rng.uniform(0.5, 1.0, 30)  # (12, 30), columns sum <= 1
    F = themes.log_likelihood_features(P, eps=0.01)
    cond = P / P.sum(axis=0)
    np.testing.assert_allclose(F, np.log(cond + 0.01), rtol=1e-5)
    db = Database.from_features([F], themes.FEATURE_RATE, normalize=False)
    pcs = [0, 4, 7, 7, 2, 11]  # a one-hot query of six frames
    q = np.zeros((12, 6), np.float32)
    q[pcs, np.arange(6)] = 1.0
    curve = themes.match_theme(q, db, tempo_factors=(1.0,), transposition_invariant=False)
    brute = [1 - np.mean(np.log(cond[pcs, n + np.arange(6)] + 0.01)) for n in range(25)]
    np.testing.assert_allclose(curve.cost[:25], brute, rtol=1e-4)
    raw = themes.log_likelihood_features(P, eps=0.1, conditional=False)
    np.testing.assert_allclose(raw, np.log(P + 0.1), rtol=1e-5)
    assert np.all(np.isfinite(themes.log_likelihood_features(np.zeros((12, 4)))))  # silence: log eps
    with pytest.raises(ValueError, match="eps"):
        themes.log_likelihood_features(P, eps=0.0)
    with pytest.raises(ValueError, match="non-negative"):
        themes.log_likelihood_features(-P)
    with pytest.raises(ValueError, match="shape"):
        themes.log_likelihood_features(np.ones((88, 4)) / 88)


def _random_conv_net(seed=0):
    from cmr import melody

    net = melody.PitchConvNet(below=3, above=5, context=1, hidden=(6, 4), seed=seed)
    rng = np.random.default_rng(seed + 10)
    for k in net.params:  # nonzero biases: no ReLU sits exactly at its kink
        net.params[k] = (net.params[k] + 0.1 * rng.standard_normal(net.params[k].shape)).astype(np.float64)
    return net


def test_pitch_conv_net_gradient_matches_finite_differences():
    net = _random_conv_net()
    rng = np.random.default_rng(2)
    P = rng.random((88, 5)) ** 4
    X = net.patches(net.padded(P), np.arange(5)).astype(np.float64)
    y = np.array([3, 88, 40, 41, 87])
    _, grads = net.loss_and_grads(X, y)
    for name in net.params:
        for j in rng.choice(net.params[name].size, 3):
            old = net.params[name].flat[j]
            net.params[name].flat[j] = old + 1e-6
            lp, _ = net.loss_and_grads(X, y)
            net.params[name].flat[j] = old - 1e-6
            lm, _ = net.loss_and_grads(X, y)
            net.params[name].flat[j] = old
            assert abs((lp - lm) / 2e-6 - grads[name].flat[j]) < 1e-6, name


def test_pitch_conv_net_patches_read_the_right_energies():
    from cmr import melody

    net = melody.PitchConvNet(below=2, above=3, context=1, hidden=(4,))
    P = np.zeros((88, 4))
    P[50, 2] = 1.0  # one note at pitch index 50, frame 2
    X = net.patches(net.padded(P), np.arange(4)).reshape(4, 88, net.dim_in)
    L = melody.log_pitch(P)
    # frame t, pitch p, context offset c (-1..1), pitch offset d (-2..3) -> column (c + 1) * 6 + d + 2
    for t, p, c, d in ((2, 50, 0, 0), (1, 48, 1, 2), (3, 47, -1, 3), (2, 52, 0, -2)):
        assert X[t, p, (c + 1) * 6 + d + 2] == pytest.approx(L[50, 2])
    assert np.count_nonzero(X[..., :-1]) == 3 * 6  # the note is seen from 3 frames x 6 pitches
    np.testing.assert_allclose(X[0, :, -1], np.arange(88) / 87)  # register input


def test_pitch_conv_net_is_shift_equivariant_without_register_terms():
    net = _random_conv_net(1)
    net.params["bp"][:] = 0.0
    net.params["W0"][-1] = 0.0  # no register input
    rng = np.random.default_rng(3)
    P = np.zeros((88, 6))
    P[40:46] = rng.random((6, 6))
    Pk = np.roll(P, 2, axis=0)  # everything two semitones higher
    Z = net.logits(net.patches(net.padded(P), np.arange(6)))
    Zk = net.logits(net.patches(net.padded(Pk), np.arange(6)))
    np.testing.assert_allclose(Zk[2:88], Z[:86], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Zk[88], Z[88], rtol=1e-10, atol=1e-12)  # "no note" does not move


def test_pitch_conv_net_save_load_and_ensembles(tmp_path):
    from cmr import melody

    conv = melody.PitchConvNet(below=4, above=6, context=2, hidden=(5, 3), seed=7)
    mlp = melody.MelodyNet(context=1, hidden=(8,), seed=1)
    rng = np.random.default_rng(4)
    P = rng.random((88, 30)) ** 3
    pr = conv.probabilities(P, block=7)
    assert pr.shape == (89, 30) and np.allclose(pr.sum(axis=0), 1.0, atol=1e-5)
    back = melody.load_model(conv.save(tmp_path / "conv.npz"))
    assert isinstance(back, melody.PitchConvNet) and (back.below, back.above, back.context) == (4, 6, 2)
    np.testing.assert_allclose(back.probabilities(P), pr, atol=1e-6)
    ens = melody.load_model(melody.MelodyEnsemble([conv, mlp]).save(tmp_path / "mixed.npz"))
    assert isinstance(ens.nets[0], melody.PitchConvNet) and isinstance(ens.nets[1], melody.MelodyNet)
    np.testing.assert_allclose(ens.probabilities(P), (pr + mlp.probabilities(P)) / 2, atol=1e-6)
    C = melody.learned_chroma(P, back)
    np.testing.assert_allclose(C.sum(axis=0), 1.0 - pr[88], atol=1e-5)
    with pytest.raises(ValueError, match="MelodyNet"):
        melody.MelodyNet.load(tmp_path / "conv.npz")
    with pytest.raises(ValueError, match="main head"):
        conv.probabilities(P, head="second")
    with pytest.raises(ValueError, match="hidden"):
        melody.PitchConvNet(hidden=())
    with pytest.raises(ValueError, match="P must have shape"):
        conv.probabilities(np.ones((12, 5)))


def test_committed_conv_model_follows_the_rendered_top_voice(chorale):
    """The committed PitchConvNet ensemble (database kind 'conv') names the pitch class of the rendered top
    voice (a trumpet over brass) in most voiced frames, far more often than the hand-made 'melody' chroma."""
    from cmr import chroma, melody

    from cmr import synth

    _, _, notes = chorale
    r = synth.render(notes, synth.Version(bpm=90.0, programs=(56, 57, 58, 58)))
    P = chroma.pitch_features(r.audio, r.sr, feature_rate=themes.FINE_RATE, tuning_cents=0.0)
    top = themes.fold_chroma(themes.skyline(themes.note_roll(r.truth.notes, themes.FINE_RATE, P.shape[1])))
    voiced = top.sum(axis=0) > 0
    truth = np.argmax(top[:, voiced], axis=0)
    conv = melody.learned_chroma(P, melody.load_model(melody.conv_weights_path()))
    hit_conv = np.mean(np.argmax(conv[:, voiced], axis=0) == truth)
    hit_melody = np.mean(np.argmax(themes.melody_chroma(P)[:, voiced], axis=0) == truth)
    assert hit_conv > 0.7 and hit_conv > hit_melody + 0.2, (hit_conv, hit_melody)
    F, _ = themes.database_features(r.audio, r.sr, kinds=["conv"], tuning_cents=0.0)
    expect = chroma.normalize(themes.pool_features(conv, themes.FINE_RATE, themes.FEATURE_RATE, F["conv"].shape[1]),
                              "l2")
    np.testing.assert_allclose(F["conv"], expect, atol=1e-5)


def test_committed_second_voice_model_names_the_voice_below_the_top(chorale):
    """The committed second-voice ensemble (kind 'conv_blend2' of eval_themes.py) names the pitch class of the
    rendered second voice in most frames where it differs from the top voice's, and echoes the top voice there
    less than half as often."""
    from cmr import chroma, melody, synth

    _, _, notes = chorale
    r = synth.render(notes, synth.Version(bpm=90.0, programs=(56, 57, 58, 58)))
    P = chroma.pitch_features(r.audio, r.sr, feature_rate=themes.FINE_RATE, tuning_cents=0.0)
    R = themes.note_roll(r.truth.notes, themes.FINE_RATE, P.shape[1])
    top, second = themes.fold_chroma(themes.skyline(R)), themes.fold_chroma(themes.second_voice(R))
    both = (second.sum(axis=0) > 0) & (np.argmax(top, axis=0) != np.argmax(second, axis=0))
    assert both.sum() > 100
    model = melody.load_model(melody.conv_second_weights_path())
    assert model.voice == "second"
    guess = np.argmax(melody.learned_chroma(P, model)[:, both], axis=0)
    hit_second = np.mean(guess == np.argmax(second[:, both], axis=0))
    hit_top = np.mean(guess == np.argmax(top[:, both], axis=0))
    # (the top-voice model on the same frames names the top voice far more often than the second)
    assert hit_second > 0.5 and hit_top < hit_second / 2, (hit_second, hit_top)


def test_pitch_conv_net_dilated_context_reads_every_second_frame(tmp_path):
    from cmr import melody

    net = melody.PitchConvNet(below=0, above=0, context=1, hidden=(3,), dilation=2)
    P = np.zeros((88, 7))
    P[30, :] = np.arange(1, 8)  # frame t holds energy t + 1 at pitch 30
    X = net.patches(net.padded(P), np.arange(7)).reshape(7, 88, net.dim_in)
    L = melody.log_pitch(P)[30]
    np.testing.assert_allclose(X[3, 30, :3], [L[1], L[3], L[5]])  # frames t - 2, t, t + 2
    np.testing.assert_allclose(X[0, 30, :3], [0.0, L[0], L[2]])  # zero padding before the start
    back = melody.load_model(net.save(tmp_path / "d.npz"))
    assert back.dilation == 2 and back.probabilities(P).shape == (89, 7)
    ens = melody.load_model(melody.MelodyEnsemble([net, melody.PitchConvNet(context=1, hidden=(3,))]).save(
        tmp_path / "e.npz"))
    assert [n.dilation for n in ens.nets] == [2, 1]
    with pytest.raises(ValueError, match="dilation"):
        melody.PitchConvNet(dilation=0)


def test_pitch_conv_net_voice_label_round_trip_and_old_files(tmp_path):
    from cmr import melody

    net = melody.PitchConvNet(below=2, above=3, context=1, hidden=(4,), seed=3, voice="second")
    P = np.random.default_rng(2).random((88, 9)) ** 2
    back = melody.load_model(net.save(tmp_path / "second.npz"))
    assert isinstance(back, melody.PitchConvNet) and back.voice == "second"
    np.testing.assert_allclose(back.probabilities(P), net.probabilities(P), atol=1e-6)
    ens = melody.load_model(melody.MelodyEnsemble(
        [net, melody.MelodyNet(context=1, hidden=(5,), voice="second")]).save(tmp_path / "e.npz"))
    assert ens.voice == "second" and [n.voice for n in ens.nets] == ["second", "second"]
    # a file written without the "voice" key (as before the label existed for this class) loads as top
    top = melody.PitchConvNet(below=2, above=3, context=1, hidden=(4,), seed=3)
    with np.load(top.save(tmp_path / "top.npz")) as z:
        arrays = {k: z[k] for k in z.files if k != "voice"}
    np.savez(tmp_path / "old.npz", **arrays)
    old = melody.load_model(tmp_path / "old.npz")
    assert old.voice == "top"
    np.testing.assert_allclose(old.probabilities(P), top.probabilities(P), atol=1e-6)
    assert melody.load_model(melody.conv_weights_path()).voice == "top"  # the committed conv ensemble
    with pytest.raises(ValueError, match="voice"):
        melody.PitchConvNet(voice="alto")
    with pytest.raises(ValueError, match="different voices"):
        melody.MelodyEnsemble([net, top])


def test_load_database_fine_reads_the_10_hz_file():
    db, info = themes.load_database("conv")
    fine, info_fine = themes.load_database("conv", fine=True)
    assert fine.feature_rate == themes.FINE_RATE and db.feature_rate == themes.FEATURE_RATE
    assert np.array_equal(info["duration"], info_fine["duration"])
    # each recording has twice the frames, less one (both grids start at 0 s and end at the same time)
    assert np.array_equal(fine.doc_lengths(), 2 * db.doc_lengths() - 1)
    with pytest.raises(ValueError, match="not stored"):
        themes.load_database("melody", fine=True)
    with pytest.raises(ValueError, match="either path or fine"):
        themes.load_database("conv", path=themes._data_dir() / "themes_db.npz", fine=True)


def test_tempo_factors_evenly_spaced_on_a_log_scale():
    assert themes.tempo_factors(9) == themes.TEMPO_FACTORS
    tf = np.array(themes.tempo_factors(13))
    assert tf.size == 13 and tf[0] == 0.63 and tf[-1] == 1.59 and np.all(np.diff(tf) > 0)
    ratios = tf[1:] / tf[:-1]
    assert np.allclose(ratios, (1.59 / 0.63) ** (1 / 12), atol=2e-3)
    for bad in (1, 0, 2.5):
        with pytest.raises(ValueError):
            themes.tempo_factors(bad)


def test_development_pieces_split_the_database_in_two_fixed_halves():
    names = [f"piece{i:03d}" for i in range(11)]
    dev = themes.development_pieces(pd.DataFrame({"piece": names[::-1]}))
    assert len(dev) == 5 and dev <= set(names)
    assert dev == themes.development_pieces(names)  # the order of the table does not matter
    pieces, theme_list, _ = themes.load_dataset()
    dev_db = themes.development_pieces(pieces)
    assert len(dev_db) == len(pieces) // 2
    # the committed dev / held-out table (eval_themes.py --split) was made with this split
    split = pd.read_csv(themes._data_dir() / "themes_split.csv").drop_duplicates("subset").set_index("subset")
    assert split.loc["dev", "themes"] == theme_list["piece"].isin(dev_db).sum()
    assert split.loc["held-out", "themes"] == (~theme_list["piece"].isin(dev_db)).sum()
    with pytest.raises(ValueError, match="once"):
        themes.development_pieces(["a", "b", "a"])
