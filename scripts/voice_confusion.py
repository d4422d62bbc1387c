"""Which voice does the top-voice network name when it is wrong? (diagnosis for notebook 06, session 18)

For every database recording, the committed ``conv`` chroma (10 Hz, the
cache of ``train_melody_salience.py apply --kind conv``) is compared with
the rendered voices (:func:`build_theme_dataset.truth_notes`): the strongest
pitch class of each frame against the pitch class of the top voice
(:func:`cmr.themes.skyline`) and of the second voice
(:func:`cmr.themes.second_voice`). Frames without a sounding note are left
out. A recording rendered about 50 cents off can be compensated to the
neighbouring semitone, which makes every frame one semitone "wrong" but
costs nothing with the 12 shifts of the matching; the accuracy is therefore
taken at the best constant shift of the recording, and the same shift is
applied before asking whether a wrong frame names the second voice.

Prints the mean accuracy by ensemble, then the recordings below
``--below`` (default 0.6) with the share of their wrong frames that name
the second voice, and the Top-20 misses of a configuration
(``--config``, a column of ``themes_ranks.csv``) with their recording's
accuracy; with the cache of the second-voice network (``apply --kind
conv_second``), how often it names the true top voice where the top-voice
network took the second voice for the top. Reads only caches and
committed tables; writes nothing.

Usage::

    .venv/bin/python scripts/voice_confusion.py
    .venv/bin/python scripts/voice_confusion.py --config "conv_blend+norm+rel+fine+t13|tun=1|trans=1|tempo=1"
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "lib" / "cmr" / "data"

from cmr import themes  # noqa: E402


def confusion(C: np.ndarray, notes: pd.DataFrame, S: np.ndarray | None = None) -> dict:
    """Accuracy of the strongest pitch class of ``C`` (12, N) at 10 Hz against the rendered top voice (at the
    best constant shift), and the share of the wrong voiced frames whose pitch class is the second voice's.

    With ``S`` (12, N), the second-voice network's chroma: among the frames where the two voices differ,
    how often ``S`` names the true top voice where ``C`` took the second voice for the top (``swapped``)
    and where ``C`` was right (``right``); counts, to be summed over recordings."""
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"C must have shape (12, N), got {C.shape}")
    R = themes.note_roll(notes, themes.FINE_RATE, C.shape[1])
    top, second = themes.fold_chroma(themes.skyline(R)), themes.fold_chroma(themes.second_voice(R))
    n = min(C.shape[1], top.shape[1]) if S is None else min(C.shape[1], top.shape[1], S.shape[1])
    voiced = top[:, :n].sum(axis=0) > 0
    out = {"frames": 0, "shift": 0, "accuracy": np.nan, "second_share": np.nan,
           "swapped": 0, "swapped_s_top": 0, "right": 0, "right_s_top": 0}
    if not voiced.any():
        return out
    guess, truth = np.argmax(C[:, :n], axis=0), np.argmax(top[:, :n], axis=0)
    acc = [float(np.mean(((guess - truth - s) % 12 == 0)[voiced])) for s in range(12)]
    s = int(np.argmax(acc))
    guess = (guess - s) % 12
    wrong = voiced & (guess != truth)
    has_second = second[:, :n].sum(axis=0) > 0
    sec = np.argmax(second[:, :n], axis=0)
    names_second = wrong & has_second & (guess == sec)
    out.update(frames=int(voiced.sum()), shift=s, accuracy=acc[s],
               second_share=float(names_second.sum() / wrong.sum()) if wrong.any() else np.nan)
    if S is not None:
        two = voiced & has_second & (sec != truth)
        s_top = (np.argmax(S[:, :n], axis=0) - s) % 12 == truth
        swapped, right = two & (guess == sec), two & (guess == truth)
        out.update(swapped=int(swapped.sum()), swapped_s_top=int((swapped & s_top).sum()),
                   right=int(right.sum()), right_s_top=int((right & s_top).sum()))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--below", type=float, default=0.6, help="list the recordings with a lower accuracy")
    ap.add_argument("--config", default="conv_blend2+norm+fine+t13|tun=1|trans=1|tempo=1",
                    help="column of themes_ranks.csv whose Top-20 misses are listed")
    args = ap.parse_args(argv)
    from build_theme_dataset import truth_notes
    from train_melody_salience import check_learned_cache, load_learned, stamp_file

    check_learned_cache("conv")
    pieces = pd.read_csv(DATA / "themes_pieces.csv")
    second = stamp_file("conv_second").is_file()
    if second:
        check_learned_cache("conv_second")
    rows = []
    for row in pieces.itertuples():
        S = load_learned(row.piece, "conv_second") if second else None
        rows.append({"piece": row.piece, "collection": row.collection, "ensemble": json.loads(row.version)["ensemble"],
                     **confusion(load_learned(row.piece, "conv"), truth_notes(row), S)})
    d = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("frame accuracy of the top-voice network (best constant shift), by ensemble:")
    print(d.groupby("ensemble")["accuracy"].agg(["size", "mean", "min"]).round(3).to_string())
    low = d[d.accuracy < args.below].sort_values("accuracy")
    print(f"\n{len(low)} recordings below {args.below:g}; share of their wrong frames that name the second voice: "
          f"median {low.second_share.median():.2f}")
    print(low[["piece", "collection", "ensemble", "accuracy", "second_share"]].round(3).to_string(index=False))
    ranks = pd.read_csv(DATA / "themes_ranks.csv")
    if args.config not in ranks:
        raise SystemExit(f"{args.config!r} is not a column of themes_ranks.csv")
    miss = ranks.loc[ranks[args.config] > 20, ["theme", args.config]].rename(columns={args.config: "rank"})
    miss["piece"] = miss["theme"].str.rsplit("#", n=1).str[0]
    miss = miss.merge(d[["piece", "ensemble", "accuracy", "second_share"]], on="piece")
    print(f"\n{len(miss)} themes beyond rank 20 with {args.config}; their recordings' accuracy: median "
          f"{miss.accuracy.median():.2f} (all recordings: {d.accuracy.median():.2f}); share of wrong frames naming "
          f"the second voice: median {miss.second_share.median():.2f} (all recordings: {d.second_share.median():.2f})")
    print(miss.sort_values("accuracy").round(3).to_string(index=False))
    if second:
        sw, rt = d[["swapped", "swapped_s_top"]].sum(), d[["right", "right_s_top"]].sum()
        print(f"\nsecond-voice network (conv_second cache), frames where the two voices differ: where the top-voice "
              f"network takes the second voice for the top ({sw.swapped} frames) it names the true top voice in "
              f"{sw.swapped_s_top / sw.swapped:.1%}; where the top-voice network is right ({rt.right} frames) in "
              f"{rt.right_s_top / rt.right:.1%}")
    else:
        print("\n(no conv_second cache: train_melody_salience.py apply --kind conv_second adds the second network)")


if __name__ == "__main__":
    sys.exit(main())
