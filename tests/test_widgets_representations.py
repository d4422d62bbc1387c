"""Widgets of notebook 00 react to their controls and play audio through HTML widgets."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from cmr.widgets.representations import motif_explorer, version_explorer  # noqa: E402


def _notes():
    # a three-note motif at beat 0 and, a fifth higher, at beat 4
    rows = [(0.0, 60), (1.0, 62), (2.0, 64), (4.0, 67), (5.0, 69), (6.0, 71)]
    return pd.DataFrame({"start_beat": [b for b, _ in rows], "end_beat": [b + 1 for b, _ in rows],
                         "pitch": [p for _, p in rows], "velocity": 80, "part": 0})


def test_motif_explorer_player_follows_the_slider():
    w = motif_explorer(_notes(), [(0.0, 60), (1.0, 62), (2.0, 64)], bpm=240)
    shift, show_all = w.children[0].children
    player = w.children[2]
    assert "<audio" in player.value and "+0 semitones" in player.value
    first = player.value
    shift.value = 7
    assert "+7 semitones" in player.value and player.value != first
    show_all.value = True  # must not raise


def test_version_explorer_switches_piece_and_version():
    w = version_explorer("bach-bwv846", seconds=2)
    piece, version, start = w.children[0].children
    player = w.children[2]
    first = player.value
    assert "<audio" in first
    version.value = version.options[1]
    assert player.value != first
    other = next(p for p in piece.options if p != "bach-bwv846")
    piece.value = other
    assert version.value == version.options[0]
    start.value = 5.0
    assert "<audio" in player.value
