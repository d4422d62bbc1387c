"""cmr.audio: loading with clear errors, and the committed example set."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cmr import audio
from cmr.paths import AUDIO_DIR


def tone(sr, seconds=1.0, f=440.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_load_returns_mono_float32_at_requested_rate(tmp_path):
    y = tone(44100)
    stereo = np.stack([y, 0.5 * y], axis=1)
    path = tmp_path / "a.wav"
    sf.write(path, stereo, 44100)
    out = audio.load(path)
    assert out.dtype == np.float32 and out.ndim == 1
    assert len(out) == audio.DEFAULT_SR
    # the channel average of a 440 Hz tone is a 440 Hz tone at 0.75 * 0.5
    spec = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spec) * audio.DEFAULT_SR / len(out) - 440) < 2
    assert abs(np.max(np.abs(out[1000:-1000])) - 0.375) < 0.01
    native = audio.load(path, sr=None)
    assert len(native) == 44100
    np.testing.assert_allclose(native, 0.75 * y, atol=1e-4)


def test_load_offset_and_duration(tmp_path):
    path = tmp_path / "b.flac"
    sf.write(path, tone(22050, 2.0), 22050)
    part = audio.load(path, offset=0.5, duration=1.0)
    assert len(part) == 22050
    np.testing.assert_allclose(part, tone(22050, 2.0)[11025:33075], atol=1e-4)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.wav"):
        audio.load(tmp_path / "nothere.wav")


def test_empty_file_names_the_path(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.wav.*empty"):
        audio.load(path)


def test_corrupt_file_names_the_path(tmp_path):
    path = tmp_path / "corrupt.ogg"
    path.write_bytes(b"OggS" + bytes(range(256)) * 10)
    with pytest.raises(ValueError, match="corrupt.ogg"):
        audio.load(path)
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    with pytest.raises(ValueError, match="notes.wav"):
        audio.load(text)


def test_unreadable_inputs(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        audio.load(tmp_path)
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 22050)
    with pytest.raises(ValueError, match="zero.wav.*no samples"):
        audio.load(path)
    path = tmp_path / "nan.wav"
    y = tone(22050)
    y[100] = np.nan
    sf.write(path, y, 22050, subtype="FLOAT")
    with pytest.raises(ValueError, match="NaN"):
        audio.load(path)
    with pytest.raises(ValueError, match="sr"):
        audio.load(path, sr=0)


@pytest.mark.skipif(not (AUDIO_DIR / "manifest.json").is_file(), reason="example set not rendered")
def test_example_set_is_complete_and_loadable():
    ex = audio.examples()
    assert ex["piece"].nunique() >= 6
    assert ex.groupby("piece").size().between(3, 5).all()
    for _, row in ex.iterrows():
        assert (AUDIO_DIR / row["audio_file"]).is_file()
        assert (AUDIO_DIR / row["truth_file"]).is_file()
    row = ex.iloc[0]
    y = audio.load_example(row["piece"], row["version"])
    assert abs(len(y) / audio.DEFAULT_SR - row["duration"]) < 0.05
    from cmr.synth import load_example_truth

    g = load_example_truth(row["piece"], row["version"])
    assert g.notes["end"].max() <= row["duration"]
    with pytest.raises(ValueError, match="unknown piece"):
        audio.load_example("no-such-piece", "x")
    total = sum((AUDIO_DIR / f).stat().st_size for f in ex["audio_file"])
    assert total < 16e6
    json.loads((AUDIO_DIR / "manifest.json").read_text())


def test_write_is_byte_identical_and_readable(tmp_path):
    y = tone(22050, 2.0)
    for suffix in (".ogg", ".flac", ".wav"):
        a, b = tmp_path / f"a{suffix}", tmp_path / f"sub/a{suffix}"
        audio.write(a, y, 22050)
        audio.write(b, y, 22050)
        assert a.read_bytes() == b.read_bytes()  # same name -> same Ogg serial number
        back = audio.load(a)
        assert len(back) == len(y)  # every Ogg page passed its checksum
        assert np.sqrt(np.mean((back - y) ** 2)) < 0.01
    with pytest.raises(ValueError, match="suffix"):
        audio.write(tmp_path / "a.xyz", y, 22050)
    with pytest.raises(ValueError, match="NaN"):
        audio.write(tmp_path / "n.wav", np.array([0.0, np.nan]), 22050)


def test_rendered_examples_match_their_ground_truth():
    """Chroma of the note list (ground truth) agrees with the audio in every example version."""
    if not (AUDIO_DIR / "manifest.json").is_file():
        pytest.skip("example set not rendered")
    import librosa

    from cmr.synth import load_example_truth

    ex = audio.examples()
    for _, row in ex.iloc[::7].iterrows():
        y = audio.load_example(row["piece"], row["version"])
        g = load_example_truth(row["piece"], row["version"])
        hop = 2048
        C = librosa.feature.chroma_stft(y=y, sr=audio.DEFAULT_SR, hop_length=hop, tuning=0.0)
        t = np.arange(C.shape[1]) * hop / audio.DEFAULT_SR
        T = np.zeros_like(C)
        for s, e, p in zip(g.notes["start"], g.notes["end"], g.notes["pitch"]):
            T[p % 12, (t >= s) & (t < e)] += 1
        active = T.sum(axis=0) > 0
        # frame-wise the strongest audio chroma is one of the sounding pitch classes most of the time
        top = np.argmax(C, axis=0)[active]
        hits = np.mean(T[:, active][top, np.arange(top.size)] > 0)
        # control: the same truth a semitone off explains the audio much worse
        Tw = np.roll(T, 1, axis=0)[:, active]
        wrong = np.mean(Tw[top, np.arange(top.size)] > 0)
        assert hits > 0.6 and wrong < 0.3, (row["piece"], row["version"], hits, wrong)
