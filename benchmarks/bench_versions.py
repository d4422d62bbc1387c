"""Speed of cmr.versions: Qmax kernel, k-NN binarization, collection scoring.

Side-by-side ratios in one run (the machine is shared; absolute times vary):

1. Qmax recursion: numba kernel vs the plain-Python recursion (the one
   notebook 04 prints), on a 120 x 150 match matrix.
2. k-NN binarization (mutual nearest neighbours): numba histogram +
   quickselect vs a numpy implementation that sorts every row and column,
   on a 400 x 500 similarity matrix.
3. Scoring the rendered cover collection (80 recordings, CENS at 5 Hz from
   the committed 10 Hz chroma; 3240 unordered pairs): serial loop vs the
   numba ``prange`` kernel with 1 and with all threads, and how much CPU
   time the process actually got per second of wall time.

Run: ``.venv/bin/python benchmarks/run.py versions`` (or this file directly).
"""
from __future__ import annotations

import time

import numpy as np


def _best_of(f, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def _qmax_python(R, go, ge):
    N, M = R.shape
    Q = np.zeros((N, M))
    for n in range(N):
        for m in range(M):
            preds = [(n - a, m - b) for a, b in ((1, 1), (2, 1), (1, 2)) if n - a >= 0 and m - b >= 0]
            if R[n, m] > 0:
                Q[n, m] = max([0.0] + [Q[p] for p in preds]) + R[n, m]
            else:
                Q[n, m] = max([0.0] + [Q[p] - (go if R[p] > 0 else ge) for p in preds])
    return Q


def _knn_numpy(S, kappa):
    N, M = S.shape
    kr = max(1, min(M, int(np.floor(kappa * M + 0.5))))
    kc = max(1, min(N, int(np.floor(kappa * N + 0.5))))
    row = np.sort(S, axis=1)[:, M - kr]
    col = np.sort(S, axis=0)[N - kc, :]
    return ((S >= row[:, None]) & (S >= col[None, :]) & (S > 0)).astype(np.float32)


def main():
    from cmr import chroma, versions

    rng = np.random.default_rng(0)
    rows = []

    R = (rng.random((120, 150)) < 0.2).astype(np.float32)
    versions.local_alignment(R)  # compile / load cache
    t_nb = _best_of(lambda: versions._qmax_score(R, np.float32(1.0), np.float32(0.5)), 20)
    t_py = _best_of(lambda: _qmax_python(R, 1.0, 0.5), 1)
    assert np.isclose(versions._qmax_score(R, np.float32(1.0), np.float32(0.5))[0], _qmax_python(R, 1.0, 0.5).max())
    rows.append(("Qmax 120x150: plain Python", t_py, None, None))
    rows.append(("Qmax 120x150: numba (score only)", t_nb, t_py / t_nb, None))

    S = rng.random((400, 500)).astype(np.float32)
    versions.binarize(S, "knn", kappa=0.2)
    t_np = _best_of(lambda: _knn_numpy(S, 0.2), 5)
    t_knn = _best_of(lambda: versions.binarize(S, "knn", kappa=0.2), 10)
    assert np.array_equal(versions.binarize(S, "knn", kappa=0.2), _knn_numpy(S, 0.2))
    rows.append(("k-NN binarization 400x500: numpy sort", t_np, None, None))
    rows.append(("k-NN binarization 400x500: numba histogram+select", t_knn, t_np / t_knn, None))

    import numba

    cc = versions.load_cover_collection()
    feats = [chroma.cens(C, cc.chroma_rate, smooth_len=21, downsample=2)[0] for C in cc.chroma]
    versions.score_matrix(feats[:3], parallel=True)
    versions.score_matrix(feats[:3], parallel=False)
    cells = sum(a.shape[1] * b.shape[1] for i, a in enumerate(feats) for b in feats[i:])

    def timed(f):
        c0, t0 = time.process_time(), time.perf_counter()
        f()
        return time.perf_counter() - t0, time.process_time() - c0

    t_ser, c_ser = timed(lambda: versions.score_matrix(feats, parallel=False))
    rows.append((f"collection 80 items @5 Hz ({cells / 1e6:.1f} M cells): serial", t_ser, None, c_ser / t_ser))
    threads = numba.get_num_threads()
    for n in sorted({1, threads}):
        numba.set_num_threads(n)
        t_par, c_par = timed(lambda: versions.score_matrix(feats, parallel=True))
        rows.append((f"collection: numba prange, {n} thread(s)", t_par, t_ser / t_par, c_par / t_par))
    numba.set_num_threads(threads)

    print(f"{'what':58s} {'time (ms)':>10s} {'speed-up':>9s} {'CPU/wall':>9s}")
    for name, t, ratio, cpu in rows:
        print(f"{name:58s} {1e3 * t:10.2f} {'' if ratio is None else f'{ratio:8.1f}x':>9s} "
              f"{'' if cpu is None else f'{cpu:9.2f}':>9s}")
    print("(CPU/wall = process CPU time / wall time: about 2 when both cores work for us)")


if __name__ == "__main__":
    main()
