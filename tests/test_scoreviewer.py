"""Score Viewer: engraved measures, measure start times, the measure sounding at a time."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import scoreviewer as sv
from cmr import symbolic, synth


@pytest.fixture(scope="module")
def chorale():
    engraved = sv.engrave("bach/bwv66.6")
    version = synth.Version(tempo_factor=1.2, tempo_curve=((0, 1.0), (20, 0.7), (36, 1.3)))
    rendering = synth.render("bach/bwv66.6", version)
    return engraved, rendering


def test_engraved_measures_follow_the_score(chorale):
    engraved, _ = chorale
    ms = symbolic.measure_starts("bach/bwv66.6")
    # verovio's timemap and music21 agree on where every measure starts (in beats)
    assert np.allclose(engraved.measures["start_beat"].to_numpy(), ms["start_beat"].to_numpy())
    assert engraved.measures["page"].between(1, engraved.n_pages).all()
    svg = engraved.svg(3)
    assert svg.startswith("<svg") and f"g#{engraved.measures.svg_id[3]}" in svg
    with pytest.raises(ValueError, match="measure_index"):
        engraved.svg(len(engraved.measures))


def test_measure_at_time_equals_ground_truth(chorale):
    engraved, rendering = chorale
    starts = sv.measure_times(engraved.measures["start_beat"].to_numpy(), rendering.beat_to_time)
    truth = rendering.measure_times
    assert np.allclose(starts, truth["start"].to_numpy(), atol=1e-6)
    # every rendered note lies in the measure the viewer highlights at its onset + 10 ms
    notes = rendering.notes
    shown = sv.measure_at(notes["start"].to_numpy() + 0.01, starts)
    expected = engraved.measures["index"].to_numpy()[
        np.searchsorted(engraved.measures["start_beat"].to_numpy(), notes["start_beat"].to_numpy(), side="right") - 1]
    assert np.array_equal(shown, expected)


def test_measure_at_edges():
    starts = np.array([0.0, 1.0, 2.5])
    assert sv.measure_at(-1.0, starts) == 0
    assert sv.measure_at(1.0, starts) == 1
    assert sv.measure_at(99.0, starts) == 2
    assert list(sv.measure_at([0.5, 2.0, 3.0], starts)) == [0, 1, 2]
    with pytest.raises(ValueError, match="starts_seconds"):
        sv.measure_at(1.0, [])
    with pytest.raises(ValueError, match="non-decreasing"):
        sv.measure_times([0.0, 4.0, 2.0], lambda b: b)


def test_followed_measures_match_ground_truth_within_one_measure(chorale):
    """With the DTW score-audio alignment (not the truth), the highlighted measure is right
    everywhere except within one measure around a boundary."""
    engraved, rendering = chorale
    _, starts, _ = sv.follow("bach/bwv66.6", rendering.audio, rendering.sr, engraved=engraved)
    true_starts = rendering.measure_times["start"].to_numpy()
    t = np.arange(0.0, rendering.duration - 1.0, 0.05)
    shown = sv.measure_at(t, starts)
    truth = sv.measure_at(t, true_starts)
    assert np.all(np.abs(shown - truth) <= 1)
    # and it is exactly right for the vast majority of the time
    assert np.mean(shown == truth) > 0.9
    # measure starts themselves are found to within 100 ms on average
    assert np.mean(np.abs(starts - true_starts)[1:]) < 0.1


def test_measure_numbers_as_printed(chorale):
    engraved, _ = chorale
    # BWV 66.6 starts with a pickup, printed as measure 0
    assert list(engraved.measures["number"][:3]) == [0, 1, 2]


def test_separation_player_names_rate_and_response(monkeypatch):
    """The separation widget labels parts, plays at the requested rate and reacts to its controls."""
    import cmr.plot
    from cmr.separation import Separation
    from cmr.widgets.scoreviewer import separation_player

    played = []

    class FakePlayer:
        def __init__(self, y, sr):
            played.append((sr, len(y), float(np.max(y))))

        def _repr_html_(self):
            return f"<audio>{len(played)}</audio>"

    monkeypatch.setattr(cmr.plot, "audio", lambda y, sr, **kw: FakePlayer(y, sr))
    sr = 8000
    t = np.arange(sr) / sr
    parts = {0: np.sin(2 * np.pi * 440 * t).astype(np.float32),
             1: 0.5 * np.sin(2 * np.pi * 220 * t).astype(np.float32)}
    s = Separation(parts=[0, 1], audio=parts, masks=np.zeros((2, 3, 4), np.float32), sr=sr, hop_length=512)
    w = separation_player(s, parts[0] + parts[1], references=parts, part_names={0: "high", 1: "low"},
                          play_sr=4000)
    menu, gain = w.children[0].children
    out = w.children[1]
    assert [label for label, _ in menu.options] == ["high", "low"]
    assert "separated part high" in out.value and out.value.count("<audio>") == 3
    # three players (part, true stem, remix), each resampled to 4000 Hz: half the samples
    assert [(r, n) for r, n, _ in played] == [(4000, sr // 2)] * 3
    played.clear()
    menu.value = 1
    assert "separated part low" in out.value
    assert played[0][2] == pytest.approx(0.5, abs=0.02)          # now the quieter part
    played.clear()
    gain.value = 0.0
    assert "x 0.00" in out.value
    # remix with the low part muted = the high part alone
    assert played[-1][2] == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="play_sr"):
        separation_player(s, parts[0], play_sr=0)


def test_score_viewer_follows_slider_and_plays_from_measure(chorale):
    """Moving the time slider moves the red measure; 'play from measure' jumps and gives a player."""
    from cmr.widgets.scoreviewer import score_viewer

    engraved, rendering = chorale
    starts = rendering.truth.measure_times["start"].to_numpy()
    w = score_viewer(engraved, starts, rendering.audio, rendering.sr, title="test")
    slider = w.children[0].children[1]
    info, page = w.children[1], w.children[2]
    choose, play = w.children[3].children
    audio_out = w.children[4]
    first_page = page.value
    k = 5
    slider.value = float(starts[k] + 0.1)
    numbers = engraved.measures["number"].to_numpy()
    assert f"measure {numbers[k]} ({k + 1} of" in info.value
    assert page.value != first_page and engraved.measures["svg_id"].iloc[k] in page.value
    choose.value = 3
    play.click()
    assert slider.value == pytest.approx(starts[3])
    assert "<audio" in audio_out.value
