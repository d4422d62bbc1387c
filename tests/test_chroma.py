"""Tests for cmr.chroma and cmr.filterbank.

Every check compares against something independent: the known pitch class
of a synthetic tone, librosa's own chroma, a hand-computed note list, or
the ground truth of a rendered score.
"""
import numpy as np
import pandas as pd
import pytest

from cmr import chroma as ch
from cmr import filterbank as fb

SR = 22050


def tone(midi, seconds=1.0, sr=SR, cents=0.0, harmonics=(1.0,), amp=0.3):
    t = np.arange(int(seconds * sr)) / sr
    f0 = 440.0 * 2 ** ((midi - 69) / 12 + cents / 1200)
    y = sum(a * np.sin(2 * np.pi * f0 * (h + 1) * t) for h, a in enumerate(harmonics))
    return (amp * y).astype(np.float32)


def mean_cosine(A, B):
    n = min(A.shape[1], B.shape[1])
    A, B = A[:, :n], B[:, :n]
    num = np.sum(A * B, axis=0)
    den = np.linalg.norm(A, axis=0) * np.linalg.norm(B, axis=0) + 1e-12
    return float(np.mean(num / den))


# --------------------------------------------------------------------------
# frames and seconds
# --------------------------------------------------------------------------

def test_frames_seconds_roundtrip():
    assert ch.frames_to_seconds(25, 10.0) == 2.5
    assert ch.seconds_to_frames(2.54, 10.0) == 25
    np.testing.assert_array_equal(ch.seconds_to_frames(ch.frames_to_seconds(np.arange(7), 50.0), 50.0), np.arange(7))
    assert ch.n_frames(1.0, 10.0) == 11
    with pytest.raises(ValueError, match="feature_rate"):
        ch.frames_to_seconds(3, 0)


def test_frame_count_matches_librosa_convention():
    y = tone(60, 1.23)
    for f in (ch.chroma_stft, ch.chroma_cqt):
        C = f(y, SR, hop_length=2205, tuning=0)
        assert C.shape == (12, 1 + y.size // 2205)
    C = ch.chroma_iir(y, SR, feature_rate=10.0)
    assert C.shape == (12, 1 + y.size // 2205)


# --------------------------------------------------------------------------
# pure tones
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["iir", "stft", "cqt"])
def test_pure_tone_each_pitch_class_is_max(kind):
    # twelve 1-second tones C4..B4 in a row, one chroma computation
    y = np.concatenate([tone(60 + pc, 1.0) for pc in range(12)])
    C, rate = ch.chroma(y, SR, kind=kind, feature_rate=10.0, tuning=0.0)
    for pc in range(12):
        mid = C[:, 10 * pc + 3: 10 * pc + 8].mean(axis=1)
        assert mid.argmax() == pc, (kind, pc, np.round(mid, 2))


def test_pure_tone_each_piano_pitch_is_max_in_filterbank():
    for midi in range(21, 109, 5):
        y = tone(midi, 4.0)  # long: the A0 filter (1.1 Hz wide) needs about a second to settle
        P = fb.pitch_features(y, SR, feature_rate=10.0)
        centre = P[:, 18:23].mean(axis=1)
        assert centre.argmax() + 21 == midi
        # the neighbouring semitones are at least 30 dB lower
        for other in (midi - 1, midi + 1):
            if 21 <= other <= 108:
                assert centre[other - 21] < centre[midi - 21] * 1e-3
        # unit gain at the centre frequency: a sine of amplitude a has mean power a^2/2
        assert centre[midi - 21] == pytest.approx(0.3 ** 2 / 2, rel=0.15)


def test_filterbank_matches_scipy_sosfiltfilt():
    """Our fused float32 kernel against scipy's float64 sosfiltfilt on one group."""
    from scipy import signal

    rng = np.random.default_rng(1)
    x = rng.standard_normal(4000).astype(np.float32)
    k, fs, rows, bank, _ = fb._bank(float(SR), 0.0)[0]
    lo = np.arange(200, 3600, 100, dtype=float) + 0.3
    hi = lo + 250.5
    ours = fb._window_means(x, fb._coefficients(bank), lo, hi, overlap=x.size)
    for j in range(rows.size):
        # forward-backward with zero initial state (what sosfiltfilt does without its padding tricks)
        z = signal.sosfilt(bank[j], signal.sosfilt(bank[j], x.astype(np.float64))[::-1])[::-1] ** 2
        cum = np.concatenate([[0.0], np.cumsum(z)])
        ref = (np.interp(hi, np.arange(cum.size), cum) - np.interp(lo, np.arange(cum.size), cum)) / (hi - lo)
        np.testing.assert_allclose(ours[j], ref, rtol=2e-3, atol=1e-6 * ref.max())


def test_filterbank_chunking_does_not_change_result():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(30000).astype(np.float32)
    k, fs, rows, bank, pad = fb._bank(float(SR), 0.0)[2]
    lo = np.arange(0, 29000, 300, dtype=float)
    hi = lo + 600
    coefs = fb._coefficients(bank)
    whole = fb._window_means(x, coefs, lo, hi, chunk=1 << 20, overlap=x.size)
    pieces = fb._window_means(x, coefs, lo, hi, chunk=2000, overlap=pad)
    np.testing.assert_allclose(pieces, whole, rtol=1e-3, atol=1e-6 * whole.max())


# --------------------------------------------------------------------------
# librosa agreement
# --------------------------------------------------------------------------

@pytest.mark.parametrize("tuning_cents", [0.0, 20.0])
def test_chroma_stft_agrees_with_librosa(tuning_cents):
    import librosa

    rng = np.random.default_rng(0)
    y = np.concatenate([tone(57, 0.5, harmonics=(1, 0.5, 0.3)) + tone(64, 0.5),
                        tone(62, 0.6) + tone(66, 0.6, amp=0.2)])
    y = y + 0.01 * rng.standard_normal(y.size).astype(np.float32)
    ours = ch.chroma_stft(y, SR, n_fft=2048, hop_length=512, tuning=tuning_cents, norm="max")
    ref = librosa.feature.chroma_stft(y=y, sr=SR, n_fft=2048, hop_length=512, tuning=tuning_cents / 100,
                                      norm=np.inf)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------
# degenerate input
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["iir", "stft", "cqt", "crp", "cens"])
@pytest.mark.parametrize("case", ["silence", "constant", "one_sample", "empty"])
def test_no_nan_on_degenerate_input(kind, case):
    y = {"silence": np.zeros(SR, np.float32), "constant": np.full(SR, 0.5, np.float32),
         "one_sample": np.array([0.3], np.float32), "empty": np.zeros(0, np.float32)}[case]
    C, rate = ch.chroma(y, SR, kind=kind, feature_rate=10.0 if kind != "cens" else 1.0, tuning=None)
    assert C.shape[0] == 12 and C.shape[1] >= 1
    assert np.all(np.isfinite(C))
    # l2-normalised: every frame has unit norm (silent frames are flat)
    np.testing.assert_allclose(np.linalg.norm(C, axis=0), 1.0, rtol=1e-4)


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="mono"):
        ch.chroma_iir(np.zeros((2, 100)), SR)
    with pytest.raises(ValueError, match="NaN"):
        ch.chroma_stft(np.array([0.0, np.nan, 1.0]), SR, tuning=0)
    with pytest.raises(ValueError, match="sr"):
        ch.chroma_iir(np.zeros(100), -1)
    with pytest.raises(TypeError, match="y"):
        ch.chroma_iir(None, SR)
    with pytest.raises(ValueError, match="kind"):
        ch.chroma(np.zeros(100), SR, kind="mfcc")
    with pytest.raises(ValueError, match="shape"):
        ch.normalize(np.zeros(12))
    with pytest.raises(ValueError, match="norm"):
        ch.normalize(np.ones((12, 3)), norm="l3")


# --------------------------------------------------------------------------
# normalisation, compression, CENS, shifts
# --------------------------------------------------------------------------

def test_normalize_by_hand():
    X = np.array([[3.0, 0.0, 1.0], [4.0, 0.0, 1.0]])
    np.testing.assert_allclose(ch.normalize(X, "l2"), [[0.6, 2 ** -0.5, 2 ** -0.5], [0.8, 2 ** -0.5, 2 ** -0.5]],
                               rtol=1e-6)
    np.testing.assert_allclose(ch.normalize(X, "l1"), [[3 / 7, 0.5, 0.5], [4 / 7, 0.5, 0.5]], rtol=1e-6)
    np.testing.assert_allclose(ch.normalize(X, "max"), [[0.75, 1, 1], [1, 1, 1]], rtol=1e-6)
    np.testing.assert_allclose(ch.normalize(X, "l2", fill="zero")[:, 1], [0, 0])
    # a frame 1e-7 of the loudest one counts as silent (relative threshold)
    Y = np.array([[1.0, 1e-7], [0.0, 0.0]])
    np.testing.assert_allclose(ch.normalize(Y, "max", threshold=1e-6)[:, 1], [1, 1])
    np.testing.assert_allclose(ch.normalize(Y, "max", threshold=1e-8, relative=False)[:, 1], [1, 0])


def test_log_compress():
    X = np.array([[0.0, 1.0, 9.0]])
    np.testing.assert_allclose(ch.log_compress(X, 1.0), np.log([[1, 2, 10]]), rtol=1e-6)
    np.testing.assert_allclose(ch.log_compress(X, 9.0, ref="max"), np.log([[1, 2, 10]]), rtol=1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        ch.log_compress(-X)


def test_cens_by_hand_without_smoothing():
    # l1 values 0.5, 0.3, 0.15, 0.05 -> quantised 4, 3, 2, 1 (thresholds .4 .2 .1 .05)
    C = np.zeros((12, 4))
    C[[0, 4, 7, 11], :] = np.array([0.5, 0.3, 0.15, 0.05])[:, None] * 10
    Z, rate = ch.cens(C, 10.0, smooth_len=1, downsample=2)
    assert rate == 5.0 and Z.shape == (12, 2)
    expected = np.zeros(12)
    expected[[0, 4, 7, 11]] = [4, 3, 2, 1]
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(Z[:, 0], expected, rtol=1e-6)


def test_cens_target_rate_and_smoothing():
    rng = np.random.default_rng(3)
    C = rng.random((12, 301))
    Z, rate = ch.cens(C, 50.0, smooth_len=21, target_rate=2.0)
    assert rate == 2.0
    assert Z.shape == (12, ch.n_frames(300 / 50.0, 2.0))
    np.testing.assert_allclose(np.linalg.norm(Z, axis=0), 1.0, rtol=1e-5)
    # smoothing reduces frame-to-frame change
    Zs, _ = ch.cens(C, 50.0, smooth_len=41, downsample=1)
    Z1, _ = ch.cens(C, 50.0, smooth_len=1, downsample=1)
    assert np.abs(np.diff(Zs, axis=1)).mean() < 0.3 * np.abs(np.diff(Z1, axis=1)).mean()


def test_shift_is_transposition():
    C = np.zeros((12, 1))
    C[0] = 1  # C
    assert ch.shift(C, 7)[7, 0] == 1  # up a fifth: G
    assert ch.shift(C, -1)[11, 0] == 1
    y_c = tone(60, 1.0, harmonics=(1, 0.5)) + tone(64, 1.0) + tone(67, 1.0)
    y_d = tone(62, 1.0, harmonics=(1, 0.5)) + tone(66, 1.0) + tone(69, 1.0)
    Cc = ch.chroma_iir(y_c, SR, feature_rate=10)
    Cd = ch.chroma_iir(y_d, SR, feature_rate=10)
    sims = [mean_cosine(ch.shift(Cc, k), Cd) for k in range(12)]
    assert int(np.argmax(sims)) == 2 and sims[2] > 0.99


# --------------------------------------------------------------------------
# tuning
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cents", [-30.0, 0.0, 30.0])
def test_estimate_tuning_of_detuned_chord(cents):
    y = sum(tone(m, 2.0, cents=cents, harmonics=(1, 0.5, 0.3)) for m in (57, 61, 64))
    assert ch.estimate_tuning(y, SR) == pytest.approx(cents, abs=5)


def test_filterbank_tuning_compensation_on_tones():
    # a tone 50 cents sharp sits between two filters; with compensation it is centred again
    y = tone(69, 2.0, cents=50)
    P0 = fb.pitch_features(y, SR, feature_rate=10, tuning_cents=0)
    P50 = fb.pitch_features(y, SR, feature_rate=10, tuning_cents=50)
    assert P50[69 - 21, 10] > 5 * P0[69 - 21, 10]
    assert P50[69 - 21, 10] == pytest.approx(0.3 ** 2 / 2, rel=0.15)


# --------------------------------------------------------------------------
# symbolic chroma
# --------------------------------------------------------------------------

def test_symbolic_chroma_by_hand():
    notes = pd.DataFrame({"start": [0.0, 0.25], "end": [0.5, 0.45], "pitch": [60, 67]})
    C = ch.symbolic_chroma(notes, feature_rate=10.0, norm=None)
    # frames centred at 0, .1, ..., .5; cell of frame n is [(n-.5)/10, (n+.5)/10)
    assert C.shape == (12, 6)
    np.testing.assert_allclose(C[0], [0.05, 0.1, 0.1, 0.1, 0.1, 0.05], atol=1e-7)
    np.testing.assert_allclose(C[7], [0, 0, 0.0, 0.1, 0.1, 0], atol=1e-7)
    assert np.all(C[[1, 2, 3, 4, 5, 6, 8, 9, 10, 11]] == 0)
    # array input and duration
    arr = notes[["start", "end", "pitch"]].to_numpy()
    C2 = ch.symbolic_chroma(arr, 10.0, duration=1.0, norm=None)
    assert C2.shape == (12, 11)
    np.testing.assert_allclose(C2[:, :6], C, atol=1e-7)
    # harmonics: the 3rd harmonic of C lands on G (offset 19 semitones = 7 mod 12)
    C3 = ch.symbolic_chroma(notes.iloc[:1], 10.0, harmonics=(1.0, 0.0, 0.5), norm=None)
    np.testing.assert_allclose(C3[7], 0.25 * C3[0], rtol=1e-6)


def test_symbolic_chroma_bad_notes():
    with pytest.raises(ValueError, match="missing"):
        ch.symbolic_chroma(pd.DataFrame({"start": [0.0], "pitch": [60]}), 10.0)
    with pytest.raises(ValueError, match="end must be >= start"):
        ch.symbolic_chroma(np.array([[1.0, 0.5, 60]]), 10.0)
    C = ch.symbolic_chroma(np.zeros((0, 3)), 10.0)
    assert C.shape == (12, 1) and np.all(np.isfinite(C))


def test_symbolic_vs_audio_chroma_of_synthetic_notes():
    rng = np.random.default_rng(4)
    starts = np.sort(rng.uniform(0, 4, 12))
    notes = pd.DataFrame({"start": starts, "end": starts + rng.uniform(0.3, 1.0, 12),
                          "pitch": rng.integers(48, 80, 12)})
    dur = float(notes.end.max()) + 0.2
    y = np.zeros(int(dur * SR), np.float32)
    for s, e, p in notes[["start", "end", "pitch"]].to_numpy():
        a, b = int(s * SR), int(e * SR)
        y[a:b] += tone(p, (b - a + 1) / SR, harmonics=(1, 0.4, 0.2))[: b - a]
    Ca = ch.chroma_iir(y, SR, feature_rate=10)
    Cs = ch.symbolic_chroma(notes, 10.0, duration=dur)
    active = Cs.std(axis=0) > 1e-6  # skip silent (flat) frames of the score
    assert mean_cosine(Ca[:, active], Cs[:, active]) > 0.8


# --------------------------------------------------------------------------
# rendered versions (cmr.synth): tuning, transposition, symbolic vs audio
# --------------------------------------------------------------------------

# I vi IV V I vi ii V I in C major, four voices, two beats per chord
CHORDS = [[48, 64, 67, 72], [45, 64, 69, 72], [41, 65, 69, 72], [43, 62, 67, 71], [48, 64, 67, 72],
          [45, 60, 64, 69], [50, 65, 69, 74], [43, 62, 65, 71], [48, 60, 64, 72]]


@pytest.fixture(scope="module")
def renderings():
    synth = pytest.importorskip("cmr.synth")
    notes = pd.DataFrame([(2.0 * i, 2.0 * i + 2.0, p) for i, c in enumerate(CHORDS) for p in c],
                         columns=["start_beat", "end_beat", "pitch"])
    notes["velocity"] = 80
    base = synth.Version(name="piano", programs=0, bpm=120)
    return {
        "in_tune": synth.render(notes, base),
        "sharp30": synth.render(notes, base.replace(name="sharp", tuning_cents=30.0)),
        "up3": synth.render(notes, base.replace(name="up3", transpose=3, programs=48)),  # strings, up 3
    }


@pytest.mark.parametrize("kind", ["iir", "stft", "cqt"])
def test_tuning_compensation_on_rendered_versions(renderings, kind):
    a, b = renderings["in_tune"], renderings["sharp30"]
    cents = ch.estimate_tuning(b.audio, b.sr)
    assert cents == pytest.approx(30.0, abs=5.0)
    assert ch.estimate_tuning(a.audio, a.sr) == pytest.approx(0.0, abs=5.0)
    Ca, _ = ch.chroma(a.audio, a.sr, kind=kind, feature_rate=10.0, tuning=0.0)
    Cb_raw, _ = ch.chroma(b.audio, b.sr, kind=kind, feature_rate=10.0, tuning=0.0)
    Cb, _ = ch.chroma(b.audio, b.sr, kind=kind, feature_rate=10.0, tuning=cents)
    assert mean_cosine(Ca, Cb) > 0.95
    assert mean_cosine(Ca, Cb) > mean_cosine(Ca, Cb_raw)
    # tuning=None estimates by itself
    Cb_auto, _ = ch.chroma(b.audio, b.sr, kind=kind, feature_rate=10.0, tuning=None)
    assert mean_cosine(Ca, Cb_auto) > 0.95


@pytest.mark.parametrize("kind", ["iir", "cens"])
def test_transposed_version_matches_after_shift(renderings, kind):
    a, b = renderings["in_tune"], renderings["up3"]
    rate = 10.0 if kind == "iir" else 2.0
    Ca, _ = ch.chroma(a.audio, a.sr, kind=kind, feature_rate=rate)
    Cb, _ = ch.chroma(b.audio, b.sr, kind=kind, feature_rate=rate)
    sims = np.array([mean_cosine(ch.shift(Ca, k), Cb) for k in range(12)])
    assert int(np.argmax(sims)) == 3
    assert sims[3] > 0.8  # piano vs strings: timbre differs, harmony does not
    assert sims[3] - np.sort(sims)[-2] > 0.1


@pytest.mark.parametrize("kind", ["iir", "stft", "cqt"])
def test_symbolic_chroma_correlates_with_rendered_audio(renderings, kind):
    r = renderings["in_tune"]
    Ca, rate = ch.chroma(r.audio, r.sr, kind=kind, feature_rate=10.0, tuning=0.0)
    Cs = ch.symbolic_chroma(r.notes, rate, duration=r.audio.size / r.sr)
    assert Cs.shape == Ca.shape
    sounding = Cs.std(axis=0) > 1e-6
    assert mean_cosine(Ca[:, sounding], Cs[:, sounding]) > 0.8
    # and the notes of the transposed version against its own audio
    t = renderings["up3"]
    Ct, _ = ch.chroma(t.audio, t.sr, kind=kind, feature_rate=10.0, tuning=0.0)
    Cst = ch.symbolic_chroma(t.notes, rate, duration=t.audio.size / t.sr)
    sounding = Cst.std(axis=0) > 1e-6
    assert mean_cosine(Ct[:, sounding], Cst[:, sounding]) > 0.8


# --------------------------------------------------------------------------
# comparing feature sequences
# --------------------------------------------------------------------------

def test_frame_cosine_and_stretch_by_hand():
    A = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    B = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(ch.frame_cosine(A, B), [1.0, 2 ** -0.5, 0.0])
    # B2 is A played at half speed: every frame twice
    B2 = np.repeat(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), 2, axis=1)
    A2 = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    assert ch.stretched_similarity(A2, B2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        ch.frame_cosine(A, B2)


def test_smooth_keeps_rate_and_averages():
    C = np.zeros((12, 41))
    C[0, :20] = 1.0
    C[7, 21:] = 1.0
    S = ch.smooth(C, 11, norm=None)
    assert S.shape == C.shape
    # far from the change: unchanged up to the Hann weights summing to one
    assert S[0, 5] == pytest.approx(1.0) and S[7, 35] == pytest.approx(1.0)
    # at the change: both classes present
    assert 0.2 < S[0, 20] < 0.8 and 0.2 < S[7, 20] < 0.8


def test_aligned_similarity_uses_ground_truth(renderings):
    synth = pytest.importorskip("cmr.synth")
    a = renderings["in_tune"]
    notes = pd.DataFrame([(2.0 * i, 2.0 * i + 2.0, p) for i, c in enumerate(CHORDS) for p in c],
                         columns=["start_beat", "end_beat", "pitch"])
    # the same music with a strong tempo curve: slow start, fast end
    slow = synth.render(notes, synth.Version(name="curve", programs=0, bpm=120,
                                             tempo_curve=((0.0, 0.6), (18.0, 1.6))))
    Ca = ch.chroma_iir(a.audio, a.sr, feature_rate=10.0)
    Cs = ch.chroma_iir(slow.audio, slow.sr, feature_rate=10.0)
    aligned = ch.aligned_similarity(Ca, Cs, 10.0, a.truth, slow.truth)
    stretched = ch.stretched_similarity(Ca, Cs)
    assert aligned > 0.9
    assert aligned > stretched + 0.1
    assert ch.aligned_similarity(Ca, Ca, 10.0, a.truth, a.truth) == pytest.approx(1.0, abs=1e-6)
    # nothing to compare (B has no frames): a clear error, not a silent NaN
    with pytest.raises(ValueError, match="truth_a, truth_b"):
        ch.aligned_similarity(Ca, Ca[:, :0], 10.0, a.truth, a.truth)


# --------------------------------------------------------------------------
# figures and widget (smoke tests: they build without error and show what they claim)
# --------------------------------------------------------------------------

def test_plots_and_widget_build():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cmr.plot import chroma as cplot
    from cmr.widgets.chroma import chroma_explorer

    y = np.concatenate([tone(60, 1.0), tone(67, 1.0)])
    C = ch.chroma_iir(y, SR, feature_rate=10.0)
    ax = cplot.chromagram(C, 10.0)
    # frames are centred: the image spans [-0.5/rate, (N-0.5)/rate]
    assert ax.images[0].get_extent()[:2] == pytest.approx([-0.05, (C.shape[1] - 0.5) / 10.0])
    cplot.pitchgram(ch.pitch_features(y, SR, feature_rate=10.0), 10.0)
    cplot.filter_responses([21, 69, 108])
    cplot.spectrogram(y, SR, mark_pitches=[60, 67])
    cplot.chroma_grid([(C, 10.0, "a"), (ch.crp(ch.pitch_features(y, SR, 10.0)), 10.0, "crp")])
    cplot.shift_similarities(np.linspace(0, 1, 12))
    assert cplot.note_name(60) == "C4" and cplot.note_name(21) == "A0"
    plt.close("all")
    box = chroma_explorer({"a": y, "b": 0.5 * y}, SR)
    players = box.children[-1].children
    assert len(players) == 2 and all("<audio" in p.value for p in players)
    plt.close("all")


def test_chroma_explorer_reacts_to_its_controls(monkeypatch):
    """Every control redraws: the similarity line and the players change; play_sr sets the player rate."""
    import base64
    import io
    import re
    import wave

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cmr import audio, synth
    from cmr.widgets.chroma import chroma_explorer

    names = ["piano", "piano-rubato"]
    versions = {v: audio.load_example("mozart-k545", v) for v in names}
    truths = {v: synth.load_example_truth("mozart-k545", v) for v in names}
    shown = []  # the left chromagram of every redraw
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(plt.gcf().axes[0].images[0].get_array().copy()))
    box = chroma_explorer(versions, SR, truths=truths, excerpt=3.0, play_sr=11025)
    rows = box.children[0].children
    w_left, w_right, w_kind = rows[0].children
    w_rate, w_norm, w_quant = rows[1].children
    w_gamma, w_smooth = rows[2].children
    w_start = rows[3]
    info = box.children[2]
    players = box.children[-1].children

    def rate_and_seconds(html):
        data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", html).group(1))
        with wave.open(io.BytesIO(data)) as f:
            return f.getframerate(), round(f.getnframes() / f.getframerate(), 2)

    def similarity():
        return float(re.search(r"positions: ([0-9.]+)", info.value).group(1))

    assert [rate_and_seconds(p.value) for p in players] == [(11025, 3.0)] * 2
    old = players[0].value
    w_start.value = 2.0
    assert players[0].value != old and "2.0-5.0 s" in players[0].value
    w_rate.value = 5
    assert "5.00 Hz" in info.value
    for widget, value in [(w_smooth, 11), (w_gamma, 100), (w_quant, True), (w_kind, "stft"), (w_right, "piano")]:
        old = similarity()
        widget.value = value
        assert similarity() != old, widget.description
    assert similarity() == pytest.approx(1.0)  # the same version on both sides
    # the frame normalisation leaves cosine similarities alone but changes the picture
    w_quant.value = False
    before = shown[-1]
    w_norm.value = None
    assert not np.allclose(shown[-1], before)
    assert len(shown) == 10  # one redraw per change
    plt.close("all")
    with pytest.raises(ValueError, match="play_sr"):
        chroma_explorer({"a": versions["piano"]}, SR, play_sr=10.5)
