"""Figures for notebook 02 (DTW and synchronization).

Display code only. Matrices are drawn with version A (rows, index ``n``) on
the vertical axis and version B (columns, index ``m``) on the horizontal
axis, origin at the bottom left, so a path runs from bottom left to top
right. Axes are in seconds when a feature rate is given, else in frames.
"""
from __future__ import annotations

import numpy as np


def _ax(ax, figsize=(5, 4.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def numbered_matrix(M, ax=None, path=None, title: str | None = None, x_labels=None, y_labels=None,
                    cmap: str = "Greys", fmt: str = "{:g}"):
    """A small matrix with its numbers written in the cells and an optional path marked.

    For the hand-computed toy example: rows are the elements of X (bottom
    to top), columns those of Y.
    """
    M = np.asarray(M, dtype=float)
    ax = _ax(ax, figsize=(0.6 * M.shape[1] + 1.5, 0.6 * M.shape[0] + 1.2))
    finite = M[np.isfinite(M)]
    vmax = finite.max() if finite.size else 1.0
    ax.imshow(np.where(np.isfinite(M), M, np.nan), origin="lower", cmap=cmap, vmin=0, vmax=vmax * 1.6,
              aspect="equal")
    on_path = set() if path is None else {tuple(map(int, p)) for p in np.asarray(path)}
    for n in range(M.shape[0]):
        for m in range(M.shape[1]):
            txt = "inf" if not np.isfinite(M[n, m]) else fmt.format(M[n, m])
            bold = (n, m) in on_path
            ax.text(m, n, txt, ha="center", va="center", fontsize=10, color="C3" if bold else "black",
                    fontweight="bold" if bold else "normal")
    if path is not None:
        p = np.asarray(path)
        ax.plot(p[:, 1], p[:, 0], "-", color="C3", alpha=0.35, linewidth=6)
    ax.set_xticks(range(M.shape[1]))
    ax.set_yticks(range(M.shape[0]))
    if x_labels is not None:
        ax.set_xticklabels([f"{m}\n({v:g})" for m, v in enumerate(x_labels)])
    if y_labels is not None:
        ax.set_yticklabels([f"{n} ({v:g})" for n, v in enumerate(y_labels)])
    ax.set_xlabel("m (element of Y)")
    ax.set_ylabel("n (element of X)")
    if title:
        ax.set_title(title)
    return ax


def cost_with_paths(C, feature_rate: float | None = None, paths=None, ax=None, title: str | None = None,
                    label_a: str = "A", label_b: str = "B", band=None, marker=None, cmap: str = "gray",
                    colorbar: bool = True, legend: bool = True, max_pixels: int = 800):
    """A cost (or accumulated cost) matrix with one or more paths on top (low cost = dark).

    Parameters
    ----------
    C : np.ndarray, shape (N, M)
        Matrix to draw (rows = version A).
    feature_rate : float, optional
        Frames per second; axes in seconds when given.
    paths : dict label -> path, optional
        Paths in frames (``(L, 2)`` arrays of ``(n, m)``) or, with key
        ending in ``" (s)"``, in seconds.
    band : (lo, hi), optional
        Column ranges per row to outline (a global constraint).
    marker : (t_a, t_b), optional
        A position to mark (seconds when ``feature_rate`` is given).
    max_pixels : int
        Larger matrices are subsampled for display only.
    """
    C = np.asarray(C, dtype=float)
    ax = _ax(ax)
    N, M = C.shape
    step = max(1, int(np.ceil(max(N, M) / max_pixels)))
    shown = C[::step, ::step]
    scale = 1.0 / feature_rate if feature_rate else 1.0
    extent = [-0.5 * scale, (M - 0.5) * scale, -0.5 * scale, (N - 0.5) * scale]
    finite = shown[np.isfinite(shown)]
    vmax = np.percentile(finite, 99) if finite.size else 1.0
    im = ax.imshow(np.where(np.isfinite(shown), shown, np.nan), origin="lower", aspect="auto", cmap=cmap,
                   extent=extent, vmin=0, vmax=vmax, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, pad=0.01)
    if band is not None:
        lo, hi = band
        rows = np.arange(len(lo))
        ax.plot((np.asarray(lo) - 0.5) * scale, rows * scale, "-", color="C0", linewidth=1, label="band")
        ax.plot((np.asarray(hi) - 0.5) * scale, rows * scale, "-", color="C0", linewidth=1)
    styles = ["-", "--", ":", "-."]
    for i, (label, p) in enumerate((paths or {}).items()):
        p = np.asarray(p, dtype=float)
        s = 1.0 if label.endswith(" (s)") else scale
        ax.plot(p[:, 1] * s, p[:, 0] * s, styles[i % 4], color=f"C{(i + 1) % 10}", linewidth=1.6,
                label=label.removesuffix(" (s)"))
    if marker is not None:
        ax.plot([marker[1]], [marker[0]], "o", color="C3", markersize=8, markerfacecolor="none", markeredgewidth=2)
    unit = " (s)" if feature_rate else " (frames)"
    ax.set_xlabel(label_b + unit)
    ax.set_ylabel(label_a + unit)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    if title:
        ax.set_title(title)
    if legend and (paths or band is not None):
        ax.legend(loc="lower right", fontsize=8)
    return ax


def multiscale_levels(result, X_len: int, Y_len: int, axes=None, max_pixels: int = 400):
    """The bands and paths of every level of :func:`cmr.dtw.multiscale_dtw`.

    One panel per level (coarsest first): cells inside the band are grey,
    the level's path is drawn in red.
    """
    import matplotlib.pyplot as plt

    levels = result.info["levels"]
    bands = result.info["bands"]
    paths = result.info["paths"]
    if axes is None:
        _, axes = plt.subplots(1, len(levels), figsize=(3.6 * len(levels), 3.4))
    axes = np.atleast_1d(axes)
    for ax, (N, M), (lo, hi), p in zip(axes, levels, bands, paths):
        step = max(1, int(np.ceil(max(N, M) / max_pixels)))
        img = np.zeros(((N + step - 1) // step, (M + step - 1) // step))
        for r in range(img.shape[0]):
            n = r * step
            img[r, lo[n] // step: (hi[n] - 1) // step + 1] = 1
        ax.imshow(img, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=2.5,
                  extent=[-0.5, M - 0.5, -0.5, N - 0.5], interpolation="nearest")
        ax.plot(p[:, 1], p[:, 0], "-", color="C3", linewidth=1)
        share = (hi - lo).sum() / (N * M)
        ax.set_title(f"{N} x {M}: {100 * share:.1f}% of the cells", fontsize=9)
        ax.set_xlabel("m (frames)")
    axes[0].set_ylabel("n (frames)")
    return axes


def error_over_time(times, errors, ax=None, title: str | None = None, label: str | None = None,
                    thresholds=(0.05, 0.1, 0.25)):
    """Absolute alignment error (ms) at reference positions against the time in version A."""
    ax = _ax(ax, figsize=(9, 2.6))
    t = np.asarray(times, dtype=float)
    e = 1000 * np.asarray(errors, dtype=float)
    ax.plot(t, e, ".-", linewidth=0.8, markersize=3, label=label)
    if not getattr(ax, "_cmr_error_axes", False):  # threshold lines once per axes
        for th in thresholds:
            ax.axhline(1000 * th, color="grey", linewidth=0.6, linestyle=":")
            ax.text(1.002, 1000 * th, f"{int(1000 * th)} ms", va="center", fontsize=7, color="grey",
                    transform=ax.get_yaxis_transform())
        ax._cmr_error_axes = True
        top = 300.0
    else:
        top = ax.get_ylim()[1]
    if e.size:
        top = max(top, min(float(np.percentile(e, 99)) * 1.1, 1000.0))
    ax.set_ylim(0, top)
    ax.set_xlabel("time in version A (s)")
    ax.set_ylabel("|error| (ms)")
    if title:
        ax.set_title(title)
    if label:
        ax.legend(loc="upper left", fontsize=8)
    return ax
