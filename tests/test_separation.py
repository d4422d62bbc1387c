"""Score-informed separation: masks, NMF constraints, SDR, and a two-part separation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cmr import separation as S

SR = 22050


def _tone(pitch, dur, sr=SR, n_harm=8):
    t = np.arange(int(round(dur * sr))) / sr
    f = 440.0 * 2 ** ((pitch - 69) / 12)
    y = sum(np.sin(2 * np.pi * h * f * t) / h for h in range(1, n_harm + 1) if h * f < sr / 2)
    env = np.minimum(1, np.minimum(t / 0.01, (dur - t) / 0.05))
    return (y * env).astype(np.float32)


def _two_part_mixture(seconds=6.0, seed=0):
    """A melody (C5-C6) over a bass line (C3-C4), random notes, with the true stems."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    stems = {0: np.zeros(n, np.float32), 1: np.zeros(n, np.float32)}
    rows = []
    for part, (lo, hi) in enumerate([(72, 84), (48, 60)]):
        t = 0.0
        while t < seconds - 1.0:
            d = float(rng.choice([0.25, 0.5, 1.0]))
            p = int(rng.integers(lo, hi))
            x = _tone(p, d)
            a = int(round(t * SR))
            stems[part][a:a + len(x)] += 0.3 * x
            rows.append((t, t + d, p, part))
            t += d
    notes = pd.DataFrame(rows, columns=["start", "end", "pitch", "part"])
    return stems[0] + stems[1], stems, notes


def test_harmonic_comb_peaks_at_harmonics():
    freqs = np.linspace(0, SR / 2, 1025)
    comb = S.harmonic_comb(69, freqs, n_harmonics=4, tolerance_cents=30)
    # bins at 440, 880, 1320, 1760 Hz are inside the comb, 660 Hz is not
    for f, expected in [(440, 1.0), (880, 0.5), (1320, 1 / 3), (1760, 0.25)]:
        assert comb[np.argmin(np.abs(freqs - f))] == pytest.approx(expected)
    assert comb[np.argmin(np.abs(freqs - 660))] == 0
    # a 50-cent tuning offset moves the comb up by a quarter tone
    shifted = S.harmonic_comb(69, freqs, n_harmonics=1, tolerance_cents=10, tuning_cents=50)
    assert abs(freqs[np.argmax(shifted)] - 440 * 2 ** (1 / 24)) < freqs[1]


def test_masks_sum_to_one_and_parts_add_up_to_mixture():
    y, _, notes = _two_part_mixture(4.0)
    for method in ("mask", "nmf"):
        sep = S.separate(y, SR, notes, method=method)
        assert sep.masks.shape[0] == 2
        assert np.allclose(sep.masks.sum(axis=0), 1.0, atol=1e-5)
        recon = sep.audio[0] + sep.audio[1]
        # the STFT round trip is nearly exact, so the parts add up to the mixture
        assert S.sdr(y, recon) > 40


def test_nmf_keeps_zeros():
    rng = np.random.default_rng(1)
    V = rng.random((20, 30)).astype(np.float32)
    W = rng.random((20, 3)).astype(np.float32)
    H = rng.random((3, 30)).astype(np.float32)
    W[:5, 0] = 0
    H[1, 10:] = 0
    W2, H2 = S.nmf_score_informed(V, W, H, n_iter=20)
    assert np.all(W2[:5, 0] == 0) and np.all(H2[1, 10:] == 0)
    # and the fit improved
    assert np.linalg.norm(V - W2 @ H2) < np.linalg.norm(V - W @ H)


def test_two_part_separation_quality():
    """Melody vs bass from exact note timings: both methods well above 10 dB, NMF at least as good."""
    y, stems, notes = _two_part_mixture(6.0)
    scores = {}
    for method in ("mask", "nmf"):
        sep = S.separate(y, SR, notes, method=method)
        scores[method] = [S.sdr(stems[p], sep.audio[p]) for p in (0, 1)]
    assert min(scores["nmf"]) > 10
    assert min(scores["nmf"]) >= min(scores["mask"]) - 0.5


def test_sdr_and_si_sdr_known_values():
    s = np.sin(np.linspace(0, 20, 1000))
    noise = np.cos(np.linspace(0, 31, 1000)) * 0.1
    # error power is |noise|^2, so SDR = 10 log10(|s|^2 / |noise|^2)
    expected = 10 * np.log10(np.sum(s ** 2) / np.sum(noise ** 2))
    assert S.sdr(s, s + noise) == pytest.approx(expected)
    assert S.si_sdr(s, 3.0 * s) == float("inf")  # scaling does not matter
    assert S.sdr(s, 3.0 * s) == pytest.approx(10 * np.log10(1 / 4))
    with pytest.raises(ValueError, match="silent"):
        S.sdr(np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="shape"):
        S.sdr(np.zeros(10), np.ones(11))


def test_bad_input():
    y, _, notes = _two_part_mixture(2.0)
    with pytest.raises(ValueError, match="empty"):
        S.separate(np.zeros(0, np.float32), SR, notes)
    with pytest.raises(ValueError, match="NaN"):
        S.separate(np.full(1000, np.nan, np.float32), SR, notes)
    with pytest.raises(ValueError, match="columns"):
        S.separate(y, SR, notes.drop(columns=["part"]))
    with pytest.raises(ValueError, match="method"):
        S.separate(y, SR, notes, method="magic")
    with pytest.raises(ValueError, match="notes is empty"):
        S.separate(y, SR, notes.iloc[:0])
    # silence gives silent parts, not NaN
    sep = S.separate(np.zeros(SR, np.float32), SR, notes)
    assert all(np.all(np.isfinite(a)) and not np.any(a) for a in sep.audio.values())


def test_remix_changes_only_the_chosen_part():
    y, _, notes = _two_part_mixture(3.0)
    sep = S.separate(y, SR, notes, method="mask")
    louder = S.remix(sep, {0: 2.0})
    assert np.allclose(louder, 2 * sep.audio[0] + sep.audio[1], atol=1e-6)


def test_two_part_rendering_nmf_above_10_db():
    """Soprano and bass of a Bach chorale rendered by cmr.synth (violin, cello), true stems."""
    from cmr import symbolic, synth

    notes = symbolic.score_notes("bach/bwv66.6")
    two = notes[notes["part"].isin([0, 3])]
    r = synth.render(two, synth.Version(programs=(40, 0, 0, 42), sections=((1, 4),)), stems=True)
    sep = S.separate(r.audio, r.sr, r.notes, method="nmf")
    sdrs = {p: S.sdr(r.stems[p], sep.audio[p]) for p in sep.parts}
    assert set(sdrs) == {0, 3}
    assert min(sdrs.values()) > 10, sdrs
