"""Widgets for notebook 02: explore a warping path, and the Interpretation Switcher."""
from __future__ import annotations

import time

import numpy as np

STEP_CHOICES = {
    "classic (1,1),(1,0),(0,1)": (((1, 1), (1, 0), (0, 1)), (1.0, 1.0, 1.0)),
    "classic, diagonal weight 2": (((1, 1), (1, 0), (0, 1)), (2.0, 1.0, 1.0)),
    "tempo-bounded (1,1),(2,1),(1,2)": (((1, 1), (2, 1), (1, 2)), (1.0, 1.0, 1.0)),
}
FEATURE_CHOICES = {
    "chroma, cosine": ("chroma", "cosine"),
    "log chroma, Euclidean": ("log", "euclidean"),
    "log chroma + onsets, Euclidean": ("log+onsets", "euclidean"),
    "log chroma + pitch onsets (sync_audio_audio default)": ("log+pitch", "euclidean"),
}


def _clip_player(y, sr, start, seconds, autoplay=False):
    """An IPython Audio object for ``seconds`` of ``y`` from ``start`` (normalised unless silent)."""
    from IPython.display import Audio

    a = max(0, int(round(start * sr)))
    clip = np.asarray(y[a: a + int(round(seconds * sr))], dtype=np.float32)
    if clip.size == 0 or not np.any(clip):
        clip = np.zeros(max(1, sr // 10), dtype=np.float32)
        return Audio(clip, rate=sr, normalize=False, autoplay=autoplay)
    return Audio(clip, rate=sr, normalize=True, autoplay=autoplay)


def _player_html(label, y, sr, start, seconds, autoplay=False) -> str:
    """HTML of a labelled audio player.

    Players live in ``HTML`` widgets rather than being displayed inside an
    ``Output`` widget: an Audio display inside an Output widget can stall
    nbclient when a notebook is executed from a script (jupyter/nbclient#312).
    """
    return f"{label}<br>{_clip_player(y, sr, start, seconds, autoplay=autoplay)._repr_html_()}"


def path_explorer(examples: dict, sr: int, a: str | None = None, b: str | None = None, listen_seconds: float = 4.0):
    """Explore DTW between two rendered versions: features, rate, step sizes, band, position.

    Shows the cost matrix with the DTW path and the true path from the
    rendering's ground truth, prints the error at the note onsets of A, and
    plays ``listen_seconds`` of A from the chosen position together with B
    from the position the path maps it to.

    Parameters
    ----------
    examples : dict str -> (np.ndarray, cmr.synth.GroundTruth)
        Audio (mono, ``sr``) and ground truth of each version of one piece.
    sr : int
    a, b : str, optional
        Versions shown first.
    listen_seconds : float
        Length of the two audio excerpts.
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt

    from .. import chroma as ch
    from .. import dtw, sync, synth
    from ..plot import dtw as dplot

    names = list(examples)
    if len(names) < 2:
        raise ValueError("path_explorer: examples must hold at least two versions")
    a = a or names[0]
    b = b or names[1]
    style = {"description_width": "initial"}
    w_a = W.Dropdown(options=names, value=a, description="version A", style=style)
    w_b = W.Dropdown(options=names, value=b, description="version B", style=style)
    w_feat = W.Dropdown(options=list(FEATURE_CHOICES), value="log chroma + onsets, Euclidean",
                        description="features", style=style)
    w_rate = W.Dropdown(options=[5, 10, 25, 50], value=10, description="feature rate (Hz)", style=style)
    w_steps = W.Dropdown(options=list(STEP_CHOICES), value=list(STEP_CHOICES)[0], description="step sizes",
                         style=style)
    w_band = W.Dropdown(options=[("none", 0.0), ("0.5 s", 0.5), ("2 s", 2.0), ("5 s", 5.0)], value=0.0,
                        description="Sakoe-Chiba band", style=style)
    w_pos = W.FloatSlider(value=5.0, min=0.0, max=30.0, step=0.5, description="position in A (s)",
                          continuous_update=False, style=style, layout=W.Layout(width="420px"))
    out = W.Output()
    audio_a, audio_b = W.HTML(), W.HTML()
    chroma_cache: dict = {}
    onset_cache: dict = {}
    shift_cache: dict = {}

    def raw_chroma(name):
        if name not in chroma_cache:
            C, _ = ch.chroma(examples[name][0], sr, kind="iir", feature_rate=50.0, norm=None)
            chroma_cache[name] = np.maximum(C, 0)
        return chroma_cache[name]

    def pitch_onsets(name, shift):
        # the onsets sync_audio_audio uses by default, computed once per version
        if name not in onset_cache:
            onset_cache[name] = sync._audio_chroma(examples[name][0], sr, name, "pitch")[2]
        return np.roll(onset_cache[name], shift, axis=0)

    def features(C, kind, rate, name, shift=0):
        if kind == "chroma":  # raw chroma energies averaged to the rate (cosine normalises them)
            factor = int(round(50.0 / rate))
            return sync._block_mean(C, factor), (factor - 1) / 100.0
        if kind == "log+pitch":
            X, _, off = sync.sync_features(C, 50.0, rate, onset_weight=4.0, onsets=pitch_onsets(name, shift),
                                           onset_norm="local")
            return X, off
        X, _, off = sync.sync_features(C, 50.0, rate, onset_weight=1.0 if kind == "log+onsets" else 0.0)
        return X, off

    def update(*_):
        va, vb = w_a.value, w_b.value
        (ya, ta), (yb, tb) = examples[va], examples[vb]
        rate = float(w_rate.value)
        kind, metric = FEATURE_CHOICES[w_feat.value]
        steps, weights = STEP_CHOICES[w_steps.value]
        w_pos.max = round(len(ya) / sr, 1)
        Ca, Cb = raw_chroma(va), raw_chroma(vb)
        if (va, vb) not in shift_cache:
            shift_cache[(va, vb)] = sync.estimate_shift(Ca, Cb, 50.0)[0]
        shift = shift_cache[(va, vb)]
        Xa, off = features(Ca, kind, rate, va)
        Xb, _ = features(np.roll(Cb, shift, axis=0), kind, rate, vb, shift)
        radius = int(round(w_band.value * rate))
        band = radius if radius > 0 else None
        with out:
            out.clear_output(wait=True)
            try:
                r = dtw.dtw(Xa, Xb, metric=metric, step_sizes=steps, weights=weights, band=band)
            except ValueError as exc:
                print(f"no path: {exc}")
                return
            path_s = off + r.path / rate
            C = dtw.cost_matrix(Xa, Xb, metric=metric)
            truth = synth.true_alignment(ta, tb, step=0.05)
            t_a = float(w_pos.value)
            t_b = sync.warp_time(path_s, t_a)
            fig, ax = plt.subplots(figsize=(6.2, 5))
            lo_hi = dtw.sakoe_chiba_band(*C.shape, radius) if band is not None else None
            dplot.cost_with_paths(C, rate, {"DTW path": r.path, "ground truth (s)": truth.T}, ax=ax,
                                  label_a=va, label_b=vb, band=lo_hi, marker=(t_a, t_b),
                                  title=f"cost matrix, shift {shift}, {r.n_cells:,} cells")
            plt.show()
            plt.close(fig)
            onsets = np.unique(ta.notes["start"].to_numpy())
            ref = synth.map_time(onsets, ta, tb)
            ok = np.isfinite(ref)
            if ok.any():
                print("error at the note onsets of A:", sync.alignment_errors(path_s, onsets[ok], ref[ok]))
            print(f"A at {t_a:.2f} s  ->  B at {t_b:.2f} s (ground truth "
                  f"{float(synth.map_time(np.array([t_a]), ta, tb)[0]):.2f} s)")
        audio_a.value = _player_html(f"<b>A</b>: {va} from {t_a:.1f} s", ya, sr, t_a, listen_seconds)
        audio_b.value = _player_html(f"<b>B</b>: {vb} from {t_b:.1f} s", yb, sr, t_b, listen_seconds)

    for w in (w_a, w_b, w_feat, w_rate, w_steps, w_band, w_pos):
        w.observe(update, names="value")
    update()
    controls = W.VBox([W.HBox([w_a, w_b]), W.HBox([w_feat, w_rate]), W.HBox([w_steps, w_band]), w_pos])
    return W.VBox([controls, out, W.HBox([audio_a, audio_b])])


def interpretation_switcher(versions: dict, sr: int, alignments: dict | None = None, reference: str | None = None,
                            clip_seconds: float = 25.0):
    """Play one version; on switching, continue with another version at the same musical position.

    All versions are aligned with a reference version once
    (:func:`cmr.sync.align_versions`); switching maps the current position
    from the old version to the reference and on to the new one
    (:func:`cmr.sync.map_between`).

    The kernel cannot see the browser's playhead (there is no audio API
    back channel in a plain notebook). The switcher therefore *estimates*
    it: it remembers when it started a clip and at which position, and
    adds the wall-clock time since. If you pause or seek in the player, the
    estimate is wrong; set the slider and press "play from slider" instead.

    Parameters
    ----------
    versions : dict str -> np.ndarray, shape (n,)
        Mono audio of each version at ``sr``.
    sr : int
    alignments : dict, optional
        Output of :func:`cmr.sync.align_versions` (computed when missing).
    reference : str, optional
        Reference version for the alignments.
    clip_seconds : float
        Each clip plays at most this long (players in the workbook stay short).
    """
    import ipywidgets as W

    from .. import sync

    names = list(versions)
    if not names:
        raise ValueError("interpretation_switcher: versions must hold at least one recording")
    if alignments is None:
        alignments = sync.align_versions(versions, sr, reference=reference)
    durations = {n: len(y) / sr for n, y in versions.items()}
    state = {"version": names[0], "offset": 0.0, "started": None, "mute": False}
    style = {"description_width": "initial"}
    w_version = W.ToggleButtons(options=names, value=names[0], description="version", style=style)
    w_pos = W.FloatSlider(value=0.0, min=0.0, max=round(durations[names[0]], 1), step=0.1,
                          description="position (s)", continuous_update=False, style=style,
                          layout=W.Layout(width="520px"))
    w_play = W.Button(description="play from slider", icon="play")
    w_stop = W.Button(description="stop", icon="stop")
    w_info = W.HTML()
    w_audio = W.HTML()

    def playhead() -> float:
        if state["started"] is None:
            return float(w_pos.value)
        elapsed = time.monotonic() - state["started"]
        return min(state["offset"] + min(elapsed, clip_seconds), durations[state["version"]])

    def play(name, t):
        state["version"], state["offset"], state["started"] = name, t, time.monotonic()
        w_audio.value = _player_html(f"<b>{name}</b> from {t:.1f} s", versions[name], sr, t, clip_seconds,
                                     autoplay=True)

    def set_slider(name, t):
        state["mute"] = True
        w_pos.max = round(durations[name], 1)
        w_pos.value = round(min(max(t, 0.0), durations[name]), 1)
        state["mute"] = False

    def on_switch(change):
        old, new = change["old"], change["new"]
        t_old = playhead()
        t_new = float(sync.map_between(alignments, old, new, t_old))
        was_playing = state["started"] is not None
        set_slider(new, t_new)
        w_info.value = (f"<b>{old}</b> at {t_old:.1f} s &rarr; <b>{new}</b> at {t_new:.1f} s"
                        + ("" if was_playing else " (press play)"))
        state["version"] = new
        if was_playing:
            play(new, t_new)

    def on_play(_):
        play(w_version.value, float(w_pos.value))
        w_info.value = f"playing <b>{w_version.value}</b> from {w_pos.value:.1f} s"

    def on_stop(_):
        t = playhead()
        state["started"] = None
        set_slider(w_version.value, t)
        w_audio.value = ""
        w_info.value = f"stopped at about {t:.1f} s of <b>{w_version.value}</b>"

    w_version.observe(on_switch, names="value")
    w_play.on_click(on_play)
    w_stop.on_click(on_stop)
    w_info.value = "choose a version, press play, then switch versions while it plays"
    return W.VBox([w_version, W.HBox([w_pos, w_play, w_stop]), w_info, w_audio])
