"""Shingles, tempo variants and document-level distances."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import shingles as sh


def _chroma(n, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.random((12, n)).astype(np.float32)
    return C / np.linalg.norm(C, axis=0)


def test_shingle_layout_and_norm():
    C = _chroma(30)
    X = sh.shingles(C, length=4, hop=3)
    assert X.shape == ((30 - 4) // 3 + 1, 48)
    # row 2 starts at frame 6: frames 6..9, one after the other
    expected = C[:, 6:10].T.reshape(-1)
    np.testing.assert_allclose(X[2], expected / np.linalg.norm(expected), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(sh.shingle_to_chroma(X[2]) * np.linalg.norm(expected), C[:, 6:10], rtol=1e-5)


def test_short_and_silent_inputs():
    assert sh.shingles(_chroma(5), length=20).shape == (0, 240)
    X = sh.shingles(np.zeros((12, 25)), length=20)
    assert X.shape == (6, 240) and not np.isnan(X).any() and not X.any()
    with pytest.raises(ValueError, match=r"\(12, N\)"):
        sh.shingles(np.zeros((10, 25)))
    with pytest.raises(ValueError, match="NaN"):
        sh.shingles(np.full((12, 25), np.nan))
    with pytest.raises(ValueError, match="length"):
        sh.shingles(_chroma(30), length=0)


def test_database_bookkeeping():
    feats = [_chroma(25, 0), _chroma(3, 1), _chroma(22, 2)]
    db = sh.build_database(feats, length=20, hop=2)
    assert db.n_docs == 3 and len(db) == 3 + 0 + 2
    assert db.doc_ids.tolist() == [0, 0, 0, 2, 2] and db.starts.tolist() == [0, 2, 4, 0, 2]
    np.testing.assert_allclose(db.X[4], sh.shingles(feats[2][:, 2:22])[0])


def test_document_distances_match_brute_force():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 24)).astype(np.float32)
    doc_ids = rng.integers(0, 6, 90)
    doc_ids[doc_ids == 4] = 5          # document 4 has no shingle
    Q = rng.standard_normal((7, 24)).astype(np.float32)
    groups = np.array([0, 0, 1, 2, 2, 2, 3])
    D = sh.document_distances(Q, X, doc_ids, 6, query_groups=groups, block=3)
    for g in range(4):
        for d in range(6):
            pairs = [np.linalg.norm(q - x) for q in Q[groups == g] for x in X[doc_ids == d]]
            ref = min(pairs) if pairs else np.inf
            assert np.isclose(D[g, d], ref, rtol=1e-4) or (np.isinf(ref) and np.isinf(D[g, d]))


def test_hits_to_documents():
    dist = np.array([[0.1, 0.2, 0.3], [0.5, 0.6, np.inf]])
    idx = np.array([[4, 0, 1], [2, 3, -1]])
    doc_ids = np.array([0, 0, 1, 1, 2])
    D = sh.document_distances_from_hits(dist, idx, doc_ids, 4)
    expected = np.array([[0.2, np.inf, 0.1, np.inf], [np.inf, 0.5, np.inf, np.inf]], dtype=np.float32)
    np.testing.assert_array_equal(D, expected)


def test_tempo_variants_recover_a_stretched_query():
    """A query resampled to another tempo matches best at the inverse tempo factor."""
    C = _chroma(40, 5)
    db = sh.shingles(C, length=20)
    slow = sh.resample_time(C[:, 10:30], 25)      # 20 frames played 25 % slower
    X, var = sh.query_shingles(slow, length=20, tempo_factors=(0.8, 1.0, 1.25))
    assert np.bincount(var).tolist() == [1, 6, 12]   # 20, 25 and 31 frames long
    D = np.linalg.norm(X[:, None, :] - db[None, :, :], axis=2)
    best_row = np.unravel_index(np.argmin(D), D.shape)[0]
    assert var[best_row] == 0 and np.argmin(D[best_row]) == 10
    with pytest.raises(ValueError, match="shorter"):
        sh.query_shingles(C[:, :10], length=20)


def test_resample_time_endpoints_and_identity():
    C = _chroma(9)
    np.testing.assert_allclose(sh.resample_time(C, 9), C, rtol=1e-6)
    R = sh.resample_time(C, 17)
    np.testing.assert_allclose(R[:, 0], C[:, 0], rtol=1e-6)
    np.testing.assert_allclose(R[:, -1], C[:, -1], rtol=1e-6)
    np.testing.assert_allclose(R[:, 2], C[:, 1], rtol=1e-5)   # 2 * 8 / 16 = frame 1 exactly


def test_excerpt_starts():
    assert sh.excerpt_starts(120, 20, 4).tolist() == [12, 38, 62, 88]
    assert sh.excerpt_starts(10, 20, 4).size == 0


def test_training_builder_cuts_notes_and_bar_table_so_no_silent_tail(script):
    """Regression: cutting only the notes left the renderer's bar table (tempo map) running on."""
    from music21 import meter, note, stream

    from cmr import symbolic, synth

    score = stream.Score()
    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    for i in range(32):                       # 8 measures of quarter notes
        part.append(note.Note(60 + i % 12, quarterLength=1))
    score.insert(0, part)
    notes = symbolic.score_notes(score)
    assert len(notes.attrs["measure_starts"]) == 8
    cut = script("build_shingle_training_data").cut_score(notes, 10.0)     # beat 10 lies in measure 3 -> keep 3 measures
    assert len(cut.attrs["measure_starts"]) == 3 and len(cut) == 12 and cut["end_beat"].max() == 12
    v = synth.Version(bpm=120, programs=0)                 # 0.5 s per beat, 1 s release tail
    assert abs(synth.render(cut, v).duration - (12 * 0.5 + 1.0)) < 0.1
    # the old cut (notes only): the rendering runs on to the end of the 8 measures in silence
    old = notes[notes["start_beat"] < 10.0].copy()
    old.attrs.update(notes.attrs)
    assert abs(synth.render(old, v).duration - (32 * 0.5 + 1.0)) < 0.1
    assert script("build_shingle_training_data").cut_score(notes, 40.0) is notes   # score shorter than the limit: unchanged


def test_drop_silent_removes_flat_shingles_and_reindexes_pairs(script):
    mod = script("build_shingle_training_data")
    rng = np.random.default_rng(0)
    X = rng.random((5, 240)).astype(np.float32) + 0.1
    fr = X.reshape(5, 20, 12)
    fr[1, 17:] = 0.3          # 3 silent (flat) frames -> dropped with max_silent=2
    fr[3, :] = 0.2            # all silent
    fr[4, 19:] = 0.5          # 1 silent frame -> kept
    X = fr.reshape(5, 240)
    assert mod.silent_frames(X).sum(axis=1).tolist() == [0, 3, 0, 20, 1]
    data = {"X": X, "piece": np.array([0, 0, 1, 1, 1]), "version": np.array([0, 1, 0, 1, 2]),
            "start": np.arange(5), "beat": np.arange(5.0), "pairs": np.array([[0, 1], [2, 4], [4, 2], [3, 2], [0, 2]]),
            "pieces": np.array(["a", "b"])}
    out, c = mod.drop_silent(data, max_silent=2)
    # kept rows 0, 2, 4 -> new 0, 1, 2; pairs using rows 1 or 3 are gone
    assert np.array_equal(out["X"], X[[0, 2, 4]]) and out["start"].tolist() == [0, 2, 4]
    assert out["pairs"].tolist() == [[1, 2], [2, 1], [0, 1]]
    assert (c["dropped_shingles"], c["all_silent"], c["dropped_pairs"]) == (2, 1, 2)
    assert out["pieces"] is data["pieces"]
    with pytest.raises(ValueError, match="silent_frames"):
        mod.silent_frames(np.zeros((2, 100)))
