"""MAP versus dimension K on real recordings: PCA and the learned embedding.

Data: ``<shared data>/music_indexing_cens`` (330 recordings of 12 works, CENS
at 1 Hz; outside the repository, see cmr.paths.SHARED_DATA_DIR). Relevance:
same ComposerID and WorkID.

Protocol
--------
* database: every shingle (20 frames = 240 dims, hop 1 frame) of every
  recording, unit-normalised;
* queries: ``--queries-per-recording`` (default 10) evenly spaced 20 s
  excerpts of every recording, one shingle each (3,300 queries);
* each query ranks the 329 *other* recordings (its own is excluded) by the
  smallest Euclidean distance between the query shingle and any of their
  shingles, computed exactly in the reduced space;
* MAP with :func:`cmr.evaluation.mean_average_precision`.

Reductions: PCA fitted on the database shingles (unsupervised: no labels
used) -- and, with ``--pca-source train``, on the rendered training shingles
instead; the learned embedding from ``lib/cmr/data/embedding_K*.npz``
(trained on rendered music21 pieces only, see scripts/train_embedding.py).

The learned row uses every network as its metadata says it is used at
search time (``search_projection``: its own projection, or ``refit`` = the
PCA refitted on the corrected database shingles, chosen per K on rendered
data only: the proxy of ``eval_shingles_proxy.py``; the K = 10, 7 and 5
networks are seed ensembles, ``cmr.embedding.average_corrections``, of
networks trained with the InfoNCE loss).

Run: ``.venv/bin/python benchmarks/eval_shingles_real.py`` (about 1-2 min);
``--csv lib/cmr/data/shingles_real_map.csv`` writes the table notebook 05 shows.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from cmr import embedding, evaluation, shingles
from cmr.indexing import PCA
from cmr.paths import SHARED_DATA_DIR

KS = (240, 30, 20, 15, 10, 7, 5, 3)
TUTORIAL = {"PCA": {10: .87, 7: .79, 5: .76, 3: .58}, "NN": {10: .92, 7: .87, 5: .80, 3: .68}}


def load_collection(folder: Path):
    import pandas as pd

    meta_path = folder / "metadata.csv"
    if not meta_path.exists():
        raise SystemExit(f"real data not found: {meta_path} (set CMR_SHARED_DATA)")
    meta = pd.read_csv(meta_path, sep=";")
    feats = [np.load(folder / f)["f_chroma"].astype(np.float32) for f in meta.Filename]
    work = (meta.ComposerID + "/" + meta.WorkID).to_numpy()
    return meta, feats, work


def make_queries(feats, length: int, per_recording: int):
    Q, qdoc = [], []
    for d, C in enumerate(feats):
        for s in shingles.excerpt_starts(C.shape[1], length, per_recording):
            Q.append(shingles.shingles(C[:, s:s + length], length)[0])
            qdoc.append(d)
    return np.stack(Q), np.array(qdoc)


def map_for(reduce, db, Q, qdoc, work):
    Xr, Qr = reduce(db.X), reduce(Q)
    D = shingles.document_distances(Qr, Xr, db.doc_ids, db.n_docs)
    rel = work[qdoc][:, None] == work[None, :]
    excl = qdoc[:, None] == np.arange(db.n_docs)[None, :]
    return evaluation.mean_average_precision(rel, D, exclude=excl, higher_is_better=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED_DATA_DIR / "music_indexing_cens")
    ap.add_argument("--queries-per-recording", type=int, default=10)
    ap.add_argument("--ks", type=int, nargs="*", default=list(KS))
    ap.add_argument("--pca-source", choices=("database", "train"), default="database")
    ap.add_argument("--no-embedding", action="store_true")
    ap.add_argument("--csv", type=Path, default=None, help="also write the table (K, method, MAP) here")
    ap.add_argument("--refit", action="store_true",
                    help="also: learned correction + PCA refitted on the corrected database shingles")
    ap.add_argument("--stats", action="store_true",
                    help="only print label-free chroma statistics of the database shingles "
                         "(compared with the rendered proxy of eval_shingles_proxy.py) and stop")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    meta, feats, work = load_collection(args.data)
    db = shingles.build_database(feats, length=20, hop=1)
    Q, qdoc = make_queries(feats, 20, args.queries_per_recording)
    print(f"{len(feats)} recordings, {len(db)} database shingles, {len(Q)} queries "
          f"({time.perf_counter() - t0:.1f} s)")
    if args.stats:
        from eval_shingles_proxy import chroma_stats   # same folder

        print("label-free CENS statistics:", {k: round(v, 3) for k, v in chroma_stats(db.X[::5]).items()})
        return None

    if args.pca_source == "database":
        pca_full = PCA(240).fit(db.X)
    else:
        pca_full = PCA(240).fit(embedding.load_training_shingles())
    rows = {"PCA": {}, "learned": {}, "learned+refit PCA": {}}
    for K in args.ks:
        p = pca_full.truncate(K)
        rows["PCA"][K] = map_for(p.transform, db, Q, qdoc, work)
        if not args.no_embedding:
            path = embedding.weights_path(K)
            if path.exists():
                net = embedding.load(path)
                if net.meta.get("search_projection") == "refit":
                    net = net.fit_projection(db.X)
                elif args.pca_source == "database" and not net.train_projection:
                    # the learned shingle correction, then the same PCA as the baseline row
                    # (a jointly trained projection is part of the network and kept)
                    net = net.with_projection(p.mean_, p.components_)
                rows["learned"][K] = map_for(net.embed, db, Q, qdoc, work)
                if args.refit:
                    # unsupervised adaptation to the collection, as for the PCA row
                    rows["learned+refit PCA"][K] = map_for(net.fit_projection(db.X).embed, db, Q, qdoc, work)
        print(f"K={K:3d}  PCA {rows['PCA'][K]:.3f}  learned "
              f"{rows['learned'].get(K, float('nan')):.3f}  refit {rows['learned+refit PCA'].get(K, float('nan')):.3f}"
              f"  ({time.perf_counter() - t0:.0f} s)", flush=True)

    print()
    print(f"MAP, {len(Q)} queries of 20 s, PCA fitted on {args.pca_source} shingles")
    print("| K | " + " | ".join(str(k) for k in args.ks) + " |")
    print("|---|" + "---|" * len(args.ks))
    for name, r in rows.items():
        if r:
            print(f"| {name} | " + " | ".join(f"{r[k]:.3f}" if k in r else "-" for k in args.ks) + " |")
    for name, r in TUTORIAL.items():
        print(f"| tutorial {name} | " + " | ".join(f"{r[k]:.2f}" if k in r else "-" for k in args.ks) + " |")
    if args.csv:
        import pandas as pd

        recs = [{"K": k, "method": name, "MAP": round(float(v), 4)} for name, r in rows.items() for k, v in r.items()]
        recs += [{"K": k, "method": f"tutorial {name}", "MAP": v} for name, r in TUTORIAL.items() for k, v in r.items()]
        pd.DataFrame(recs).to_csv(args.csv, index=False)
        print(f"-> {args.csv}")
    return rows


if __name__ == "__main__":
    main()
