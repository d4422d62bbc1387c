"""Figures for notebook 01 (chroma features).

Display code only. Every time axis is in seconds, with frame ``n`` drawn
centred at ``n / feature_rate`` (the convention of :mod:`cmr.chroma`).
"""
from __future__ import annotations

import numpy as np

PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def note_name(midi: int) -> str:
    """'C4' style name of a MIDI pitch (60 = C4)."""
    return f"{PITCH_CLASSES[int(midi) % 12]}{int(midi) // 12 - 1}"


def _extent(n_frames: int, feature_rate: float, rows: int, first_row: float = 0.0):
    half = 0.5 / feature_rate
    return [-half, (n_frames - 0.5) / feature_rate, first_row - 0.5, first_row + rows - 0.5]


def chromagram(C, feature_rate: float, ax=None, title: str | None = None, cmap: str = "gray_r",
               vmin: float | None = 0.0, vmax: float | None = None, colorbar: bool = True, xlabel: bool = True):
    """Draw a (12, N) chroma matrix; time in seconds (frames centred), rows C..B.

    Values below zero (CRP) are drawn with a diverging colour map.
    """
    import matplotlib.pyplot as plt

    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"chromagram: C must have shape (12, N), got {C.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.5))
    if C.size and C.min() < 0:
        lim = float(np.abs(C).max()) or 1.0
        cmap, vmin, vmax = "RdBu_r", -lim, lim
    im = ax.imshow(C, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                   extent=_extent(C.shape[1], feature_rate, 12), interpolation="nearest")
    ax.set_yticks(range(12))
    ax.set_yticklabels(PITCH_CLASSES, fontsize=8)
    if xlabel:
        ax.set_xlabel("time (s)")
    ax.set_ylabel("chroma")
    if title:
        ax.set_title(title, fontsize=10)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, pad=0.01)
    return ax


def pitchgram(P, feature_rate: float, ax=None, title: str | None = None, first_pitch: int = 21,
              cmap: str = "gray_r", colorbar: bool = True, pitch_range: tuple | None = None):
    """Draw pitch features (p, N) with MIDI pitch on the y axis (C of every octave labelled)."""
    import matplotlib.pyplot as plt

    P = np.asarray(P)
    if P.ndim != 2:
        raise ValueError(f"pitchgram: P must have shape (pitches, N), got {P.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    im = ax.imshow(P, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest",
                   extent=_extent(P.shape[1], feature_rate, P.shape[0], first_pitch))
    cs = [p for p in range(first_pitch, first_pitch + P.shape[0]) if p % 12 == 0]
    ax.set_yticks(cs)
    ax.set_yticklabels([note_name(p) for p in cs], fontsize=8)
    if pitch_range is not None:
        ax.set_ylim(pitch_range[0] - 0.5, pitch_range[1] + 0.5)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("pitch")
    if title:
        ax.set_title(title, fontsize=10)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, pad=0.01)
    return ax


def spectrogram(y, sr: float, n_fft: int = 4096, hop_length: int = 512, fmax: float = 2000.0, ax=None,
                title: str | None = None, mark_pitches=None, db_range: float = 80.0):
    """Magnitude spectrogram in dB with a linear frequency axis up to ``fmax`` Hz.

    ``mark_pitches``: MIDI numbers drawn as horizontal lines at their
    frequencies (to show that semitones crowd together at low frequencies).
    """
    import librosa
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    S = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=n_fft, hop_length=hop_length))
    S_db = librosa.amplitude_to_db(S, ref=np.max(S) if S.size and S.max() > 0 else 1.0, top_db=db_range)
    kmax = int(np.ceil(fmax * n_fft / sr)) + 1
    df = sr / n_fft
    im = ax.imshow(S_db[:kmax], origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
                   extent=[-0.5 * hop_length / sr, (S.shape[1] - 0.5) * hop_length / sr, -0.5 * df,
                           (kmax - 0.5) * df])
    if mark_pitches is not None:
        for p in mark_pitches:
            f = 440.0 * 2 ** ((p - 69) / 12)
            if f < fmax:
                ax.axhline(f, color="w", lw=0.5, alpha=0.6)
    ax.set_ylim(0, fmax)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.colorbar(im, ax=ax, pad=0.01, label="dB")
    return ax


def filter_responses(pitches, sr: float = 22050.0, tuning_cents: float = 0.0, ax=None, title: str | None = None,
                     relative: bool = True):
    """Magnitude responses (forward-backward, dB) of some pitch filters of :mod:`cmr.filterbank`.

    With ``relative`` the x axis is the distance from each filter's centre
    in semitones, so filters of any register can be compared.
    """
    import matplotlib.pyplot as plt

    from .. import filterbank

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    for p in pitches:
        f, g, fs = filterbank.frequency_response(int(p), tuning_cents=tuning_cents, sr=sr, n=8192)
        fc = filterbank.pitch_frequency(p, tuning_cents)
        if relative:
            with np.errstate(divide="ignore"):
                x = 12 * np.log2(np.maximum(f, 1e-9) / fc)
            keep = np.abs(x) <= 3
            ax.plot(x[keep], g[keep], label=f"{note_name(p)} ({fc:.1f} Hz, run at {fs:.0f} Hz)")
        else:
            ax.plot(f, g, label=f"{note_name(p)} ({fc:.1f} Hz)")
    if relative:
        ax.set_xlabel("distance from the centre frequency (semitones)")
        for s in (-1, 1):
            ax.axvline(s, color="k", lw=0.5, ls=":")
    else:
        ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("gain (dB)")
    ax.set_ylim(-120, 5)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def chroma_grid(items, feature_rate=None, ncols: int = 2, width: float = 11.0, row_height: float = 2.2,
                sharex: bool = False):
    """Several chromagrams in a grid.

    Parameters
    ----------
    items : list of (C, feature_rate, title)
    """
    import matplotlib.pyplot as plt

    n = len(items)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, row_height * nrows), squeeze=False,
                             constrained_layout=True, sharex=sharex)
    for ax, (C, rate, title) in zip(axes.flat, items):
        chromagram(C, rate, ax=ax, title=title, colorbar=False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig


def shift_similarities(sims, ax=None, title: str | None = None):
    """Bar chart of a similarity for each of the 12 cyclic chroma shifts (best one highlighted)."""
    import matplotlib.pyplot as plt

    sims = np.asarray(sims, float)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.5))
    best = int(np.argmax(sims))
    colors = ["tab:red" if k == best else "tab:gray" for k in range(len(sims))]
    ax.bar(range(len(sims)), sims, color=colors)
    ax.set_xticks(range(len(sims)))
    ax.set_xlabel("cyclic shift k (semitones up)")
    ax.set_ylabel("mean cosine similarity")
    ax.set_ylim(0, 1.05)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
