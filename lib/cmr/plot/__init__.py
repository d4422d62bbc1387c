"""Figures and audio players shared by the notebooks.

Display code only: computation modules never import ``cmr.plot``. Topic
specific figures live in submodules (``cmr.plot.<topic>``); this file holds
what every notebook uses.
"""
from __future__ import annotations

import numpy as np

PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def audio(y, sr: int, start: float = 0.0, duration: float | None = None, max_seconds: float = 30.0):
    """An IPython audio player for ``y[start : start + duration]`` (seconds).

    The excerpt is cut to at most ``max_seconds`` (players in the workbook
    stay short) and peak-normalised by the player.
    """
    from IPython.display import Audio

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"audio: y must be mono with shape (n,), got shape {y.shape}")
    a = max(0, int(round(start * sr)))
    length = max_seconds if duration is None else min(duration, max_seconds)
    b = min(len(y), a + int(round(length * sr)))
    clip = y[a:b]
    if clip.size == 0 or not np.any(clip):
        clip = np.zeros(max(1, int(0.1 * sr)), dtype=np.float32)
        return Audio(clip, rate=sr, normalize=False)
    return Audio(clip, rate=sr, normalize=True)


def chromagram(C, feature_rate: float, ax=None, title: str | None = None, cmap: str = "gray_r",
               start_time: float = 0.0, colorbar: bool = True):
    """Draw a (12, N) chroma matrix with time in seconds on the x axis."""
    import matplotlib.pyplot as plt

    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"chromagram: C must have shape (12, N), got {C.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.5))
    n = C.shape[1]
    # frame k is centred at start_time + k / feature_rate (the cmr.chroma convention)
    half = 0.5 / feature_rate
    extent = [start_time - half, start_time + n / feature_rate - half, -0.5, 11.5]
    im = ax.imshow(C, origin="lower", aspect="auto", cmap=cmap, extent=extent, interpolation="nearest")
    ax.set_yticks(range(12))
    ax.set_yticklabels(PITCH_CLASSES)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("chroma")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, pad=0.01)
    return ax
