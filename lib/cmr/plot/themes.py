"""Figures for notebook 06 (cross-modal theme retrieval)."""
from __future__ import annotations

import numpy as np


def theme_svg(theme, time_signature: str | None = None, scale: int = 40):
    """The theme engraved by verovio, as an IPython SVG object."""
    from IPython.display import SVG

    from cmr import symbolic, themes

    return SVG(symbolic.render_svg(themes.theme_stream(theme, time_signature), page_width=1800, scale=scale))


def challenge(doc_features, feature_rate: float, curves: dict, true_interval=None, query=None,
              title: str = "", ylim=(0.0, 1.0)):
    """Query chroma, recording chroma and matching curves of one recording.

    Parameters
    ----------
    doc_features : np.ndarray, shape (12, N), the recording's features
    feature_rate : float, frames per second
    curves : dict label -> np.ndarray (N,), matching cost per start frame (inf allowed)
    true_interval : (start, end) in seconds of the theme in the recording, shaded
    query : np.ndarray, shape (12, M), optional, drawn on the left
    """
    import matplotlib.pyplot as plt

    from cmr.plot import chromagram

    n = doc_features.shape[1]
    t = np.arange(n) / feature_rate
    if query is not None:
        fig = plt.figure(figsize=(11, 4.6))
        gs = fig.add_gridspec(2, 2, width_ratios=[1, 5], height_ratios=[1, 1.1], wspace=0.12, hspace=0.45)
        axq = fig.add_subplot(gs[0, 0])
        chromagram(query, feature_rate, ax=axq, title="query (score)", colorbar=False)
        axc = fig.add_subplot(gs[0, 1])
        axm = fig.add_subplot(gs[1, 1], sharex=axc)
    else:
        fig, (axc, axm) = plt.subplots(2, 1, figsize=(11, 4.6), sharex=True)
    chromagram(doc_features, feature_rate, ax=axc, title=f"recording (audio) {title}".strip(), colorbar=False)
    for label, c in curves.items():
        c = np.where(np.isfinite(c), c, np.nan)
        line, = axm.plot(t[:len(c)], c, lw=1.2, label=label)
        if np.isfinite(c).any():
            i = int(np.nanargmin(c))
            axm.plot(t[i], c[i], "o", color=line.get_color(), ms=6)
    if true_interval is not None:
        for ax in (axc, axm):
            ax.axvspan(true_interval[0], true_interval[1], color="tab:green", alpha=0.15, lw=0)
    axm.set_xlabel("time (s)")
    axm.set_ylabel("matching cost")
    axm.set_ylim(*ylim)
    axm.legend(loc="lower right", fontsize=8, ncol=len(curves))
    axm.set_title("matching curve (start of the match; green: true position of the theme)")
    return fig


def database_curve(curve, ranking, relevant, n_label: int = 5, ax=None):
    """The matching curve over the whole database, documents one after another (time in minutes).

    Relevant recordings are shaded green; the ``n_label`` best recordings are labelled with their rank
    (at the curve's minimum in each, also for a ``relative`` ranking of :func:`cmr.themes.rank_documents`).
    """
    import matplotlib.pyplot as plt

    db = curve.db
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 2.8))
    t = np.arange(db.n_frames) / db.feature_rate / 60.0
    c = np.where(np.isfinite(curve.cost), curve.cost, np.nan)
    ax.plot(t, c, lw=0.4, color="0.3")
    for d, doc in enumerate(db.doc_ids):
        if doc in relevant:
            ax.axvspan(db.offsets[d] / db.feature_rate / 60, db.offsets[d + 1] / db.feature_rate / 60,
                       color="tab:green", alpha=0.3, lw=0)
    for _, row in ranking.head(n_label).iterrows():
        x = (db.offsets[int(row.doc)] / db.feature_rate + row.start) / 60.0
        y = row["best"] if "best" in ranking else row.cost  # relative rankings: mark the curve's minimum
        ax.plot(x, y, "v", color="tab:red" if row.doc_id not in relevant else "tab:green", ms=7)
        ax.annotate(str(int(row["rank"])), (x, y), textcoords="offset points", xytext=(0, -14),
                    ha="center", fontsize=8)
    ax.set_xlabel("database time (min, recordings one after another)")
    ax.set_ylabel("cost")
    ax.set_xlim(0, t[-1] if len(t) else 1)
    return ax


def rank_histogram(ranks: dict, max_rank: int = 50, ax=None):
    """Cumulative share of themes found within rank k, one line per configuration (a Top-k curve)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    ks = np.arange(1, max_rank + 1)
    for label, r in ranks.items():
        r = np.asarray(r)
        ax.plot(ks, [(r <= k).mean() * 100 for k in ks], label=label, lw=1.4)
    ax.set_xscale("log")
    ax.set_xlabel("k (rank cut-off)")
    ax.set_ylabel("Top-k accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
