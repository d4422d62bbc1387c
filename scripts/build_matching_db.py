"""Precompute the chroma (and CRP) of the example recordings for notebook 03 (audio matching).

Computes IIR-filterbank chroma at 10 frames per second (tuning estimated
per recording, no normalisation) of every version in ``audio/`` and writes
them, with piece/version ids, to ``lib/cmr/data/matching_examples_chroma10hz.npz``
(float16, a few hundred kB), and likewise the unsmoothed CRP features
(:func:`cmr.chroma.crp` of the same 88 pitch energies, 55 DCT coefficients
removed) to ``lib/cmr/data/matching_examples_crp10hz.npz``.
:func:`cmr.matching.example_database` turns them into CENS (or, with
``features="crp"``, smoothed CRP) databases at any feature rate <= 10 Hz in
a fraction of a second, so the notebook never has to run the filterbank
over 15 minutes of audio.

Run after ``make audio`` whenever the example set changes::

    .venv/bin/python scripts/build_matching_db.py [--only chroma|crp]
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
from tqdm.auto import tqdm

from cmr import audio, chroma
from cmr.matching import DEFAULT_CRP_REMOVE, EXAMPLE_CHROMA_FILE, EXAMPLE_CHROMA_RATE, EXAMPLE_CRP_FILE


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("chroma", "crp"), help="write only this file")
    args = ap.parse_args(argv)
    ex = audio.examples()
    feats, crps, ids, pieces, versions, tunings, durations = [], [], [], [], [], [], []
    for _, row in tqdm(list(ex.iterrows()), desc="chroma of the examples", unit="rec"):
        y = audio.load_example(row["piece"], row["version"])
        tuning = chroma.estimate_tuning(y, audio.DEFAULT_SR)
        P = chroma.pitch_features(y, audio.DEFAULT_SR, feature_rate=EXAMPLE_CHROMA_RATE, tuning_cents=tuning)
        C = chroma.pitch_to_chroma(P)  # = chroma_iir(..., norm=None)
        feats.append(C.astype(np.float32))
        crps.append(chroma.crp(P, n_remove=DEFAULT_CRP_REMOVE).astype(np.float32))
        ids.append(f"{row['piece']}/{row['version']}")
        pieces.append(row["piece"])
        versions.append(row["version"])
        tunings.append(tuning)
        durations.append(len(y) / audio.DEFAULT_SR)
    lengths = np.array([f.shape[1] for f in feats], np.int64)
    meta = dict(lengths=lengths, feature_rate=EXAMPLE_CHROMA_RATE, ids=np.array(ids), pieces=np.array(pieces),
                versions=np.array(versions), tuning_cents=np.array(tunings), durations=np.array(durations))
    if args.only != "chroma":
        np.savez_compressed(EXAMPLE_CRP_FILE, crp=np.concatenate(crps, axis=1).astype(np.float16), **meta)
        print(f"wrote {EXAMPLE_CRP_FILE} ({EXAMPLE_CRP_FILE.stat().st_size / 1024:.0f} kB)")
    if args.only == "crp":
        return 0
    allf = np.concatenate(feats, axis=1)
    scale = float(allf.max()) or 1.0  # float16 keeps its precision relative to this scale
    EXAMPLE_CHROMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(EXAMPLE_CHROMA_FILE, chroma=(allf / scale).astype(np.float16), lengths=lengths,
                        feature_rate=EXAMPLE_CHROMA_RATE, ids=np.array(ids), pieces=np.array(pieces),
                        versions=np.array(versions), tuning_cents=np.array(tunings),
                        durations=np.array(durations))
    print(f"wrote {EXAMPLE_CHROMA_FILE} ({EXAMPLE_CHROMA_FILE.stat().st_size / 1024:.0f} kB): "
          f"{len(ids)} recordings, {lengths.sum()} frames at {EXAMPLE_CHROMA_RATE:g} Hz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
