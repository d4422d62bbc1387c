"""Widgets for notebook 01 (chroma features)."""
from __future__ import annotations

import numpy as np


def chroma_explorer(versions: dict, sr: int, left: str | None = None, right: str | None = None, truths=None,
                    excerpt: float = 12.0, play_sr: int | None = None):
    """Chromagrams of two versions side by side, recomputed as you change the parameters.

    Controls: feature type (IIR filterbank, STFT, CQT), feature rate,
    log compression, frame normalisation, smoothing length (frames),
    CENS quantisation, and the excerpt shown and played.

    Parameters
    ----------
    versions : dict str -> np.ndarray, shape (n,)
        Audio of the versions to choose from (mono, sample rate ``sr``).
    sr : int, Hz
    left, right : str, optional
        Initially shown versions (default: the first two keys).
    truths : dict str -> cmr.synth.GroundTruth, optional
        When given, the mean cosine similarity of the two chromagrams at
        corresponding score positions is printed under the figure.
    excerpt : float
        Length in seconds of the excerpt drawn and played.
    play_sr : int, Hz, optional
        Sample rate of the players (default ``sr``). A lower rate, e.g.
        11025, halves the audio stored with the saved notebook.
    """
    from math import gcd

    import ipywidgets as W
    import matplotlib.pyplot as plt
    from scipy.signal import resample_poly

    from .. import chroma as ch
    from .. import plot
    from ..plot import chroma as cplot

    names = list(versions)
    if len(names) < 1:
        raise ValueError("chroma_explorer: versions must hold at least one audio signal")
    if play_sr is not None and (int(play_sr) != play_sr or play_sr < 1000):
        raise ValueError(f"play_sr: expected a sample rate in Hz >= 1000 or None, got {play_sr!r}")
    left = left or names[0]
    right = right or names[min(1, len(names) - 1)]
    style = {"description_width": "initial"}
    w_left = W.Dropdown(options=names, value=left, description="left", style=style)
    w_right = W.Dropdown(options=names, value=right, description="right", style=style)
    w_kind = W.Dropdown(options=[("IIR filterbank", "iir"), ("STFT", "stft"), ("CQT", "cqt")], value="iir",
                        description="feature", style=style)
    w_rate = W.Dropdown(options=[2, 5, 10, 20, 50], value=10, description="feature rate (Hz)", style=style)
    w_gamma = W.SelectionSlider(options=[("off", 0), ("1", 1), ("10", 10), ("100", 100), ("1000", 1000),
                                         ("10000", 10000)], value=0, description="log compression gamma",
                                continuous_update=False, style=style)
    w_norm = W.Dropdown(options=[("l2", "l2"), ("l1", "l1"), ("max", "max"), ("none", None)], value="l2",
                        description="normalisation", style=style)
    w_smooth = W.IntSlider(value=1, min=1, max=41, step=2, description="smoothing (frames)",
                           continuous_update=False, style=style)
    w_quant = W.Checkbox(value=False, description="CENS quantisation")
    longest = max(len(v) for v in versions.values()) / sr
    w_start = W.FloatSlider(value=0.0, min=0.0, max=max(0.0, longest - 1.0), step=0.5,
                            description="excerpt start (s)", continuous_update=False, style=style)
    fig_out = W.Output()
    info = W.HTML()
    # players as HTML widgets (an Audio display inside an Output widget can stall nbclient,
    # jupyter/nbclient#312, when the notebook is executed from a script)
    audio_left, audio_right = W.HTML(), W.HTML()
    cache: dict = {}

    def raw(name, kind, rate):
        key = (name, kind, rate)
        if key not in cache:
            C, r = ch.chroma(versions[name], sr, kind=kind, feature_rate=rate, tuning=0.0, norm=None)
            cache[key] = (C, r)
        return cache[key]

    def features(name):
        C, r = raw(name, w_kind.value, float(w_rate.value))
        if w_gamma.value:
            C = ch.log_compress(C, float(w_gamma.value), ref="max")
        if w_quant.value:
            C, _ = ch.cens(C, r, smooth_len=w_smooth.value, downsample=1)
        else:
            C = ch.normalize(C, w_norm.value) if w_smooth.value == 1 else ch.smooth(C, w_smooth.value, w_norm.value)
        return C, r

    def update(*_):
        a, b = w_left.value, w_right.value
        (CA, ra), (CB, rb) = features(a), features(b)
        t0 = w_start.value
        with fig_out:
            fig_out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(11, 2.8), constrained_layout=True, sharey=True)
            vmax = None if w_norm.value is not None or w_quant.value else max(CA.max(), CB.max())
            for ax, C, r, name in ((axes[0], CA, ra, a), (axes[1], CB, rb, b)):
                cplot.chromagram(C, r, ax=ax, title=name, colorbar=False, vmax=vmax)
                ax.set_xlim(t0 - 0.5 / r, t0 + excerpt)
            plt.show()
            plt.close(fig)
        text = (f"{w_kind.value.upper()} chroma at {ra:.2f} Hz; each frame summarises about "
                f"{w_smooth.value / ra:.2f} s" + (" (smoothing window)" if w_smooth.value > 1 else ""))
        if truths is not None and a in truths and b in truths and ra == rb:
            sim = ch.aligned_similarity(CA, CB, ra, truths[a], truths[b])
            text += f"<br><b>mean cosine similarity at corresponding score positions: {sim:.3f}</b>"
        info.value = text
        for box, name in ((audio_left, a), (audio_right, b)):
            clip = np.asarray(versions[name][int(round(t0 * sr)):int(round((t0 + excerpt) * sr))], np.float32)
            if play_sr and int(play_sr) != sr:
                g = gcd(int(play_sr), int(sr))
                clip = resample_poly(clip, int(play_sr) // g, int(sr) // g).astype(np.float32)
            player = plot.audio(clip, int(play_sr or sr))
            end = min(t0 + excerpt, len(versions[name]) / sr)
            box.value = f"<b>{name}</b>, {t0:.1f}-{end:.1f} s<br>{player._repr_html_()}"

    for w in (w_left, w_right, w_kind, w_rate, w_gamma, w_norm, w_smooth, w_quant, w_start):
        w.observe(update, names="value")
    update()
    controls = W.VBox([W.HBox([w_left, w_right, w_kind]), W.HBox([w_rate, w_norm, w_quant]),
                       W.HBox([w_gamma, w_smooth]), w_start])
    return W.VBox([controls, fig_out, info, W.HBox([audio_left, audio_right])])
