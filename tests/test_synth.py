"""cmr.synth and cmr.sf2: rendered audio agrees with its ground truth."""
from __future__ import annotations

import numpy as np
import pytest
from music21 import meter, note, stream
from scipy.integrate import quad

from cmr import sf2
from cmr.synth import (Version, load_ground_truth, map_time, render, render_collection, save_ground_truth,
                       true_alignment, _smooth_curve)

SR = 22050
DURS = [1, 0.5, 0.5, 1, 1.5, 0.5, 1, 1, 2, 1, 0.5, 0.5, 1, 1, 1, 1]
PITCHES = [60, 64, 67, 72, 71, 69, 67, 65, 64, 62, 60, 62, 64, 65, 67, 72]


def melody_score():
    """Four 4/4 measures of single notes (so every onset is a separate event)."""
    s = stream.Score()
    p = stream.Part()
    p.append(meter.TimeSignature("4/4"))
    for d, pi in zip(DURS, PITCHES):
        p.append(note.Note(pi, quarterLength=d))
    s.insert(0, p)
    return s


def two_part_score():
    s = stream.Score()
    for k, base in enumerate((72, 48)):
        p = stream.Part()
        p.append(meter.TimeSignature("3/4"))
        for i in range(12):
            p.append(note.Note(base + (i % 5), quarterLength=1))
        s.insert(0, p)
    return s


def detected_onsets(y, sr):
    import librosa

    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=64)
    return librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=64, units="time")


def test_onsets_in_audio_match_ground_truth_within_20ms():
    v = Version(bpm=100, tempo_curve=((0, 0.7), (8, 1.4), (16, 0.9)), programs=0, lead_in=0.5)
    r = render(melody_score(), v)
    found = detected_onsets(r.audio, r.sr)
    truth = r.notes["start"].to_numpy()
    assert len(truth) == len(DURS)
    # every true onset has a detected onset within 20 ms, and no spurious onsets
    err = np.array([np.min(np.abs(found - t)) for t in truth])
    assert err.max() < 0.020, err
    assert len(found) == len(truth)


def test_tempo_map_matches_numerical_integral_of_the_tempo_curve():
    curve = ((0, 0.7), (8, 1.4), (16, 0.9))
    v = Version(bpm=100, tempo_factor=1.2, tempo_curve=curve, lead_in=0.25)
    r = render(melody_score(), v)
    for b in (1.0, 3.5, 7.25, 12.0, 15.0):
        exact = 0.25 + quad(lambda x: 60.0 / (100 * 1.2 * _smooth_curve(curve, [x])[0]), 0, b, limit=200)[0]
        assert abs(r.beat_to_time(b) - exact) < 2e-4  # midpoint rule on a 1/16-beat grid
    starts = np.cumsum([0] + DURS[:-1])
    np.testing.assert_allclose(r.notes["start"], r.beat_to_time(starts), atol=1e-12)


def test_constant_tempo_is_closed_form():
    r = render(melody_score(), Version(bpm=120))
    starts = np.cumsum([0] + DURS[:-1]) * 0.5
    np.testing.assert_allclose(r.notes["start"], starts, atol=1e-12)
    np.testing.assert_allclose(r.notes["end"], starts + np.array(DURS) * 0.5, atol=1e-12)


def test_composed_maps_give_true_audio_to_audio_alignment():
    score = melody_score()
    a = render(score, Version(name="a", bpm=90))
    b = render(score, Version(name="b", bpm=90, tempo_factor=1.5))
    c = render(score, Version(name="c", bpm=90, tempo_curve=((0, 0.8), (16, 1.3)), lead_in=0.5))
    # constant tempi: B plays everything 1.5 times faster
    t = np.linspace(0, a.truth.times[-1], 50)
    np.testing.assert_allclose(map_time(t, a, b), t / 1.5, atol=1e-9)
    assert np.isclose(map_time(1.0, a, c), c.beat_to_time(a.time_to_beat(1.0)))
    # the same note is at the mapped time in every version
    np.testing.assert_allclose(map_time(a.notes["start"], a, c), c.notes["start"], atol=1e-9)
    np.testing.assert_allclose(map_time(c.notes["start"], c, b), b.notes["start"], atol=1e-9)
    # and the audio agrees: onsets detected in C are where A's onsets map to
    found = detected_onsets(c.audio, c.sr)
    mapped = map_time(a.notes["start"], a, c)
    assert max(np.min(np.abs(found - m)) for m in mapped) < 0.020
    path = true_alignment(a, b, step=0.1)
    assert path.shape[0] == 2 and np.all(np.diff(path[1]) > 0)
    np.testing.assert_allclose(path[1], path[0] / 1.5, atol=1e-9)


def test_rendering_is_deterministic_with_reverb_noise_and_jitter():
    v = Version(tempo_curve=((0, 1), (8, 0.8)), reverb=0.3, snr_db=20, velocity_jitter=8, seed=3,
                tuning_cents=-30)
    a = render(melody_score(), v)
    b = render(melody_score(), v)
    assert a.audio.dtype == np.float32 and a.audio.ndim == 1
    assert np.array_equal(a.audio, b.audio)
    c = render(melody_score(), v.replace(seed=4))
    assert not np.array_equal(a.audio[: len(c.audio)], c.audio[: len(a.audio)])


def test_stems_sum_to_the_dry_mix():
    r = render(two_part_score(), Version(programs=(40, 42)), stems=True)
    assert sorted(r.stems) == [0, 1]
    mix = r.stems[0] + r.stems[1]
    assert np.max(np.abs(mix - r.audio)) < 1e-6
    assert np.max(np.abs(r.stems[0])) > 0.05 and np.max(np.abs(r.stems[1])) > 0.05


def _pitch_hz(y, sr, fmin=200, fmax=2000):
    """Frequency of the strongest spectral peak in [fmin, fmax] (parabolic interpolation)."""
    n = len(y)
    spec = np.abs(np.fft.rfft(y * np.hanning(n), 8 * n))
    freqs = np.fft.rfftfreq(8 * n, 1 / sr)
    band = (freqs > fmin) & (freqs < fmax)
    k = np.flatnonzero(band)[np.argmax(spec[band])]
    a, b, c = np.log(spec[k - 1 : k + 2])
    return freqs[k] + 0.5 * (a - c) / (a - 2 * b + c) * (freqs[1] - freqs[0])


def test_tuning_and_transposition_set_the_exact_pitch():
    s = stream.Score()
    p = stream.Part()
    p.append(note.Note(69, quarterLength=4))  # A4 = 440 Hz
    s.insert(0, p)
    measured = {}
    for cents, transpose in [(0, 0), (37, 0), (-50, 2)]:
        r = render(s, Version(bpm=60, programs=19, tuning_cents=cents, transpose=transpose))  # organ: steady pitch
        assert r.notes["pitch"].iloc[0] == 69 + transpose
        measured[cents, transpose] = _pitch_hz(r.audio[int(0.5 * SR) : int(3.5 * SR)], SR, 300, 600)
    # the organ sample itself is within a few cents of 440 Hz ...
    assert abs(1200 * np.log2(measured[0, 0] / 440.0)) < 5.0
    # ... and tuning / transposition move it by exactly the requested interval
    assert abs(1200 * np.log2(measured[37, 0] / measured[0, 0]) - 37) < 1.0
    assert abs(1200 * np.log2(measured[-50, 2] / measured[0, 0]) - 150) < 1.0


def test_sections_repeat_and_omit_measures():
    score = two_part_score()  # 4 measures of 3/4
    v = Version(name="rep", bpm=60, sections=((1, 2), (1, 1), (4, 4)))
    r = render(score, v)
    mt = r.measure_times
    assert list(zip(mt["measure"], mt["occurrence"])) == [(1, 0), (2, 0), (1, 1), (4, 0)]
    np.testing.assert_allclose(mt["start"], [0, 3, 6, 9], atol=1e-12)
    assert r.beat_to_time(1.0) == pytest.approx(1.0)
    assert r.beat_to_time(1.0, occurrence=1) == pytest.approx(7.0)
    assert r.beat_to_time(9.0) == pytest.approx(9.0)  # measure 4 starts at beat 9
    with pytest.raises(ValueError, match="not played"):
        r.beat_to_time(7.0)  # measure 3 is omitted
    assert np.isnan(r.beat_to_time([7.0], missing="nan")[0])
    np.testing.assert_allclose(r.time_to_beat([0.5, 3.5, 6.5, 9.5]), [0.5, 3.5, 0.5, 9.5])
    assert len(r.notes) == 2 * 3 * 4
    assert r.notes["occurrence"].max() == 1


def test_ground_truth_roundtrip_is_exact(tmp_path):
    r = render(two_part_score(), Version(name="x", tempo_curve=((0, 1), (6, 0.7)), sections=((2, 3), (2, 2))))
    path = save_ground_truth(r, tmp_path / "gt.json")
    g = load_ground_truth(path)
    assert g.version == r.version
    assert np.array_equal(g.times, r.truth.times) and np.array_equal(g.sections, r.truth.sections)
    assert g.notes.equals(r.notes)
    assert g.measure_times.equals(r.measure_times)
    t = np.linspace(0, r.duration, 33)
    assert np.array_equal(g.time_to_beat(t), r.time_to_beat(t))


def test_bad_versions_and_inputs_raise():
    with pytest.raises(ValueError, match="tempo_factor"):
        Version(tempo_factor=0)
    with pytest.raises(ValueError, match="tempo_curve"):
        Version(tempo_curve=((0, 1), (0, 2)))
    with pytest.raises(ValueError, match="programs"):
        Version(programs=200)
    with pytest.raises(ValueError, match="sections"):
        Version(sections=((3, 1),))
    with pytest.raises(ValueError, match="measure"):
        render(two_part_score(), Version(sections=((1, 9),)))
    with pytest.raises(TypeError):
        render(two_part_score(), {"tempo_factor": 2})
    with pytest.raises(ValueError, match="programs"):
        render(two_part_score(), Version(programs=(0,)))
    r = render(melody_score())
    with pytest.raises(ValueError, match="NaN"):
        r.time_to_beat([np.nan])


def test_render_collection_skips_done_items_and_reports_failures(tmp_path, monkeypatch):
    monkeypatch.setenv("CMR_CACHE_DIR", str(tmp_path))
    bad = tmp_path / "broken.xml"
    bad.write_text("<score-partwise><part id='P1'><measure>")  # truncated MusicXML
    items = [(melody_score(), Version(name="v1")), (bad, Version(name="v1")),
             {"score": two_part_score(), "version": Version(name="v2", tempo_factor=2), "id": "two"}]
    man = render_collection(items, "unit", progress=False)
    assert list(man["status"]) == ["rendered", "error", "rendered"]
    assert "broken.xml" in man["error"].iloc[1]
    assert (tmp_path / "renders" / "unit" / "two.flac").is_file()
    g = load_ground_truth(man["truth"].iloc[2])
    assert g.version.tempo_factor == 2
    again = render_collection(items, "unit", progress=False)
    assert list(again["status"]) == ["cached", "error", "cached"]
    # two different anonymous scores with the same version name get different ids
    other = render_collection([(two_part_score(), Version(name="v1"))], "unit", progress=False)
    assert other["id"].iloc[0] != man["id"].iloc[0] and other["status"].iloc[0] == "rendered"


def test_soundfont_parsing_and_errors(tmp_path):
    sf = sf2.load_soundfont()
    assert sf.preset_name(0).lower().startswith("piano")
    assert sf.preset_name(40).lower().startswith("violin")
    regs = sf.regions(0, 60, 100)
    assert regs and all(r.sample.end > r.sample.start for r in regs)
    with pytest.raises(FileNotFoundError):
        sf2.SoundFont(tmp_path / "none.sf2")
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\0\0\0\0WAVE")
    with pytest.raises(ValueError, match="not an SF2"):
        sf2.SoundFont(junk)


def test_random_piece_is_seeded_and_renderable():
    from cmr import synth

    a, b, c = synth.random_piece(3, 12), synth.random_piece(3, 12), synth.random_piece(4, 12)
    assert a.equals(b) and not a.equals(c)
    melody = a[a["part"] == 0]
    assert len(melody) == 12 and len(a[a["part"] == 1]) == 6
    # melody notes follow each other without gaps or overlaps
    assert np.allclose(melody["start_beat"].to_numpy()[1:], melody["end_beat"].to_numpy()[:-1])
    assert set(np.mod(melody["pitch"], 12)) <= {0, 2, 4, 5, 7, 9, 11}
    assert melody["pitch"].between(60, 83).all() and a[a["part"] == 1]["pitch"].between(40, 51).all()
    r = synth.render(a, synth.Version(name="piano", programs=0, bpm=120), sr=22050)
    assert len(r.truth.notes) == len(a)
    with pytest.raises(ValueError, match="n_notes"):
        synth.random_piece(0, 0)
