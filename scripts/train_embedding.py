"""Train the learned shingle embeddings (one per output dimension K).

Input: the rendered training shingles of scripts/build_shingle_training_data.py
(music21 corpus pieces, never the real evaluation recordings). For each K the
network of cmr.embedding (a learned correction of the shingle followed by
the PCA of the *training* shingles, kept fixed) starts as plain PCA and is
trained with the triplet loss
(anchor / positive = the same score position in two rendered versions,
negative = the hardest of a few random shingles of other pieces) with Adam.

Output: ``lib/cmr/data/embedding_K<K>.npz`` (weights, input mean, training
curve, metadata), small enough to commit.

Run: ``.venv/bin/python scripts/train_embedding.py`` (a few minutes; add
``--ks 10 5`` to retrain only some).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from cmr import embedding
from cmr.indexing import PCA
from cmr.paths import cache_dir

KS = (240, 30, 20, 15, 10, 7, 5, 3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ks", type=int, nargs="*", default=list(KS))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--margin", type=float, default=0.1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--candidates", type=int, default=8)
    ap.add_argument("--no-shift-augment", action="store_true", help="do not transpose triplets at random")
    ap.add_argument("--data", default=str(cache_dir("shingles") / "training_shingles.npz"))
    args = ap.parse_args(argv)

    with np.load(args.data) as f:
        X, piece, pairs = f["X"], f["piece"], f["pairs"]
        n_pieces = len(np.unique(piece))
    print(f"training data: {len(X)} shingles of {n_pieces} rendered pieces, {len(pairs)} positive pairs")
    pca = PCA(X.shape[1]).fit(X)
    embedding.DATA_DIR.mkdir(exist_ok=True)
    for K in args.ks:
        t0 = time.perf_counter()
        net = embedding.Embedding(X.shape[1], K, n_hidden=args.hidden, mean=pca.mean_,
                                  projection=pca.components_[:K].T, seed=K)
        hist = embedding.train(net, X, pairs, piece, steps=args.steps, batch=args.batch, margin=args.margin,
                               lr=args.lr, n_candidates=args.candidates,
                               shift_augment=not args.no_shift_augment, seed=K)
        net.meta = {"n_components": K, "n_hidden": args.hidden, "steps": args.steps, "batch": args.batch,
                    "margin": args.margin, "lr": args.lr, "negative_candidates": args.candidates, "shift_augment": not args.no_shift_augment,
                    "training_shingles": int(len(X)), "training_pieces": int(n_pieces),
                    "positive_pairs": int(len(pairs)), "projection": "PCA of the training shingles (fixed)",
                    "trained_by": "scripts/train_embedding.py"}
        path = net.save(embedding.weights_path(K))
        print(f"K={K}: val accuracy {hist['val_accuracy'][0]:.3f} (PCA start) -> {hist['val_accuracy'][-1]:.3f}, "
              f"{time.perf_counter() - t0:.0f} s -> {path}")


if __name__ == "__main__":
    main()
