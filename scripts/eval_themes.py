"""Evaluate cross-modal theme retrieval on the notebook-06 dataset: the Top-k tables.

Every theme of ``lib/cmr/data/themes_list.csv`` (symbolic, written key and
tempo) is matched against every recording of the database (features cached
by ``scripts/build_theme_dataset.py render``); each recording is scored by
its best match, and a theme counts as found within k if a relevant
recording (``themes_relevance.csv``) is among the k best. "pos. ok" is the
share of themes whose first-ranked recording is relevant *and* whose best
match there overlaps a true occurrence of the theme (from the rendering's
ground truth).

Configurations: every feature type with all invariances on; then, for the
main feature types, the ablation of tuning compensation, transposition
invariance (12 chroma shifts) and tempo scaling (9 factors vs 1).

Usage::

    .venv/bin/python scripts/eval_themes.py               # full table (~40 min on 2 shared cores)
    .venv/bin/python scripts/eval_themes.py --quick       # 120 themes, a few rows
    .venv/bin/python scripts/eval_themes.py --only salience   # one feature's rows (needs the pitch
                                                              # cache: build_theme_dataset.py pitch)
    .venv/bin/python scripts/eval_themes.py --only fusion     # late fusion row (190 s)
    .venv/bin/python scripts/eval_themes.py --only learned    # learned melody salience (needs
                                                              # train_melody_salience.py apply)
    .venv/bin/python scripts/eval_themes.py --only learned_fusion  # learned + all-voice salience
    .venv/bin/python scripts/eval_themes.py --only oracle_top # ground-truth top-voice chroma (diagnosis)
    .venv/bin/python scripts/eval_themes.py --only learned_ens  # table "candidates": a model not (yet)
        # committed, applied by train_melody_salience.py apply --weights <file> --kind learned_ens
    .venv/bin/python scripts/eval_themes.py --only learned_blend  # learned top voice + other voices
                                                              # (cmr.themes.voice_blend, one pass)
    .venv/bin/python scripts/eval_themes.py --only conv        # the pitch-convolutional model
        # (lib/cmr/data/melody_conv.npz; needs train_melody_salience.py apply --kind conv)
    .venv/bin/python scripts/eval_themes.py --only conv_blend  # its chroma blended with the other voices
    .venv/bin/python scripts/eval_themes.py --only conv_blend+norm+rel  # table "matching": the same
        # feature with tempo normalisation (+norm) and recording-relative scores (+rel)
    .venv/bin/python scripts/eval_themes.py --only conv_blend+norm+fine+t13  # matching at 10 Hz (+fine)
        # with 13 tempo factors (+t13) instead of 9
    .venv/bin/python scripts/eval_themes.py --only conv_blend+norm+rel+fine+t13 --jobs 2  # themes shared
        # by two processes (same ranks; 'seconds' is then the wall time of both)
    .venv/bin/python scripts/eval_themes.py --only conv_blend2+norm+fine+t13 --jobs 2  # the best row: the
        # second voice of a second network blended in (needs train_melody_salience.py apply --kind conv_second)
    .venv/bin/python scripts/eval_themes.py --dev --only learned_log  # development themes only, nothing
        # written (parameter choices); kinds learned_log, oracle_second, oracle_blend are diagnostics
    .venv/bin/python scripts/eval_themes.py --split       # dev / held-out table -> themes_split.csv

Writes ``lib/cmr/data/themes_results.csv`` (the table), ``themes_ranks.csv``
(per-theme ranks of every configuration) and prints a markdown table.
"""
from __future__ import annotations

import argparse
import functools
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# cmr is installed (editable) in the venv; python puts scripts/ itself on the path

from cmr import melody, themes  # noqa: E402
from cmr.matching import Database  # noqa: E402

DATA = ROOT / "lib" / "cmr" / "data"
RESULTS_CSV = DATA / "themes_results.csv"
RANKS_CSV = DATA / "themes_ranks.csv"
#: Rows of table "candidates" (models not committed) go to separate files, so that the committed tables
#: (read by notebook 06) only describe the committed features.
CAND_RESULTS_CSV = DATA / "themes_results_candidates.csv"
CAND_RANKS_CSV = DATA / "themes_ranks_candidates.csv"

def _ablation(kind: str) -> list:
    """The invariance rows of a configuration whose tuning compensation cannot be switched off (the learned
    features are computed from tuning-compensated pitch energies only): without the 12 shifts, without tempo
    scaling."""
    return [("invariances", kind, True, False, True), ("invariances", kind, True, True, False)]


#: (table, kind, tuning compensation, transposition invariance, tempo scaling)
CONFIGS = [
    ("features", "stft", True, True, True),
    ("features", "cqt", True, True, True),
    ("features", "iir", True, True, True),
    ("features", "cens", True, True, True),
    ("features", "melody", True, True, True),
    ("features", "salience", True, True, True),
    ("features", "fusion", True, True, True),
    ("features", "learned", True, True, True),
    ("features", "learned_fusion", True, True, True),
    ("features", "learned_blend", True, True, True),
    ("features", "conv", True, True, True),
    ("features", "conv_blend", True, True, True),
    # matching options (kind "+norm": tempo normalisation, "+rel": recording-relative scores; session 16)
    ("matching", "conv_blend+norm", True, True, True),
    ("matching", "conv_blend+rel", True, True, True),
    ("matching", "conv_blend+norm+rel", True, True, True),
    ("matching", "conv+norm+rel", True, True, True),
    ("matching", "learned_blend+norm+rel", True, True, True),
    ("matching", "cens+norm+rel", True, True, True),
    # matching at 10 Hz instead of 5 Hz ("+fine"; session 17): fast and short themes
    ("matching", "conv_blend+norm+fine", True, True, True),
    ("matching", "conv_blend+norm+rel+fine", True, True, True),
    ("candidates", "learned_ens", True, True, True),
    ("candidates", "learned_ens_fusion", True, True, True),
    ("candidates", "learned_ens_blend", True, True, True),
    ("variants", "learned_log", True, True, True),
    ("oracle", "oracle_top", True, True, True),
    ("oracle", "oracle_all", True, True, True),
    ("oracle", "oracle_second", True, True, True),
    ("oracle", "oracle_blend", True, True, True),
    ("oracle", "oracle_top+norm+fine", True, True, True),  # the ceiling of a top-voice feature at 10 Hz
    ("invariances", "melody", False, False, True),
    ("invariances", "melody", True, False, True),
    ("invariances", "melody", False, True, True),
    ("invariances", "melody", True, True, False),
    ("invariances", "cens", False, False, True),
    ("invariances", "cens", True, False, True),
    # the best configurations without the 12 shifts / without tempo scaling: at 5 Hz (session 16), at 10 Hz
    # (session 17)
    *_ablation("conv_blend+norm"),
    *_ablation("conv_blend+norm+fine"),
    # 13 tempo factors instead of 9 at 10 Hz (session 17, database evaluations 11 and 12)
    ("matching", "conv_blend+norm+fine+t13", True, True, True),
    ("matching", "conv_blend+norm+rel+fine+t13", True, True, True),
    *_ablation("conv_blend+norm+fine+t13"),
    *_ablation("conv_blend+norm+rel+fine+t13"),
    # + the second voice of a second network (kind conv_blend2; session 18, database evaluation 13)
    ("matching", "conv_blend2+norm+fine+t13", True, True, True),
    ("matching", "conv_blend2+norm+rel+fine+t13", True, True, True),
    *_ablation("conv_blend2+norm+fine+t13"),
]
QUICK = [CONFIGS[3], CONFIGS[4], CONFIGS[5], CONFIGS[6]]


def load_tables():
    pieces = pd.read_csv(DATA / "themes_pieces.csv")
    theme_df = pd.read_csv(DATA / "themes_list.csv")
    rel = pd.read_csv(DATA / "themes_relevance.csv")
    return pieces, theme_df, rel


def theme_notes(row) -> pd.DataFrame:
    """Notes (seconds, written tempo) of a theme row of themes_list.csv."""
    on = np.array(str(row.onsets).split(), float)
    off = np.array(str(row.offsets).split(), float)
    pitch = np.array(str(row.pitches).split(), int)
    spb = 60.0 / float(row.qpm)
    return pd.DataFrame({"start": on * spb, "end": off * spb, "pitch": pitch})


#: Late fusion (kind ``fusion``): cost = (1 - w) * cost(salience) + w * cost(all-voice salience), per
#: recording; w and the all-voice parameters (no upper-line weighting) were chosen on the dev split.
FUSION_WEIGHT = 0.35
ALL_VOICES = {"decay": 1000.0, "rel_salience": 0.05}
#: Kind ``learned_blend``: :func:`cmr.themes.voice_blend` of the learned chroma (top voice) and the all-voice
#: salience chroma (the other voices, top pitch class damped) with this weight (dev plateau 0.6-1.0).
BLEND_WEIGHT = 0.7
#: Kind ``conv_blend2`` (session 18, database evaluation 13): :func:`cmr.themes.voice_blend` of the conv_blend
#: feature and the chroma of the committed second-voice model (``lib/cmr/data/melody_conv_second.npz``; cache
#: filled by ``train_melody_salience.py apply --kind conv_second``) with this weight (screened on the development
#: themes in session 17: 0.15 of 0, 0.15, 0.3).
SECOND_WEIGHT = 0.15
#: Kind ``oracle_blend`` (diagnosis): ground-truth top voice + this weight x ground-truth second voice.
ORACLE_SECOND_WEIGHT = 0.3
#: Kind ``learned_log``: :func:`cmr.themes.log_likelihood_features` of the learned chroma (conditional).
LOG_EPS = 0.01
#: Kinds whose queries are plain symbolic chroma (the ``melody`` query features).
MELODY_QUERY_KINDS = ("fusion", "oracle_top", "oracle_all", "oracle_second", "oracle_blend", "learned",
                      "learned_fusion", "learned_ens", "learned_ens_fusion", "learned_blend", "learned_ens_blend",
                      "learned_log", "conv", "conv_blend", "conv_blend2")


def load_database(pieces, kind: str, tuned: bool, rate: float = themes.FEATURE_RATE):
    if kind in ("learned_fusion", "learned_ens_fusion"):  # same late fusion, learned chroma instead of
        db1, occ = load_database(pieces, kind[:-len("_fusion")], tuned, rate)  # salience (weight not re-tuned)
        db2, _ = load_database(pieces, "salience_all", tuned, rate)
        return (db1, db2), occ
    if kind == "fusion":
        db1, occ = load_database(pieces, "salience", tuned, rate)
        db2, _ = load_database(pieces, "salience_all", tuned, rate)
        return (db1, db2), occ
    return _load_database(pieces, kind, tuned, rate)


def fuse_rankings(r1: pd.DataFrame, r2: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Combine two document rankings by a weighted sum of their costs (positions from the first)."""
    c2 = r2.set_index("doc")["cost"]
    out = r1.copy()
    out["cost"] = (1 - weight) * out["cost"].to_numpy() + weight * c2.loc[out["doc"]].to_numpy()
    out = out.sort_values(["cost", "doc"], kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def _load_database(pieces, kind: str, tuned: bool, rate: float = themes.FEATURE_RATE) -> tuple[Database, dict]:
    """Database of one feature kind from the cached per-piece features, and the true occurrences.

    ``kind='salience'`` (:func:`cmr.themes.salience_chroma`, default
    parameters) is computed here from the cached pitch energies of
    ``build_theme_dataset.py pitch`` (tuning compensated only). ``rate``:
    the matching rate; the features cached at :data:`cmr.themes.FEATURE_RATE`
    (stft, cqt, iir, cens, melody) exist at that rate only, the ones
    computed from 10 Hz pitch energies (salience, learned, conv, oracle)
    also at :data:`cmr.themes.FINE_RATE` (option ``+fine``).
    """
    if kind.startswith("salience") and not tuned:
        raise SystemExit("the salience kind is only cached with tuning compensation")
    fine_ok = kind.startswith(("salience", "learned", "conv", "oracle"))
    if rate != themes.FEATURE_RATE and not (fine_ok and rate == themes.FINE_RATE):
        raise SystemExit(f"kind {kind!r} is cached at {themes.FEATURE_RATE:g} Hz only (+fine needs a feature "
                         "computed from the 10 Hz pitch energies: salience, learned, conv or oracle)")
    from build_theme_dataset import feature_file, frames_at

    from cmr import chroma

    key = kind if tuned else f"{kind}_notune"
    #: the cache a learned kind reads (learned_blend / learned_log apply the committed model themselves)
    base = ("learned_ens" if kind.startswith("learned_ens") else "conv" if kind.startswith("conv")
            else "learned" if kind.startswith("learned") and kind not in ("learned_blend", "learned_log") else None)
    if base is not None:
        from train_melody_salience import check_learned_cache

        check_learned_cache(base)
        if kind.endswith("_blend2"):
            check_learned_cache("conv_second")  # the committed second-voice model's chroma
    feats, occ = [], {}
    for row in pieces.itertuples():
        p = row.piece
        f = feature_file(p)
        if not f.is_file():
            raise SystemExit(f"no cached features for {p}: run scripts/build_theme_dataset.py render")
        with np.load(f) as z:
            n_out = frames_at(z["melody"].shape[1], rate)  # the same duration as the cached 5 Hz features
            if kind.startswith("oracle"):
                feats.append(oracle_features(row, n_out, kind, rate))
            elif kind.startswith(("learned", "conv")):
                from train_melody_salience import load_learned

                P = None
                if base is None:  # learned_blend / learned_log: the committed model, applied here (~6 s in
                    P = pitch_energies(p)  # all): no stale cache
                    C = melody.learned_chroma(P, committed_model())
                else:
                    C = load_learned(p, base)
                C = themes.pool_features(C, themes.FINE_RATE, rate, n_out)
                if kind.endswith(("_blend", "_blend2")):
                    P = pitch_energies(p) if P is None else P  # loaded once per recording
                    O = themes.pool_features(themes.salience_chroma(P, **ALL_VOICES), themes.FINE_RATE, rate, n_out)
                    X = themes.voice_blend(C, O, BLEND_WEIGHT)
                    if kind.endswith("_blend2"):  # + the learned second voice (its own cache, see SECOND_WEIGHT)
                        S = themes.pool_features(load_learned(p, "conv_second"), themes.FINE_RATE, rate, n_out)
                        X = themes.voice_blend(X, S, SECOND_WEIGHT)
                    feats.append(X)
                elif kind == "learned_log":
                    feats.append(themes.log_likelihood_features(C, LOG_EPS))
                else:
                    feats.append(chroma.normalize(C, "l2"))
            elif kind.startswith("salience"):
                C = themes.salience_chroma(pitch_energies(p), **(ALL_VOICES if kind == "salience_all" else {}))
                feats.append(chroma.normalize(themes.pool_features(C, themes.FINE_RATE, rate, n_out), "l2"))
            else:
                feats.append(z[key].astype(np.float32))
            for t, s, e in zip(z["occ_theme"], z["occ_start"], z["occ_end"]):
                occ.setdefault((str(t), p), []).append((float(s), float(e)))
    db = Database.from_features(feats, rate, doc_ids=list(pieces.piece), normalize=False)
    return db, occ


def pitch_energies(piece: str) -> np.ndarray:
    """Cached pitch energies (88, N) of a database recording (``build_theme_dataset.py pitch``)."""
    from build_theme_dataset import pitch_file

    if not pitch_file(piece).is_file():
        raise SystemExit(f"no cached pitch energies for {piece}: run scripts/build_theme_dataset.py pitch")
    return np.load(pitch_file(piece))


@functools.cache
def committed_model():
    """The committed melody model (lib/cmr/data/melody_salience.npz), loaded once."""
    return melody.load_model()


def oracle_features(row, n_out: int, kind: str, rate: float = themes.FEATURE_RATE) -> np.ndarray:
    """Ground-truth database chroma of one recording (diagnostic upper bound of the audio features).

    ``oracle_top``: chroma of the skyline (highest sounding note per 0.1 s
    frame) of the rendered notes; ``oracle_all``: chroma of all sounding
    notes; ``oracle_second``: chroma of the second voice from the top
    (:func:`cmr.themes.second_voice`); ``oracle_blend``: skyline +
    ``ORACLE_SECOND_WEIGHT`` x second voice. Times, transposition and tempo are those of the rendered version
    (:func:`build_theme_dataset.truth_notes`); pooled to the matching rate
    like the audio features.
    """
    from build_theme_dataset import truth_notes

    from cmr import chroma

    notes = truth_notes(row)
    n_fine = int(np.ceil(n_out * themes.FINE_RATE / rate)) + 1
    R = themes.note_roll(notes, themes.FINE_RATE, n_fine)
    if kind == "oracle_top":
        R = themes.skyline(R)
    elif kind == "oracle_second":
        R = themes.second_voice(R)
    elif kind == "oracle_blend":
        R = themes.skyline(R) + ORACLE_SECOND_WEIGHT * themes.second_voice(R)
    C = themes.fold_chroma(R)
    return chroma.normalize(themes.pool_features(C, themes.FINE_RATE, rate, n_out), "l2")


def matching_options(kind: str) -> tuple[str, dict]:
    """Split a configuration kind such as ``conv_blend+norm+rel`` into the feature kind and the matching
    options: ``+norm`` tempo normalisation (:func:`cmr.themes.match_theme`), ``+rel`` recording-relative
    scores (:func:`cmr.themes.rank_documents`), ``+fine`` matching at :data:`cmr.themes.FINE_RATE` (10 Hz)
    instead of :data:`cmr.themes.FEATURE_RATE` (5 Hz), ``+t13`` 13 tempo factors over the range of
    :data:`cmr.themes.TEMPO_FACTORS` instead of its 9 (``+tN``: N factors)."""
    base, *flags = kind.split("+")
    n_factors = [f for f in flags if re.fullmatch(r"t([2-9]|[1-9][0-9]+)", f)]  # tN, N >= 2
    unknown = set(flags) - {"norm", "rel", "fine"} - set(n_factors)
    if unknown or len(n_factors) > 1:
        raise SystemExit(f"unknown matching option(s) {sorted(unknown or n_factors)} in {kind!r} "
                         "(known: norm, rel, fine, and one tN with N >= 2)")
    tf = themes.tempo_factors(int(n_factors[0][1:])) if n_factors else themes.TEMPO_FACTORS
    return base, {"normalize": "norm" in flags, "relative": "rel" in flags,
                  "rate": themes.FINE_RATE if "fine" in flags else themes.FEATURE_RATE, "tempo_factors": tf}


#: What the workers of :func:`evaluate` read (set before they are forked, so the database is shared, not copied).
_TASK: dict = {}


def _evaluate_rows(indices) -> tuple[list, list]:
    """First relevant rank and position check of the themes ``_TASK["rows"][i]`` for ``i`` in ``indices``."""
    t = _TASK
    ranks, pos_ok = [], []
    opts = dict(tempo_factors=t["tf"], transposition_invariant=t["ti"], normalize=t["normalize"])
    query_kind = "melody" if t["kind"] in MELODY_QUERY_KINDS else t["kind"]
    for i in indices:
        row = t["rows"][i]
        q = themes.theme_features(theme_notes(row), query_kind, feature_rate=t["rate"])
        if isinstance(t["db"], tuple):
            r1, r2 = (themes.rank_documents(themes.match_theme(q, d, **opts), relative=t["relative"]) for d in t["db"])
            ranking = fuse_rankings(r1, r2, FUSION_WEIGHT)
        else:
            ranking = themes.rank_documents(themes.match_theme(q, t["db"], **opts), relative=t["relative"])
        r = themes.first_relevant_rank(ranking, t["relevant"][row.theme])
        ranks.append(r)
        top = ranking.iloc[0]
        pos_ok.append(r == 1 and themes.position_overlap(top.start, top.end,
                                                         t["occ"].get((row.theme, top.doc_id), [])))
    return ranks, pos_ok


def evaluate(theme_df, rel, db, occ, kind, ti, scaling, progress=True, normalize=False, relative=False,
             rate=themes.FEATURE_RATE, tempo_factors=None, jobs=1):
    """First relevant rank and position check of every theme; ``jobs`` > 1 splits the themes over that many
    forked processes (contiguous blocks, results in theme order: the same ranks as one process)."""
    from tqdm import tqdm

    tf = (themes.TEMPO_FACTORS if tempo_factors is None else tempo_factors) if scaling else (1.0,)
    rows = list(theme_df.itertuples())
    _TASK.update(rows=rows, db=db, occ=occ, kind=kind, ti=ti, tf=tf, normalize=normalize, relative=relative,
                 rate=rate, relevant=rel.groupby("theme")["piece"].apply(set).to_dict())
    try:
        if jobs <= 1:
            it = tqdm(range(len(rows)), desc=f"{kind} ti={ti} scale={scaling}", unit="theme", mininterval=15,
                      disable=not progress)
            parts = [_evaluate_rows(it)]
        else:
            import multiprocessing

            blocks = [b.tolist() for b in np.array_split(np.arange(len(rows)), 4 * jobs) if b.size]
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                parts = pool.map(_evaluate_rows, blocks, chunksize=1)
    finally:
        _TASK.clear()
    ranks = [r for part in parts for r in part[0]]
    pos_ok = [p for part in parts for p in part[1]]
    return np.array(ranks), np.array(pos_ok)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="120 themes, 4 configurations (no files written)")
    ap.add_argument("--table", choices=["features", "invariances"], default=None,
                    help="run only the rows of one table (two processes can share the work); "
                         "writes themes_results_<table>.csv, merge with --merge")
    ap.add_argument("--merge", action="store_true", help="merge the per-table files into themes_results.csv")
    ap.add_argument("--only", default=None, metavar="KIND",
                    help="run only the rows of one feature kind and update (or append) them in the committed "
                         "results and ranks, keeping every other row")
    ap.add_argument("--dev", action="store_true",
                    help="with --only: evaluate the development themes only (themes.development_pieces) and write nothing "
                         "(for choosing parameters without touching the held-out half or the committed tables)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="processes that share the themes of each row (the machine has 2 cores; the ranks do not "
                         "depend on it, the 'seconds' column does)")
    ap.add_argument("--split", action="store_true",
                    help="write themes_split.csv: Top-k of every configuration on the development half of the "
                         "pieces (used to tune parameters), the held-out half and all themes")
    args = ap.parse_args(argv)
    if args.merge:
        return merge()
    if args.split:
        return split_table()
    pieces, theme_df, rel = load_tables()
    if args.dev and not args.only:
        raise SystemExit("--dev needs --only KIND")
    configs = QUICK if args.quick else [c for c in CONFIGS if args.table in (None, c[0])
                                        and args.only in (None, c[1])
                                        and (c[0] not in ("candidates", "variants") or args.only is not None)]
    if not configs:
        raise SystemExit(f"no configuration of CONFIGS has the kind {args.only!r}")
    if args.quick:
        theme_df = theme_df.sample(120, random_state=0).sort_index()
    if args.dev:
        theme_df = theme_df[theme_df.piece.isin(themes.development_pieces(pieces))]
    dbs = {}
    rows, rank_cols = [], {"theme": theme_df.theme.tolist(), "n_notes": theme_df.n_notes.tolist()}
    t_all = time.perf_counter()
    for table, kind, tuned, ti, scaling in configs:
        base, opts = matching_options(kind)
        if (base, tuned, opts["rate"]) not in dbs:
            dbs[(base, tuned, opts["rate"])] = load_database(pieces, base, tuned, opts["rate"])
        db, occ = dbs[(base, tuned, opts["rate"])]
        t0 = time.perf_counter()
        ranks, pos_ok = evaluate(theme_df, rel, db, occ, base, ti, scaling, jobs=args.jobs, **opts)
        secs = time.perf_counter() - t0
        acc = themes.top_k_accuracy(ranks, (1, 20, 50))
        label = f"{kind}|tun={int(tuned)}|trans={int(ti)}|tempo={int(scaling)}"
        rank_cols[label] = ranks.tolist()
        rows.append({"table": table, "feature": kind, "tuning_comp": tuned, "transp_inv": ti,
                     "tempo_scaling": scaling, "top1": round(100 * acc[1], 1), "top20": round(100 * acc[20], 1),
                     "top50": round(100 * acc[50], 1), "pos_ok": round(100 * pos_ok.mean(), 1),
                     "mean_rank": round(float(ranks.mean()), 1), "seconds": round(secs, 1)})
        print(rows[-1], flush=True)
        if args.dev:
            pass  # development themes only: nothing is written
        elif args.only:
            update_rows(rows[-1], label, ranks)
        elif not args.quick:  # save after every row: a long run that stops keeps what it measured
            suffix = f"_{args.table}" if args.table else ""
            pd.DataFrame(rows).to_csv(RESULTS_CSV.with_name(f"themes_results{suffix}.csv"), index=False)
            pd.DataFrame(rank_cols).to_csv(RANKS_CSV.with_name(f"themes_ranks{suffix}.csv"), index=False)
    total = time.perf_counter() - t_all
    res = pd.DataFrame(rows)
    hours = float(sum((db[0] if isinstance(db, tuple) else db).duration for db, _ in dbs.values()) / len(dbs) / 3600)
    rates = sorted({rate for _, _, rate in dbs})
    print(f"\n{len(theme_df)} themes x {len(pieces)} recordings ({hours:.2f} h), feature rate "
          f"{' / '.join(f'{r:g}' for r in rates)} Hz; total {total:.0f} s")
    print(res.to_string(index=False))
    if args.dev:
        print(f"(development themes only: {len(theme_df)}; nothing written)")
    if not args.quick and not args.only:
        suffix = f"_{args.table}" if args.table else ""
        out_res = RESULTS_CSV.with_name(f"themes_results{suffix}.csv")
        out_ranks = RANKS_CSV.with_name(f"themes_ranks{suffix}.csv")
        res.to_csv(out_res, index=False)
        pd.DataFrame(rank_cols).to_csv(out_ranks, index=False)
        print(f"wrote {out_res.relative_to(ROOT)} and {out_ranks.relative_to(ROOT)}")


def update_rows(row: dict, label: str, ranks) -> None:
    """Replace (or append) one configuration's row in themes_results.csv and its column in themes_ranks.csv
    (tables "candidates" and "variants": in themes_results_candidates.csv / themes_ranks_candidates.csv)."""
    res_csv, ranks_csv = (CAND_RESULTS_CSV, CAND_RANKS_CSV) if row["table"] in ("candidates", "variants") \
        else (RESULTS_CSV, RANKS_CSV)
    if not res_csv.is_file():
        pd.DataFrame(columns=list(row)).to_csv(res_csv, index=False)
        pd.read_csv(RANKS_CSV)[["theme", "n_notes"]].to_csv(ranks_csv, index=False)
    res = pd.read_csv(res_csv)
    key = ["table", "feature", "tuning_comp", "transp_inv", "tempo_scaling"]
    same = np.ones(len(res), bool)
    for k in key:
        same &= res[k].to_numpy() == row[k]
    if same.any():
        res.loc[same, list(row)] = list(row.values())
    else:
        res = pd.concat([res, pd.DataFrame([row])], ignore_index=True)
    res.to_csv(res_csv, index=False)
    rk = pd.read_csv(ranks_csv)
    rk[label] = np.asarray(ranks)
    rk.to_csv(ranks_csv, index=False)


#: Top-k on the development half of the pieces (:func:`cmr.themes.development_pieces`: parameters of new
#: features were tuned on its themes only), the held-out half and all themes.
SPLIT_CSV = DATA / "themes_split.csv"


def split_table() -> pd.DataFrame:
    """Top-k of every configuration in themes_ranks.csv on the development / held-out / full theme set."""
    pieces, theme_df, _ = load_tables()
    rk = pd.read_csv(RANKS_CSV)
    if CAND_RANKS_CSV.is_file():  # candidate models (table "candidates") too
        cand = pd.read_csv(CAND_RANKS_CSV)
        rk = rk.merge(cand.drop(columns=["n_notes"]), on="theme", how="left", validate="one_to_one")
    piece_of = theme_df.set_index("theme")["piece"]
    is_dev = rk["theme"].map(piece_of).isin(themes.development_pieces(pieces)).to_numpy()
    rows = []
    for col in rk.columns[2:]:
        r = rk[col].to_numpy()
        for name, m in (("dev", is_dev), ("held-out", ~is_dev), ("all", np.ones_like(is_dev))):
            acc = themes.top_k_accuracy(r[m], (1, 20, 50))
            rows.append({"config": col, "subset": name, "themes": int(m.sum()), "top1": round(100 * acc[1], 1),
                         "top20": round(100 * acc[20], 1), "top50": round(100 * acc[50], 1)})
    out = pd.DataFrame(rows)
    out.to_csv(SPLIT_CSV, index=False)
    print(out.to_string(index=False))
    print(f"wrote {SPLIT_CSV.relative_to(ROOT)}")
    return out


def merge() -> None:
    parts = [RESULTS_CSV.with_name(f"themes_results_{t}.csv") for t in ("features", "invariances")]
    ranks = [RANKS_CSV.with_name(f"themes_ranks_{t}.csv") for t in ("features", "invariances")]
    for f in parts + ranks:
        if not f.is_file():
            raise SystemExit(f"{f} is missing: run --table features and --table invariances first")
    pd.concat([pd.read_csv(f) for f in parts]).to_csv(RESULTS_CSV, index=False)
    a, b = (pd.read_csv(f) for f in ranks)
    pd.concat([a, b.drop(columns=["theme", "n_notes"])], axis=1).to_csv(RANKS_CSV, index=False)
    for f in parts + ranks:
        f.unlink()
    print(pd.read_csv(RESULTS_CSV).to_string(index=False))
    print(f"wrote {RESULTS_CSV.relative_to(ROOT)} and {RANKS_CSV.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
