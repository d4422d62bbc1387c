"""Diagonal audio matching with multiple tempo scaling: seconds per query, ours vs libfmp.

Setting of issue 6 (the tutorial's dataset size): query 20 frames x 12
chroma, database 583,000 frames (162 hours at 1 Hz), 8 tempo scalings
(0.66 ... 1.5). Measured side by side in one run:

* ``cmr.matching.diagonal_matching`` (blocked numba kernel, no cost matrix),
* ``libfmp.c7.matching_function_diag_multiple`` (numpy: one 20 x 583,000
  cost matrix per tempo factor), when libfmp is installed (benchmark-only:
  ``pip install --no-deps libfmp``); otherwise a straightforward numpy
  implementation of the same algorithm, and the table says so.

The database is random non-negative chroma (seeded); the run time of both
methods does not depend on the content. Also printed: the largest
difference between the two curves (libfmp does not renormalise the
resampled query frames, we do, so the curves differ slightly for factors
!= 1; for the factor 1 alone they must agree), ours with per-tempo cost
normalisation (``normalize=True``: one extra pass over sampled blocks for
the statistics; not part of the comparison, libfmp has no such step), and
ours with transposition invariance (12 shifts x 8 factors).

Run: ``.venv/bin/python benchmarks/bench_matching.py`` (or ``make bench``).
"""
from __future__ import annotations

import time

import numpy as np

from cmr import matching as mt

N_DB = 583_000
M_QUERY = 20
TEMPO = tuple(float(f) for f in np.round(np.geomspace(0.66, 1.5, 8), 3))
N_QUERIES = 4


def numpy_diag_multiple(X, Y, tempo_rel_set):
    """Reference: the textbook algorithm in plain numpy (used when libfmp is missing)."""
    M = Y.shape[1]
    out = np.full(M, np.inf)
    for r in tempo_rel_set:
        Xs = mt.scale_tempo(X, r).astype(np.float64)
        n = Xs.shape[1]
        C = 1.0 - Xs.T @ Y
        delta = np.zeros(M - n + 1)
        for i in range(n):
            delta += C[i, i:M - n + 1 + i]
        out[:M - n + 1] = np.minimum(out[:M - n + 1], delta / n)
    return out


def _best_of(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    rng = np.random.default_rng(0)
    raw = np.abs(rng.standard_normal((12, N_DB))).astype(np.float32)
    db = mt.Database.from_features([raw], feature_rate=1.0)
    Y64 = db.features.astype(np.float64)
    starts = rng.integers(0, N_DB - 40, N_QUERIES)
    queries = [db.features[:, s:s + M_QUERY] for s in starts]

    try:
        import libfmp.c7
        from importlib.metadata import version
        ref_name = f"libfmp {version('libfmp')} matching_function_diag_multiple"

        def reference(q, tempi=TEMPO):
            return libfmp.c7.matching_function_diag_multiple(q.astype(np.float64), Y64,
                                                             tempo_rel_set=np.asarray(tempi))[0]
    except ImportError:
        ref_name = "numpy re-implementation (libfmp not installed)"

        def reference(q, tempi=TEMPO):
            return numpy_diag_multiple(q, Y64, tempi)

    mt.diagonal_matching(queries[0], db, tempo_factors=TEMPO)  # compile / load the numba cache
    mt.diagonal_matching(queries[0], db, tempo_factors=TEMPO, normalize=True)
    ours, ref, ours_ti, ours_norm = [], [], [], []
    max_diff_all, max_diff_1 = 0.0, 0.0
    for q in queries:
        t, cur = _best_of(lambda: mt.diagonal_matching(q, db, tempo_factors=TEMPO), 3)
        ours.append(t)
        t, r = _best_of(lambda: reference(q), 1)
        ref.append(t)
        fin = np.isfinite(cur.cost[:len(r)]) & np.isfinite(r)
        max_diff_all = max(max_diff_all, float(np.max(np.abs(cur.cost[:len(r)][fin] - r[fin]))))
        c1 = mt.diagonal_matching(q, db, tempo_factors=(1.0,)).cost
        r1 = reference(q, (1.0,))
        fin = np.isfinite(c1[:len(r1)]) & np.isfinite(r1)
        max_diff_1 = max(max_diff_1, float(np.max(np.abs(c1[:len(r1)][fin] - r1[fin]))))
        t, _ = _best_of(lambda: mt.diagonal_matching(q, db, tempo_factors=TEMPO, normalize=True), 3)
        ours_norm.append(t)
        t, _ = _best_of(lambda: mt.diagonal_matching(q, db, tempo_factors=TEMPO, transposition_invariant=True), 1)
        ours_ti.append(t)

    print(f"diagonal matching, query {M_QUERY} x 12, database {N_DB:,} frames, {len(TEMPO)} tempo factors "
          f"{TEMPO}, {N_QUERIES} queries (seconds per query, ours best of 3)")
    print(f"{'implementation':60s} {'s/query':>9s} {'ratio':>7s}")
    print(f"{'cmr.matching.diagonal_matching':60s} {np.mean(ours):9.3f} {1.0:7.1f}")
    print(f"{ref_name:60s} {np.mean(ref):9.3f} {np.mean(ref) / np.mean(ours):7.1f}")
    print(f"{'cmr.matching.diagonal_matching, normalize=True':60s} {np.mean(ours_norm):9.3f} "
          f"{np.mean(ours_norm) / np.mean(ours):7.1f}")
    print(f"{'cmr.matching.diagonal_matching, 12 shifts (transp. inv.)':60s} {np.mean(ours_ti):9.3f} "
          f"{np.mean(ours_ti) / np.mean(ours):7.1f}")
    print(f"max |ours - reference|: factor 1 only {max_diff_1:.1e}; all 8 factors {max_diff_all:.1e} "
          f"(reference does not renormalise resampled frames)")


if __name__ == "__main__":
    main()
