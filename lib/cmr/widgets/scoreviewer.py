"""Widgets for notebook 07: the Score Viewer and the separation player."""
from __future__ import annotations

import numpy as np


def score_viewer(engraved, starts_seconds, y, sr: int, title: str = ""):
    """An engraved score whose current measure follows a time slider.

    Parameters
    ----------
    engraved : cmr.scoreviewer.EngravedScore
    starts_seconds : np.ndarray, shape (M,), start time of each measure in the recording
    y : np.ndarray, shape (n,), the recording
    sr : int, sample rate in Hz

    The slider (or its play button, which advances it in real time) sets the
    time; the page that holds the sounding measure is shown with that
    measure in red. "Play from measure" plays the recording from the start
    of the chosen measure.
    """
    import ipywidgets as W

    from .. import plot
    from ..scoreviewer import measure_at

    duration = len(y) / sr
    step = 0.25
    time_slider = W.FloatSlider(value=0.0, min=0.0, max=round(duration, 2), step=step,
                                description="time (s)", continuous_update=True,
                                layout=W.Layout(width="70%"), readout_format=".2f")
    player = W.Play(value=0, min=0, max=int(np.ceil(duration / step)), step=1,
                    interval=int(step * 1000), description="play")
    player.observe(lambda ch: setattr(time_slider, "value", min(duration, ch["new"] * step)), names="value")
    info = W.HTML()
    page = W.HTML(layout=W.Layout(width="100%", overflow="auto"))
    numbers = engraved.measures["number"].to_numpy()
    choose = W.Dropdown(options=[(f"measure {numbers[i]}", i) for i in range(len(starts_seconds))],
                        description="measure")
    play_button = W.Button(description="play from measure", icon="play")
    audio_out = W.HTML()  # an <audio> element, not an Audio object in an Output (see separation_player)

    def redraw(*_):
        t = time_slider.value
        m = measure_at(t, starts_seconds)
        row = engraved.measures.iloc[m]
        info.value = (f"<b>{title}</b> t = {t:.2f} s &nbsp; measure {numbers[m]} "
                      f"({m + 1} of {len(engraved.measures)}) "
                      f"(starts at {starts_seconds[m]:.2f} s) &nbsp; page {int(row['page'])} of {engraved.n_pages}")
        page.value = engraved.svg(m)

    def play_from(_):
        m = choose.value
        time_slider.value = float(min(duration, starts_seconds[m]))
        audio_out.value = plot.audio(y, sr, start=float(starts_seconds[m]), duration=20.0)._repr_html_()

    time_slider.observe(redraw, names="value")
    play_button.on_click(play_from)
    redraw()
    return W.VBox([W.HBox([player, time_slider]), info, page, W.HBox([choose, play_button]), audio_out])


def separation_player(separation, mixture, references=None, part_names=None, play_sr=None):
    """Choose a part and a gain; hear the separated part and the edited mix.

    Parameters
    ----------
    separation : cmr.separation.Separation
    mixture : np.ndarray, the original recording
    references : optional dict part -> true stem, to compare with the truth
    part_names : optional dict part -> name shown in the menu (default: the part label)
    play_sr : optional int, sample rate of the players in Hz (default: ``separation.sr``);
        a lower rate keeps a saved notebook small
    """
    import html as _html

    import ipywidgets as W

    from .. import plot
    from ..separation import remix

    names = {p: str(p) for p in separation.parts}
    if part_names is not None:
        names.update({p: str(n) for p, n in dict(part_names).items() if p in names})
    part = W.Dropdown(options=[(names[p], p) for p in separation.parts], description="part")
    gain = W.FloatSlider(value=2.0, min=0.0, max=4.0, step=0.25, description="gain of part")
    # players as HTML (<audio> elements with the data inline): Audio objects displayed inside an
    # Output widget can keep headless execution waiting (jupyter/nbconvert#2029)
    out = W.HTML()
    sr = separation.sr
    out_sr = sr if play_sr is None else int(play_sr)
    if out_sr <= 0:
        raise ValueError(f"separation_player: play_sr must be a positive rate in Hz, got {play_sr}")

    def play(x):
        x = np.asarray(x, dtype=np.float32)
        if out_sr != sr:
            from scipy.signal import resample_poly

            x = resample_poly(x, out_sr, sr).astype(np.float32)
        return plot.audio(x, out_sr, max_seconds=20)._repr_html_()

    def update(*_):
        name = _html.escape(names[part.value])
        pieces = [f"<div>separated part {name}:</div>", play(separation.audio[part.value])]
        if references is not None:
            pieces += [f"<div>true stem of part {name}:</div>", play(references[part.value])]
        pieces += [f"<div>mixture with part {name} x {gain.value:.2f}:</div>",
                   play(remix(separation, {part.value: gain.value}))]
        out.value = "".join(pieces)

    part.observe(update, names="value")
    gain.observe(update, names="value")
    update()
    return W.VBox([W.HBox([part, gain]), out])
