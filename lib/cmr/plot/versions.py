"""Figures for notebook 04 (version identification)."""
from __future__ import annotations

import numpy as np


def similarity_matrix(S, feature_rate: float, ax=None, path=None, title: str | None = None,
                      cmap: str = "gray_r", vmin=None, vmax=None, colorbar: bool = True,
                      query_label: str = "query", document_label: str = "document",
                      path_color: str = "tab:red", path_label: str | None = None):
    """Draw an (N, M) matrix with query time on the y axis and document time on the x axis.

    Parameters
    ----------
    S : np.ndarray, shape (N, M)
        Cross-similarity, match or accumulated-score matrix (rows = query frames).
    feature_rate : float
        Frames per second (axes in seconds).
    path : np.ndarray of int, shape (L, 2), optional
        (query frame, document frame) cells drawn on top.
    """
    import matplotlib.pyplot as plt

    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(f"similarity_matrix: S must be 2-D, got shape {S.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    N, M = S.shape
    im = ax.imshow(S, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                   extent=[-0.5 / feature_rate, (M - 0.5) / feature_rate, -0.5 / feature_rate,
                           (N - 0.5) / feature_rate], interpolation="nearest")
    if path is not None and len(path):
        p = np.asarray(path)
        ax.plot(p[:, 1] / feature_rate, p[:, 0] / feature_rate, color=path_color, lw=2, label=path_label)
        if path_label:
            ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel(f"{document_label} time (s)")
    ax.set_ylabel(f"{query_label} time (s)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, pad=0.01)
    return ax


def alignment_overview(result, title: str | None = None, query_label: str = "query",
                       document_label: str = "document"):
    """Three panels of a :class:`cmr.versions.VersionAlignment`: S, binarized D, Q with the path."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    r = result.feature_rate
    kw = dict(query_label=query_label, document_label=document_label)
    similarity_matrix(result.S, r, ax=axes[0], title=f"cross-similarity (shift {result.shift})", **kw)
    similarity_matrix(result.D, r, ax=axes[1], title="match matrix (binarized)", colorbar=False, **kw)
    similarity_matrix(result.Q, r, ax=axes[2], path=result.path, cmap="magma_r",
                      title=f"local alignment: Qmax = {result.score:.1f}", **kw)
    if title:
        fig.suptitle(title)
    return fig


def strategies(panels, feature_rate: float, query_label: str = "query", document_label: str = "document"):
    """Side-by-side matrices with paths: ``panels`` is a list of (title, matrix, path) tuples."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.8), constrained_layout=True)
    axes = np.atleast_1d(axes)
    for ax, (title, M, path) in zip(axes, panels):
        similarity_matrix(M, feature_rate, ax=ax, path=path, title=title, colorbar=False,
                          query_label=query_label, document_label=document_label)
    return fig


def score_matrix(S, labels, ax=None, title: str | None = None, tick_labels=None):
    """Collection score matrix (queries x documents) with lines between pieces."""
    import matplotlib.pyplot as plt

    S = np.asarray(S)
    labels = np.asarray(labels)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    im = ax.imshow(S, cmap="viridis", interpolation="nearest")
    bounds = np.flatnonzero(np.diff(labels)) + 0.5
    for b in bounds:
        ax.axhline(b, color="w", lw=0.4)
        ax.axvline(b, color="w", lw=0.4)
    ax.set_xlabel("document")
    ax.set_ylabel("query")
    if tick_labels is not None:
        starts = np.concatenate([[0], np.flatnonzero(np.diff(labels)) + 1])
        ends = np.concatenate([starts[1:], [len(labels)]])
        ax.set_yticks((starts + ends - 1) / 2)
        ax.set_yticklabels(tick_labels, fontsize=6)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, pad=0.01, label="score")
    return ax


def precision_recall(curves, ax=None, title: str | None = None):
    """Precision-recall curves: ``curves`` maps a label to (recall_levels, precision)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    for label, (r, p) in curves.items():
        ax.plot(r, p, marker="o", ms=3, label=label)
    ax.set_xlabel("recall")
    ax.set_ylabel("interpolated precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title)
    return ax
