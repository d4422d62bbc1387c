"""The path explorer of notebook 02 reacts to its controls; its pitch-onset features beat plain chroma."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cmr import synth  # noqa: E402
from cmr.widgets.dtw import FEATURE_CHOICES, path_explorer  # noqa: E402

SR = 22050


@pytest.fixture(scope="module")
def piano_and_strings():
    notes = synth.random_piece(1, 16)
    a = synth.render(notes, synth.Version(name="piano", programs=0, bpm=100), sr=SR)
    b = synth.render(notes, synth.Version(name="strings", programs=48, bpm=92,
                                          tempo_curve=((0, 0.85), (8, 1.15), (20, 0.9))), sr=SR)
    return {"piano": (a.audio, a.truth), "strings": (b.audio, b.truth)}


def _mean_ms(text):
    found = re.findall(r"error at the note onsets of A: mean (\d+) ms", text)
    assert found, text
    return int(found[-1])


def test_path_explorer_pitch_onsets_at_50_hz_align_strings_better(piano_and_strings, capsys):
    w = path_explorer(piano_and_strings, SR, "piano", "strings")
    (va, vb), (feat, rate), (steps, band), pos = [getattr(c, "children", c) for c in w.children[0].children]
    assert "<audio" in w.children[2].children[0].value
    feat.value = "log chroma, Euclidean"
    plain = _mean_ms(capsys.readouterr().out)
    rate.value = 50
    feat.value = next(k for k, v in FEATURE_CHOICES.items() if v[0] == "log+pitch")
    onsets = _mean_ms(capsys.readouterr().out)
    # the slow string attack makes plain chroma late by more than a 10 Hz frame; the onsets fix most of it
    assert onsets < plain and onsets <= 60, (plain, onsets)
    first = w.children[2].children[1].value
    pos.value = 3.0
    assert w.children[2].children[1].value != first
