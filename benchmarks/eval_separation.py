"""Score-informed separation quality on rendered pieces (SDR / SI-SDR per part).

For each piece a dry version (no reverb, no noise) is rendered with its
true per-part stems. The score's notes are aligned to the audio either with
the exact ground truth ("truth") or by score-audio synchronisation with DTW
("dtw", cmr.sync.sync_score_audio); then every part is separated with the
harmonic-comb masks ("mask") and with score-informed NMF ("nmf") and
compared with its true stem.

Run:  .venv/bin/python benchmarks/eval_separation.py [--out lib/cmr/data/separation_results.csv]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cmr import separation, symbolic, synth

# (label, score, first measure, last measure, GM programs per part)
PIECES = [
    ("Bach chorale BWV 66.6", "bach/bwv66.6", 1, 5, (73, 71, 41, 42)),
    ("Mozart K. 545, mvt. 1", "mozart/k545/movement1", 1, 6, (0, 0)),
    ("Beethoven op. 18/1, mvt. 1", "beethoven/opus18no1/movement1", 1, 10, (40, 40, 41, 42)),
    ("Haydn op. 74/1, mvt. 1", "haydn/opus74no1/movement1", 1, 8, (40, 40, 41, 42)),
    ("Schubert, Der Lindenbaum", "schubert/Lindenbaum", 1, 8, (71, 0, 0)),
]


def aligned_notes(rendering, score_notes, how: str):
    """Notes with start/end in seconds of the rendering: from the truth or from DTW."""
    if how == "truth":
        return rendering.notes
    from cmr import scoreviewer, sync

    beat_to_time = scoreviewer.alignment_beat_to_time(
        sync.sync_score_audio(score_notes, rendering.audio, rendering.sr))
    notes = rendering.notes.copy()
    notes["start"] = beat_to_time(notes["start_beat"].to_numpy())
    notes["end"] = beat_to_time(notes["end_beat"].to_numpy())
    return notes


def evaluate(alignments=("truth", "dtw"), methods=("mask", "nmf")) -> pd.DataFrame:
    rows = []
    for label, score, a, b, programs in PIECES:
        notes = symbolic.score_notes(score)
        notes = notes[(notes["measure"] >= a) & (notes["measure"] <= b)]
        version = synth.Version(name="dry", programs=programs, sections=((a, b),), tempo_factor=1.1,
                                tempo_curve=((notes["start_beat"].min(), 1.0), (notes["end_beat"].max(), 0.85)))
        r = synth.render(notes, version, stems=True)
        for how in alignments:
            try:
                al = aligned_notes(r, notes, how)
            except (ImportError, AttributeError) as exc:
                print(f"  alignment {how!r} unavailable: {exc}", file=sys.stderr)
                continue
            for method in methods:
                sep = separation.separate(r.audio, r.sr, al, method=method)
                for p in sep.parts:
                    if not np.any(r.stems[p]):
                        continue
                    rows.append(dict(piece=label, alignment=how, method=method, part=int(p),
                                     sdr=separation.sdr(r.stems[p], sep.audio[p]),
                                     si_sdr=separation.si_sdr(r.stems[p], sep.audio[p])))
        print(f"  {label}: done", file=sys.stderr)
    return pd.DataFrame(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="write the per-part table as CSV")
    args = ap.parse_args(argv if argv is not None else [])
    start = time.perf_counter()
    df = evaluate()
    seconds = time.perf_counter() - start
    pd.set_option("display.width", 120)
    print(df.round(2).to_string(index=False))
    print("\nmean SDR / SI-SDR (dB) over all parts of all pieces:")
    print(df.groupby(["alignment", "method"])[["sdr", "si_sdr"]].mean().round(2).to_string())
    print(f"\n{df['piece'].nunique()} pieces, {len(df)} rows, {seconds:.1f} s")
    if args.out:
        df.round(3).to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return df


if __name__ == "__main__":
    main(sys.argv[1:])
