"""Nearest-neighbour indexes at scale: 583,000 shingles x 240 dims, 3,300 queries.

The database size corresponds to 162 hours of music at 1 shingle per second.

How the data is made (no download, no random noise cloud)
---------------------------------------------------------
Source shingles: the 52,332 real 20-frame CENS shingles of the
music_indexing_cens collection (``<shared data>/music_indexing_cens``); if
that folder is missing, the rendered training shingles
(scripts/build_shingle_training_data.py). They are multiplied by the 12
cyclic chroma shifts (transpositions: musically realistic, genuinely
different shingles), each copy perturbed by Gaussian noise (sigma 0.01 per
dimension, then renormalised), and 583,000 of them are drawn at random.
Queries: 3,300 source shingles (10 evenly spread per recording when the real
data is used) with independent noise of the same size, so that no query is
an exact database row.

Measured per index (queries/s over the query set, single process, all
cores as the libraries choose; recall@10 = fraction of the exact 10 nearest
neighbours returned): exact numpy brute force (the reference, also gives the
ground truth), k-d tree after PCA, random-hyperplane LSH, faiss HNSW at
several ``ef_search`` and two graph degrees ``M``. Slow indexes are timed on a subset of the queries
(stated in the table).

Run: ``.venv/bin/python benchmarks/bench_indexing.py`` (about 10 min, peak
memory about 2.5 GB); ``--n 100000`` for a quick run.
"""
from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from cmr import indexing, shingles
from cmr.paths import SHARED_DATA_DIR, cache_dir

N_DEFAULT = 583_000
N_QUERIES = 3_300


def source_shingles():
    folder = SHARED_DATA_DIR / "music_indexing_cens"
    if (folder / "metadata.csv").exists():
        import pandas as pd

        meta = pd.read_csv(folder / "metadata.csv", sep=";")
        feats = [np.load(folder / f)["f_chroma"].astype(np.float32) for f in meta.Filename]
        db = shingles.build_database(feats, 20, 1)
        q = [shingles.shingles(C[:, s:s + 20])[0] for C in feats
             for s in shingles.excerpt_starts(C.shape[1], 20, 10)]
        return db.X, np.stack(q), "real CENS shingles (music_indexing_cens)"
    path = cache_dir("shingles") / "training_shingles.npz"
    if path.exists():
        with np.load(path) as f:
            X = f["X"]
        rng = np.random.default_rng(1)
        return X, X[rng.choice(len(X), N_QUERIES, replace=False)], "rendered training shingles"
    raise SystemExit("no source shingles: neither the real data nor the rendered training shingles exist")


def chroma_shift(X, k):
    """Cyclic chroma shift of flattened shingles (n, 12 * L) by k semitones."""
    n, d = X.shape
    return np.roll(X.reshape(n, d // 12, 12), k, axis=2).reshape(n, d)


def make_data(n: int, n_queries: int, sigma: float = 0.01, seed: int = 0):
    src, q_src, label = source_shingles()
    rng = np.random.default_rng(seed)
    copies = int(np.ceil(n / len(src)))
    picks = np.sort(rng.choice(len(src) * copies, n, replace=False))
    X = np.empty((n, src.shape[1]), dtype=np.float32)
    for c in range(copies):
        sel = picks[(picks >= c * len(src)) & (picks < (c + 1) * len(src))] - c * len(src)
        rows = np.flatnonzero((picks >= c * len(src)) & (picks < (c + 1) * len(src)))
        block = chroma_shift(src[sel], c % 12)
        block += sigma * rng.standard_normal(block.shape).astype(np.float32)
        X[rows] = shingles.normalize_rows(block)
    q_rows = rng.choice(len(q_src), n_queries, replace=len(q_src) < n_queries)
    Q = q_src[q_rows] + sigma * rng.standard_normal((n_queries, src.shape[1])).astype(np.float32)
    return X, shingles.normalize_rows(Q), label


def timed_query(index, Q, k):
    t = time.perf_counter()
    d, i = index.query(Q, k)
    return i, len(Q) / (time.perf_counter() - t)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=N_DEFAULT)
    ap.add_argument("--queries", type=int, default=N_QUERIES)
    ap.add_argument("--slow-queries", type=int, default=330, help="queries for the k-d tree and LSH")
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args([] if argv is None else argv)   # benchmarks/run.py calls main() without arguments
    k = args.k

    t0 = time.perf_counter()
    X, Q, label = make_data(args.n, args.queries)
    print(f"database {X.shape[0]} x {X.shape[1]} float32 ({X.nbytes / 2**20:.0f} MB) from {label}; "
          f"{len(Q)} queries; built in {time.perf_counter() - t0:.0f} s", flush=True)

    rows = []
    brute = indexing.BruteForceIndex(block=128).build(X)
    truth, qps_brute = timed_query(brute, Q, k)
    rows.append(("exact numpy brute force", "block=128", len(Q), qps_brute, 1.0, 0.0))
    print(f"brute force: {qps_brute:.0f} q/s", flush=True)
    del brute
    gc.collect()

    sub = np.arange(min(args.slow_queries, len(Q)))
    configs = [
        ("k-d tree after PCA", indexing.KDTreeIndex(n_components=12, rerank=20), sub),
        ("k-d tree after PCA", indexing.KDTreeIndex(n_components=20, rerank=20), sub),
        ("LSH random hyperplanes", indexing.LSHIndex(n_bits=16, n_tables=8, probe_radius=1), sub),
        ("LSH random hyperplanes", indexing.LSHIndex(n_bits=12, n_tables=8, probe_radius=1), sub),
    ]
    for name, index, qs in configs:
        tb = time.perf_counter()
        index.build(X)
        build = time.perf_counter() - tb
        idx, qps = timed_query(index, Q[qs], k)
        rec = indexing.recall_at_k(idx, truth[qs])
        rows.append((name, ", ".join(f"{a}={b}" for a, b in index.params().items()), len(qs), qps, rec, build))
        print(f"{name} {index.params()}: {qps:.0f} q/s, recall@{k} {rec:.3f}, build {build:.0f} s", flush=True)
        del index
        gc.collect()

    hnsw_configs = [
        ("faiss HNSW", dict(M=32, ef_construction=80), (16, 32, 64, 128)),
        ("faiss HNSW", dict(M=16, ef_construction=64), (16, 32)),
    ]
    for name, params, efs in hnsw_configs:
        hnsw = indexing.HNSWIndex(**params)
        tb = time.perf_counter()
        hnsw.build(X)
        build = time.perf_counter() - tb
        print(f"{name} built in {build:.0f} s", flush=True)
        for ef in efs:
            hnsw.ef_search = ef
            idx, qps = timed_query(hnsw, Q, k)
            rec = indexing.recall_at_k(idx, truth)
            rows.append((name, ", ".join(f"{a}={b}" for a, b in hnsw.params().items()), len(Q), qps, rec, build))
            print(f"{name} ef_search={ef}: {qps:.0f} q/s, recall@{k} {rec:.3f}", flush=True)
        del hnsw
        gc.collect()

    print()
    print(f"| index | parameters | queries timed | queries/s | speed-up vs brute force | recall@{k} | build (s) |")
    print("|---|---|---|---|---|---|---|")
    for name, params, nq, qps, rec, build in rows:
        print(f"| {name} | {params} | {nq} | {qps:,.0f} | {qps / qps_brute:.1f}x | {rec:.3f} | {build:.0f} |")
    ok = [r for r in rows if r[4] >= 0.95 and r[3] >= 100 * qps_brute]
    print(f"\ntarget (>= 100x brute force at recall@{k} >= 0.95): "
          f"{'met by ' + ', '.join(r[0] + ' (' + r[1] + ')' for r in ok) if ok else 'NOT met'}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return rows


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
