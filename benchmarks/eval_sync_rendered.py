"""Audio-audio synchronization of rendered versions against their exact ground truth.

For every pair the error is measured at each distinct note onset of version A
(``cmr.synth.map_time`` gives the true time of the same note in B). Two
settings of :func:`cmr.sync.sync_audio_audio` run side by side:

* ``earlier``: ``onsets='chroma', feature_rate=25`` (onsets from the increase
  of log chroma, scaled per frame, aligned at 25 Hz: the defaults before
  session 13),
* ``default``: the current defaults (:func:`cmr.sync.pitch_onsets`, local
  scaling of the onset half, onset weight 4, 50 Hz).

Three groups of pairs:

1. the eight pairs of notebook 02, section 6,
2. the twelve other pairs of committed example versions that share a
   reference version,
3. four seeded toy pieces (melody and bass) rendered for piano and for a
   string ensemble (GM 48) with a tempo curve, like the unit test.

All three groups were looked at while the onset features and their
parameters were chosen (above all the clarinet-piano / oboe-strings pair of
group 1), so none of them is a held-out test; groups 2 and 3 show that the
choice is not tuned to one pair.

Run:  .venv/bin/python benchmarks/eval_sync_rendered.py   (about 30 s)
Target (issue 5): mean error <= 50 ms on rendered versions with tempo curves.
"""
from __future__ import annotations

import sys
import time

import numpy as np

NOTEBOOK_PAIRS = [("mozart-k545", "piano", "piano-rubato"), ("mozart-k545", "piano", "epiano-bb"),
                  ("bach-bwv846", "piano", "harpsichord"), ("haydn-op74no1", "quartet", "quartet-rubato"),
                  ("chopin-mazurka6-2", "piano", "piano-rubato"), ("bach-bwv846", "piano", "organ-church"),
                  ("schubert-lindenbaum", "clarinet-piano", "cello-piano-down5"),
                  ("schubert-lindenbaum", "clarinet-piano", "oboe-strings")]
OTHER_PAIRS = [("bach-bwv846", "piano", "piano-noisy"), ("bach-bwv66.6", "organ", "strings"),
               ("bach-bwv66.6", "organ", "winds-down3"), ("bach-bwv66.6", "organ", "choir-sharp"),
               ("mozart-k545", "piano", "vibraphone-room"), ("beethoven-op18no1", "quartet", "quartet-fast-flat"),
               ("beethoven-op18no1", "quartet", "piano-up1"), ("beethoven-op18no1", "quartet", "winds-noisy"),
               ("haydn-op74no1", "quartet", "brass-down2"), ("haydn-op74no1", "quartet", "organ-room"),
               ("schubert-lindenbaum", "clarinet-piano", "voice-piano-room"),
               ("chopin-mazurka6-2", "piano", "accordion-up3")]
SETTINGS = {"earlier": {"onsets": "chroma", "feature_rate": 25.0}, "default": {}}


def example_pairs(pairs):
    from cmr import audio, synth

    for piece, va, vb in pairs:
        ya, ta = audio.load_example(piece, va), synth.load_example_truth(piece, va)
        yb, tb = audio.load_example(piece, vb), synth.load_example_truth(piece, vb)
        yield f"{piece} {va} / {vb}", bool(tb.version.tempo_curve or ta.version.tempo_curve), ya, yb, ta, tb


def toy_pairs(seeds=range(4)):
    from cmr import synth

    for seed in seeds:
        notes = synth.random_piece(seed, 32)
        a = synth.render(notes, synth.Version(name="piano", programs=0, bpm=100))
        b = synth.render(notes, synth.Version(name="strings", programs=48, bpm=92,
                                              tempo_curve=((0, 0.85), (16, 1.15), (38.4, 0.9))))
        yield f"toy seed {seed}: piano / strings (GM 48)", True, a.audio, b.audio, a.truth, b.truth


def evaluate(items, sr=22050):
    from cmr import sync, synth

    rows = []
    for label, curve, ya, yb, ta, tb in items:
        onsets = np.unique(ta.notes["start"].to_numpy())
        ref = synth.map_time(onsets, ta, tb)
        ok = np.isfinite(ref)
        res = {}
        for name, kw in SETTINGS.items():
            al = sync.sync_audio_audio(ya, yb, sr, **kw)
            e = sync.alignment_errors(al, onsets[ok], ref[ok])
            res[name] = (1000 * e.mean, 1000 * e.median, al.shift)
        rows.append((label, curve, res))
    return rows


def print_rows(title, rows):
    print(f"\n{title}")
    print(f"{'pair':<58} {'curve':>5} {'shift':>5} {'earlier mean':>12} {'default mean':>12} {'median':>7}")
    for label, curve, res in rows:
        print(f"{label:<58} {'yes' if curve else 'no':>5} {res['default'][2]:5d} {res['earlier'][0]:10.1f}ms "
              f"{res['default'][0]:10.1f}ms {res['default'][1]:5.0f}ms")
    early = np.array([r[2]["earlier"][0] for r in rows])
    now = np.array([r[2]["default"][0] for r in rows])
    print(f"{'mean / largest over the group':<70} {early.mean():10.1f}ms {now.mean():10.1f}ms  (largest: "
          f"earlier {early.max():.1f}, default {now.max():.1f} ms)")
    return now


def main():
    from cmr import sync

    try:
        next(iter(example_pairs(NOTEBOOK_PAIRS[:1])))
    except (FileNotFoundError, ValueError) as exc:
        print(f"eval_sync_rendered: SKIPPED, example audio not available ({exc})")
        return None
    start = time.perf_counter()
    sync.sync_audio_audio(np.sin(np.arange(22050) * 0.1), np.sin(np.arange(22050) * 0.1), 22050)  # compile
    nb = print_rows("1. notebook 02, section 6", evaluate(example_pairs(NOTEBOOK_PAIRS)))
    print_rows("2. other example pairs", evaluate(example_pairs(OTHER_PAIRS)))
    print_rows("3. toy pieces, piano vs string ensemble with a tempo curve", evaluate(toy_pairs()))
    met = bool(np.all(nb <= 50.0))
    print(f"\nnotebook pairs all <= 50 ms with the defaults: {'MET' if met else 'NOT MET'} "
          f"(largest {nb.max():.1f} ms); {time.perf_counter() - start:.0f} s")
    return nb


if __name__ == "__main__":
    main()
    sys.exit(0)
