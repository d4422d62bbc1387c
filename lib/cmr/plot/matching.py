"""Figures for audio matching (notebook 03): matching curves over a database, hits, ground truth."""
from __future__ import annotations

import numpy as np


def short_label(meta: dict, doc_id: str) -> str:
    """'piece / version' from a document's metadata (or its id)."""
    if meta.get("piece") and meta.get("version"):
        return f"{meta['piece']} / {meta['version']}"
    return str(doc_id)


def matching_curve(curve, ax=None, matches=None, occurrences=None, docs=None, ylim=(0.0, 1.0),
                   label_docs: bool = True, title: str | None = None, color: str = "k"):
    """Draw a matching curve over (a part of) the database.

    Documents are drawn one after another on a common time axis (seconds),
    separated by vertical lines and labelled; the curve is drawn at the
    positions its ``anchor`` says (start of the match for diagonal
    matching, end for DTW).

    Parameters
    ----------
    curve : cmr.matching.MatchingCurve
    ax : matplotlib Axes, optional
    matches : list of cmr.matching.Match, optional
        Drawn as red numbered markers at their anchor, spans shaded.
    occurrences : list of (doc, start s, end s), optional
        Ground truth, shaded green.
    docs : list of int or ids, optional
        Only these documents (in this order); default all.
    ylim : (float, float)
    """
    import matplotlib.pyplot as plt

    db = curve.db
    fr = db.feature_rate
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3))
    docs = list(range(db.n_docs)) if docs is None else [db.doc_index(d) for d in docs]
    x0 = 0.0
    origin = {}
    for d in docs:
        a, b = db.offsets[d], db.offsets[d + 1]
        t = x0 + np.arange(b - a) / fr
        c = curve.cost[a:b]
        ax.plot(t, np.where(np.isfinite(c), c, np.nan), color=color, lw=1)
        origin[d] = x0
        if label_docs:
            ax.text(x0 + 0.5, ylim[1] * 0.97, short_label(db.meta[d], db.doc_ids[d]), fontsize=7, va="top",
                    ha="left", rotation=0, color="0.25", clip_on=True)
        x0 += (b - a) / fr
        ax.axvline(x0, color="0.6", lw=0.8)
    for occ in occurrences or []:
        d, s, e = occ
        d = db.doc_index(d)
        if d in origin:
            ax.axvspan(origin[d] + s, origin[d] + e, color="tab:green", alpha=0.18, lw=0)
    for m in matches or []:
        if m.doc not in origin:
            continue
        x = origin[m.doc] + (m.start if curve.anchor == "start" else m.end - 1.0 / fr)
        ax.axvspan(origin[m.doc] + m.start, origin[m.doc] + m.end, color="tab:red", alpha=0.10, lw=0)
        ax.plot([x], [m.cost], "o", color="tab:red", ms=4)
        ax.text(x, m.cost - 0.02 * (ylim[1] - ylim[0]), str(m.rank), color="tab:red", fontsize=8, ha="center",
                va="top")
    ax.set_xlim(0, max(x0, 1e-9))
    ax.set_ylim(*ylim)
    ax.set_xlabel("time in the database (s), documents one after another")
    ax.set_ylabel("matching cost")
    if title:
        ax.set_title(title)
    return ax


def doc_curves(curves: dict, db, doc, ax=None, occurrences=None, ylim=(0.0, 0.6), title=None):
    """Several matching curves of one document on one axis (e.g. one per tempo factor).

    Parameters
    ----------
    curves : dict label -> np.ndarray (N,) or MatchingCurve (global curves over ``db``)
    doc : int or id
    occurrences : list of (doc, start, end), optional, ground truth to shade
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3))
    d = db.doc_index(doc)
    a, b = db.offsets[d], db.offsets[d + 1]
    t = np.arange(b - a) / db.feature_rate
    for label, c in curves.items():
        c = getattr(c, "cost", c)
        seg = np.asarray(c[a:b], dtype=np.float64)
        ax.plot(t, np.where(np.isfinite(seg), seg, np.nan), lw=1.2, label=label)
    for occ in occurrences or []:
        if db.doc_index(occ[0]) == d:
            ax.axvspan(occ[1], occ[2], color="tab:green", alpha=0.18, lw=0)
    ax.set_ylim(*ylim)
    ax.set_xlim(0, (b - a) / db.feature_rate)
    ax.set_xlabel(f"time in {short_label(db.meta[d], db.doc_ids[d])} (s)")
    ax.set_ylabel("matching cost")
    ax.legend(fontsize=8, loc="lower right", ncol=2)
    if title:
        ax.set_title(title)
    return ax


def cost_matrix_with_diagonal(query, doc_features, feature_rate: float, start: float | None = None,
                              length: int | None = None, ax=None, title=None, slope_one: bool = False):
    """The cost matrix ``1 - <q_m, d_n>`` of a query against one document, with one diagonal marked.

    Parameters
    ----------
    query : np.ndarray (12, M), doc_features : np.ndarray (12, N), unit-norm frames
    start : float, optional, start (s) of a diagonal to draw
    length : int, optional, its length in frames (default M)
    slope_one : bool, also draw the slope-1 diagonal from ``start`` (dashed), for comparison
    """
    import matplotlib.pyplot as plt

    C = 1.0 - np.asarray(query, np.float64).T @ np.asarray(doc_features, np.float64)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 2.6))
    M, N = C.shape
    im = ax.imshow(C, origin="lower", aspect="auto", cmap="gray", vmin=0, vmax=1,
                   extent=[0, N / feature_rate, 0, M / feature_rate])
    if start is not None:
        L = M if length is None else length
        ax.plot([start, start + L / feature_rate], [0, M / feature_rate], color="tab:red", lw=2,
                label="true path" if slope_one else None)
        if slope_one:
            ax.plot([start, start + M / feature_rate], [0, M / feature_rate], "--", color="tab:orange", lw=2,
                    label="slope-1 diagonal")
            ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("database time (s)")
    ax.set_ylabel("query time (s)")
    ax.figure.colorbar(im, ax=ax, pad=0.01, label="cost")
    if title:
        ax.set_title(title)
    return ax
