"""Version identification on real recordings: MAP of 330 x 330 whole-recording retrieval.

Data: ``$CMR_SHARED_DATA/music_indexing_cens`` (default ``../shared/data`` next
to the repository): CENS features (1 Hz) of 330 recordings of 12 works.
Every recording is used as a query against all others (the query itself is
left out); a document is relevant when composer and work agree.

Usage::

    .venv/bin/python benchmarks/eval_versions_real.py            # default settings
    .venv/bin/python benchmarks/eval_versions_real.py --reduce 1 --kappa 0.1 --gap-onset 5
    .venv/bin/python benchmarks/eval_versions_real.py --grid     # small parameter sweep

Prints MAP, mean rank of the first relevant document, P@1, the per-work MAP
and the wall-clock time of the full evaluation (numba compilation excluded:
a warm-up call on two items runs first).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cmr import evaluation, versions
from cmr.paths import SHARED_DATA_DIR


def load_collection(folder: Path):
    """CENS features, feature rate and work labels of the real collection."""
    import pandas as pd

    meta_path = folder / "metadata.csv"
    if not meta_path.exists():
        raise FileNotFoundError(f"metadata.csv not found in {folder} (set CMR_SHARED_DATA or --data)")
    meta = pd.read_csv(meta_path, sep=";")
    feats, rates = [], []
    for name in meta["Filename"]:
        with np.load(folder / name) as z:
            feats.append(np.asarray(z["f_chroma"], dtype=np.float32))
            t = z["f_chroma_ax_time"]
            rates.append(1.0 / float(np.median(np.diff(t))) if len(t) > 1 else 1.0)
    labels = (meta["ComposerID"] + "/" + meta["WorkID"]).to_numpy()
    return feats, float(np.median(rates)), labels, meta


def evaluate(feats, labels, **options):
    """Score matrix, report and seconds for one setting."""
    versions.score_matrix(feats[:2], **options)  # compile / load numba cache
    start = time.perf_counter()
    S = versions.score_matrix(feats, **options)
    seconds = time.perf_counter() - start
    rel = labels[:, None] == labels[None, :]
    ex = np.eye(len(feats), dtype=bool)
    report = evaluation.evaluate_retrieval(S, rel, exclude=ex, ks=(1, 5, 10))
    return S, report, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA_DIR / "music_indexing_cens")
    parser.add_argument("--reduce", type=int, default=2, help="average this many 1 Hz frames (default 2: 0.5 Hz)")
    parser.add_argument("--kappa", type=float, default=0.2)
    parser.add_argument("--gap-onset", type=float, default=1.0)
    parser.add_argument("--gap-extension", type=float, default=0.5)
    parser.add_argument("--normalize", default="min", choices=["min", "sqrt", "max", "none"])
    parser.add_argument("--key", default="oti", help="oti, best or an integer shift")
    parser.add_argument("--grid", action="store_true", help="sweep a few settings instead")
    parser.add_argument("--save", action="store_true",
                        help="also write the result to lib/cmr/data/versions_real_results.json (read by notebook 04)")
    args = parser.parse_args(argv)

    if not args.data.exists():
        print(f"real data not found at {args.data}; skipping (set CMR_SHARED_DATA)")
        return
    feats, rate, labels, meta = load_collection(args.data)
    print(f"{len(feats)} recordings, {len(set(labels))} works, feature rate {rate:g} Hz, "
          f"{sum(f.shape[1] for f in feats)} frames in total")
    key = args.key if args.key in ("oti", "best") else int(args.key)

    settings = [dict(reduce=args.reduce, kappa=args.kappa, gap_onset=args.gap_onset,
                     gap_extension=args.gap_extension, normalize=args.normalize, key=key)]
    if args.grid:
        settings = [dict(reduce=2, kappa=k, gap_onset=go, gap_extension=ge, normalize="min", key="oti")
                    for k in (0.1, 0.2) for go, ge in ((5.0, 0.5), (2.0, 0.5), (1.0, 0.5))]
    print(f"{'reduce':>6} {'kappa':>5} {'g_o':>4} {'g_e':>4} {'norm':>5} {'key':>4} "
          f"{'MAP':>6} {'MR1':>6} {'P@1':>6} {'P@5':>6} {'time (s)':>9}")
    for opts in settings:
        S, rep, sec = evaluate(feats, labels, **opts)
        print(f"{opts['reduce']:>6} {opts['kappa']:>5} {opts['gap_onset']:>4} {opts['gap_extension']:>4} "
              f"{opts['normalize']:>5} {str(opts['key']):>4} {rep.map:6.3f} {rep.mean_first_relevant_rank:6.2f} "
              f"{rep.precision_at[1]:6.3f} {rep.precision_at[5]:6.3f} {sec:9.1f}", flush=True)
    if not args.grid:
        print("\nper-work MAP:")
        for work in dict.fromkeys(labels):
            m = labels == work
            print(f"  {work:<22} {m.sum():3d} versions  MAP {rep.ap[m].mean():.3f}")
        print(f"\nfull {len(feats)} x {len(feats)} evaluation: {sec:.1f} s "
              f"({len(feats) * (len(feats) + 1) // 2} pairs scored, symmetric)")
        if args.save:
            save_result(rep, sec, labels, settings[0], argv)


def save_result(rep, seconds, labels, options, argv):
    """Append this run to the small JSON file notebook 04 displays."""
    import json
    import os
    import platform

    out = Path(__file__).resolve().parents[1] / "lib" / "cmr" / "data" / "versions_real_results.json"
    runs = json.loads(out.read_text()) if out.exists() else []
    cmd = "benchmarks/eval_versions_real.py " + " ".join(a for a in (argv or []) if a != "--save")
    runs = [r for r in runs if r["command"] != cmd.strip()]
    runs.append({
        "command": cmd.strip(),
        "options": {k: v for k, v in options.items()},
        "recordings": int(len(labels)),
        "map": round(float(rep.map), 4),
        "mean_rank_first_relevant": round(float(rep.mean_first_relevant_rank), 3),
        "p_at_1": round(float(rep.precision_at[1]), 4),
        "per_work_map": {w: round(float(rep.ap[labels == w].mean()), 4) for w in dict.fromkeys(labels)},
        "seconds": round(float(seconds), 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    })
    out.write_text(json.dumps(runs, indent=1) + "\n")
    print(f"saved to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
