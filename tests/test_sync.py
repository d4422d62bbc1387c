"""cmr.sync: time maps, error measures, key estimation, and alignment against rendered ground truth."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import sync


# ---------------------------------------------------------------------------
# time maps and errors (hand-made examples)
# ---------------------------------------------------------------------------

def test_path_to_map_averages_repeated_times():
    path = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [2.0, 4.0], [3.0, 4.0]])
    ta, tb = sync.path_to_map(path)
    np.testing.assert_array_equal(ta, [0, 1, 2, 3])
    np.testing.assert_array_equal(tb, [0, 2, 4, 4])


def test_warp_time_interpolates_clamps_and_inverts():
    # B is A played twice as slow after a 1 s delay
    ta = np.linspace(0, 10, 101)
    path = np.c_[ta, 1 + 2 * ta]
    assert sync.warp_time(path, 2.5) == pytest.approx(6.0)
    np.testing.assert_allclose(sync.warp_time(path, [0.0, 4.0, 10.0]), [1.0, 9.0, 21.0])
    assert sync.warp_time(path, 12.0) == pytest.approx(21.0)  # clamped at the end
    assert sync.warp_time(path, 9.0, inverse=True) == pytest.approx(4.0)


def test_alignment_errors_on_known_offsets():
    path = np.c_[np.arange(11.0), np.arange(11.0)]  # identity map
    ref_a = np.array([1.0, 2.0, 3.0, 4.0])
    ref_b = ref_a + np.array([0.0, 0.04, -0.2, 0.3])
    e = sync.alignment_errors(path, ref_a, ref_b)
    np.testing.assert_allclose(e.errors, [0.0, 0.04, 0.2, 0.3])
    assert e.mean == pytest.approx(0.135)
    assert e.median == pytest.approx(0.12)
    assert (e.within_50ms, e.within_100ms, e.within_250ms) == (0.5, 0.5, 0.75)
    # a callable works as well
    assert sync.alignment_errors(lambda t: t + 0.01, ref_a, ref_a).mean == pytest.approx(0.01)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="same length"):
        sync.alignment_errors(np.c_[[0.0, 1.0], [0.0, 1.0]], [0.5], [0.5, 0.6])
    with pytest.raises(ValueError, match="monotone"):
        sync.warp_time(np.array([[0.0, 1.0], [1.0, 0.0]]), 0.5)
    with pytest.raises(ValueError, match=r"\(12, N\)"):
        sync.sync_chroma(np.ones((11, 20)), np.ones((12, 20)), 10.0, None)
    with pytest.raises(ValueError, match="no frames"):
        sync.sync_chroma(np.ones((12, 0)), np.ones((12, 20)), 10.0, None)
    with pytest.raises(ValueError, match="NaN"):
        sync.sync_chroma(np.full((12, 5), np.nan), np.ones((12, 20)), 10.0, None)
    with pytest.raises(ValueError, match="silent"):
        sync.sync_audio_audio(np.zeros(22050), np.ones(22050), 22050)
    with pytest.raises(ValueError, match="non-empty"):
        sync.sync_audio_audio(np.zeros(0), np.ones(22050), 22050)
    with pytest.raises(ValueError, match="whole number"):
        sync.sync_features(np.ones((12, 20)), 50.0, target_rate=30.0)


# ---------------------------------------------------------------------------
# synthetic chroma with a known warp
# ---------------------------------------------------------------------------

def _chord_sequence(seed=0, n_chords=40, rate=50.0):
    """Chroma of a random chord sequence with random chord lengths (0.2-0.8 s), plus chord onset times."""
    g = np.random.default_rng(seed)
    lengths = g.uniform(0.2, 0.8, n_chords)
    onsets = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    total = float(lengths.sum())
    chords = np.zeros((n_chords, 12))
    for i in range(n_chords):
        chords[i, g.choice(12, 3, replace=False)] = g.uniform(0.5, 1.0, 3)

    def render(warp, length):
        t = np.arange(int(length * rate)) / rate
        score_t = warp(t)
        idx = np.clip(np.searchsorted(onsets, score_t, side="right") - 1, 0, n_chords - 1)
        since = score_t - onsets[idx]
        C = chords[idx].T * np.exp(-1.5 * since)[None, :] + 0.01
        return C

    return render, onsets, total


def test_sync_chroma_recovers_a_known_tempo_curve_and_key():
    render, onsets, total = _chord_sequence()
    Ca = render(lambda t: t, total)
    # B: slow start, fast end (score time as a function of B time), and 4 semitones higher
    length_b = 1.2 * total

    def warp_b(u):
        x = u / length_b
        return total * (0.6 * x + 0.4 * x ** 2)

    Cb = np.roll(render(warp_b, length_b), 4, axis=0)
    al = sync.sync_chroma(Ca, Cb, 50.0, 25.0)
    assert al.shift == 8  # rolling B by 8 more semitones undoes the +4
    # true B time of every chord onset: invert warp_b
    u = np.linspace(0, length_b, 20001)
    truth_b = np.interp(onsets, warp_b(u), u)
    e = sync.alignment_errors(al, onsets[1:-1], truth_b[1:-1])
    assert e.mean < 0.05
    assert e.within_100ms > 0.95


@pytest.mark.parametrize("k", [0, 3, 7, 11])
def test_estimate_shift_undoes_a_transposition(k):
    render, _, total = _chord_sequence(seed=5)
    Ca = render(lambda t: t, total)
    Cb = np.roll(render(lambda t: 0.9 * t, total / 0.9), -k, axis=0)
    shift, costs = sync.estimate_shift(Ca, Cb, 50.0)
    assert shift == k % 12
    assert costs.shape == (12,) and np.argmin(costs) == shift


def test_features_halves_have_unit_norm_and_time_offset():
    render, _, total = _chord_sequence(seed=2)
    C = render(lambda t: t, total)
    X, rate, offset = sync.sync_features(C, 50.0, 25.0)
    assert X.shape[0] == 24 and rate == 25.0 and offset == pytest.approx(0.01)
    norms = np.linalg.norm(X[:12], axis=0)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)
    on = np.linalg.norm(X[12:], axis=0)
    assert np.all((np.abs(on - 1) < 1e-5) | (on == 0))
    X0, _, _ = sync.sync_features(C, 50.0, 25.0, onset_weight=0)
    assert X0.shape[0] == 12


# ---------------------------------------------------------------------------
# rendered audio with exact ground truth (committed example audio)
# ---------------------------------------------------------------------------

def _example(piece, version):
    from cmr import audio, synth

    try:
        y = audio.load_example(piece, version)
        truth = synth.load_example_truth(piece, version)
    except (FileNotFoundError, ValueError) as exc:  # pragma: no cover - only without audio/
        pytest.skip(f"example audio not available: {exc}")
    return y, truth


def test_audio_audio_sync_on_rendered_versions_with_tempo_curve():
    from cmr import synth

    ya, ta = _example("mozart-k545", "piano")
    yb, tb = _example("mozart-k545", "piano-rubato")
    assert tb.version.tempo_curve  # the pair really has a tempo curve
    al = sync.sync_audio_audio(ya, yb, 22050)
    onsets = np.unique(ta.notes["start"].to_numpy())
    ref = synth.map_time(onsets, ta, tb)
    ok = np.isfinite(ref)
    e = sync.alignment_errors(al, onsets[ok], ref[ok])
    assert al.shift == 0
    assert e.mean <= 0.05
    assert e.within_100ms >= 0.95


def test_audio_audio_sync_handles_a_key_difference():
    from cmr import synth

    ya, ta = _example("schubert-lindenbaum", "clarinet-piano")
    yb, tb = _example("schubert-lindenbaum", "cello-piano-down5")
    al = sync.sync_audio_audio(ya, yb, 22050)
    assert al.shift == 5  # B is 5 semitones lower: roll it up by 5
    onsets = np.unique(ta.notes["start"].to_numpy())
    ref = synth.map_time(onsets, ta, tb)
    ok = np.isfinite(ref)
    assert sync.alignment_errors(al, onsets[ok], ref[ok]).mean <= 0.05


def test_audio_audio_sync_with_a_slow_attack_string_ensemble():
    # piano against a string ensemble (GM program 48: layered attacks of 30-450 ms, long release) that
    # plays slower with a tempo curve. Chroma energy of the strings builds up late; the default features
    # (pitch_onsets at 50 Hz) must still place the notes within 50 ms on average, in both directions.
    # (The earlier defaults, onsets='chroma' at 25 Hz, are off by about 180 ms here.)
    from cmr import synth

    notes = synth.random_piece(0, 16)
    a = synth.render(notes, synth.Version(name="piano", programs=0, bpm=100))
    b = synth.render(notes, synth.Version(name="strings", programs=48, bpm=92,
                                          tempo_curve=((0, 0.85), (8, 1.15), (19.2, 0.9))))
    onsets_a = np.unique(a.truth.notes["start"].to_numpy())
    truth_b = synth.map_time(onsets_a, a.truth, b.truth)
    assert np.all(np.isfinite(truth_b))
    ab = sync.sync_audio_audio(a.audio, b.audio, a.truth.sr)
    assert ab.shift == 0 and ab.feature_rate == 50.0
    assert sync.alignment_errors(ab, onsets_a, truth_b).mean <= 0.05
    ba = sync.sync_audio_audio(b.audio, a.audio, a.truth.sr)
    assert sync.alignment_errors(ba, truth_b, onsets_a).mean <= 0.05


def test_pitch_onsets_mark_the_start_of_a_rise_once():
    # one pitch band: silence, a slow linear rise of the amplitude over 0.4 s from t = 1 s, a steady level
    # with a 20 ms dip (beating) at 2.5 s. The onset is the first frame of the rise, not its steepest
    # point and not the recovery from the dip (shorter than the 50 ms lookback); it lands in chroma band
    # (21 + 39) % 12 = 0 (C).
    rate = 50.0
    t = np.arange(200) / rate
    amp = np.clip((t - 1.0) / 0.4, 0, 1)
    amp[125] *= 0.3
    P = np.zeros((88, t.size))
    P[39] = amp ** 2
    O = sync.pitch_onsets(P, rate)
    assert O.shape == (12, t.size)
    assert np.count_nonzero(O) == 1
    assert np.flatnonzero(O[0]) == [51]  # t = 1.02 s, the first frame with energy
    # without peak picking the slow rise leaves a trail of onsets over its 0.4 s
    trail = sync.pitch_onsets(P, rate, peak_window=0.0, threshold=0.0)
    assert np.count_nonzero(trail[0, 50:72]) >= 15
    # a quiet steady tone in another band (E) that gets 30% louder at 3 s: a rise of log(1.3) = 0.26,
    # far below a fifth of the strong event (about 10), so the default threshold drops it
    P2 = P.copy()
    P2[43] = 1e-3
    P2[43, 150:] = 1.3e-3
    assert np.flatnonzero(sync.pitch_onsets(P2, rate, threshold=0.0)[4]).tolist() == [150]
    assert not np.any(sync.pitch_onsets(P2, rate)[4])
    assert not np.any(sync.pitch_onsets(np.zeros((88, 10)), rate))  # silence: no onsets, no NaN
    with pytest.raises(ValueError, match="non-negative"):
        sync.pitch_onsets(-P, rate)


def test_local_onset_norm_keeps_frames_between_onsets_short():
    render, _, total = _chord_sequence(seed=2)
    C = render(lambda t: t, total)
    O = np.zeros_like(C)
    O[3, 100] = 1.0  # one onset at 2 s
    O[5, 100:] += 1e-3 * np.random.default_rng(0).random(C.shape[1] - 100)  # weak noise afterwards
    Xf, _, _ = sync.sync_features(C, 50.0, onsets=O, onset_norm="frame")
    Xl, _, _ = sync.sync_features(C, 50.0, onsets=O, onset_norm="local")
    far = slice(115, 145)  # 0.3-0.9 s after the onset, where its 0.2 s smear has died out: noise only
    np.testing.assert_allclose(np.linalg.norm(Xf[12:, far], axis=0), 1.0, atol=1e-5)  # noise blown up
    assert np.linalg.norm(Xl[12:, far], axis=0).max() < 0.05
    assert np.linalg.norm(Xl[12:, 100]) == pytest.approx(1.0, abs=1e-5)
    assert np.argmax(Xl[12:, 100]) == 3
    with pytest.raises(ValueError, match="onset_norm"):
        sync.sync_features(C, 50.0, onsets=O, onset_norm="max")


def test_score_audio_sync_maps_beats_to_audio_times():
    yb, tb = _example("mozart-k545", "piano-rubato")
    notes = tb.notes[["start_beat", "end_beat", "pitch", "velocity"]].copy()
    bpm = 100.0
    al = sync.sync_score_audio(notes, yb, 22050, bpm=bpm)
    beats = np.unique(notes["start_beat"].to_numpy())
    e = sync.alignment_errors(al, beats * 60 / bpm, tb.beat_to_time(beats))
    assert al.info["bpm"] == bpm
    assert e.mean <= 0.05


def test_map_between_goes_through_the_reference():
    # three versions, B = 2 x A, C = A + 1 s: map B -> C without aligning B with C directly
    t = np.linspace(0, 10, 11)
    als = {"A": sync.Alignment(np.c_[t, t], np.zeros((2, 2), int), 0.0, 0, 0.0),
           "B": sync.Alignment(np.c_[t, 2 * t], np.zeros((2, 2), int), 0.0, 0, 0.0),
           "C": sync.Alignment(np.c_[t, t + 1], np.zeros((2, 2), int), 0.0, 0, 0.0)}
    assert sync.map_between(als, "B", "C", 8.0) == pytest.approx(5.0)
    assert sync.map_between(als, "C", "B", 5.0) == pytest.approx(8.0)
    with pytest.raises(ValueError, match="unknown version"):
        sync.map_between(als, "B", "D", 1.0)


def test_interpretation_switcher_continues_at_the_mapped_position():
    pytest.importorskip("ipywidgets")
    from cmr.widgets.dtw import interpretation_switcher

    sr = 8000
    t = np.linspace(0, 10, 11)
    versions = {"A": np.random.default_rng(0).normal(size=10 * sr).astype(np.float32),
                "B": np.random.default_rng(1).normal(size=20 * sr).astype(np.float32)}
    als = {"A": sync.Alignment(np.c_[t, t], np.zeros((2, 2), int), 0.0, 0, 0.0),
           "B": sync.Alignment(np.c_[t, 2 * t], np.zeros((2, 2), int), 0.0, 0, 0.0)}
    box = interpretation_switcher(versions, sr, alignments=als)
    toggle, (slider, play, stop), info = box.children[0], box.children[1].children, box.children[2]
    slider.value = 4.0
    toggle.value = "B"  # not playing: the slider moves to the corresponding position of B
    assert slider.value == pytest.approx(8.0)
    assert slider.max == pytest.approx(20.0)
    assert "press play" in info.value
    play.click()  # playing B from 8 s; switching back estimates the playhead (>= 8 s of B)
    assert "autoplay" in box.children[3].value
    toggle.value = "A"
    assert 4.0 <= slider.value <= 4.5
    assert "<b>A</b> from 4." in box.children[3].value
