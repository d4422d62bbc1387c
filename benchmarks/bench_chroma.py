"""Chroma speed: our IIR filterbank chroma vs librosa's chroma_stft and chroma_cqt.

All three run in one process on the same 60 s of 22050 Hz audio (a
rendered example when ``audio/`` has one, else a synthetic chord sequence),
interleaved round by round so machine load hits them alike. Reported:
best-of-rounds wall time, x real time (= 60 s / wall time), CPU time
(all threads), and the ratio to our single-threaded filterbank.

Run: ``.venv/bin/python benchmarks/bench_chroma.py`` (or ``make bench``).
Target (issue 4): IIR chroma >= 300 x real time.
"""
from __future__ import annotations

import time

import numpy as np

SR = 22050
SECONDS = 60.0
ROUNDS = 5


def test_signal(seconds: float = SECONDS, sr: int = SR) -> tuple[np.ndarray, str]:
    """60 s of music: a rendered example if available, else synthetic chords."""
    try:
        from cmr import audio

        y = audio.load_example("beethoven-op18no1", "quartet", sr=sr)
        reps = int(np.ceil(seconds * sr / len(y)))
        return np.tile(y, reps)[: int(seconds * sr)], "audio/beethoven-op18no1/quartet (looped to 60 s)"
    except (FileNotFoundError, ValueError, ImportError):  # no audio set: synthetic signal
        pass
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for start in np.arange(0, seconds, 0.5):
        chord = rng.integers(36, 90, 4)
        seg = (t >= start) & (t < start + 0.5)
        for p in chord:
            f = 440 * 2 ** ((p - 69) / 12)
            for h, a in ((1, 1.0), (2, 0.5), (3, 0.3)):
                y[seg] += 0.05 * a * np.sin(2 * np.pi * f * h * t[seg])
    y += 0.001 * rng.standard_normal(y.size)
    return y.astype(np.float32), "synthetic chords (4 voices, 3 harmonics, 0.5 s each)"


def _time_once(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main():
    import librosa

    from cmr import chroma

    y, source = test_signal()
    hop = 2205  # 10 Hz
    cases = [
        ("cmr chroma_iir, 1 thread", lambda: chroma.chroma_iir(y, SR, feature_rate=10.0, tuning_cents=0.0,
                                                                threads=1)),
        ("cmr chroma_iir, 2 threads", lambda: chroma.chroma_iir(y, SR, feature_rate=10.0, tuning_cents=0.0,
                                                                 threads=2)),
        ("cmr chroma_iir 50 Hz, 2 threads", lambda: chroma.chroma_iir(y, SR, feature_rate=50.0,
                                                                       tuning_cents=0.0, threads=2)),
        ("librosa chroma_stft (n_fft 4410, hop 2205)",
         lambda: librosa.feature.chroma_stft(y=y, sr=SR, n_fft=4410, hop_length=hop, tuning=0.0)),
        ("librosa chroma_cqt (hop 2205)",
         lambda: librosa.feature.chroma_cqt(y=y, sr=SR, hop_length=hop, tuning=0.0)),
    ]
    results = {name: [np.inf, np.inf] for name, _ in cases}
    # interleave: every round times each case once, so load changes hit all alike
    for name, fn in cases:
        fn()  # warm-up (numba compile / cache load, librosa filter caches)
    for _ in range(ROUNDS):
        for name, fn in cases:
            w, c = _time_once(fn)
            results[name][0] = min(results[name][0], w)
            results[name][1] = min(results[name][1], c)
    ref = results[cases[0][0]][0]
    print(f"audio: {source}, {SECONDS:.0f} s at {SR} Hz; best of {ROUNDS} interleaved rounds")
    print(f"{'method':46s} {'wall (s)':>9s} {'x real time':>12s} {'CPU (s)':>8s} {'wall / ours(1 thr)':>19s}")
    for name, _ in cases:
        w, c = results[name]
        print(f"{name:46s} {w:9.3f} {SECONDS / w:12.0f} {c:8.3f} {w / ref:19.2f}")


if __name__ == "__main__":
    main()
