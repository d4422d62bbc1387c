"""Widgets for notebook 00 (music representations)."""
from __future__ import annotations

import numpy as np


def version_explorer(piece: str | None = None, seconds: float = 10.0):
    """Pick a piece and a version of the example set: see waveform + spectrogram with the true notes, listen.

    Parameters
    ----------
    piece : str, optional, initial piece id (see :func:`cmr.audio.examples`)
    seconds : float, length of the excerpt drawn and played (at most 30)
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt

    from .. import audio, plot
    from ..plot import representations as rp
    from ..synth import load_example_truth

    ex = audio.examples()
    pieces = list(dict.fromkeys(ex["piece"]))
    piece = piece if piece in pieces else pieces[0]
    style = {"description_width": "initial"}
    w_piece = W.Dropdown(options=pieces, value=piece, description="piece", style=style)
    w_version = W.Dropdown(options=list(ex.loc[ex["piece"] == piece, "version"]), description="version", style=style)
    w_start = W.FloatSlider(value=0.0, min=0.0, max=20.0, step=1.0, description="start (s)",
                            continuous_update=False, style=style)
    out = W.Output()
    # the player is an HTML widget (an <audio> element with the data inline): an Audio object
    # displayed inside an Output widget can keep headless execution waiting (jupyter/nbconvert#2029)
    player = W.HTML()

    def draw(*_):
        row = ex[(ex["piece"] == w_piece.value) & (ex["version"] == w_version.value)]
        if row.empty:
            return
        row = row.iloc[0]
        y = audio.load_example(row["piece"], row["version"])
        g = load_example_truth(row["piece"], row["version"])
        sr = audio.DEFAULT_SR
        a = int(w_start.value * sr)
        seg = y[a:a + int(min(seconds, 30.0) * sr)]
        notes = g.notes.copy()
        notes["start"] -= w_start.value
        notes["end"] -= w_start.value
        notes = notes[notes["end"] > 0]
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, gridspec_kw={"height_ratios": [1, 2.5]})
            rp.waveform_spectrogram(seg, sr, notes=notes, axes=axes,
                                    title=f"{row['title']} | {row['version']}: {row['description']}")
            axes[1].set_xlabel(f"time (s) from {w_start.value:.0f} s")
            plt.show()
            snr = row["snr_db"]
            noise = "no added noise" if snr is None or not np.isfinite(snr) else f"noise at SNR {snr:g} dB"
            print(f"tempo factor {row['tempo_factor']}, transpose {row['transpose']:+d} semitones, "
                  f"tuning {row['tuning_cents']:+.0f} cents, programs {row['programs']}, "
                  f"reverb {row['reverb']}, {noise}; {len(g.notes)} notes, {row['duration']:.1f} s")
        player.value = plot.audio(seg, sr)._repr_html_()

    def on_piece(change):
        versions = list(ex.loc[ex["piece"] == change["new"], "version"])
        w_version.unobserve(draw, "value")
        w_version.options = versions
        w_version.value = versions[0]
        w_version.observe(draw, "value")
        draw()

    w_piece.observe(on_piece, "value")
    w_version.observe(draw, "value")
    w_start.observe(draw, "value")
    box = W.VBox([W.HBox([w_piece, w_version, w_start]), out, player])
    draw()
    return box


def motif_explorer(notes, motif, part_names=None, measure_lines=None, bpm: float = 120.0, program: int = 0):
    """Search a motif in a note table at a chosen transposition; the hits are highlighted, the motif is played.

    Parameters
    ----------
    notes : pd.DataFrame with ``start_beat``, ``end_beat``, ``pitch``, ``part``
    motif : list of (beat_offset, pitch)
    part_names : list of str, optional
    measure_lines : array-like of beats, optional
    bpm : float, tempo of the motif played back
    program : int, General MIDI program of the playback
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    import pandas as pd

    from .. import plot, symbolic
    from ..plot import representations as rp
    from ..synth import Version, render

    all_hits = symbolic.find_motif(notes, motif, transpositions=True)
    style = {"description_width": "initial"}
    w_shift = W.IntSlider(value=0, min=-12, max=12, description="transposition (semitones)",
                          continuous_update=False, style=style)
    w_all = W.Checkbox(value=False, description="show every transposition")
    out = W.Output()
    player = W.HTML()  # HTML, not an Audio object in the Output (see version_explorer)
    offs = [float(o) for o, _ in motif]
    base = min(offs)

    def draw(*_):
        hits = all_hits if w_all.value else all_hits[all_hits["shift"] == w_shift.value]
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(11, 4))
            rp.piano_roll(notes, ax=ax, highlight=list(hits["note_index"]),
                          highlight_labels=[f"{s:+d}" for s in hits["shift"]], part_names=part_names,
                          measure_lines=measure_lines, alpha=0.5,
                          title=f"{len(hits)} occurrence(s)" + ("" if w_all.value else f" at shift {w_shift.value:+d}"))
            plt.show()
            counts = all_hits["shift"].value_counts().sort_index()
            print("occurrences per transposition:", ", ".join(f"{k:+d}: {v}" for k, v in counts.items()))
            m = pd.DataFrame({"start_beat": [o - base for o in offs],
                              "end_beat": [o - base for o in offs[1:]] + [offs[-1] - base + 1.0],
                              "pitch": [int(p) + w_shift.value for _, p in motif], "velocity": 90, "part": 0})
        r = render(m, Version(bpm=bpm, programs=program, tail=0.6))
        player.value = f"<div>the motif at {w_shift.value:+d} semitones:</div>" + plot.audio(r.audio, r.sr)._repr_html_()

    w_shift.observe(draw, "value")
    w_all.observe(draw, "value")
    box = W.VBox([W.HBox([w_shift, w_all]), out, player])
    draw()
    return box
