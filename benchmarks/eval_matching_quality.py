"""Retrieval quality of audio matching on a rendered database with exact ground truth.

Database: 20 pieces (music21 corpus) x 3 rendered versions
  A  piano, the score's tempo with a mild tempo curve           (reference)
  B  string ensemble, 40 % faster, rubato, tuned 20 cents sharp
  C  winds, 40 % slower (tempo factor 0.6), transposed up 3 semitones, reverb
Queries: 10, 12, 16, 20 and 30 s excerpts cut every 8 s from version A of
every piece (``--query-from all``: from every version, so that the relative
tempo between query and target reaches 1.4 / 0.6 = 2.33).
Ground truth: the same score passage in B and C (every time it is played,
repeats included), found through the rendering's score-time maps
(``cmr.synth.beat_to_time``), plus every other score passage with the
same music: where the pitch-class piano roll of the score (1/4-beat grid)
agrees with the query's in >= 90 % of the cells (chorales repeat their
first phrases note for note; finding those is right, not a false alarm).
Ranking: matches from all documents except the query's own recording.
Success for a query: every true occurrence is among the top R matches
(R = number of occurrences), start within the tolerance (2 s).

Split: the pieces are divided into a development half (even positions in
``PIECES``) used to choose parameters and a held-out half (odd positions)
evaluated once for the final setting; the database always holds all 60
recordings, only the queries are split. ``--split dev`` evaluates the
development queries only.

Reported: share of successful queries (target >= 90 %) on the development
half, the held-out half and all queries, mean precision at R, and P/R/F of
the top-10 lists, for two features (CRP, ``cmr.matching.crp_features``,
and CENS, ``cens_features``; both 4 Hz with 1 s smoothing, each database
and its queries computed from the audio with that feature), diagonal
matching (multiple tempo scaling 0.5-2, transposition invariant, with and
without per-tempo cost normalisation, ``normalize=True``, and with the
boundaries of the top 10 refined by ``cmr.matching.refine_matches``) and
subsequence-DTW matching
(transposition invariant, step weights (1, 2, 1) and, for comparison, unit
weights), plus diagonal matching without the tempo set and without
transposition invariance to show what each ingredient contributes.

Run (renders ~60 recordings into the cache on the first run, ~5 minutes;
later runs reuse them)::

    .venv/bin/python benchmarks/eval_matching_quality.py [--rate 4] [--smooth 1] [--query 10,12,16,20,30]
        [--split dev] [--query-from all] [--no-dtw]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from cmr import matching as mt

CHORALES = ["bwv108.6", "bwv10.7", "bwv101.7", "bwv104.6", "bwv11.6", "bwv110.7", "bwv113.8", "bwv114.7",
            "bwv115.6", "bwv116.6", "bwv103.6", "bwv121.6", "bwv122.6", "bwv13.6"]
OTHERS = [("bach/bwv846", ((1, 16),)), ("mozart/k155/movement2", ((1, 24),)),
          ("haydn/opus1no1/movement3", ((1, 24),)), ("corelli/opus3no1/1grave", ()),
          ("schubert/Lindenbaum", ((1, 24),)), ("joplin/maple_leaf_rag", ((1, 24),))]
PIECES = [(f"bach/{c}", ()) for c in CHORALES] + OTHERS

# Version C is 1 / 0.6 = 1.67 times longer than A, and the tempo curves of A and C
# move the local ratio between about 1.45 and 1.9: the set must reach 2.
TEMPO_EVAL = tuple(float(f) for f in np.round(np.geomspace(0.5, 2.0, 15), 3))
# Queries from every version: B -> C is 1.4 / 0.6 = 2.33 times longer (C -> B 0.43), plus the tempo curves.
TEMPO_WIDE = tuple(float(f) for f in np.round(np.geomspace(0.4, 2.5, 19), 3))


def versions(sections):
    from cmr.synth import Version

    return [
        Version(name="A_piano", programs=0, bpm=72, tempo_curve=((0, 1.0), (16, 0.95), (32, 1.05)),
                sections=sections, seed=1),
        Version(name="B_strings_fast", programs=48, bpm=72, tempo_factor=1.4,
                tempo_curve=((0, 1.05), (8, 0.9), (20, 1.1), (40, 0.92)), tuning_cents=20.0,
                sections=sections, seed=2),
        Version(name="C_winds_slow_up3", programs=(73, 68, 71, 70), bpm=72, tempo_factor=0.6, transpose=3,
                tempo_curve=((0, 0.95), (12, 1.08), (30, 0.95)), reverb=0.2, sections=sections, seed=3),
    ]


def render_database(rate: float, smooth: float | None = None, progress: bool = True, kind: str = "cens"):
    """The 60 rendered recordings as a matching database of ``kind`` features ("cens" or "crp")."""
    from cmr import synth

    items = [{"score": score, "version": v, "id": f"{score.replace('/', '_')}__{v.name}"}
             for score, sections in PIECES for v in versions(sections)]
    man = synth.render_collection(items, name="matching_eval", progress=progress)
    ok = man[man["status"] != "error"]
    if len(ok) < len(man):
        print(f"warning: {len(man) - len(ok)} renderings failed:\n{man[man['status'] == 'error'][['id', 'error']]}")
    rows = [{"id": r["id"], "audio": r["audio"], "truth": r["truth"], "piece": r["score"], "version": r["version"]}
            for _, r in ok.iterrows()]
    fn = {"cens": mt.cens_features, "crp": mt.crp_features}[kind]

    def features(y, sr):
        return fn(y, sr, feature_rate=rate, smooth_seconds=smooth)

    name = f"matching_eval_{rate:g}hz" if kind == "cens" else f"matching_eval_{kind}_{rate:g}hz"
    db = mt.build_database(rows, feature_rate=rate, feature_fn=features, name=name,
                           feature_key=f"{kind}_features(rate={rate}, smooth={smooth})", progress=progress)
    truths = {r["id"]: synth.load_ground_truth(r["truth"]) for r in rows}
    return db, truths


GRID = 0.25  # beats


def score_roll(truth):
    """Pitch-class piano roll (12, cells) of the score on a 1/4-beat grid, from the first playing of each note."""
    notes = truth.notes[truth.notes["occurrence"] == 0]
    n = int(np.ceil(notes["end_beat"].max() / GRID)) + 1
    roll = np.zeros((12, n), bool)
    for sb, eb, p in zip(notes["start_beat"], notes["end_beat"], notes["pitch"]):
        roll[int(p) % 12, int(round(sb / GRID)):max(int(round(eb / GRID)), int(round(sb / GRID)) + 1)] = True
    return roll


def same_music(roll, b0, b1, min_agree=0.9):
    """Score start beats of every passage whose pitch-class roll equals [b0, b1)'s in >= min_agree of the cells."""
    c0, c1 = int(round(b0 / GRID)), int(round(b1 / GRID))
    q = roll[:, c0:c1]
    L = q.shape[1]
    starts = [b0]
    for c in range(0, roll.shape[1] - L + 1):
        if abs(c - c0) * GRID < 2.0:
            continue
        if np.mean(np.all(roll[:, c:c + L] == q, axis=0)) >= min_agree:
            starts.append(c * GRID)
    return starts


def occurrences(db, truths, piece, t0, t1, truth_a, exclude_doc, tolerance):
    """All (doc, start, end) of other recordings where the music of [t0, t1] of version A is played."""
    b0, b1 = truth_a.time_to_beat([t0, t1])
    starts = same_music(score_roll(truth_a), b0, b1)
    occ = []
    for d in range(db.n_docs):
        if d == exclude_doc or db.meta[d]["piece"] != piece:
            continue
        tb = truths[db.doc_ids[d]]
        found = []
        for sb in starts:
            for k in range(4):
                s, e = tb.beat_to_time([sb, sb + (b1 - b0)], occurrence=k, missing="nan")
                if not (np.isfinite(s) and np.isfinite(e)):
                    break
                if all(abs(s - f) > tolerance for f in found):
                    found.append(float(s))
                    occ.append((d, float(s), float(e)))
    return occ


DEV_PIECES = frozenset(p for p, _ in PIECES[0::2])


def make_queries(db, truths, query_seconds, hop_seconds, tolerance, source="A"):
    """Queries cut every ``hop_seconds`` from the recordings of version ``source`` ("A"; "all": every version)."""
    queries = []
    fr = db.feature_rate
    L = int(round(query_seconds * fr))
    for d in range(db.n_docs):
        if source != "all" and not db.meta[d]["version"].startswith(source + "_"):
            continue
        X = db.doc_features(d)
        ta = truths[db.doc_ids[d]]
        for t0 in np.arange(0.0, X.shape[1] / fr - query_seconds - 1.0, hop_seconds):
            a = int(round(t0 * fr))
            occ = occurrences(db, truths, db.meta[d]["piece"], a / fr, (a + L) / fr, ta, d, tolerance)
            if occ:
                queries.append({"doc": d, "start": a / fr, "frames": (a, a + L), "occ": occ,
                                "dev": db.meta[d]["piece"] in DEV_PIECES})
    return queries


def rank_query(db, q, num=10, refine=False, **kwargs):
    """Top ``num`` matches of one query (cut from ``db``'s own features) among all recordings except its own."""
    f0, f1 = q["frames"]
    query = db.doc_features(q["doc"])[:, f0:f1]
    curve = mt.matching_curve(query, db, **kwargs)
    own = q["doc"]
    a, b = db.offsets[own], db.offsets[own + 1]
    curve.cost[a:b] = np.inf  # rank other recordings only
    matches = mt.select_matches(curve, num=num)
    return mt.refine_matches(query, matches, db) if refine else matches


def evaluate(db, queries, label, tolerance, split="both", **kwargs):
    """Print one row: all@R (dev / held-out / all), P@R, P/R/F@10, ms per query; return per-query success."""
    ok, p_at_r, prf = [], [], []
    t_total = 0.0
    for q in queries:
        t = time.perf_counter()
        matches = rank_query(db, q, **kwargs)
        t_total += time.perf_counter() - t
        par = mt.precision_at_r(matches, q["occ"], tolerance=tolerance)
        p_at_r.append(par)
        ok.append(par == 1.0)
        ev = mt.evaluate_matches(matches, q["occ"], tolerance=tolerance)
        prf.append((ev.precision, ev.recall, ev.f_measure))
    ok = np.array(ok)
    dev = np.array([q["dev"] for q in queries])
    prf = np.mean(prf, axis=0)

    def share(sel):
        return f"{100 * ok[sel].mean():6.1f} %" if sel.any() else f"{'-':>8s}"

    cols = share(dev) if split == "dev" else f"{share(dev)} {share(~dev)} {share(np.ones_like(dev))}"
    print(f"{label:68s} {cols} {np.mean(p_at_r):7.3f} {prf[0]:6.3f} {prf[1]:6.3f} {prf[2]:6.3f} "
          f"{1000 * t_total / len(queries):8.1f}", flush=True)
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=4.0, help="feature rate in Hz (default 4)")
    ap.add_argument("--smooth", type=float, default=1.0, help="CENS smoothing window in seconds (default 1)")
    ap.add_argument("--query", default="10,12,16,20,30",
                    help="query lengths in seconds, comma separated (default 10,12,16,20,30)")
    ap.add_argument("--hop", type=float, default=8.0, help="spacing of the query start times in seconds")
    ap.add_argument("--tolerance", type=float, default=2.0, help="start-time tolerance in seconds")
    ap.add_argument("--split", choices=("both", "dev"), default="both",
                    help="'dev': development queries only (for choosing parameters); 'both' (default): "
                         "development, held-out and all")
    ap.add_argument("--query-from", choices=("A", "all"), default="A",
                    help="cut queries from version A (default) or from every version")
    ap.add_argument("--features", default="crp,cens",
                    help="feature kinds, comma separated: crp (cmr.matching.crp_features), cens (default both)")
    ap.add_argument("--tempo", choices=("eval", "wide"), default="eval",
                    help="tempo set: 'eval' 15 factors 0.5-2 (covers every A -> B/C ratio), 'wide' 19 factors "
                         "0.4-2.5 (covers 1.4 / 0.6 = 2.33, needed with --query-from all)")
    ap.add_argument("--no-dtw", action="store_true", help="skip the (slower) DTW-based matching")
    ap.add_argument("--no-ablation", action="store_true",
                    help="skip the rows without the tempo set / without transposition invariance")
    args = ap.parse_args(argv)

    kinds = [k.strip() for k in args.features.split(",")]
    dbs = {k: render_database(args.rate, args.smooth, kind=k) for k in kinds}
    db, truths = dbs[kinds[0]]
    print(f"{db}; {len(set(m['piece'] for m in db.meta))} pieces ({len(DEV_PIECES)} development); "
          f"{'/'.join(k.upper() for k in kinds)} {args.rate:g} Hz, {args.smooth:g} s smoothing; tolerance "
          f"{args.tolerance:g} s; queries from {'version A' if args.query_from == 'A' else 'every version'}")
    head = f"{'dev':>8s}" if args.split == "dev" else f"{'dev':>8s} {'held-out':>8s} {'all':>8s}"
    tf = TEMPO_EVAL if args.tempo == "eval" else TEMPO_WIDE
    tname = "15 tempo factors 0.5-2" if args.tempo == "eval" else "19 tempo factors 0.4-2.5"
    for length in [float(x) for x in args.query.split(",")]:
        queries = make_queries(db, truths, length, args.hop, args.tolerance, source=args.query_from)
        if args.split == "dev":
            queries = [q for q in queries if q["dev"]]
        n_dev = sum(q["dev"] for q in queries)
        n_occ = np.mean([len(q["occ"]) for q in queries])
        print(f"\n{len(queries)} queries of {length:g} s ({n_dev} development, {len(queries) - n_dev} held-out), "
              f"{n_occ:.2f} true occurrences per query on average; all@R: share of queries with every occurrence "
              f"in the top R")
        print(f"{'method':68s} {head} {'P@R':>7s} {'P@10':>6s} {'R@10':>6s} {'F@10':>6s} {'ms/query':>8s}")
        kw = dict(split=args.split)
        for kind in kinds:
            dbk = dbs[kind][0]
            K = kind.upper()
            evaluate(dbk, queries, f"{K}, diagonal, {tname}, 12 shifts, normalised, refined", args.tolerance,
                     **kw, method="diagonal", tempo_factors=tf, transposition_invariant=True, normalize=True,
                     refine=True)
            evaluate(dbk, queries, f"{K}, diagonal, {tname}, 12 shifts, normalised", args.tolerance, **kw,
                     method="diagonal", tempo_factors=tf, transposition_invariant=True, normalize=True)
            evaluate(dbk, queries, f"{K}, diagonal, {tname}, 12 shifts, raw cost", args.tolerance, **kw,
                     method="diagonal", tempo_factors=tf, transposition_invariant=True)
            if not args.no_ablation:
                evaluate(dbk, queries, f"{K}, diagonal, tempo factor 1 only, 12 shifts", args.tolerance, **kw,
                         method="diagonal", tempo_factors=(1.0,), transposition_invariant=True)
                evaluate(dbk, queries, f"{K}, diagonal, {tname}, normalised, no shifts", args.tolerance,
                         **kw, method="diagonal", tempo_factors=tf, transposition_invariant=False,
                         normalize=True)
            if not args.no_dtw:
                evaluate(dbk, queries, f"{K}, subsequence DTW (steps (1,1),(2,1),(1,2)), 12 shifts", args.tolerance,
                         **kw, method="dtw", transposition_invariant=True)
                evaluate(dbk, queries, f"{K}, subsequence DTW, unit weights (1,1,1), 12 shifts", args.tolerance,
                         **kw, method="dtw", transposition_invariant=True, weights=(1, 1, 1))


if __name__ == "__main__":
    main()
