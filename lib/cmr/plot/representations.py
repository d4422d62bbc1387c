"""Figures for notebook 00 (music representations and retrieval scenarios).

Display code only: piano rolls (in beats or seconds, coloured by part, with
highlighted note groups), waveform + spectrogram with ground-truth notes,
tempo maps of several versions, and the map of retrieval scenarios.
"""
from __future__ import annotations

import numpy as np

PART_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def note_name(midi: int) -> str:
    """'C4' style name of a MIDI pitch (60 = C4)."""
    return f"{PITCH_CLASSES[int(midi) % 12]}{int(midi) // 12 - 1}"


def piano_roll(notes, ax=None, time: str = "beats", highlight=None, highlight_labels=None, title: str | None = None,
               pitch_range=None, part_names=None, alpha: float = 0.85, measure_lines=None):
    """Draw notes as bars: x = time, y = MIDI pitch, colour = part.

    Parameters
    ----------
    notes : pd.DataFrame with ``start_beat``/``end_beat`` (time='beats') or
        ``start``/``end`` (time='seconds'), ``pitch`` and optionally ``part``
    time : 'beats' or 'seconds'
    highlight : list of tuples of row labels, optional
        Groups of notes (e.g. motif occurrences from
        :func:`cmr.symbolic.find_motif`) drawn with a black frame and joined.
    highlight_labels : list of str, optional, one label per group
    pitch_range : (lo, hi), optional y limits in MIDI pitch
    part_names : list of str, optional legend labels per part number
    measure_lines : array-like, optional x positions of bar lines
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    if time not in ("beats", "seconds"):
        raise ValueError(f"piano_roll: time must be 'beats' or 'seconds', got {time!r}")
    s_col, e_col = ("start_beat", "end_beat") if time == "beats" else ("start", "end")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.5))
    parts = notes["part"].to_numpy() if "part" in notes else np.zeros(len(notes), dtype=int)
    for p in sorted(set(parts.tolist())):
        sel = notes[parts == p]
        rects = [Rectangle((s, pi - 0.4), e - s, 0.8) for s, e, pi in zip(sel[s_col], sel[e_col], sel["pitch"])]
        label = part_names[p] if part_names is not None and p < len(part_names) else f"part {p}"
        ax.add_collection(PatchCollection(rects, facecolor=PART_COLORS[p % len(PART_COLORS)], alpha=alpha,
                                          edgecolor="none", label=label))
        ax.plot([], [], color=PART_COLORS[p % len(PART_COLORS)], lw=6, label=label)
    if measure_lines is not None:
        for x in measure_lines:
            ax.axvline(x, color="0.8", lw=0.6, zorder=0)
    if highlight:
        for k, group in enumerate(highlight):
            g = notes.loc[list(group)]
            rects = [Rectangle((s, pi - 0.5), e - s, 1.0) for s, e, pi in zip(g[s_col], g[e_col], g["pitch"])]
            ax.add_collection(PatchCollection(rects, facecolor="none", edgecolor="black", lw=1.6))
            ax.plot(g[s_col], g["pitch"], color="black", lw=0.8)
            if highlight_labels is not None:
                ax.text(g[s_col].iloc[0], g["pitch"].max() + 1.2, highlight_labels[k], fontsize=7, ha="left")
    if len(notes):
        ax.set_xlim(float(notes[s_col].min()), float(notes[e_col].max()))
        lo, hi = pitch_range if pitch_range is not None else (notes["pitch"].min() - 2, notes["pitch"].max() + 3)
        ax.set_ylim(lo, hi)
        ticks = [p for p in range(int(lo), int(hi) + 1) if p % 12 == 0]
        ax.set_yticks(ticks)
        ax.set_yticklabels([note_name(p) for p in ticks])
    ax.set_xlabel("time (beats = quarter notes)" if time == "beats" else "time (s)")
    ax.set_ylabel("pitch")
    if title:
        ax.set_title(title, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    uniq = {l: h for h, l in zip(handles, labels) if h.__class__.__name__ == "Line2D"}
    if len(uniq) > 1:
        ax.legend(uniq.values(), uniq.keys(), fontsize=7, loc="upper right", ncol=len(uniq))
    return ax


def waveform_spectrogram(y, sr: int, notes=None, title: str | None = None, axes=None, max_seconds: float | None = None,
                         fmax: float = 4000.0):
    """Waveform (top) and log-frequency spectrogram (bottom), time in seconds.

    ``notes`` (ground truth with ``start``, ``end``, ``pitch``) are drawn
    over the spectrogram at their fundamental frequencies.
    """
    import librosa
    import matplotlib.pyplot as plt

    y = np.asarray(y, dtype=np.float32)
    if max_seconds is not None:
        y = y[: int(max_seconds * sr)]
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, gridspec_kw={"height_ratios": [1, 2.5]})
    t = np.arange(len(y)) / sr
    step = max(1, len(y) // 20000)
    axes[0].plot(t[::step], y[::step], lw=0.5, color="0.3")
    axes[0].set_ylabel("amplitude")
    axes[0].set_xlim(0, len(y) / sr)
    if title:
        axes[0].set_title(title, fontsize=10)
    hop = 512
    S = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=2048, hop_length=hop)), ref=np.max, top_db=80)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=2048)
    times = np.arange(S.shape[1]) * hop / sr
    keep = (freqs > 0) & (freqs <= fmax * 1.05)
    axes[1].pcolormesh(times, freqs[keep], S[keep], shading="auto", cmap="magma", rasterized=True)
    axes[1].set_yscale("log")
    axes[1].set_ylim(40, fmax)
    axes[1].set_ylabel("frequency (Hz)")
    axes[1].set_xlabel("time (s)")
    if notes is not None and len(notes):
        f0 = 440.0 * 2.0 ** ((notes["pitch"].to_numpy() - 69) / 12.0)
        end = len(y) / sr
        for s, e, f in zip(notes["start"], notes["end"], f0):
            if s < end:
                axes[1].plot([s, min(e, end)], [f, f], color="cyan", lw=1.0, alpha=0.8)
    return axes


def tempo_maps(truths: dict, ax=None, title: str | None = None):
    """Audio time over performed beats for several versions; dots mark measure starts.

    Parameters
    ----------
    truths : dict str -> cmr.synth.GroundTruth
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for k, (name, g) in enumerate(truths.items()):
        color = PART_COLORS[k % len(PART_COLORS)]
        p = g.perf_beats - g.perf_beats[0]
        ax.plot(p, g.times, color=color, lw=1.5, label=name)
        starts = g.measure_times["start"].to_numpy()
        ax.plot(np.interp(starts, g.times, p), starts, "o", color=color, ms=3)
    ax.set_xlabel("performed beats (quarter notes, in playing order)")
    ax.set_ylabel("audio time (s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


#: Retrieval scenarios: (name, specificity 0..1 (1 = high), granularity 0..1 (0 = fragment, 1 = document),
#: notebook that treats it or None, short description).
SCENARIOS = [
    ("audio identification", 0.94, 0.16, None, "this exact recording (fingerprints)"),
    ("synchronization", 0.82, 0.66, "02", "align two versions of one piece"),
    ("audio matching", 0.68, 0.24, "03", "the same passage in other performances"),
    ("indexing with shingles", 0.55, 0.62, "05", "passage / version search at scale"),
    ("cross-modal theme retrieval", 0.42, 0.3, "06", "a score theme in recordings"),
    ("version identification", 0.33, 0.8, "04", "cover versions of a song"),
    ("category-based retrieval", 0.1, 0.84, None, "same genre, mood, instrumentation"),
]


def retrieval_scenarios(ax=None, scenarios=SCENARIOS):
    """The retrieval scenarios on axes of specificity and granularity, with the notebook of each."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 6))
    for name, spec, gran, nb, desc in scenarios:
        color = "#1f77b4" if nb else "0.55"
        ax.scatter([gran], [spec], s=420, color=color, alpha=0.25, edgecolor=color)
        label = f"{name}\n({desc})" + (f"\nnotebook {nb}" if nb else "\n(not treated here)")
        ax.annotate(label, (gran, spec), ha="center", va="center", fontsize=7.5,
                    fontweight="bold" if nb else "normal", color="black" if nb else "0.35")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xticks([0.1, 0.9])
    ax.set_xticklabels(["fragment level\n(a query excerpt, hits are positions)",
                        "document level\n(a query piece, hits are pieces)"])
    ax.set_yticks([0.08, 0.95])
    ax.set_yticklabels(["low\n(similar in style)", "high\n(the same\nrecording)"])
    ax.set_xlabel("granularity")
    ax.set_ylabel("specificity")
    ax.set_title("Music retrieval scenarios (blue: treated in this workbook)", fontsize=10)
    return ax
