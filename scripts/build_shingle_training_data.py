"""Training shingles for the learned embedding, from rendered music21 pieces.

For every piece of a list of music21 corpus scores (chorales, madrigals,
string quartets, songs, piano pieces -- *none* of the works of the real
evaluation collection), four versions are rendered with cmr.synth (random
tempo factor and local tempo curve, instruments, articulation, reverb,
noise), their CENS at 1 Hz is computed with cmr.chroma, and cut into
20-frame shingles. Because the renderer knows which score beat sounds when,
each shingle gets *positive partners*: the shingle at the same musical
position (same score beat at the shingle centre) in each other version.

Output: ``cmr.paths.cache_dir('shingles')/training_shingles.npz`` with
``X`` (n, 240) float32, ``piece``, ``version``, ``start`` (frame), ``beat``
(score beat at the shingle centre) and ``pairs`` (m, 2): (anchor row,
positive row). Nothing audio is kept on disk (rendering is fast; the
score parses are cached by cmr.symbolic.cached_score_notes).

With ``--testset`` it renders instead 24 *other* Bach chorales (4 versions
each, first ~60 s) and writes their CENS to
``lib/cmr/data/shingles_rendered_testset.npz`` (float16, committed): the
small collection notebook 05 computes its MAP table on.

Run: ``.venv/bin/python scripts/build_shingle_training_data.py`` (about
10-20 min on 2 cores, most of it parsing scores the first time).

Silent-tail defect (fixed in session 14, round 2): the v1 / v2 caches were
built when the score was cut by its notes only, so the renderings ran on
silently to the end of the score (see :func:`cut_score`, now used). Instead
of re-rendering, ``--clean FILE ...`` writes ``FILE_clean.npz`` without the
shingles that have more than ``--max-silent`` (default 2) silent frames
(:func:`silent_frames`) and without the pairs built on them
(:func:`drop_silent`); the cleaned v1 / v2 / v3 files trained the
candidates of session 14, round 2.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
from tqdm.auto import tqdm

from cmr import chroma, shingles, symbolic, synth
from cmr.paths import cache_dir

LENGTH = 20
#: Programs drawn for versions: piano, harpsichord, organ, guitar, strings, violin, cello, choir, flute, clarinet
PROGRAMS = (0, 6, 19, 24, 48, 40, 42, 52, 73, 71)


def _cost(name: str):
    """Sort key: cheap-to-parse scores first, so that a time budget keeps the most pieces."""
    c = (0 if name.startswith(("bach/", "josquin/")) else 1 if name.startswith("monteverdi/")
         else 3 if name.startswith(("beethoven/", "haydn/opus74", "mozart/k458")) else 2)
    return c, name


def training_pieces() -> list[str]:
    """Corpus names used for training (none is a work of the evaluation set)."""
    from music21 import corpus

    names = sorted(str(p).split("/corpus/")[1] for p in corpus.getPaths())
    pick = []
    wanted_prefixes = ("beethoven/opus18no1/", "beethoven/opus59", "mozart/", "haydn/", "schumann_robert/",
                       "schumann_clara/", "chopin/", "corelli/", "handel/", "joplin/", "schubert/", "verdi/",
                       "weber/", "cpebach/", "beach/", "josquin/", "luca/")
    for n in names:
        if n.endswith(".krn") and n.replace(".krn", ".mxl") in names:
            continue  # same movement twice
        if n.startswith(wanted_prefixes):
            pick.append(n)
    madrigals = [n for n in names if n.startswith("monteverdi/madrigal.3.") and n.endswith(".mxl")
                 and "_old" not in n][:20]
    chorales = [n for n in names if n.startswith("bach/bwv") and n.endswith(".mxl")][::8][:50]
    pick = sorted(chorales + madrigals + pick, key=_cost)
    # the evaluation collection holds Beethoven Op. 55, Chopin Op. 7/1, 24/1, 33/2, 33/3, 68/4, Vivaldi RV 269
    forbidden = ("opus55", "op55", "mazurka07-1", "mazurka24-1", "mazurka33-2", "mazurka33-3", "mazurka68-4",
                 "vivaldi")
    return [n for n in pick if not any(f in n.lower() for f in forbidden)]


def extra_pieces() -> list[str]:
    """More pieces for the second training set (``--v2``), disjoint from the test collection.

    Further Bach chorales (indices 2 and 6 mod 8 of the sorted list; the
    first set takes 0 mod 8 and the notebook's test collection 4 mod 8),
    Monteverdi madrigals of books 4 and 5, Beethoven string-quartet
    movements and a few Palestrina mass movements.
    """
    from music21 import corpus

    names = sorted(str(p).split("/corpus/")[1] for p in corpus.getPaths())
    chorales = [n for n in names if n.startswith("bach/bwv") and n.endswith(".mxl")]
    extra = chorales[2::8] + chorales[6::8]
    extra += [n for n in names if n.startswith(("monteverdi/madrigal.4.", "monteverdi/madrigal.5."))
              and n.endswith(".mxl")]
    extra += [n for n in names if n.startswith("palestrina/") and n.endswith(".krn")][::60][:20]
    have = set(training_pieces()) | set(test_pieces())
    return [n for n in extra if n not in have]


def test_pieces() -> list[str]:
    """Held-out pieces for the notebook's small rendered test collection (disjoint from training)."""
    from music21 import corpus

    names = sorted(str(p).split("/corpus/")[1] for p in corpus.getPaths())
    chorales = [n for n in names if n.startswith("bach/bwv") and n.endswith(".mxl")]
    train = set(training_pieces())
    return [n for n in chorales[4::8] if n not in train][:24]


def build_testset(n_versions: int, max_seconds: float, sr: int) -> None:
    """Render the held-out pieces and commit their CENS (float16) for notebook 05."""
    from cmr.embedding import DATA_DIR

    rng = np.random.default_rng(7)
    feats, names, versions = [], [], []
    for name in tqdm(test_pieces(), desc="test pieces"):
        notes = symbolic.cached_score_notes(name)
        bpm = float(notes.attrs.get("bpm") or 96.0)
        limit = max_seconds * bpm / 60.0
        # kept as the committed collection was built: notes cut, bar table not (see cut_score);
        # 1.4 % of its CENS frames are silent (most chorales end before the limit)
        attrs = dict(notes.attrs)
        notes = notes[notes["start_beat"] < limit].copy()
        notes.attrs.update(attrs)
        for v in range(n_versions):
            version = random_version(rng, f"v{v}", bpm)
            r = synth.render(notes, version, sr=sr)
            F, _ = chroma.chroma(r.audio, r.sr, kind="cens", feature_rate=1.0)
            feats.append(F)
            names.append(name)
            versions.append(json.dumps(version.to_dict()))
    lengths = np.array([F.shape[1] for F in feats])
    out = DATA_DIR / "shingles_rendered_testset.npz"
    np.savez_compressed(out, cens=np.concatenate(feats, axis=1).astype(np.float16), lengths=lengths,
                        piece=np.array(names), version=np.array(versions))
    print(f"{len(set(names))} pieces x {n_versions} versions, {lengths.sum()} CENS frames -> {out}")


def cut_score(notes, limit: float):
    """The score up to the first bar line at or after beat ``limit``: notes *and* bar table.

    Until session 14 the training sets were cut by dropping the notes that
    start after ``limit`` only; the measure table in ``notes.attrs`` (which
    the renderer's tempo map follows) still ran to the end of the score, so
    every version went on in silence after the last kept note (19 % of the
    v1 and 30 % of the v2 training shingles were silent frames). This cuts
    both, with ``truncate`` of ``benchmarks/eval_shingles_proxy.py`` (the
    same cut as the proxy and the v3 set). A score that ends before
    ``limit`` is returned unchanged.
    """
    if len(notes) == 0 or notes["start_beat"].max() <= limit:
        return notes
    return _proxy_module().truncate(notes, limit)


def _proxy_module():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "eval_shingles_proxy", Path(__file__).resolve().parents[1] / "benchmarks" / "eval_shingles_proxy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def silent_frames(X, length: int = LENGTH, spread: float = 0.05) -> np.ndarray:
    """Which frames of each shingle are silent: (n, length) bool.

    CENS of silence is flat (all 12 values equal after normalisation), so a
    frame counts as silent when ``max - min <= spread * max`` over its 12
    pitch classes (an all-zero frame too). Shingle rows hold the frames one
    after the other (12 values each, see cmr.shingles).
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != 12 * length:
        raise ValueError(f"silent_frames: X must have shape (n, {12 * length}), got {X.shape}")
    fr = X.reshape(len(X), length, 12)
    mx, mn = fr.max(axis=2), fr.min(axis=2)
    return (mx - mn) <= spread * mx


def drop_silent(data: dict, max_silent: int = 2) -> tuple[dict, dict]:
    """Remove the shingles with more than ``max_silent`` silent frames, and every pair that uses one.

    ``data``: the fields of a training file (``X``, ``piece``, ``version``,
    ``start``, ``beat``, ``pairs``, ...). Row fields are filtered, ``pairs``
    re-indexed; the piece list (``pieces``) and piece / version numbers are
    kept, so that held-out piece choices stay the same. Returns the new
    fields and counts (shingles / pairs before and dropped, all-silent
    shingles).
    """
    X = data["X"]
    n_sil = silent_frames(X).sum(axis=1)
    keep = n_sil <= max_silent
    new = -np.ones(len(X), dtype=np.int64)
    new[keep] = np.arange(int(keep.sum()))
    pairs = new[data["pairs"]]
    ok = (pairs >= 0).all(axis=1)
    out = {k: (v[keep] if k in ("X", "piece", "version", "start", "beat") else v) for k, v in data.items()}
    out["pairs"] = pairs[ok]
    counts = {"shingles": int(len(X)), "dropped_shingles": int((~keep).sum()),
              "all_silent": int((n_sil == X.shape[1] // 12).sum()), "pairs": int(len(ok)),
              "dropped_pairs": int((~ok).sum()),
              "pieces_left": int(len(np.unique(out["piece"]))), "pieces_before": int(len(np.unique(data["piece"])))}
    return out, counts


def clean_file(path, max_silent: int = 2):
    """Write ``<path stem>_clean.npz`` beside a training file with the silent shingles dropped."""
    from pathlib import Path

    path = Path(path)
    with np.load(path) as f:
        data = {k: f[k] for k in f.files}
    out, counts = drop_silent(data, max_silent)
    dest = path.with_name(path.stem + "_clean.npz")
    np.savez(dest, **out)
    return dest, counts


def random_version(rng, name: str, piece_bpm: float) -> synth.Version:
    n_parts_prog = int(rng.choice(PROGRAMS))
    curve = tuple((float(b), float(np.exp(rng.normal(0, 0.12)))) for b in np.arange(0, 400, 16))
    return synth.Version(
        name=name,
        tempo_factor=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))),
        tempo_curve=curve,
        programs=n_parts_prog if rng.random() < 0.5 else tuple(int(p) for p in rng.choice(PROGRAMS, 8)),
        velocity_jitter=float(rng.uniform(0, 12)),
        articulation=float(rng.uniform(0.6, 1.1)),
        reverb=float(rng.uniform(0, 0.5)),
        snr_db=float(rng.uniform(25, 60)),
        seed=int(rng.integers(1 << 30)),
    )


def random_version_v2(rng, name: str, piece_bpm: float) -> synth.Version:
    """Second training set: half the versions on piano with pedal-like sustain, wider tempo range.

    The real collection is mostly solo piano (Chopin mazurkas), played with
    strong rubato, dynamics and sustain pedal; these versions draw a tempo
    factor in [0.6, 1.6], a stronger local tempo curve, a dynamics curve,
    a tuning offset of up to +/-30 cents and, on piano, notes held up to
    1.8 times as long as written (a crude sustain pedal).
    """
    piano = rng.random() < 0.5
    curve = tuple((float(b), float(np.exp(rng.normal(0, 0.2)))) for b in np.arange(0, 400, 8))
    dyn = tuple((float(b), float(np.exp(rng.normal(0, 0.3)))) for b in np.arange(0, 400, 8))
    if piano:
        programs, articulation = 0, float(rng.uniform(0.8, 1.8))
    else:
        programs = int(rng.choice(PROGRAMS)) if rng.random() < 0.5 else tuple(int(p) for p in rng.choice(PROGRAMS, 8))
        articulation = float(rng.uniform(0.6, 1.1))
    return synth.Version(
        name=name,
        tempo_factor=float(np.exp(rng.uniform(np.log(0.6), np.log(1.6)))),
        tempo_curve=curve,
        dynamics_curve=dyn,
        tuning_cents=float(rng.uniform(-30, 30)),
        programs=programs,
        velocity_jitter=float(rng.uniform(0, 15)),
        articulation=articulation,
        reverb=float(rng.uniform(0, 0.5)),
        snr_db=float(rng.uniform(25, 60)),
        seed=int(rng.integers(1 << 30)),
    )


def append_versions(per_version, p: int, row0: int, X, piece_id, version_id, starts, beats, pairs) -> int:
    """Append one piece's rendered versions to the training lists; return the next free row.

    Parameters
    ----------
    per_version : list of (S, b, r)
        Per version: its shingles ``S`` (n, 240), the score beat at each
        shingle's centre ``b`` (n,) and the render ``r`` (for
        ``beat_to_time``).
    p : int
        Piece index written to ``piece_id``.
    row0 : int
        Row of the first shingle of this piece in the concatenated set.
    X, piece_id, version_id, starts, beats, pairs : list
        Accumulators (extended in place). A positive pair joins a shingle
        with the shingle of every other version whose centre lies at the same
        score beat (nearest frame; beats outside that version are skipped).
    """
    offsets = []
    for v, (S, b, r) in enumerate(per_version):
        offsets.append(row0)
        X.append(S)
        piece_id.append(np.full(len(S), p, np.int32))
        version_id.append(np.full(len(S), v, np.int8))
        starts.append(np.arange(len(S), dtype=np.int32))
        beats.append(np.asarray(b).astype(np.float32))
        row0 += len(S)
    for va, (Sa, ba, ra) in enumerate(per_version):
        for vb, (Sb, bb, rb) in enumerate(per_version):
            if va == vb:
                continue
            sb = np.round(np.asarray(rb.beat_to_time(ba, missing="nan")) - LENGTH / 2)
            ok = np.isfinite(sb) & (sb >= 0) & (sb < len(Sb))
            pairs.append(np.stack([offsets[va] + np.flatnonzero(ok), offsets[vb] + sb[ok].astype(int)], axis=1))
    return row0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=90.0,
                    help="keep the score beats played in the first ~this many seconds at the score tempo")
    ap.add_argument("--max-pieces", type=int, default=None)
    ap.add_argument("--sr", type=int, default=22050)
    ap.add_argument("--time-budget", type=float, default=900.0,
                    help="stop starting new pieces after this many seconds")
    ap.add_argument("--testset", action="store_true",
                    help="instead: render the held-out test collection committed for notebook 05")
    ap.add_argument("--v2", action="store_true",
                    help="second training set: the first set's pieces plus extra_pieces(), versions drawn by "
                         "random_version_v2 (piano-heavy, wider tempo), written to training_shingles_v2.npz")
    ap.add_argument("--clean", nargs="*", default=None, metavar="FILE",
                    help="instead: write FILE_clean.npz for each training file, without the shingles that "
                         "have more than --max-silent silent (flat CENS) frames and the pairs built on them")
    ap.add_argument("--max-silent", type=int, default=2)
    args = ap.parse_args(argv)
    if args.clean is not None:
        for path in args.clean:
            dest, c = clean_file(path, args.max_silent)
            print(f"{path}: dropped {c['dropped_shingles']} of {c['shingles']} shingles "
                  f"({c['all_silent']} all silent) and {c['dropped_pairs']} of {c['pairs']} pairs; "
                  f"pieces {c['pieces_before']} -> {c['pieces_left']} -> {dest}")
        return
    if args.testset:
        build_testset(args.versions, 60.0, args.sr)
        return

    rng = np.random.default_rng(2027 if args.v2 else 2026)
    pieces = (sorted(training_pieces() + extra_pieces(), key=_cost) if args.v2
              else training_pieces())[:args.max_pieces]
    make_version = random_version_v2 if args.v2 else random_version
    X, piece_id, version_id, starts, beats = [], [], [], [], []
    skipped = []
    t0 = time.perf_counter()
    row0 = 0
    pairs = []
    for p, name in enumerate(tqdm(pieces, desc="pieces")):
        if time.perf_counter() - t0 > args.time_budget:
            skipped.append((name, "time budget reached"))
            continue
        try:
            notes = symbolic.cached_score_notes(name)
        except Exception as exc:  # a corpus file music21 cannot read is skipped and reported
            skipped.append((name, repr(exc)[:80]))
            continue
        if len(notes) < 20:
            skipped.append((name, "too few notes"))
            continue
        bpm = float(notes.attrs.get("bpm") or 96.0)
        notes = cut_score(notes, args.max_seconds * bpm / 60.0)
        per_version = []
        for v in range(args.versions):
            version = make_version(rng, f"v{v}", bpm)
            try:
                r = synth.render(notes, version, sr=args.sr)
                F, _ = chroma.chroma(r.audio, r.sr, kind="cens", feature_rate=1.0)
            except Exception as exc:
                skipped.append((f"{name} v{v}", repr(exc)[:80]))
                continue
            S = shingles.shingles(F, LENGTH)
            if len(S) == 0:
                continue
            centre = np.arange(len(S)) + LENGTH / 2
            b = r.time_to_beat(centre)
            per_version.append((S, b, r))
        if len(per_version) < 2:
            skipped.append((name, "fewer than 2 usable versions"))
            continue
        row0 = append_versions(per_version, p, row0, X, piece_id, version_id, starts, beats, pairs)
    out = cache_dir("shingles") / ("training_shingles_v2.npz" if args.v2 else "training_shingles.npz")
    np.savez(out, X=np.concatenate(X), piece=np.concatenate(piece_id), version=np.concatenate(version_id),
             start=np.concatenate(starts), beat=np.concatenate(beats), pairs=np.concatenate(pairs),
             pieces=np.array(pieces), used_pieces=np.array([pieces[i] for i in sorted(set(np.concatenate(piece_id).tolist()))]))
    n = sum(len(x) for x in X)
    used = sorted(set(np.concatenate(piece_id).tolist()))
    print(f"{len(used)} pieces, {n} shingles "
          f"({n / 3600:.1f} h of rendered audio at 1 Hz), {sum(len(q) for q in pairs)} positive pairs, "
          f"{time.perf_counter() - t0:.0f} s -> {out}")
    for s in skipped:
        print("skipped:", *s)


if __name__ == "__main__":
    main()
