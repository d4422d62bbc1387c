"""Third training set for the learned shingle embedding: piano-style versions, realistic tempo.

The second training set (``build_shingle_training_data.py --v2``) drew
tempo factors in [0.6, 1.6] and half of its versions on non-piano
instruments; the real collection is ~88 % piano recordings whose tempo
ratios are mostly 0.8-1.25. This set renders the pieces of the second set
(``--max-pieces`` of them, cheapest first, the same music21 corpus pieces,
none of the real collection's works and none of the proxy collection of
``benchmarks/eval_shingles_proxy.py``) with that script's version
generators: 75 % on piano with a sustain pedal (``piano_version``,
``sustain_pedal``), 25 % orchestral (``orchestral_version``).
Positives are found exactly as in ``build_shingle_training_data.py`` (the
same score beat at the shingle centre in another version).

Output: ``cmr.paths.cache_dir('shingles')/training_shingles_v3.npz`` (same
fields as the other training sets; not committed).

Run: ``nice -n 5 .venv/bin/python scripts/build_shingle_training_piano.py --time-budget 900``.
"""
from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from cmr import chroma, shingles, symbolic, synth
from cmr.paths import cache_dir

LENGTH = 20
ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=90.0)
    ap.add_argument("--max-pieces", type=int, default=None)
    ap.add_argument("--piano-share", type=float, default=0.75)
    ap.add_argument("--time-budget", type=float, default=900.0)
    ap.add_argument("--sr", type=int, default=22050)
    args = ap.parse_args(argv)
    proxy = _module(ROOT / "benchmarks" / "eval_shingles_proxy.py", "eval_shingles_proxy")
    training = _module(ROOT / "scripts" / "build_shingle_training_data.py", "build_shingle_training_data")
    with np.load(cache_dir("shingles") / "training_shingles_v2.npz") as f:
        pieces = [str(p) for p in f["pieces"][np.unique(f["piece"])]]
    bad = set(proxy.PIANO_PIECES) | set(proxy.ORCHESTRAL_PIECES)
    pieces = [p for p in pieces if p not in bad][:args.max_pieces]
    rng = np.random.default_rng(2028)
    X, piece_id, version_id, starts, beats, pairs, skipped = [], [], [], [], [], [], []
    row0, t0 = 0, time.perf_counter()
    for p, name in enumerate(tqdm(pieces, desc="pieces")):
        if time.perf_counter() - t0 > args.time_budget:
            skipped.append((name, "time budget reached"))
            continue
        notes = symbolic.cached_score_notes(name)
        bpm = float(notes.attrs.get("bpm") or 96.0)
        notes = proxy.truncate(notes, args.max_seconds * bpm / 60.0)
        if len(notes) < 20:
            skipped.append((name, "too few notes"))
            continue
        n_beats = float(notes["end_beat"].max())
        n_parts = int(notes["part"].max()) + 1
        per_version = []
        for v in range(args.versions):
            group = "piano" if rng.random() < args.piano_share else "orchestral"
            version, played, _ = proxy.draw_performance(rng, group, f"v{v}", notes, n_beats, n_parts)
            r = synth.render(played, version, sr=args.sr)
            F, _ = chroma.chroma(r.audio, r.sr, kind="cens", feature_rate=1.0)
            S = shingles.shingles(F, LENGTH)
            if len(S):
                per_version.append((S, r.time_to_beat(np.arange(len(S)) + LENGTH / 2), r))
        if len(per_version) < 2:
            skipped.append((name, "fewer than 2 usable versions"))
            continue
        row0 = training.append_versions(per_version, p, row0, X, piece_id, version_id, starts, beats, pairs)
    out = cache_dir("shingles") / "training_shingles_v3.npz"
    used = sorted(set(np.concatenate(piece_id).tolist()))
    np.savez(out, X=np.concatenate(X), piece=np.concatenate(piece_id), version=np.concatenate(version_id),
             start=np.concatenate(starts), beat=np.concatenate(beats), pairs=np.concatenate(pairs),
             pieces=np.array(pieces), used_pieces=np.array([pieces[i] for i in used]))
    n = int(sum(len(x) for x in X))
    print(f"{len(used)} pieces, {n} shingles ({n / 3600:.1f} h), {sum(len(q) for q in pairs)} positive pairs, "
          f"{time.perf_counter() - t0:.0f} s -> {out}")
    for s in skipped[:20]:
        print("skipped:", *s)


if __name__ == "__main__":
    main()
