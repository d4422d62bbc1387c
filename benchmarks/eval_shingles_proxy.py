"""A rendered validation collection that resembles the real one, and MAP vs K on it.

Why: the learned shingle embeddings were chosen on held-out *training-like*
renderings (chorales, madrigals; tempo 0.6-1.6) and their gains there did
not carry over to the real recordings (``eval_shingles_real.py``). This
script renders a *proxy* of the real collection - mostly piano, with many
versions per work, realistic tempo ratios, rubato, dynamics, sustain pedal,
piano timbres, room and tuning differences, plus a few orchestral works -
so that models can be chosen on rendered data that looks like the test set,
without touching the test set.

The proxy (``build``)
---------------------
* piano works (like the ~290 mazurka recordings): :data:`PIANO_PIECES`,
  string-quartet dance and slow movements, a song and an aria of the music21
  corpus, rendered on piano (GM programs 0-3 of the SoundFont) with a
  sustain pedal (:func:`sustain_pedal`), ``--piano-versions`` versions each
  (default 10), the first ~140 s at score tempo (mean mazurka recording:
  142 s);
* orchestral works (like Beethoven Op. 55 / Vivaldi RV 269):
  :data:`ORCHESTRAL_PIECES`, first movements of string quartets rendered
  with string sections / solo strings / winds + strings, ``--orch-versions``
  (default 4) each, the first ~300 s;
* versions (:func:`piano_version`, :func:`orchestral_version`): global
  tempo ratio exp(U(log 0.8, log 1.25)) (0.85-1.18 orchestral), local tempo
  curve (per-beat rubato + phrase-level swings), dynamics curve, velocity
  jitter, tuning offset, reverb amount and length, noise;
* none of these pieces is in either training set of
  ``scripts/build_shingle_training_data.py`` nor in the notebook's test
  collection (checked at build time), and none is a work of the real
  collection. Rendering uses :func:`cmr.synth.render` and CENS at 1 Hz from
  :func:`cmr.chroma.chroma`, exactly as for the training data.

Cached as ``cmr.paths.cache_dir('shingles')/proxy_collection.npz`` (CENS of
every version, not committed; rebuilt in ~10 min).

The evaluation (``main``)
-------------------------
The protocol of ``eval_shingles_real.py``: database = every 20-frame
shingle (hop 1) of every version; queries = 10 evenly spread 20 s
excerpts per version; own version excluded; relevant = the other versions
of the same work; exact search in the reduced space; MAP. Rows: PCA of the
proxy database; the installed per-K models (as their metadata says); the
candidate models kept by ``scripts/train_embedding.py --select --tag T``
(``--candidates A:refit B:wrefit ...``, USE = own / refit / wrefit / swap (PCA of the
collection as projection); TAG may be a seed ensemble built by
``train_embedding.py --ensemble TAG=...`` or a folder holding ``embedding_K<K>.npz``;
``A:refit@0.5`` = the same with the learned correction halved, see
:meth:`cmr.embedding.Embedding.with_correction_scale`).

Run: ``.venv/bin/python benchmarks/eval_shingles_proxy.py --build`` once,
then ``.venv/bin/python benchmarks/eval_shingles_proxy.py --candidates A:refit A:wrefit ...``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from cmr import embedding, evaluation, shingles
from cmr.indexing import PCA
from cmr.paths import cache_dir

KS = (240, 30, 20, 15, 10, 7, 5, 3)
LENGTH = 20

#: Rendered on piano (homophonic melody + accompaniment, several in 3/4 like a mazurka).
PIANO_PIECES = (
    "mozart/k458/movement2.mxl",          # Menuetto
    "mozart/k458/movement3.mxl",          # Adagio
    "haydn/opus74no1/movement2.mxl",
    "haydn/opus74no1/movement3.mxl",      # Menuetto
    "beethoven/opus18no1/movement2.mxl",
    "beethoven/opus18no1/movement3.mxl",  # Scherzo
    "beethoven/opus59no1/movement3.mxl",
    "beethoven/opus59no2/movement3.mxl",
    "beethoven/opus59no3/movement3.mxl",  # Menuetto
    "weber/concertino_clarinet.mxl",
    "verdi/laDonnaEMobile.mxl",
    "schumann_robert/opus48no2.mxl",
)
#: Rendered with orchestral / string programs.
ORCHESTRAL_PIECES = (
    "beethoven/opus18no1/movement1.mxl",
    "beethoven/opus59no1/movement1.mxl",
    "beethoven/opus59no3/movement1.mxl",
    "haydn/opus74no1/movement1.mxl",
    "mozart/k458/movement1.mxl",
)
PIANO_PROGRAMS = (0, 1, 2, 3)                 # Piano 1, 2, 3, honky-tonk
PIANO_PROGRAM_P = (0.4, 0.25, 0.25, 0.1)
ORCH_SETS = ((48, 48, 48, 48), (49, 49, 49, 49), (40, 40, 41, 42), (73, 71, 48, 42), (68, 40, 48, 49),
             (48, 48, 42, 43))


def proxy_path(seed: int = 314) -> Path:
    """Cache file of the proxy drawn with ``seed`` (314 = the default draw)."""
    suffix = "" if seed == 314 else f"_seed{seed}"
    return cache_dir("shingles") / f"proxy_collection{suffix}.npz"


def sustain_pedal(notes, period: float, depth: float = 1.0):
    """Notes held by a sustain pedal that is changed every ``period`` beats.

    A key released while the pedal is down keeps sounding until the next
    pedal change: the end beat of every note becomes the first multiple of
    ``period`` at or after its written end (``depth`` < 1 applies the pedal
    to that fraction of the notes, chosen deterministically by index).
    Returns a copy of the note table (``attrs`` kept).
    """
    out = notes.copy()
    out.attrs.update(notes.attrs)
    end = out["end_beat"].to_numpy(dtype=np.float64)
    held = np.ceil(end / period - 1e-6) * period
    use = (np.arange(len(end)) * 0.618034) % 1.0 < depth
    out["end_beat"] = np.where(use, np.maximum(end, held), end)
    return out


def truncate(notes, limit: float):
    """The measures that start before score beat ``limit`` (notes *and* measure table).

    Cutting only the note table would leave the tempo map (which follows
    the measure table) running to the end of the score: silent audio after
    the last note.
    """
    attrs = dict(notes.attrs)
    ms = attrs.get("measure_starts")
    if ms is not None and len(ms):
        ms = ms[ms["start_beat"] < limit].reset_index(drop=True)
        end = float(ms["start_beat"].iloc[-1] + ms["length"].iloc[-1])
        attrs["measure_starts"] = ms
    else:
        end = limit
    out = notes[notes["start_beat"] < end - 1e-9].copy()
    out["end_beat"] = np.minimum(out["end_beat"], end)
    attrs["end_beat"] = end
    out.attrs.update(attrs)
    return out


def _curve(rng, step: float, sd_fast: float, sd_slow: float, slow_every: float, n_beats: float):
    """Log-normal relative curve: fast per-point jitter plus a slowly varying (phrase) component."""
    beats = np.arange(0.0, n_beats + step, step)
    slow_pts = np.arange(0.0, n_beats + slow_every, slow_every)
    slow = np.interp(beats, slow_pts, rng.normal(0, sd_slow, len(slow_pts)))
    return tuple((float(b), float(np.exp(s + rng.normal(0, sd_fast)))) for b, s in zip(beats, slow))


def piano_version(rng, name: str, n_beats: float):
    """One piano 'performance': timbre, tempo ratio 0.8-1.25, rubato, dynamics, pedal, room, tuning."""
    from cmr import synth

    return synth.Version(
        name=name,
        tempo_factor=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
        tempo_curve=_curve(rng, 1.0, 0.08, 0.12, 12.0, n_beats),
        dynamics_curve=_curve(rng, 3.0, 0.1, 0.3, 12.0, n_beats),
        tuning_cents=float(rng.uniform(-25, 25)),
        programs=int(rng.choice(PIANO_PROGRAMS, p=PIANO_PROGRAM_P)),
        velocity_scale=float(rng.uniform(0.75, 1.1)),
        velocity_jitter=float(rng.uniform(3, 12)),
        articulation=float(rng.uniform(0.9, 1.15)),
        reverb=float(rng.uniform(0.05, 0.5)),
        reverb_seconds=float(rng.uniform(0.8, 2.5)),
        snr_db=float(rng.uniform(20, 60)),
        seed=int(rng.integers(1 << 30)),
    )


def orchestral_version(rng, name: str, n_beats: float, n_parts: int):
    """One orchestral 'performance': string/wind programs, tempo ratio 0.85-1.18, milder rubato."""
    from cmr import synth

    progs = ORCH_SETS[int(rng.integers(len(ORCH_SETS)))]
    progs = tuple(progs[i % len(progs)] for i in range(n_parts))
    return synth.Version(
        name=name,
        tempo_factor=float(np.exp(rng.uniform(np.log(0.85), np.log(1.18)))),
        tempo_curve=_curve(rng, 2.0, 0.04, 0.08, 16.0, n_beats),
        dynamics_curve=_curve(rng, 4.0, 0.1, 0.3, 16.0, n_beats),
        tuning_cents=float(rng.uniform(-15, 15)),
        programs=progs,
        velocity_jitter=float(rng.uniform(2, 10)),
        articulation=float(rng.uniform(0.85, 1.1)),
        reverb=float(rng.uniform(0.2, 0.6)),
        reverb_seconds=float(rng.uniform(1.5, 3.0)),
        snr_db=float(rng.uniform(25, 60)),
        seed=int(rng.integers(1 << 30)),
    )


def draw_performance(rng, group: str, name: str, notes, n_beats: float, n_parts: int):
    """One drawn version of a score: ``(version, notes as played, pedal period in beats or None)``.

    ``group='piano'``: :func:`piano_version` and a sustain pedal changed
    every 1, 2 or 3 beats or none (:func:`sustain_pedal`); otherwise
    :func:`orchestral_version` without pedal.
    """
    if group == "piano":
        version = piano_version(rng, name, n_beats)
        pedal = [None, 1.0, 2.0, 3.0][int(rng.integers(4))]
        return version, (sustain_pedal(notes, pedal) if pedal else notes), pedal
    return orchestral_version(rng, name, n_beats, n_parts), notes, None


def _check_disjoint(pieces) -> None:
    """Refuse pieces that are in a training set, the notebook test collection or the real collection."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bstd", Path(__file__).resolve().parents[1] / "scripts" / "build_shingle_training_data.py")
    bstd = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bstd)
    used = set(bstd.test_pieces())
    for f in ("training_shingles.npz", "training_shingles_v2.npz"):
        p = cache_dir("shingles") / f
        if p.exists():
            with np.load(p) as d:
                used |= set(d["pieces"][np.unique(d["piece"])].tolist())
    bad = [p for p in pieces if p in used or any(f in p.lower() for f in ("opus55", "op55", "vivaldi", "mazurka"))]
    if bad:
        raise SystemExit(f"proxy pieces overlap training/test data: {bad}")


def build(piano_versions: int, orch_versions: int, piano_seconds: float, orch_seconds: float,
          sr: int = 22050, seed: int = 314) -> Path:
    """Render the proxy collection and cache its CENS (see module docstring)."""
    from tqdm.auto import tqdm

    from cmr import chroma, symbolic, synth

    _check_disjoint(PIANO_PIECES + ORCHESTRAL_PIECES)
    rng = np.random.default_rng(seed)
    feats, names, groups, versions = [], [], [], []
    jobs = [(p, "piano") for p in PIANO_PIECES] + [(p, "orchestral") for p in ORCHESTRAL_PIECES]
    t0 = time.perf_counter()
    for name, group in tqdm(jobs, desc="proxy pieces"):
        notes = symbolic.cached_score_notes(name)
        bpm = float(notes.attrs.get("bpm") or 96.0)
        seconds = piano_seconds if group == "piano" else orch_seconds
        notes = truncate(notes, seconds * bpm / 60.0)
        n_beats = float(notes["end_beat"].max())
        n_parts = int(notes["part"].max()) + 1
        for v in range(piano_versions if group == "piano" else orch_versions):
            version, played, pedal = draw_performance(rng, group, f"v{v}", notes, n_beats, n_parts)
            r = synth.render(played, version, sr=sr)
            F, _ = chroma.chroma(r.audio, r.sr, kind="cens", feature_rate=1.0)
            feats.append(F.astype(np.float32))
            names.append(name)
            groups.append(group)
            versions.append(json.dumps(dict(version.to_dict(), pedal_period=pedal)))
    lengths = np.array([F.shape[1] for F in feats])
    out = proxy_path(seed)
    np.savez_compressed(out, cens=np.concatenate(feats, axis=1), lengths=lengths, piece=np.array(names),
                        group=np.array(groups), version=np.array(versions))
    print(f"{len(set(names))} works, {len(feats)} versions, {lengths.sum()} CENS frames "
          f"({lengths.sum() / 3600:.1f} h), {time.perf_counter() - t0:.0f} s -> {out}")
    return out


def load_proxy(seed: int = 314):
    """(features list of (12, N_i) arrays, work label per version, group per version)."""
    with np.load(proxy_path(seed)) as f:
        cens, lengths = f["cens"], f["lengths"]
        piece, group = f["piece"], f["group"]
    feats = np.split(cens.astype(np.float32), np.cumsum(lengths)[:-1], axis=1)
    return feats, piece, group


def chroma_stats(X) -> dict:
    """Label-free summary statistics of unit shingles (n, 240): how sparse / smooth the CENS frames are."""
    F = X.reshape(len(X), -1, 12)
    P = F / np.maximum(F.sum(axis=2, keepdims=True), 1e-9)
    ent = -(P * np.log(np.maximum(P, 1e-12))).sum(axis=2)
    U = F / np.maximum(np.linalg.norm(F, axis=2, keepdims=True), 1e-9)
    return {"entropy": float(ent.mean()), "share<0.05": float((U < 0.05).mean()),
            "frame max": float(U.max(axis=2).mean()),
            "adjacent cos": float((U[:, 1:] * U[:, :-1]).sum(axis=2).mean())}


def reducer(spec: str, K: int, db_X):
    """Embedding function for a row spec: 'PCA', 'installed', or 'TAG:USE' (own / refit / wrefit)."""
    if spec == "PCA":
        return PCA(K).fit(db_X).transform
    if spec == "installed":
        net = embedding.load(embedding.weights_path(K))
        if net.meta.get("search_projection") == "refit":
            net = net.fit_projection(db_X)
        return net.embed
    tag, use = spec.rsplit(":", 1)
    use, _, alpha = use.partition("@")
    if "/" in tag:      # a folder holding embedding_K<K>.npz (e.g. earlier committed weights from git)
        net = embedding.load(Path(tag) / f"embedding_K{K}.npz")
    else:
        net = embedding.load(cache_dir("shingles") / "select" / f"{tag}_K{K}.npz")
    if alpha:
        net = net.with_correction_scale(float(alpha))
    if use == "own":
        return net.embed
    if use == "swap":      # the collection's PCA in place of the network's projection
        p = PCA(K).fit(db_X)
        return net.with_projection(p.mean_, p.components_).embed
    if use == "refit":
        plain = net.with_projection(net.proj_mu, net.params["P"].T)
        plain.noise_cov = None
        return plain.fit_projection(db_X).embed
    if use == "wrefit":
        if net.noise_cov is None:
            raise SystemExit(f"{spec}: model has no noise covariance")
        return net.fit_projection(db_X).embed
    raise SystemExit(f"unknown use {use!r} in {spec!r}")


def evaluate(feats, work, specs, ks, per_recording: int = 10, label: str = ""):
    """MAP (and per-query AP) of every row spec at every K on one collection (real-data protocol)."""
    from eval_shingles_real import make_queries  # same folder

    t0 = time.perf_counter()
    db = shingles.build_database(feats, length=LENGTH, hop=1)
    Q, qdoc = make_queries(feats, LENGTH, per_recording)
    rel = work[qdoc][:, None] == work[None, :]
    excl = qdoc[:, None] == np.arange(db.n_docs)[None, :]
    print(f"{label}{len(set(work))} works, {len(feats)} versions, {len(db)} database shingles "
          f"({len(db) / 3600:.1f} h), {len(Q)} queries")
    print("  label-free CENS statistics:", {k: round(v, 3) for k, v in chroma_stats(db.X[::5]).items()})
    rows, aps = {s: {} for s in specs}, {s: {} for s in specs}
    for K in ks:
        for s in specs:
            red = reducer(s, K, db.X)
            D = shingles.document_distances(red(Q), red(db.X), db.doc_ids, db.n_docs)
            rows[s][K], aps[s][K] = evaluation.mean_average_precision(
                rel, D, exclude=excl, higher_is_better=False, return_per_query=True)
        print(f"  K={K:3d} " + "  ".join(f"{s} {rows[s][K]:.3f}" for s in specs)
              + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    return rows, aps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="store_true", help="render the proxy collection(s) first")
    ap.add_argument("--piano-versions", type=int, default=10)
    ap.add_argument("--orch-versions", type=int, default=4)
    ap.add_argument("--piano-seconds", type=float, default=140.0)
    ap.add_argument("--orch-seconds", type=float, default=300.0)
    ap.add_argument("--seed", type=int, nargs="*", default=[314],
                    help="proxy draw(s): versions drawn with this seed; several draws are evaluated one "
                         "by one (each is its own collection) and their MAPs averaged")
    ap.add_argument("--ks", type=int, nargs="*", default=list(KS))
    ap.add_argument("--candidates", nargs="*", default=[], metavar="TAG:USE")
    ap.add_argument("--no-installed", action="store_true")
    ap.add_argument("--queries-per-recording", type=int, default=10)
    ap.add_argument("--record", action="store_true",
                    help="write the PCA / installed proxy MAP into the installed weights' metadata")
    ap.add_argument("--out", type=Path, default=None, help="write per-query APs (npz) here")
    args = ap.parse_args(argv)
    if args.build:
        for seed in args.seed:
            build(args.piano_versions, args.orch_versions, args.piano_seconds, args.orch_seconds, seed=seed)
    specs = ["PCA"] + ([] if args.no_installed else ["installed"]) + list(args.candidates)
    per_seed = []
    for seed in args.seed:
        feats, work, _ = load_proxy(seed)
        per_seed.append(evaluate(feats, work, specs, args.ks, args.queries_per_recording,
                                 label=f"proxy draw {seed}: "))
    rows = {s: {k: float(np.mean([r[s][k] for r, _ in per_seed])) for k in args.ks} for s in specs}
    aps = {s: {k: np.concatenate([a[s][k] for _, a in per_seed]) for k in args.ks} for s in specs}
    n_q = len(aps["PCA"][args.ks[0]])
    print()
    print(f"MAP on the rendered proxy (draws {args.seed}, mean over draws), {n_q} queries of 20 s")
    print("| model | " + " | ".join(str(k) for k in args.ks) + " |")
    print("|---|" + "---|" * len(args.ks))
    for s in specs:
        print(f"| {s} | " + " | ".join(f"{rows[s][k]:.3f}" for k in args.ks) + " |")
    # paired standard error of the difference to PCA over all queries; queries of one version or work
    # are not independent, so this understates the uncertainty
    print("\ndifference to PCA (paired s.e. over queries)")
    for s in specs[1:]:
        cells = []
        for k in args.ks:
            d = aps[s][k] - aps["PCA"][k]
            cells.append(f"{d.mean():+.3f}±{d.std(ddof=1) / np.sqrt(len(d)):.3f}")
        print(f"| {s} | " + " | ".join(cells) + " |")
    if args.record and "installed" in specs:
        # store the proxy scores with the installed weights (notebook 05 prints them)
        for k in args.ks:
            net = embedding.load(embedding.weights_path(k))
            net.meta["proxy"] = {"draws": list(args.seed), "queries": int(n_q), "PCA": round(rows["PCA"][k], 4),
                                 "learned": round(rows["installed"][k], 4),
                                 "per_draw": {str(seed): {"PCA": round(r["PCA"][k], 4),
                                                          "learned": round(r["installed"][k], 4)}
                                              for seed, (r, _) in zip(args.seed, per_seed)}}
            net.save(embedding.weights_path(k))
        print("proxy scores recorded in the installed weights' metadata")
    if args.out:
        np.savez(args.out, **{f"{s}__{k}": aps[s][k] for s in specs for k in args.ks})
    return rows


if __name__ == "__main__":
    main()
