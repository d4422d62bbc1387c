"""Audio-audio synchronization of two real recordings: Schubert, Winterreise D 911 No. 3.

Data (outside the project, see ../shared/data/README.md): 50 Hz chroma of
Hüsch 1933 (HU33) and Scarlata 2006 (SC06), which are in different keys,
and measure annotations for both. The measure starts with the same number
are corresponding positions; we align the recordings and report the error
of the alignment at those positions, for a ladder of variants from plain
chroma DTW up to the default of :func:`cmr.sync.sync_chroma`.

Run:  .venv/bin/python benchmarks/eval_schubert.py   (data folder: $CMR_SHARED_DATA
      or ../shared/data; prints a skip message when it is missing)
Target: mean absolute error <= 0.08 s with the key difference found automatically.
"""
from __future__ import annotations

import sys
import time

import numpy as np


def load(folder):
    import pandas as pd

    A = np.load(folder / "chroma_HU33_50hz.npy")
    B = np.load(folder / "chroma_SC06_50hz.npy")
    ma = pd.read_csv(folder / "measures_HU33.csv", sep=";")
    mb = pd.read_csv(folder / "measures_SC06.csv", sep=";")
    m = ma.merge(mb, on="measure", suffixes=("_a", "_b"))
    return A, B, m["start_a"].to_numpy(), m["start_b"].to_numpy()


def _plain(C, factor, log):
    """Chroma averaged over blocks of `factor` frames, optionally log-compressed (not normalised)."""
    from cmr.sync import _block_mean

    X = np.log1p(100.0 * C / C.max()) if log else C.astype(np.float64)
    return _block_mean(X, factor)


def main():
    from cmr import dtw, sync
    from cmr.paths import SHARED_DATA_DIR

    folder = SHARED_DATA_DIR / "schubert_d911-03"
    if not folder.is_dir():
        print(f"eval_schubert: SKIPPED, data folder {folder} not found (set CMR_SHARED_DATA)")
        return None
    A, B, ta, tb = load(folder)
    sync.sync_chroma(A[:, :500], B[:, :500], 50.0, 25.0, multiscale=False)  # compile numba kernels first
    sync.sync_chroma(A[:, :500], B[:, :500], 50.0, 10.0, multiscale=True)
    print(f"HU33: {A.shape[1] / 50:.1f} s, SC06: {B.shape[1] / 50:.1f} s, {len(ta)} corresponding measure positions")
    t0 = time.perf_counter()
    shift, costs = sync.estimate_shift(A, B, 50.0)
    t_shift = time.perf_counter() - t0
    order = np.argsort(costs)
    print(f"key: estimate_shift -> roll SC06 chroma by {shift} semitones "
          f"(cost per step {costs[shift]:.3f}; runner-up shift {order[1]}: {costs[order[1]]:.3f}); {t_shift:.2f} s")
    Bs = np.roll(B, shift, axis=0)

    rows = []

    def run(name, fn):
        t = time.perf_counter()
        path_s = fn()
        seconds = time.perf_counter() - t
        e = sync.alignment_errors(path_s, ta, tb)
        rows.append((name, e, seconds))

    def plain(rate, log, metric):
        factor = int(50 // rate)
        X, Y = _plain(A, factor, log), _plain(Bs, factor, log)
        if metric == "euclidean":  # Euclidean distance of unit vectors
            X, Y = sync._unit(X), sync._unit(Y)
        r = dtw.dtw(X, Y, metric=metric)
        return (factor - 1) / 100.0 + r.path / rate

    run("chroma 10 Hz, cosine, DTW (baseline)", lambda: plain(10, False, "cosine"))
    run("+ log compression", lambda: plain(10, True, "cosine"))
    run("+ Euclidean of unit vectors", lambda: plain(10, True, "euclidean"))
    for rate in (10, 25, 50):
        for ms in (False, True):
            label = f"+ chroma onsets, {rate} Hz, {'multiscale' if ms else 'full'} DTW"
            run(label, lambda rate=rate, ms=ms: sync.sync_chroma(A, B, 50.0, rate, key_shift=shift,
                                                                 multiscale=ms).path)
    # the local scaling of the onset half that the audio pipeline uses with pitch onsets (an option here)
    run("option: onset_norm='local', 25 Hz, multiscale", lambda: sync.sync_chroma(A, B, 50.0, 25.0, key_shift=shift,
                                                                                 onset_norm="local").path)
    t = time.perf_counter()
    default = sync.sync_chroma(A, B, 50.0)  # key found again inside, everything default
    t_default = time.perf_counter() - t
    e_def = sync.alignment_errors(default, ta, tb)

    print()
    print(f"{'variant':<44} {'mean':>7} {'median':>7} {'<=50ms':>7} {'<=100ms':>8} {'<=250ms':>8} {'time':>7}")
    for name, e, seconds in rows:
        print(f"{name:<44} {e.mean:7.3f} {e.median:7.3f} {100 * e.within_50ms:6.0f}% {100 * e.within_100ms:7.0f}% "
              f"{100 * e.within_250ms:7.0f}% {seconds:6.2f}s")
    print(f"{'sync_chroma defaults (25 Hz, onsets, MsDTW)':<44} {e_def.mean:7.3f} {e_def.median:7.3f} "
          f"{100 * e_def.within_50ms:6.0f}% {100 * e_def.within_100ms:7.0f}% {100 * e_def.within_250ms:7.0f}% "
          f"{t_default:6.2f}s")
    ok = e_def.mean <= 0.08 and default.shift == shift
    print(f"\ntarget mean abs error <= 0.080 s with automatic key: {'MET' if ok else 'NOT MET'} "
          f"(mean {e_def.mean:.3f} s, shift {default.shift})")
    return e_def


if __name__ == "__main__":
    result = main()
    sys.exit(0)
