"""Figures for notebook 05 (shingles, PCA, learned embedding, indexes)."""
from __future__ import annotations

import numpy as np

from . import PITCH_CLASSES, chromagram


def shingle_window(C, start: float, length: int = 20, feature_rate: float = 1.0, ax=None, title=None):
    """Chromagram (seconds on x) with the shingle ``[start, start + length / rate)`` outlined."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.6))
    chromagram(C, feature_rate, ax=ax, title=title, colorbar=False)
    ax.add_patch(Rectangle((start, -0.5), length / feature_rate, 12, fill=False, lw=2.5, ec="tab:red"))
    ax.text(start + 0.3, 11.0, f"shingle: {length} frames = {12 * length} numbers", color="tab:red",
            va="top", fontsize=9, bbox=dict(fc="white", ec="none", alpha=0.8))
    return ax


def shingle_vector(v, ax=None, title=None):
    """A flattened shingle as a 1-D signal (index on x), frames separated by grid lines."""
    import matplotlib.pyplot as plt

    v = np.asarray(v)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 1.8))
    ax.plot(v, lw=0.8, color="k")
    for j in range(0, v.size + 1, 12):
        ax.axvline(j - 0.5, color="0.85", lw=0.5, zorder=0)
    ax.set_xlim(-0.5, v.size - 0.5)
    ax.set_xlabel("vector entry (12 chroma values per frame, frames one after the other)")
    ax.set_ylabel("value")
    if title:
        ax.set_title(title)
    return ax


def explained_variance(ratio, ax=None, marks=(3, 5, 7, 10, 15, 20, 30)):
    """Cumulative explained variance of PCA components, with the K values of the MAP table marked."""
    import matplotlib.pyplot as plt

    ratio = np.asarray(ratio)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    cum = np.cumsum(ratio)
    k = np.arange(1, ratio.size + 1)
    ax.plot(k, cum, color="k")
    for m in marks:
        if m <= ratio.size:
            ax.plot(m, cum[m - 1], "o", color="tab:red", ms=4)
            ax.annotate(f"K={m}: {cum[m - 1]:.0%}", (m, cum[m - 1]), textcoords="offset points",
                        xytext=(6, -10), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("number of components K")
    ax.set_ylabel("cumulative explained variance")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    return ax


def components_as_chroma(components, which=(0, 1, 2, 3), feature_rate: float = 1.0, titles=None):
    """Principal components (rows of length 12 L, 0-based indices ``which``) drawn as (12, L) chroma patterns."""
    import matplotlib.pyplot as plt

    which = list(which)
    comps = np.asarray(components)[which]
    n = len(which)
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n, 2.6), sharey=True)
    axes = np.atleast_1d(axes)
    for i, (ax, c) in enumerate(zip(axes, comps)):
        pat = c.reshape(-1, 12).T
        lim = np.abs(pat).max()
        ax.imshow(pat, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
                  extent=[0, pat.shape[1] / feature_rate, -0.5, 11.5], interpolation="nearest")
        ax.set_title(titles[i] if titles else f"component {which[i] + 1}")
        ax.set_xlabel("time in shingle (s)")
    axes[0].set_yticks(range(12))
    axes[0].set_yticklabels(PITCH_CLASSES)
    axes[0].set_ylabel("chroma")
    fig.tight_layout()
    return fig


def training_curve(history, ax=None, title=None):
    """Triplet loss (training, validation) and validation triplet accuracy over training steps."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    step = np.asarray(history["step"])
    ax.plot(step[1:], np.asarray(history["train_loss"])[1:], label="training loss (running mean)", color="tab:blue")
    if len(history.get("val_loss", [])):
        ax.plot(step, history["val_loss"], label="validation loss (held-out pieces)", color="tab:orange")
    ax.set_xlabel("training step (batches of triplets)")
    ax.set_ylabel("triplet loss")
    ax.grid(alpha=0.3)
    if len(history.get("val_accuracy", [])):
        ax2 = ax.twinx()
        ax2.plot(step, history["val_accuracy"], color="tab:green", ls="--", label="validation accuracy")
        ax2.set_ylabel("triplets ordered correctly")
        lines = ax.get_lines() + ax2.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="center right")
    else:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def map_vs_k(table: dict, ax=None, title=None):
    """MAP against dimension K, one line per method (``{name: {K: MAP}}``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for name, row in table.items():
        ks = sorted(row)
        ax.plot(ks, [row[k] for k in ks], "o-", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("dimension K")
    ax.set_ylabel("MAP")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def document_ranking(distances, relevant, names=None, ax=None, top: int = 20, title=None):
    """Best shingle distance per document, sorted, relevant documents in colour."""
    import matplotlib.pyplot as plt

    d = np.asarray(distances, dtype=float)
    rel = np.asarray(relevant, dtype=bool)
    order = np.argsort(d, kind="stable")[:top]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.8))
    colors = ["tab:green" if rel[i] else "0.6" for i in order]
    ax.bar(np.arange(len(order)), d[order], color=colors)
    ax.set_xticks(np.arange(len(order)))
    ax.set_xticklabels([names[i] if names is not None else str(i) for i in order], rotation=70, fontsize=7)
    ax.set_ylabel("best shingle distance")
    ax.set_xlabel("documents, best first (green: same piece)")
    if title:
        ax.set_title(title)
    return ax
