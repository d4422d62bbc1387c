"""Speed of score rendering (cmr.synth.render with the cmr.sf2 SoundFont player).

Prints, per score and version: audio seconds, notes, wall time of the
render (note table already parsed) and the real-time factor (audio seconds
per wall second), plus the one-off music21 parse time.
"""
from __future__ import annotations

import time

from cmr import symbolic
from cmr.synth import Version, render

CASES = [
    ("bach/bwv846", Version(name="piano", programs=0)),
    ("bach/bwv846", Version(name="strings+reverb+noise", programs=48, reverb=0.3, snr_db=20)),
    ("beethoven/opus18no1/movement1", Version(name="quartet", programs=(40, 40, 41, 42))),
    ("beethoven/opus18no1/movement1", Version(name="piano, rubato", programs=0,
                                              tempo_curve=((0, 0.9), (400, 1.1), (900, 0.8)))),
    ("chopin/mazurka06-2", Version(name="piano", programs=0, bpm=138)),
]


def main():
    render("bach/bwv66.6", Version(sections=((1, 2),)))  # compile / load numba cache once
    print(f"{'score':32s} {'version':24s} {'audio s':>8s} {'notes':>6s} {'parse s':>8s} {'render s':>9s} {'x real time':>11s}")
    parsed = {}
    for score, v in CASES:
        if score not in parsed:
            t = time.perf_counter()
            parsed[score] = symbolic.score_notes(score)
            parse = time.perf_counter() - t
        else:
            parse = float("nan")
        t = time.perf_counter()
        r = render(parsed[score], v)
        dt = time.perf_counter() - t
        print(f"{score:32s} {v.name:24s} {r.duration:8.1f} {len(r.notes):6d} {parse:8.2f} {dt:9.3f} {r.duration / dt:11.0f}")


if __name__ == "__main__":
    main()
