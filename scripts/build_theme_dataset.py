"""Build the theme-retrieval dataset of notebook 06 from the music21 corpus.

Stages (run all with no argument, or one by name):

``select``
    Parse the chosen corpus scores, take each one's melody line, extract
    themes (opening phrase + later themes), decide relevance (a theme is
    relevant to every piece whose melody line contains its interval
    pattern), and draw one performance version per piece. Writes the small
    committed tables ``lib/cmr/data/themes_pieces.csv``,
    ``themes_list.csv`` and ``themes_relevance.csv``.
``render``
    Render every piece with its version (cmr.synth) and compute the database
    features of every feature type; features are cached per piece under
    ``cmr.paths.cache_dir("themes")`` (the audio itself is not kept: it is
    regenerable from the scores).
``pack``
    Collect the cached features into the small committed file
    ``lib/cmr/data/themes_db.npz`` (float16, 5 Hz) that notebook 06 reads,
    and with ``--fine-kinds`` the learned kinds at 10 Hz into
    ``themes_db_fine.npz`` (the theme explorer's "10 frames per second").

Usage::

    .venv/bin/python scripts/build_theme_dataset.py            # everything
    .venv/bin/python scripts/build_theme_dataset.py select
    .venv/bin/python scripts/build_theme_dataset.py render [--limit N]
    .venv/bin/python scripts/build_theme_dataset.py pack --kinds melody learned conv
    .venv/bin/python scripts/build_theme_dataset.py pack --kinds --fine-kinds conv   # the 10 Hz file only
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# cmr is installed (editable) in the venv; python puts scripts/ itself on the path

from cmr import themes  # noqa: E402
from cmr.paths import cache_dir  # noqa: E402

DATA = ROOT / "lib" / "cmr" / "data"
PIECES_CSV = DATA / "themes_pieces.csv"
THEMES_CSV = DATA / "themes_list.csv"
RELEVANCE_CSV = DATA / "themes_relevance.csv"
DB_NPZ = DATA / "themes_db.npz"
DB_FINE_NPZ = DATA / "themes_db_fine.npz"
SEED = 2016  # the year of Balke et al.'s theme retrieval paper

#: How many pieces of each collection (chosen by a seeded shuffle of the corpus listing).
QUOTA = {"bach": 135, "palestrina": 40, "monteverdi": 30, "instrumental": 45}
#: Single pieces from the rest of the corpus (lieder, piano, concertos), all taken.
EXTRA = [
    "schubert/Lindenbaum.xml", "chopin/mazurka06-2.krn", "joplin/maple_leaf_rag.mxl",
    "handel/rinaldo/Lascia_chio_pianga.mxl", "corelli/opus3no1/1grave.xml", "cpebach/h186.mxl",
    "verdi/laDonnaEMobile.mxl", "weber/concertino_clarinet.mxl", "beach/prayer_of_a_tired_child.musicxml",
    "bach/bwv846.mxl", "schumann_robert/dichterliebe_no2.xml", "schumann_robert/opus48no2.mxl",
    "schumann_clara/polonaise_op1n1.mxl", "schumann_clara/polonaise_op1n2.mxl",
    "schumann_clara/polonaise_op1n3.mxl", "schumann_clara/polonaise_op1n4.mxl",
    "schumann_clara/opus17/movement3.xml",
]
#: Written tempo (quarter notes per minute) when the score gives no metronome number.
DEFAULT_QPM = {"bach": 84.0, "palestrina": 132.0, "monteverdi": 120.0, "instrumental": 112.0, "extra": 100.0}
MAX_QUARTERS = 400.0  # longer movements are cut after the last measure ending within this many quarter notes


def corpus_listing() -> dict[str, list[str]]:
    from music21 import corpus

    paths = sorted(str(p).split("/corpus/")[1] for p in corpus.getCorePaths())
    out = {
        "bach": [p for p in paths if p.startswith("bach/bwv") and p.endswith(".mxl")
                 and "-sc" not in p and p != "bach/bwv846.mxl"],
        "palestrina": [p for p in paths if p.startswith("palestrina/") and p.endswith(".krn")],
        "monteverdi": [p for p in paths if p.startswith("monteverdi/") and p.endswith(".mxl") and "_old" not in p],
        "instrumental": [p for p in paths if p.endswith(".mxl") and p.split("/")[0] in
                         ("beethoven", "mozart", "haydn") or p.startswith("schumann_robert/opus41")],
    }
    return out


def written_qpm(score, collection: str) -> float:
    for mm in score.flatten().getElementsByClass("MetronomeMark"):
        if mm.number:
            return float(mm.number) * float(mm.referent.quarterLength)
    return DEFAULT_QPM[collection]


def cut_score(notes: pd.DataFrame, melody: pd.DataFrame, max_quarters: float):
    """Keep the measures that end within ``max_quarters`` (long movements become excerpts)."""
    notes = themes.cut_notes(notes, max_quarters)
    cut = float(notes.attrs["end_beat"])
    melody = melody[melody["start_beat"] < cut - 1e-9].copy()
    melody["end_beat"] = np.minimum(melody["end_beat"], cut)
    return notes, melody.reset_index(drop=True)


def melody_in_notes(notes: pd.DataFrame, melody: pd.DataFrame) -> np.ndarray:
    """Which melody notes are notes of the rendered note table (same onset and pitch)."""
    have = set(zip(np.round(notes["start_beat"].to_numpy(), 6), notes["pitch"].to_numpy()))
    return np.array([(round(s, 6), p) in have for s, p in zip(melody["start_beat"], melody["pitch"])])


def select(args) -> None:
    from music21 import corpus
    from tqdm import tqdm

    rng = np.random.default_rng(SEED)
    listing = corpus_listing()
    candidates = []
    for coll, paths in listing.items():
        order = rng.permutation(len(paths))
        candidates += [(coll, paths[i], QUOTA[coll]) for i in order]
    candidates += [("extra", p, len(EXTRA)) for p in EXTRA]
    taken = {c: 0 for c in list(QUOTA) + ["extra"]}
    pieces, melodies, all_themes = [], {}, []
    from cmr import symbolic

    notes_dir = cache_dir("themes", "notes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for coll, path, quota in tqdm(candidates, desc="scores", unit="score", mininterval=5):
            if taken[coll] >= quota:
                continue
            piece = path.rsplit(".", 1)[0].replace("/", "_")
            try:
                score = symbolic.load_score(path)
                notes = symbolic.score_notes(score)
                melody = themes.top_voice(score)
            except Exception as exc:  # a score music21 cannot read, or without notes
                print(f"skip {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            notes, melody = cut_score(notes, melody, MAX_QUARTERS)
            quarters = float(notes.attrs["end_beat"])
            n_later = 1 if quarters < 160 else 2
            th = themes.extract_themes(melody, piece, n_later=n_later)
            ok = melody_in_notes(notes, melody)
            bad = [t.name for t in th if not ok[t.first_note:t.first_note + t.n_notes].all()]
            if bad:  # music21's tie handling differs between top_voice and score_notes here
                print(f"dropped themes {bad}: a note is not in the rendered note table", file=sys.stderr)
                th = [t for t in th if t.name not in bad]
            if not th or len(notes) == 0:
                continue
            qpm = written_qpm(score, coll)
            n_parts = int(notes["part"].max()) + 1
            vrng = np.random.default_rng([SEED, zlib.crc32(piece.encode())])
            version = themes.plan_version(vrng, n_parts)
            pd.to_pickle((notes, dict(notes.attrs)), notes_dir / f"{piece}.pkl")
            pieces.append({"piece": piece, "path": path, "collection": coll, "quarters": quarters,
                           "measures": int(notes["measure"].max()), "n_parts": n_parts,
                           "qpm": qpm, "score_seconds": quarters * 60.0 / qpm,
                           "est_seconds": quarters * 60.0 / (qpm * version["tempo_factor"]),
                           "version": json.dumps(version)})
            melodies[piece] = melody
            all_themes += th
            taken[coll] += 1
    pieces = pd.DataFrame(pieces)
    rows = []
    for t in all_themes:
        qpm = float(pieces.loc[pieces.piece == t.piece, "qpm"].iloc[0])
        rows.append({"theme": t.name, "piece": t.piece, "index": t.index, "n_notes": t.n_notes,
                     "start_beat": t.start_beat, "end_beat": t.end_beat, "qpm": qpm,
                     "seconds": (t.end_beat - t.start_beat) * 60 / qpm,
                     "pitches": " ".join(map(str, t.pitches)),
                     "onsets": " ".join(f"{x:g}" for x in t.onsets),
                     "offsets": " ".join(f"{x:g}" for x in t.offsets)})
    theme_df = pd.DataFrame(rows)
    # relevance: every piece whose melody line contains the theme's interval pattern
    rel = []
    for t in tqdm(all_themes, desc="relevance", unit="theme"):
        for piece, mel in melodies.items():
            occ = themes.find_occurrences(t.pitches, mel["pitch"].to_numpy())
            for i in occ:
                rel.append({"theme": t.name, "piece": piece, "start_beat": float(mel["start_beat"].iloc[i]),
                            "end_beat": float(mel["end_beat"].iloc[i + t.n_notes - 1]),
                            "own": piece == t.piece})
    rel = pd.DataFrame(rel)
    DATA.mkdir(parents=True, exist_ok=True)
    pieces.to_csv(PIECES_CSV, index=False)
    theme_df.to_csv(THEMES_CSV, index=False)
    rel.to_csv(RELEVANCE_CSV, index=False)
    n_rel = rel.groupby("theme").piece.nunique()
    print(f"{len(pieces)} pieces ({dict(pieces.collection.value_counts())}), {len(theme_df)} themes")
    print(f"score duration at written tempo {pieces.score_seconds.sum() / 3600:.2f} h, "
          f"planned audio {pieces.est_seconds.sum() / 3600:.2f} h (before tempo curves)")
    print(f"themes relevant to more than one piece: {(n_rel > 1).sum()} (max {n_rel.max()} pieces)")


def load_piece_notes(piece: str) -> pd.DataFrame:
    """The (possibly cut) note table of a piece saved by the select stage."""
    path = cache_dir("themes", "notes") / f"{piece}.pkl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `build_theme_dataset.py select` first")
    notes, attrs = pd.read_pickle(path)
    notes.attrs.update(attrs)
    return notes


def feature_file(piece: str) -> Path:
    return cache_dir("themes", "features") / f"{piece}.npz"


def render_piece(row, rel_rows) -> dict:
    """Render one piece's version, compute all features (with and without tuning compensation)."""
    from cmr import synth

    notes = load_piece_notes(row.piece)
    plan = json.loads(row.version)
    version = themes.make_version(plan, float(row.qpm), float(notes.attrs["end_beat"]))
    t0 = time.perf_counter()
    rendering = synth.render(notes, version)
    t1 = time.perf_counter()
    tuned, cents = themes.database_features(rendering.audio, rendering.sr, tuning_cents=None)
    plain, _ = themes.database_features(rendering.audio, rendering.sr, tuning_cents=0.0)
    t2 = time.perf_counter()
    out = {f"{k}": v.astype(np.float16) for k, v in tuned.items()}
    out.update({f"{k}_notune": v.astype(np.float16) for k, v in plain.items()})
    occ_s = rendering.beat_to_time(rel_rows["start_beat"].to_numpy()) if len(rel_rows) else np.zeros(0)
    occ_e = rendering.beat_to_time(rel_rows["end_beat"].to_numpy()) if len(rel_rows) else np.zeros(0)
    out.update(cents=np.float64(cents), duration=np.float64(rendering.duration),
               render_seconds=np.float64(t1 - t0), feature_seconds=np.float64(t2 - t1),
               occ_theme=np.array(rel_rows["theme"].tolist(), dtype=str),
               occ_start=np.asarray(occ_s, np.float64), occ_end=np.asarray(occ_e, np.float64))
    np.savez(feature_file(row.piece), **out)
    return out


def render(args) -> None:
    from tqdm import tqdm

    pieces = pd.read_csv(PIECES_CSV)
    rel = pd.read_csv(RELEVANCE_CSV)
    if args.limit:
        pieces = pieces.head(args.limit)
    todo = [r for r in pieces.itertuples() if args.overwrite or not feature_file(r.piece).is_file()]
    print(f"{len(pieces) - len(todo)} pieces already cached, {len(todo)} to render "
          f"(~{sum(r.est_seconds for r in todo) / 3600:.2f} h of audio)")
    audio_s = render_s = feat_s = 0.0
    failed = []
    bar = tqdm(todo, desc="render+features", unit="piece", mininterval=10)
    for row in bar:
        try:
            out = render_piece(row, rel[rel.piece == row.piece])
        except Exception as exc:
            failed.append(row.piece)
            print(f"failed {row.piece}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        audio_s += float(out["duration"])
        render_s += float(out["render_seconds"])
        feat_s += float(out["feature_seconds"])
        bar.set_postfix(audio_h=f"{audio_s / 3600:.2f}", x_realtime=f"{audio_s / max(render_s + feat_s, 1e-9):.0f}")
    print(f"rendered {audio_s / 3600:.2f} h of audio: synthesis {render_s:.0f} s, features {feat_s:.0f} s; "
          f"failed: {failed or 'none'}")


def truth_notes(row) -> pd.DataFrame:
    """The rendered notes of a database piece (audio seconds, sounding pitch) without synthesising audio.

    Repeats the timing part of :func:`cmr.synth.render` (its tempo map, the
    version's transposition): the versions of this dataset have no sections
    or articulation changes, so the note table equals ``render(...).truth.notes``
    (checked against a real rendering in ``tests/test_themes.py``).

    Returns
    -------
    pandas.DataFrame with columns ``start``, ``end`` (s), ``pitch``, ``part``, ``velocity``
    """
    notes = load_piece_notes(row.piece)
    version = themes.make_version(json.loads(row.version), float(row.qpm), float(notes.attrs["end_beat"]))
    return themes.version_notes(notes, version)


def pitch_file(piece: str) -> Path:
    return cache_dir("themes", "pitch") / f"{piece}.npy"


def pitch(args) -> None:
    """Render again and cache the 88 IIR pitch energies (tuning compensated, 10 Hz) of every piece.

    The salience feature kinds (:func:`cmr.themes.salience_chroma`) are computed
    from these by ``scripts/eval_themes.py``; the tuning is the one the render
    stage estimated (stored in the feature cache).
    """
    from tqdm import tqdm

    from cmr import chroma, synth

    pieces = pd.read_csv(PIECES_CSV)
    if args.limit:
        pieces = pieces.head(args.limit)
    todo = [r for r in pieces.itertuples() if args.overwrite or not pitch_file(r.piece).is_file()]
    print(f"{len(pieces) - len(todo)} pieces have cached pitch energies, {len(todo)} to render")
    for row in tqdm(todo, desc="render+pitch", unit="piece", mininterval=10):
        with np.load(feature_file(row.piece)) as z:
            cents = float(z["cents"])
        notes = load_piece_notes(row.piece)
        version = themes.make_version(json.loads(row.version), float(row.qpm), float(notes.attrs["end_beat"]))
        rendering = synth.render(notes, version)
        P = chroma.pitch_features(rendering.audio, rendering.sr, feature_rate=themes.FINE_RATE, tuning_cents=cents)
        np.save(pitch_file(row.piece), P.astype(np.float32))


def frames_at(n_5hz: int, rate: float) -> int:
    """Frames at ``rate`` that cover the same duration as ``n_5hz`` frames at :data:`cmr.themes.FEATURE_RATE`
    (the learned features are pooled from 10 Hz to this length; ``eval_themes.py`` and ``pack`` agree)."""
    return 1 + int(round((n_5hz - 1) * rate / themes.FEATURE_RATE))


def pack(args) -> None:
    """Concatenate the cached features into lib/cmr/data/themes_db.npz (committed kinds only, 5 Hz) and, for
    ``--fine-kinds``, into themes_db_fine.npz (10 Hz: the learned kinds only)."""
    if args.kinds:
        _pack(args.kinds, themes.FEATURE_RATE, DB_NPZ)
    if args.fine_kinds:
        _pack(args.fine_kinds, themes.FINE_RATE, DB_FINE_NPZ)


def _pack(kinds, rate: float, out_path: Path) -> None:
    from train_melody_salience import check_learned_cache, load_learned

    from cmr import chroma

    pieces = pd.read_csv(PIECES_CSV)
    missing = [p for p in pieces.piece if not feature_file(p).is_file()]
    if missing:
        raise SystemExit(f"{len(missing)} pieces have no cached features (first: {missing[0]}); run the render stage")
    learned = {"learned", "conv"}
    if rate != themes.FEATURE_RATE and set(kinds) - learned:
        raise SystemExit(f"only the learned kinds {sorted(learned)} exist at {rate:g} Hz, not {sorted(set(kinds) - learned)}")
    for kind in learned & set(kinds):
        check_learned_cache(kind)  # the cache must come from the committed weights
    arrays = {k: [] for k in kinds}
    lengths, cents, durations = [], [], []
    for p in pieces.piece:
        with np.load(feature_file(p)) as z:
            n_out = frames_at(z["melody"].shape[1], rate)
            for k in kinds:
                if k in learned:  # learned melody chroma (10 Hz) from train_melody_salience.py apply
                    C = load_learned(p, k)
                    arrays[k].append(chroma.normalize(themes.pool_features(C, themes.FINE_RATE, rate, n_out), "l2"))
                else:
                    arrays[k].append(z[k])
            lengths.append(n_out)
            cents.append(float(z["cents"]))
            durations.append(float(z["duration"]))
    out = {k: np.concatenate(v, axis=1).astype(np.float16) for k, v in arrays.items()}
    out.update(offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
               doc_ids=np.array(pieces.piece.tolist(), dtype=str), feature_rate=np.float64(rate),
               estimated_cents=np.array(cents), duration=np.array(durations))
    np.savez_compressed(out_path, **out)
    print(f"wrote {out_path.relative_to(ROOT)} ({out_path.stat().st_size / 1e6:.1f} MB): kinds {list(kinds)} at "
          f"{rate:g} Hz, {len(pieces)} documents, {sum(durations) / 3600:.2f} h")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", nargs="?", default="all", choices=["all", "select", "render", "pitch", "pack"])
    ap.add_argument("--limit", type=int, default=None, help="render only the first N pieces")
    ap.add_argument("--overwrite", action="store_true", help="re-render pieces whose features are cached")
    ap.add_argument("--kinds", nargs="*", default=["melody"],
                    help="feature kinds committed by the pack stage at 5 Hz (themes_db.npz; none: not rewritten)")
    ap.add_argument("--fine-kinds", nargs="*", default=[],
                    help="learned kinds also committed at 10 Hz (themes_db_fine.npz), e.g. conv")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.stage in ("all", "select"):
        select(args)
    if args.stage in ("all", "render"):
        render(args)
    if args.stage == "pitch":
        pitch(args)
    if args.stage in ("all", "pack"):
        pack(args)
    print(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
