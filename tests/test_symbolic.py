"""cmr.symbolic: note tables from scores, piano rolls, motif search, engraving."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from music21 import chord, dynamics, meter, note, stream, tie

from cmr import symbolic


def small_score():
    """Measure 0 is a pickup of one beat; ties, a chord, a grace note and dynamics."""
    s = stream.Score()
    p = stream.Part()
    p.partName = "Upper"
    m0 = stream.Measure(number=0)
    m0.append(meter.TimeSignature("3/4"))
    m0.append(dynamics.Dynamic("p"))
    m0.append(note.Note("G4", quarterLength=1))
    m0.paddingLeft = 2.0
    m1 = stream.Measure(number=1)
    n1 = note.Note("C5", quarterLength=2)
    n1.tie = tie.Tie("start")
    m1.append(n1)
    g = note.Note("D5").getGrace()
    m1.append(g)
    m1.append(chord.Chord(["E4", "G4"], quarterLength=1))
    m2 = stream.Measure(number=2)
    n2 = note.Note("C5", quarterLength=1)
    n2.tie = tie.Tie("stop")
    m2.append(dynamics.Dynamic("f"))
    m2.append(n2)
    m2.append(note.Note("D5", quarterLength=2))
    for m in (m0, m1, m2):
        p.append(m)
    s.insert(0, p)
    return s


def test_score_notes_merges_ties_drops_grace_notes_and_reads_dynamics():
    df = symbolic.score_notes(small_score())
    got = list(df[["start_beat", "end_beat", "pitch", "velocity", "measure"]].itertuples(index=False, name=None))
    p, f = symbolic.DYNAMIC_VELOCITY["p"], symbolic.DYNAMIC_VELOCITY["f"]
    assert got == [(0.0, 1.0, 67, p, 0), (1.0, 5.0, 72, p, 1), (3.0, 4.0, 64, p, 1), (3.0, 4.0, 67, p, 1),
                   (5.0, 7.0, 74, f, 2)]
    assert (df["part"] == 0).all() and (df["voice"] == "Upper").all()
    ms = df.attrs["measure_starts"]
    assert list(ms["measure"]) == [0, 1, 2]
    assert list(ms["start_beat"]) == [0.0, 1.0, 4.0]
    assert df.attrs["end_beat"] == 7.0


def test_corpus_score_has_expected_shape():
    df = symbolic.score_notes("bach/bwv846")
    # the C major prelude: 35 measures of 4/4 written as 2 parts, first note C4
    assert df.attrs["end_beat"] == 4 * len(df.attrs["measure_starts"])
    assert df["pitch"].iloc[0] == 60
    assert df["start_beat"].is_monotonic_increasing


def test_piano_roll_toy():
    notes = pd.DataFrame({"start_beat": [0.0, 0.5, 1.0], "end_beat": [1.0, 1.0, 2.0], "pitch": [60, 62, 60],
                          "velocity": [127, 64, 127]})
    roll = symbolic.piano_roll(notes, resolution=2, pitch_range=(60, 63))
    expected = np.array([[1, 1, 1, 1], [0, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(roll, expected)
    vel = symbolic.piano_roll(notes, resolution=2, pitch_range=(60, 63), weight="velocity")
    assert vel[2, 1] == pytest.approx(64 / 127)
    with pytest.raises(ValueError, match="pitch_range"):
        symbolic.piano_roll(notes, pitch_range=(70, 60))


def test_find_motif_with_and_without_transposition():
    # motif C-D-E (eighths) at beat 0, transposed up a fifth at beat 4, and a near miss at beat 8
    rows = [(0, 60), (0.5, 62), (1, 64), (4, 67), (4.5, 69), (5, 71), (8, 60), (8.5, 62), (9, 63), (4, 48)]
    notes = pd.DataFrame({"start_beat": [r[0] for r in rows], "end_beat": [r[0] + 0.5 for r in rows],
                          "pitch": [r[1] for r in rows], "part": 0})
    motif = [(0, 60), (0.5, 62), (1, 64)]
    hits = symbolic.find_motif(notes, motif)
    assert list(zip(hits["start_beat"], hits["shift"])) == [(0.0, 0), (4.0, 7)]
    assert hits["note_index"].iloc[1] == (3, 4, 5)
    exact = symbolic.find_motif(notes, motif, transpositions=False)
    assert list(exact["start_beat"]) == [0.0]
    # a motif split over two parts counts only when within_part is False
    split = notes.assign(part=[0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert list(symbolic.find_motif(split, motif)["start_beat"]) == [4.0]
    across = symbolic.find_motif(split, motif, within_part=False)
    assert list(across["start_beat"]) == [0.0, 4.0] and set(across["part"]) == {-1}
    # doubled parts each give an occurrence
    doubled = pd.concat([notes, notes.assign(part=1)], ignore_index=True)
    both = symbolic.find_motif(doubled, motif)
    assert list(zip(both["start_beat"], both["part"])) == [(0.0, 0), (0.0, 1), (4.0, 0), (4.0, 1)]


def test_load_score_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-work"):
        symbolic.load_score("no-such-work-xyz")
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<score-partwise><part id='P1'>")
    with pytest.raises(ValueError, match="bad.musicxml"):
        symbolic.load_score(bad)
    empty = tmp_path / "empty.mid"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        symbolic.load_score(empty)
    with pytest.raises(TypeError):
        symbolic.load_score(42)


def test_render_svg_and_musicxml():
    svg = symbolic.render_svg(small_score())
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:500]
    assert svg.count("class=\"note\"") >= 5
    xml = symbolic.to_musicxml(small_score())
    assert "<score-partwise" in xml and "<step>C</step>" in xml


def test_midi_events_order_and_deltas():
    notes = pd.DataFrame({"start_beat": [0.0, 1.0], "end_beat": [1.0, 2.0], "pitch": [60, 62], "velocity": [90, 80],
                          "part": [0, 0]})
    ev = symbolic.midi_events(notes, bpm=120, ticks_per_beat=480)
    assert list(ev["type"]) == ["note_on", "note_off", "note_on", "note_off"]
    assert list(ev["tick"]) == [0, 480, 480, 960]
    assert list(ev["delta"]) == [0, 480, 0, 480]
    np.testing.assert_allclose(ev["seconds"], [0, 0.5, 0.5, 1.0])
