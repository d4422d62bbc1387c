"""Train the learned melody salience (cmr.melody) on renderings of pieces OUTSIDE the theme database.

Stages (run one by name, in order):

``select``
    Candidate scores from the music21 corpus that are not database pieces
    (chorales, Palestrina mass movements, Monteverdi madrigals, trecento and
    Josquin pieces, one Beethoven quartet). A candidate is EXCLUDED when
    (a) it belongs to the same work as a database piece (same BWV number,
    same Palestrina mass number, same opus / K number), or (b) any
    database theme's interval pattern occurs in its top line, or (c) at
    least 5 % of its top line's 12-note interval patterns (repeated notes
    merged) occur in the top line of one database piece (a shared hymn
    tune, a quotation; shorter patterns are too common in stepwise
    Renaissance lines to separate related from unrelated tunes). Each kept piece gets a performance version drawn
    like the database's (:func:`cmr.themes.plan_version`, another seed) and
    a train / validation label (whole pieces). Writes
    ``lib/cmr/data/melody_train_pieces.csv`` and ``melody_excluded.csv``.
``render``
    Render every kept piece, estimate its tuning, compute the 88 IIR pitch
    energies (10 Hz) and the target: the rendered top voice (highest
    sounding note per frame). Cached under ``.cache/melody/``.
``train``
    Train :class:`cmr.melody.MelodyNet` for each hyperparameter setting of
    ``GRID`` on the training pieces and pick the one with the best
    validation pitch-class accuracy (validation pieces only); retrain nothing
    else. Writes ``lib/cmr/data/melody_salience.npz`` and prints the grid.
``ensemble`` / ``greedy``
    Average the probabilities of several trained nets (``--members``); ``greedy`` chooses the members by
    greedy forward selection on the validation pieces (every set tried -> ``melody_grid_ensembles.csv``).
``apply``
    Learned chroma of every database recording from the cached database pitch
    energies (``build_theme_dataset.py pitch``) -> ``.cache/themes/learned/``;
    the database itself is only touched here, after training.
``second``
    Second-voice targets of every training / validation piece (the highest
    note below the top voice per 0.1 s frame, :func:`cmr.melody.second_voice_targets`)
    from the same note roll the top-voice targets come from, without
    synthesising audio (:func:`cmr.themes.version_notes`; checked by
    recomputing the cached top-voice targets) -> ``.cache/melody/second/``;
    ``second --extra K``: also of the K extra renderings of every training
    piece (``render --extra K``; the plan stored with each rendering) ->
    ``<piece>__x<k>.npy``.
    Then ``train --voice second`` trains second-voice nets (same GRID rows;
    validation metric: pitch-class accuracy on frames WITH a second voice;
    results in ``lib/cmr/data/melody_grid_second.csv``; weights only under
    ``.cache/melody/candidates/``, never the committed file), and
    ``apply --weights <file> --kind learned_second`` caches their chroma;
    ``apply --kind conv_second`` that of the committed second-voice model
    (``lib/cmr/data/melody_conv_second.npz``: GRID 24 + 25, the kind ``conv_blend2`` of ``eval_themes.py``).
    ``train --joint LAMBDA`` instead trains ONE net with a second softmax head
    (loss CE(top) + LAMBDA CE(second); :class:`cmr.melody.MelodyNet` ``second_head``).
    The pitchconv rows train second-voice :class:`cmr.melody.PitchConvNet` s the same way
    (``train --voice second --grid 24``; rows with ``"voice": "second"`` train only that voice).

Usage::

    .venv/bin/python scripts/train_melody_salience.py select
    nice -n 5 .venv/bin/python scripts/train_melody_salience.py render
    nice -n 5 .venv/bin/python scripts/train_melody_salience.py train
    .venv/bin/python scripts/train_melody_salience.py apply
    .venv/bin/python scripts/eval_themes.py --only learned
    .venv/bin/python scripts/train_melody_salience.py second
    nice -n 5 .venv/bin/python scripts/train_melody_salience.py train --voice second --grid 6
    .venv/bin/python scripts/train_melody_salience.py second --extra 2
    nice -n 5 .venv/bin/python scripts/train_melody_salience.py train --voice second --grid 24 \
        --grid-csv <scratch.csv> --save-to .cache/melody/candidates/conv_second_0.npz
"""
from __future__ import annotations

import argparse
import json
import re
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from cmr import melody, themes  # noqa: E402
from cmr.paths import cache_dir  # noqa: E402

DATA = ROOT / "lib" / "cmr" / "data"
TRAIN_CSV = DATA / "melody_train_pieces.csv"
EXCLUDED_CSV = DATA / "melody_excluded.csv"
GRID_CSV = DATA / "melody_grid.csv"
#: Round 5 (settings tried after database evaluation 3; the committed model is still round 4's):
CAND_GRID_CSV = DATA / "melody_grid_candidates.csv"
#: Session 14: second-voice nets (``train --voice second``).
SECOND_GRID_CSV = DATA / "melody_grid_second.csv"


def recorded_best() -> float:
    """Best validation accuracy recorded in melody_grid.csv and melody_grid_candidates.csv."""
    vals = [float(pd.read_csv(f)["learned"].max()) for f in (GRID_CSV, CAND_GRID_CSV) if f.is_file()]
    return max(vals, default=-1.0)
SEED = 2019  # the year of Zalkow, Balke and Müller's learned salience for theme retrieval
#: Pieces per collection (seeded shuffle of the candidates that pass the leakage checks).
QUOTA = {"bach": 150, "palestrina": 260, "monteverdi": 18, "trecento": 80, "other": 12}
#: (rounds 1-3 used 80/45/18/20/12, then 120/110/18/45/12; round 4 added pieces with the split frozen)
MAX_QUARTERS = 200.0  # training pieces are cut shorter than database pieces: more pieces per hour
NGRAM = 11  # intervals per pattern (12 notes, repeated notes merged)
MAX_SHARED = 0.05  # exclusion threshold (c)
VAL_SHARE = 0.2
DEFAULT_QPM = {"bach": 84.0, "palestrina": 132.0, "monteverdi": 120.0, "trecento": 100.0, "other": 100.0}


def work_key(path: str) -> str:
    """A work identifier: movements and editions of one work share it."""
    top = path.split("/")[0]
    stem = path.split("/")[-1].rsplit(".", 1)[0]
    if top == "bach":
        m = re.match(r"bwv(\d+)", stem)
        return f"bach:{m.group(1) if m else stem}"
    if top == "palestrina":
        parts = stem.split("_")
        return f"palestrina:{parts[1] if len(parts) > 1 else stem}"
    if path.count("/") >= 2:  # composer/work/movement
        return f"{top}:{path.split('/')[1]}"
    return f"{top}:{stem}"


def candidates(db_paths: set) -> list[tuple[str, str]]:
    from music21 import corpus

    paths = sorted(str(p).split("/corpus/")[1] for p in corpus.getCorePaths())
    out = []
    for p in paths:
        if p in db_paths:
            continue
        if p.startswith("bach/bwv") and p.endswith(".mxl") and "-sc" not in p:
            out.append(("bach", p))
        elif p.startswith("palestrina/") and p.endswith(".krn"):
            out.append(("palestrina", p))
        elif p.startswith("monteverdi/") and p.endswith(".mxl") and "_old" not in p:
            out.append(("monteverdi", p))
        elif p.startswith("trecento/") and "_bak" not in p and p.endswith(".xml"):
            out.append(("trecento", p))
        elif p.startswith(("josquin/", "ciconia/", "luca/", "lusitano/", "webern/")) or p in (
                "beethoven/opus18no4.mxl", "mozart/k156/movement2.mxl", "mozart/k80/movement3.mxl",
                "beethoven/opus59no3/movement2.mxl", "mozart/k458/movement3.mxl", "mozart/k156/movement4.mxl",
                "schumann_robert/opus41no1/movement4.mxl"):
            out.append(("other", p))
    return out


def top_line(notes: pd.DataFrame, merge: bool = True) -> np.ndarray:
    """Pitch sequence of the highest part (highest mean pitch among parts covering half the piece),
    top note per onset, repeated notes merged (``merge``)."""
    if len(notes) == 0:
        return np.zeros(0, np.int64)
    span = float(notes["end_beat"].max() - notes["start_beat"].min())
    best, best_mean = None, -1.0
    for p, g in notes.groupby("part"):
        cover = float((g["end_beat"] - g["start_beat"]).sum())
        if cover >= 0.5 * span and g["pitch"].mean() > best_mean:
            best, best_mean = p, float(g["pitch"].mean())
    g = notes if best is None else notes[notes["part"] == best]
    seq = g.groupby("start_beat")["pitch"].max().sort_index().to_numpy(np.int64)
    if seq.size == 0 or not merge:
        return seq
    return seq[np.r_[True, np.diff(seq) != 0]]


def merged(p) -> np.ndarray:
    p = np.asarray(p, np.int64)
    return p[np.r_[True, np.diff(p) != 0]] if p.size else p


def ngrams(seq: np.ndarray, n: int = NGRAM) -> set:
    d = np.diff(seq)
    return {tuple(d[i:i + n]) for i in range(len(d) - n + 1)}


def select(args) -> None:
    from tqdm import tqdm

    from cmr import symbolic
    from build_theme_dataset import load_piece_notes, written_qpm

    db = pd.read_csv(DATA / "themes_pieces.csv")
    theme_df = pd.read_csv(DATA / "themes_list.csv")
    db_works = {work_key(p) for p in db.path}
    db_lines = {r.piece: top_line(load_piece_notes(r.piece)) for r in db.itertuples()}
    db_grams = {p: ngrams(s) for p, s in db_lines.items()}
    db_themes = [(t.theme, np.array(str(t.pitches).split(), int)) for t in theme_df.itertuples()]
    rng = np.random.default_rng(SEED)
    cands = candidates(set(db.path))
    order = rng.permutation(len(cands))
    taken = {c: 0 for c in QUOTA}
    kept, excluded = [], []
    notes_dir = cache_dir("melody", "notes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in tqdm(order, desc="candidates", unit="score", mininterval=5):
            coll, path = cands[i]
            if taken[coll] >= QUOTA[coll]:
                continue
            wk = work_key(path)
            if wk in db_works:
                excluded.append({"path": path, "reason": "same work as a database piece", "detail": wk})
                continue
            parsed = cache_dir("melody", "parsed") / (re.sub(r"[^A-Za-z0-9._-]", "_", path) + ".pkl")
            if parsed.is_file():
                notes, attrs, qpm = pd.read_pickle(parsed)
                notes.attrs.update(attrs)
            else:
                try:
                    score = symbolic.load_score(path)
                    notes = symbolic.score_notes(score)
                    qpm = written_qpm(score, coll) if coll in ("bach", "palestrina", "monteverdi") \
                        else DEFAULT_QPM[coll]
                except Exception as exc:
                    excluded.append({"path": path, "reason": "unreadable", "detail": f"{type(exc).__name__}"})
                    continue
                pd.to_pickle((notes, dict(notes.attrs), qpm), parsed)
            if len(notes) == 0 or notes["part"].nunique() < 2:
                excluded.append({"path": path, "reason": "not polyphonic", "detail": ""})
                continue
            notes = themes.cut_notes(notes, MAX_QUARTERS)
            line = top_line(notes)
            full = top_line(notes, merge=False)
            hit = next((name for name, tp in db_themes
                        if themes.find_occurrences(tp, full).size), None) if full.size >= 8 else None
            if hit is not None:
                excluded.append({"path": path, "reason": "contains a database theme", "detail": hit})
                continue
            g = ngrams(line)
            share, who = 0.0, ""
            if g:
                for p, dg in db_grams.items():
                    s = len(g & dg) / len(g)
                    if s > share:
                        share, who = s, p
            if share >= MAX_SHARED:
                excluded.append({"path": path, "reason": f"top line shares >= {MAX_SHARED:.0%} of its "
                                                         f"12-note patterns with a database piece",
                                 "detail": f"{who} ({share:.0%})"})
                continue
            piece = re.sub(r"[^A-Za-z0-9._-]", "_", path.rsplit(".", 1)[0].replace("/", "_"))
            n_parts = int(notes["part"].max()) + 1
            version = themes.plan_version(np.random.default_rng([SEED, zlib.crc32(piece.encode())]), n_parts)
            pd.to_pickle((notes, dict(notes.attrs)), notes_dir / f"{piece}.pkl")
            kept.append({"piece": piece, "path": path, "collection": coll, "work": wk,
                         "quarters": float(notes.attrs["end_beat"]), "qpm": qpm, "n_parts": n_parts,
                         "max_shared": round(share, 3), "closest_db_piece": who,
                         "version": json.dumps(version)})
            taken[coll] += 1
    kept = pd.DataFrame(kept)
    works = sorted(kept.work.unique())
    val_works = set(np.random.default_rng(SEED + 1).permutation(works)[: int(round(VAL_SHARE * len(works)))])
    kept["split"] = np.where(kept.work.isin(val_works), "val", "train")
    if TRAIN_CSV.is_file() and args.freeze_split:
        # keep the validation set of the earlier selection: earlier pieces keep their label, new pieces
        # train unless their work is a validation work (then unused)
        old = pd.read_csv(TRAIN_CSV)
        prev = old.set_index("piece")["split"]
        old_val_works = set(old.loc[old.split == "val", "work"])
        kept["split"] = [prev.get(p, "unused" if w in old_val_works else "train")
                         for p, w in zip(kept.piece, kept.work)]
    kept.to_csv(TRAIN_CSV, index=False)
    pd.DataFrame(excluded).to_csv(EXCLUDED_CSV, index=False)
    ex = pd.DataFrame(excluded)
    print(f"kept {len(kept)} pieces {dict(kept.collection.value_counts())}; split {dict(kept.split.value_counts())}")
    print(f"excluded {len(ex)}: {dict(ex.reason.value_counts()) if len(ex) else {}}")
    print(f"largest shared-pattern share among kept pieces: {kept.max_shared.max():.1%}")


def data_file(piece: str, extra=0) -> Path:
    """Cached pitch energies and targets of a training piece; ``extra = k >= 1``: its k-th extra rendering;
    ``extra = "piano"``: its all-piano rendering (``render --piano``, own cache folder)."""
    if extra == "piano":
        return cache_dir("melody", "piano") / f"{piece}.npz"
    return cache_dir("melody", "data") / (f"{piece}.npz" if extra == 0 else f"{piece}__x{extra}.npz")


def extra_plan(piece: str, n_parts: int, k: int) -> dict:
    """The performance plan of the k-th extra rendering of a training piece (own seeded generator, so
    other instruments, tempo, key and tuning than the piece's first rendering)."""
    return themes.plan_version(np.random.default_rng([SEED, zlib.crc32(piece.encode()), k]), n_parts)


def piano_plan(piece: str, n_parts: int) -> dict:
    """The plan of a training piece's all-piano rendering: that of a fifth extra rendering, every part on the
    piano (GM program 0)."""
    plan = extra_plan(piece, n_parts, 5)
    plan.update(ensemble="piano", programs=[0] * int(n_parts))
    return plan


def render(args) -> None:
    from tqdm import tqdm

    from cmr import chroma, synth

    kept = pd.read_csv(TRAIN_CSV)
    if args.piano:  # one all-piano rendering of every TRAINING piece, in its own cache folder
        todo = [(r, "piano") for r in kept[kept.split == "train"].itertuples()
                if args.overwrite or not data_file(r.piece, "piano").is_file()]
        args.extra = 0
    else:
        todo = []
    todo += [(r, 0) for r in kept.itertuples() if args.overwrite or not data_file(r.piece).is_file()]
    # --extra K: K more renderings of every TRAINING piece (validation pieces keep their single one)
    todo += [(r, k) for r in kept[kept.split == "train"].itertuples() for k in range(1, args.extra + 1)
             if args.overwrite or not data_file(r.piece, k).is_file()]
    total = 0.0
    for row, k in tqdm(todo, desc="render+pitch", unit="piece", mininterval=10):
        notes, attrs = pd.read_pickle(cache_dir("melody", "notes") / f"{row.piece}.pkl")
        notes.attrs.update(attrs)
        plan = (piano_plan(row.piece, int(row.n_parts)) if k == "piano" else json.loads(row.version) if k == 0
                else extra_plan(row.piece, int(row.n_parts), k))
        version = themes.make_version(plan, float(row.qpm), float(notes.attrs["end_beat"]), name="melody-train")
        r = synth.render(notes, version)
        cents = float(chroma.estimate_tuning(r.audio, r.sr))
        P = chroma.pitch_features(r.audio, r.sr, feature_rate=themes.FINE_RATE, tuning_cents=cents)
        top = themes.skyline(themes.note_roll(r.truth.notes, themes.FINE_RATE, P.shape[1]))
        np.savez(data_file(row.piece, k), P=P.astype(np.float32), y=melody.top_voice_targets(top),
                 cents=cents, duration=r.duration, plan=json.dumps(plan))
        total += r.duration
    print(f"rendered {total / 3600:.2f} h")


def second_file(piece: str, extra: int = 0) -> Path:
    """Cached second-voice targets of a training piece; ``extra = k >= 1``: of its k-th extra rendering."""
    return cache_dir("melody", "second") / (f"{piece}.npy" if extra == 0 else f"{piece}__x{extra}.npy")


def load_split(split: str, voice: str = "top", extra: int = 0, piano: bool = False):
    """(pitch energies, targets) of the pieces of one split; ``voice='second'``: second-voice targets;
    ``extra = K``: also the K extra renderings of each piece (``render --extra K``; their second-voice
    targets from ``second --extra K``); ``piano``: also each piece's all-piano rendering (``render --piano``;
    top voice only)."""
    kept = pd.read_csv(TRAIN_CSV)
    rows = kept[kept.split == split]
    out = []

    def add(p, k):
        with np.load(data_file(p, k)) as z:
            if voice in ("second", "both"):
                if not second_file(p, k).is_file():
                    raise SystemExit(f"no second-voice targets for {p} (extra rendering {k}): run "
                                     f"train_melody_salience.py second" + (f" --extra {extra}" if k else ""))
                y2 = np.load(second_file(p, k))
                out.append((z["P"], z["y"], y2) if voice == "both" else (z["P"], y2))
            else:
                out.append((z["P"], z["y"]))

    for k in range(1, extra + 1):
        for p in rows.piece:
            if not data_file(p, k).is_file():
                raise SystemExit(f"no extra rendering {k} of {p}: run train_melody_salience.py render --extra {extra}")
            add(p, k)
    for p in rows.piece:
        add(p, 0)
    if piano:
        if voice != "top":
            raise SystemExit("the all-piano renderings have top-voice targets only")
        for p in rows.piece:
            if not data_file(p, "piano").is_file():
                raise SystemExit(f"no all-piano rendering of {p}: run train_melody_salience.py render --piano")
            add(p, "piano")
    return out


def second(args) -> None:
    """Second-voice targets of every kept piece from its rendered notes (no audio synthesis)."""
    from tqdm import tqdm

    kept = pd.read_csv(TRAIN_CSV)
    kept = kept[kept.split.isin(["train", "val"])]
    # --extra K: also the K extra renderings of every training piece (their plan is stored with the rendering)
    todo = [(r, 0) for r in kept.itertuples()]
    todo += [(r, k) for r in kept[kept.split == "train"].itertuples() for k in range(1, args.extra + 1)]
    same = total = voiced2 = 0
    for row, k in tqdm(todo, desc="second-voice targets", unit="piece", mininterval=10):
        notes, attrs = pd.read_pickle(cache_dir("melody", "notes") / f"{row.piece}.pkl")
        notes.attrs.update(attrs)
        if not data_file(row.piece, k).is_file():
            raise SystemExit(f"no rendering {k} of {row.piece}: run train_melody_salience.py render --extra {k}")
        with np.load(data_file(row.piece, k)) as z:
            y = z["y"]
            plan = json.loads(row.version) if k == 0 else json.loads(str(z["plan"]))
        version = themes.make_version(plan, float(row.qpm), float(notes.attrs["end_beat"]), name="melody-train")
        R = themes.note_roll(themes.version_notes(notes, version), themes.FINE_RATE, y.size)
        same += int((melody.top_voice_targets(themes.skyline(R)) == y).sum())  # same roll as the render stage?
        total += y.size
        y2 = melody.second_voice_targets(R)
        voiced2 += int((y2 < melody.N_PITCHES).sum())
        np.save(second_file(row.piece, k), y2)
    print(f"{len(todo)} renderings of {len(kept)} pieces, {total} frames: recomputed top-voice targets equal the "
          f"cached ones on {same / total:.4%} of frames; {voiced2 / total:.1%} of frames have a second voice")


#: Hyperparameter grid (context frames each side, hidden sizes, epochs, pitch-shift augmentation).
#: Round 1 (2.6 h of training audio, 134 pieces): context 3 / (256, 256) / shift 6 -> 71.3 %,
#: context 5 / (256, 256) / shift 6 -> 71.2 %, context 3 / (512, 256) / shift 0 -> 72.8 % validation
#: pitch-class accuracy (training loss 0.1: overfitting), so the training set was enlarged (5.8 h) and
#: weight decay added for round 2 (this grid).
#: Settings shared by the PitchConvNet rows of GRID (patch -12..+36 semitones x +-3 frames, 8 epochs, no
#: shift augmentation); ``_conv(**changes)`` is one row.
_CONV_BASE = {"arch": "pitchconv", "below": 12, "above": 36, "context": 3, "hidden": (128, 64), "epochs": 8,
              "frac": 0.5, "shift": 0, "decay": 0.0, "pieces": 413}


def _conv(**changes) -> dict:
    return {**_CONV_BASE, **changes}


GRID = [
    {"context": 3, "hidden": (512, 256), "epochs": 12, "shift": 0, "decay": 0.0},
    {"context": 3, "hidden": (512, 256), "epochs": 12, "shift": 0, "decay": 1e-4},
    {"context": 5, "hidden": (512, 256), "epochs": 12, "shift": 0, "decay": 1e-4},
    {"context": 3, "hidden": (512, 256), "epochs": 12, "shift": 2, "decay": 1e-4},
    # round 3 (after the database evaluation of round 2's choice; still chosen on validation only)
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4},
    {"context": 3, "hidden": (1024, 512), "epochs": 12, "shift": 2, "decay": 1e-4},
    # round 4: the training set enlarged to 413 pieces (8.8 h), validation pieces unchanged
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413},
    # round 5 (after database evaluation 3): recording-condition augmentation (spectral tilt, EQ, noise
    # floor, redrawn per piece and epoch), and a dilated context (+-0.6 s with the same input size)
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413,
     "tilt_db": 12.0, "eq_db": 6.0, "noise": 0.02},
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413,
     "dilation": 2},
    # the round-4 setting with another initialisation / shuffling seed (an ensemble member)
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 1},
    # round 6 (after database evaluation 4): more ensemble members -- seeds 2-4 of the round-4 setting,
    # and two deliberately different members (dilated context; wider hidden layers)
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 2},
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 3},
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 4},
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413,
     "dilation": 2, "seed": 2},
    {"context": 3, "hidden": (1024, 512), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 2},
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 5},
    {"context": 3, "hidden": (512, 256), "epochs": 20, "shift": 2, "decay": 1e-4, "pieces": 413, "seed": 6},
    # session 15: PitchConvNet (weights shared along pitch; patch -12..+36 semitones x +-3 frames), 8 epochs
    # of half the training frames each; then with one extra rendering of every training piece (extra 1)
    _conv(seed=0),
    _conv(seed=0, extra=1),
    _conv(seed=1, extra=1),
    _conv(seed=2, extra=1),
    # two extra renderings of every training piece (three versions, 27 h); a third of the frames per epoch
    _conv(frac=0.35, seed=3, extra=2),
    _conv(frac=0.35, seed=4, extra=2),
    # a dilated context (frames t-6, t-4, ..., t+6: +-0.6 s) for notes that fade (piano, guitar)
    _conv(dilation=2, frac=0.35, seed=5, extra=2),
    # session 16: SECOND-voice PitchConvNets (``train --voice second``), GRID 21's setting with seeds 0 / 1
    # (second-voice targets of the extra renderings: ``second --extra 2``)
    _conv(frac=0.35, seed=0, extra=2, voice="second"),
    _conv(frac=0.35, seed=1, extra=2, voice="second"),
    # session 15 helper / session 16: top-voice nets on five renderings per training piece (``render --extra 4``;
    # first trained by scratch scripts with exactly these settings, validation rows in melody_grid_candidates.csv)
    _conv(frac=0.2, seed=5, extra=4),
    _conv(frac=0.2, seed=6, extra=4),
    _conv(hidden=(256, 128), frac=0.1, seed=7, extra=4),
    # ... plus one all-piano rendering of every training piece (``render --piano``): the piano is the weakest timbre
    _conv(frac=0.2, seed=8, extra=4, piano=1),
]


def shift_rows(X, k: int):
    """Shift a (88, N) matrix up by k pitch rows (zero fill)."""
    if k == 0:
        return X
    out = np.zeros_like(X)
    if k > 0:
        out[k:] = X[:-k]
    else:
        out[:k] = X[-k:]
    return out


def augment(P, rng, tilt_db: float, eq_db: float, noise: float) -> np.ndarray:
    """A random recording condition for pitch energies P (88, N): a linear spectral tilt over the pitch
    range (uniform in +-tilt_db dB from lowest to highest pitch), a smooth random EQ (three Gaussian
    bumps of +-eq_db dB, width 6 semitones) and a noise floor (uniform in 0..noise times the largest
    energy, exponentially distributed per bin)."""
    k = np.arange(melody.N_PITCHES) / (melody.N_PITCHES - 1) - 0.5
    gain_db = rng.uniform(-tilt_db, tilt_db) * k
    for _ in range(3 if eq_db else 0):
        c = rng.uniform(0, melody.N_PITCHES)
        gain_db = gain_db + rng.uniform(-eq_db, eq_db) * np.exp(-0.5 * ((np.arange(melody.N_PITCHES) - c) / 6.0) ** 2)
    out = P * (10.0 ** (gain_db / 10.0))[:, None]
    if noise:
        out = out + rng.uniform(0, noise) * out.max() * rng.exponential(1.0, size=out.shape)
    return out


def shift_targets(y, shift: int):
    """Targets of pitch energies shifted up by ``shift`` rows (pitches leaving the range -> 88)."""
    y2 = np.where(y < melody.N_PITCHES, y + shift, y)
    y2 = np.where((y2 < 0) | (y2 > melody.N_PITCHES), melody.N_PITCHES, y2)
    if shift:
        y2 = np.where((y < melody.N_PITCHES) & ((y + shift < 0) | (y + shift >= melody.N_PITCHES)),
                      melody.N_PITCHES, y2)
    return y2


def build_inputs(net, pieces, shift: int = 0, aug=None, rng=None):
    """Stacked inputs (dims, n) and targets: (n,) for (P, y) pieces, (2, n) for (P, y, y_second) pieces."""
    X, Y = [], []
    for P, *ys in pieces:
        if aug:
            P = augment(P, rng, **aug)
        X.append(net.inputs(shift_rows(P, shift)))
        Y.append(np.stack([shift_targets(y, shift) for y in ys]))
    Y = np.concatenate(Y, axis=1)
    return np.concatenate(X, axis=1), (Y[0] if Y.shape[0] == 1 else Y)


def pc_accuracy(net, pieces, head: str = "main") -> dict:
    """Validation metrics: pitch-class accuracy of the argmax of the learned chroma on frames with a top
    voice, and the same for the plain folded pitch energies and salience_chroma (baselines). With
    second-voice targets (``load_split(..., 'second')``): the same on frames WITH a second voice (the
    baselines then measure how often the strongest pitch class is the second voice's). ``head``: the net's
    output scored (``"second"``: the second head of a ``train --joint`` net)."""
    hit = hit_fold = hit_sal = n = 0
    for P, y in pieces:
        voiced = y < melody.N_PITCHES
        pc = (y[voiced] + melody.FIRST_PITCH) % 12
        C = melody.learned_chroma(P, net, head=head)
        hit += int((np.argmax(C[:, voiced], axis=0) == pc).sum())
        F = melody.fold_pitch_classes(melody.log_pitch(P))
        hit_fold += int((np.argmax(F[:, voiced], axis=0) == pc).sum())
        S = themes.salience_chroma(P)
        hit_sal += int((np.argmax(S[:, voiced], axis=0) == pc).sum())
        n += int(voiced.sum())
    return {"learned": hit / n, "folded": hit_fold / n, "salience": hit_sal / n, "frames": n}


def fit(cfg: dict, train_pieces, seed: int = 0, batch: int = 256, lr: float = 1e-3, log=print,
        voice: str = "top", joint: float = 0.0):
    from cmr.embedding import Adam

    net = melody.MelodyNet(context=cfg["context"], hidden=cfg["hidden"], seed=seed,
                           dilation=int(cfg.get("dilation", 1)), voice=voice, second_head=joint > 0)
    shifts = range(-cfg["shift"], cfg["shift"] + 1) if cfg["shift"] else [0]
    decay = float(cfg.get("decay", 0.0))
    rng = np.random.default_rng(seed)
    aug = {k: float(cfg.get(k, 0.0)) for k in ("tilt_db", "eq_db", "noise")}
    aug = aug if any(aug.values()) else None
    X0, Y0 = (None, None) if aug else build_inputs(net, train_pieces, 0)
    opt = Adam(net.params, lr=lr)
    for ep in range(cfg["epochs"]):
        k = int(rng.choice(list(shifts)))
        X, Y = (X0, Y0) if k == 0 and not aug else build_inputs(net, train_pieces, k, aug, rng)
        perm = rng.permutation(X.shape[1])
        losses = []
        cur_lr = lr * (0.5 ** (ep // max(cfg["epochs"] // 3, 1)))
        for a in range(0, perm.size - batch + 1, batch):
            idx = perm[a:a + batch]
            if Y.ndim == 2:  # joint: main head top voice, second head second voice
                loss, grads = net.loss_and_grads(X[:, idx], Y[0, idx], Y[1, idx], lam=joint)
            else:
                loss, grads = net.loss_and_grads(X[:, idx], Y[idx])
            if decay:  # L2 weight decay on the weight matrices
                for name in grads:
                    if name[0] == "W":
                        grads[name] += decay * net.params[name]
            opt.step(grads, lr=cur_lr)
            losses.append(loss)
        log(f"  epoch {ep + 1}/{cfg['epochs']} shift {k:+d} lr {cur_lr:.1e} loss {np.mean(losses):.3f}")
    return net


def fit_conv(cfg: dict, train_pieces, seed: int = 0, log=print, voice: str = "top"):
    """Train a :class:`cmr.melody.PitchConvNet` (``cfg["arch"] == "pitchconv"``) on (P, y) pieces whose
    targets are those of ``voice`` (the label saved with the net).

    Every epoch visits a random share ``frac`` of all training frames in batches of ``batch`` frames
    (each frame gives 88 patches); Adam, learning rate halved every third of the epochs. No pitch-shift
    augmentation: the shared weights already see every pitch.
    """
    from cmr.embedding import Adam

    net = melody.PitchConvNet(below=cfg["below"], above=cfg["above"], context=cfg["context"],
                              hidden=cfg["hidden"], seed=seed, dilation=int(cfg.get("dilation", 1)), voice=voice)
    rng = np.random.default_rng(seed)
    padded, frames, ys, off = [], [], [], 0
    for P, y in train_pieces:  # one long padded matrix; frame indices point into it
        Lp = net.padded(P)
        padded.append(Lp)
        frames.append(off + np.arange(P.shape[1]))
        ys.append(y)
        off += Lp.shape[1]
    padded, frames, ys = np.concatenate(padded, axis=1), np.concatenate(frames), np.concatenate(ys)
    batch, lr0 = int(cfg.get("batch", 128)), float(cfg.get("lr", 2e-3))
    opt = Adam(net.params, lr=lr0)
    for ep in range(cfg["epochs"]):
        perm = rng.permutation(frames.size)[: int(float(cfg.get("frac", 0.5)) * frames.size)]
        lr = lr0 * (0.5 ** (ep // max(cfg["epochs"] // 3, 1)))
        losses = []
        for a in range(0, perm.size - batch + 1, batch):
            idx = perm[a:a + batch]
            loss, grads = net.loss_and_grads(net.patches(padded, frames[idx]), ys[idx])
            opt.step(grads, lr=lr)
            losses.append(loss)
        log(f"  epoch {ep + 1}/{cfg['epochs']} lr {lr:.1e} loss {np.mean(losses):.3f}")
    return net


def train(args) -> None:
    if args.joint:
        return train_joint(args)
    train_p, val_p = load_split("train", args.voice), load_split("val", args.voice)
    if args.voice == "second" and args.grid_csv == GRID_CSV:
        args.grid_csv = SECOND_GRID_CSV
    n_tr = sum(y.size for _, y in train_p)
    print(f"{len(train_p)} training pieces ({n_tr} frames, {n_tr / themes.FINE_RATE / 3600:.2f} h), "
          f"{len(val_p)} validation pieces")
    idx = range(len(GRID)) if args.grid is None else args.grid
    if args.grid is None:  # every row meant for this voice (rows without "voice" serve both)
        idx = [i for i in idx if GRID[i].get("voice", args.voice) == args.voice]
    wrong = [i for i in idx if GRID[i].get("voice", args.voice) != args.voice]
    if wrong:
        raise SystemExit(f"GRID rows {wrong} are for voice {GRID[wrong[0]]['voice']!r}, not --voice {args.voice}")
    results, best = [], None
    for i in idx:
        cfg = GRID[i]
        t0 = time.perf_counter()
        if cfg.get("arch") == "pitchconv":
            extra = max(int(cfg.get("extra", 0)), args.extra)
            piano = bool(cfg.get("piano", 0))
            net = fit_conv(cfg, load_split("train", args.voice, extra=extra, piano=piano) if extra or piano
                           else train_p, seed=int(cfg.get("seed", 0)), voice=args.voice)
        else:
            net = fit(cfg, train_p, seed=int(cfg.get("seed", 0)), voice=args.voice)
        tag = "second_grid" if args.voice == "second" else "grid"
        net.save(cache_dir("melody", "candidates") / f"{tag}{i}.npz")  # every trained setting, for inspection
        m = pc_accuracy(net, val_p)
        secs = time.perf_counter() - t0
        results.append({"grid_index": i, "voice": args.voice, **cfg, **{k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()},
                        "seconds": round(secs)})
        print(results[-1], flush=True)
        if best is None or m["learned"] > best[0]:
            best = (m["learned"], cfg, net)
    table = pd.DataFrame(results)
    print(table.to_string(index=False))
    out_csv = args.grid_csv
    old = pd.read_csv(out_csv) if out_csv.is_file() else None
    prev_best = recorded_best()
    table["hidden"] = table["hidden"].map(lambda h: " ".join(map(str, h)))
    table = pd.concat([old, table], ignore_index=True) if old is not None else table
    if "pieces" not in table:
        table["pieces"] = np.nan
    table["pieces"] = table["pieces"].fillna(239).astype(int)
    for col, default in (("dilation", 1), ("tilt_db", 0.0), ("eq_db", 0.0), ("noise", 0.0), ("seed", 0)):
        table[col] = table[col].fillna(default) if col in table else default
    table = table.drop_duplicates(["context", "hidden", "epochs", "shift", "decay", "pieces", "dilation",
                                   "tilt_db", "eq_db", "noise", "seed"]
                                  + [c for c in ("members", "arch", "below", "above", "frac", "batch", "lr", "extra")
                                     if c in table],
                                  keep="last")  # ensemble rows differ only in their members
    table["chosen"] = table["learned"] == table["learned"].max()
    table.to_csv(out_csv, index=False)
    if args.voice == "second":  # a second-voice net never replaces the committed top-voice weights
        path = best[2].save(args.save_to or cache_dir("melody", "candidates") / "second.npz")
        print(f"second voice: best {best[1]} (validation pitch-class accuracy {best[0]:.4f}); wrote {path}")
        return
    if best[0] <= prev_best:
        print(f"no setting beats the recorded best validation accuracy {prev_best:.4f}: weights kept")
        return
    path = best[2].save(args.save_to or melody.weights_path())
    print(f"chose {best[1]} (validation pitch-class accuracy {best[0]:.3f}); wrote {path}")


def train_joint(args) -> None:
    """``train --joint LAMBDA``: nets with a second head (loss CE(top) + LAMBDA CE(second voice)); validation
    accuracy of both heads -> melody_grid_second.csv (voice 'joint'); weights only under .cache/melody/candidates/."""
    train_p, val_p = load_split("train", "both"), load_split("val", "both")
    rows = []
    for i in (range(len(GRID)) if args.grid is None else args.grid):
        cfg = GRID[i]
        t0 = time.perf_counter()
        net = fit(cfg, train_p, seed=int(cfg.get("seed", 0)), joint=float(args.joint))
        path = net.save(args.save_to or cache_dir("melody", "candidates") / f"joint_grid{i}.npz")
        m = pc_accuracy(net, [(P, y) for P, y, _ in val_p])
        m2 = pc_accuracy(net, [(P, y2) for P, _, y2 in val_p], head="second")
        rows.append({"grid_index": i, "voice": "joint", "joint_lambda": float(args.joint), **cfg,
                     "learned": round(m["learned"], 4), "learned_second": round(m2["learned"], 4),
                     "folded": round(m["folded"], 4), "salience": round(m["salience"], 4), "frames": m["frames"],
                     "seconds": round(time.perf_counter() - t0)})
        print(rows[-1], f"wrote {path}", flush=True)
    table = pd.DataFrame(rows)
    table["hidden"] = table["hidden"].map(lambda h: " ".join(map(str, h)))
    out_csv = SECOND_GRID_CSV if args.grid_csv == GRID_CSV else args.grid_csv
    old = pd.read_csv(out_csv) if out_csv.is_file() else None
    table = pd.concat([old, table], ignore_index=True) if old is not None else table
    table.to_csv(out_csv, index=False)


def ensemble(args) -> None:
    """Average the probabilities of trained members (``--members``: weights files of single nets, e.g.
    the committed model and candidates under .cache/melody/candidates/); validation accuracy of the
    mean; the ensemble replaces the committed weights only if it beats the recorded best."""
    val_p = load_split("val", args.voice)
    nets = []
    for m in args.members:  # single nets of either architecture; an ensemble file adds all its members
        model = melody.load_model(m)
        nets += model.nets if isinstance(model, melody.MelodyEnsemble) else [model]
    ens = melody.MelodyEnsemble(nets)
    if ens.voice != args.voice:
        raise SystemExit(f"--voice {args.voice}, but the members predict the {ens.voice} voice")
    if args.voice == "second" and args.grid_csv == GRID_CSV:
        args.grid_csv = SECOND_GRID_CSV
    m = pc_accuracy(ens, val_p)
    print(f"ensemble of {len(nets)} ({', '.join(str(x) for x in args.members)}): validation pitch-class "
          f"accuracy {m['learned']:.4f}")
    old = pd.read_csv(args.grid_csv) if args.grid_csv.is_file() else None
    prev_best = recorded_best()
    row = {"grid_index": -1, "context": -1, "hidden": "ensemble", "epochs": 0, "shift": 0, "decay": 0.0,
           "learned": round(m["learned"], 4), "folded": round(m["folded"], 4), "salience": round(m["salience"], 4),
           "frames": m["frames"], "seconds": 0, "pieces": 413, "members": " + ".join(args.member_labels or []),
           **({"voice": "second"} if args.voice == "second" else {})}
    table = pd.concat([old, pd.DataFrame([row])], ignore_index=True) if old is not None else pd.DataFrame([row])
    table["chosen"] = table["learned"] == table["learned"].max()
    table.to_csv(args.grid_csv, index=False)
    if args.voice == "second":  # never the committed (top-voice) weights
        print(f"wrote {ens.save(args.save_to or cache_dir('melody', 'candidates') / 'second_ens.npz')}")
        return
    if m["learned"] <= prev_best:
        print(f"not better than the recorded best {prev_best:.4f}: weights kept")
        return
    print(f"wrote {ens.save(args.save_to or melody.weights_path())}")


#: Round 6: every ensemble tried by the greedy forward selection (``ensemble --greedy``).
ENS_CSV = DATA / "melody_grid_ensembles.csv"


def member_chroma(net, pieces):
    """Learned chroma of one member on the voiced frames of ``pieces`` (12, n) and the true pitch classes (n,)."""
    C, pcs = [], []
    for P, y in pieces:
        voiced = y < melody.N_PITCHES
        C.append(melody.learned_chroma(P, net)[:, voiced])
        pcs.append((y[voiced] + melody.FIRST_PITCH) % 12)
    return np.concatenate(C, axis=1).astype(np.float64), np.concatenate(pcs)


def greedy(args) -> None:
    """Greedy forward selection of ensemble members by validation pitch-class accuracy only: each
    member's learned chroma on the validation frames is computed once; the accuracy of a set is that
    of the argmax of the members' summed chroma (= the mean probability of :class:`MelodyEnsemble`,
    folded). Every set tried goes to ``--ens-csv``; the chosen set is re-scored through
    ``MelodyEnsemble`` and recorded in ``--grid-csv`` like the ``ensemble`` stage."""
    if args.ens_csv.is_file() and not args.overwrite:
        raise SystemExit(f"{args.ens_csv} exists (an earlier selection): pass another --ens-csv or --overwrite")
    val_p = load_split("val")
    labels = args.member_labels or [str(m) for m in args.members]
    if len(labels) != len(args.members):
        raise ValueError(f"--member-labels: {len(labels)} labels for {len(args.members)} members")
    nets = [melody.load_model(m) for m in args.members]
    chromas = []
    for lab, net in zip(labels, nets):
        C, pc = member_chroma(net, val_p)
        chromas.append(C)
        print(f"member {lab}: validation pitch-class accuracy {np.mean(np.argmax(C, axis=0) == pc):.4f}")

    def score(subset):
        return float(np.mean(np.argmax(sum(chromas[i] for i in subset), axis=0) == pc))

    chosen, tried = melody.greedy_forward_selection(score, len(nets), args.max_size)
    rows = [{"step": st, "size": len(c), "members": " + ".join(labels[i] for i in c), "learned": round(v, 4),
             "chosen": c == chosen} for c, v, st in tried]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    table.to_csv(args.ens_csv, index=False)
    print(f"wrote {args.ens_csv} ({len(rows)} sets)")
    args.members = [args.members[i] for i in chosen]
    args.member_labels = [labels[i] for i in chosen]
    ensemble(args)


def learned_file(piece: str, kind: str = "learned") -> Path:
    """Cached learned chroma of a database piece (``kind='learned_ens'``: a candidate model's, see ``apply``)."""
    return cache_dir("themes", kind) / f"{piece}.npy"


def load_learned(piece: str, kind: str = "learned") -> np.ndarray:
    """The cached learned chroma (12, N) of a database piece; stops with the command that fills the cache when
    the file is missing."""
    f = learned_file(piece, kind)
    if not f.is_file():
        raise SystemExit(f"no {kind} chroma for {piece}: run {apply_command(kind)}")
    return np.load(f)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stamp_file(kind: str = "learned") -> Path:
    """Which weights filled the cache of ``kind`` (written by ``apply``: sha256 and path)."""
    return cache_dir("themes", kind) / "_weights.txt"


def committed_weights(kind: str):
    """The committed weights file whose chroma a cache kind holds (``None`` for candidate kinds)."""
    return {"learned": melody.weights_path(), "conv": melody.conv_weights_path(),
            "conv_second": melody.conv_second_weights_path()}.get(kind)


def apply_command(kind: str) -> str:
    """The command that fills the cache of ``kind`` (a candidate kind needs its weights file)."""
    return "scripts/train_melody_salience.py apply" + (
        "" if kind == "learned" else f" --kind {kind}" if committed_weights(kind) is not None
        else f" --weights <file> --kind {kind}")


def check_learned_cache(kind: str = "learned") -> None:
    """Stop with a clear message when the ``learned`` (``conv``) cache was not made with the committed weights
    (``melody_salience.npz``, ``melody_conv.npz``).

    The cache survives a change of ``lib/cmr/data/melody_salience.npz``
    (e.g. a new committed model after ``git pull``); evaluating or packing
    from it would silently describe the old model. Candidate kinds
    (``learned_ens``...) only need a stamp.
    """
    stamp = stamp_file(kind)
    if not stamp.is_file():
        raise SystemExit(f"the {kind} cache has no weights stamp: run {apply_command(kind)}")
    committed = committed_weights(kind)
    if committed is not None and stamp.read_text().split()[0] != _sha256(committed):
        raise SystemExit(f"the {kind} cache was made with other weights than the committed "
                         f"{committed.name}: run {apply_command(kind)}")


def apply(args) -> None:
    from tqdm import tqdm

    from build_theme_dataset import pitch_file

    default = committed_weights(args.kind) or melody.weights_path()
    if args.kind in ("conv", "conv_second") and args.weights and Path(args.weights).resolve() != default.resolve():
        raise SystemExit(f"--kind {args.kind} is the cache of the committed lib/cmr/data/{default.name}: use "
                         "--kind learned_ens (learned_second for a second-voice model) for another weights file")
    weights = Path(args.weights) if args.weights else default
    net = melody.load_model(weights)
    db = pd.read_csv(DATA / "themes_pieces.csv")
    stamp_file(args.kind).unlink(missing_ok=True)  # a stopped run leaves no stamp
    for p in tqdm(db.piece, desc="learned chroma", unit="piece", mininterval=10):
        np.save(learned_file(p, args.kind), melody.learned_chroma(np.load(pitch_file(p)), net).astype(np.float32))
    stamp_file(args.kind).write_text(f"{_sha256(weights)}  {weights}\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", choices=["select", "render", "second", "train", "ensemble", "greedy", "apply"])
    ap.add_argument("--joint", type=float, default=0.0,
                    help="train: weight lambda of a second head trained on the second voice (0 = no head)")
    ap.add_argument("--voice", choices=list(melody.VOICES), default="top",
                    help="train: targets (second = highest note below the top voice; see stage 'second')")
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--extra", type=int, default=0,
                    help="render: K extra renderings of every training piece (other instruments, tempo, key); "
                         "second: also their second-voice targets; "
                         "train: use them (pitchconv settings also read cfg['extra'])")
    ap.add_argument("--piano", action="store_true",
                    help="render: one all-piano rendering of every training piece (.cache/melody/piano/)")
    ap.add_argument("--freeze-split", action="store_true",
                    help="select: keep the train/val labels of the pieces already in melody_train_pieces.csv")
    ap.add_argument("--grid", type=int, nargs="+", default=None, help="indices of GRID to run")
    ap.add_argument("--save-to", default=None, type=Path,
                    help="train: write the chosen weights here instead of the committed file (a candidate)")
    ap.add_argument("--grid-csv", type=Path, default=GRID_CSV,
                    help="train / ensemble: table the validation results are added to (round 5: "
                         "lib/cmr/data/melody_grid_candidates.csv)")
    ap.add_argument("--members", nargs="+", type=Path, default=[], help="ensemble: weights files of the members")
    ap.add_argument("--member-labels", nargs="+", default=None,
                    help="ensemble: how each member was trained (recorded in melody_grid.csv)")
    ap.add_argument("--max-size", type=int, default=None, help="greedy: largest ensemble considered")
    ap.add_argument("--ens-csv", type=Path, default=ENS_CSV, help="greedy: table of every ensemble tried")
    ap.add_argument("--weights", default=None, type=Path,
                    help="apply: weights file to use (default the committed one)")
    ap.add_argument("--kind", default="learned",
                    choices=["learned", "learned_ens", "learned_second", "conv", "conv_second"],
                    help="apply: cache to fill (learned_ens = a candidate model, table 'candidates' of "
                         "eval_themes.py)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    {"select": select, "render": render, "second": second, "train": train, "ensemble": ensemble, "greedy": greedy,
     "apply": apply}[args.stage](args)
    print(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
