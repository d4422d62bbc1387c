"""Widgets for notebook 04 (version identification)."""
from __future__ import annotations

import numpy as np


def alignment_explorer(X, Y, feature_rate: float, y_query=None, y_document=None, sr: int | None = None,
                       query_label: str = "query", document_label: str = "document",
                       gap_onset: float = 1.0, gap_extension: float = 0.5, kappa: float = 0.2):
    """Explore the local alignment of two chroma sequences.

    Sliders and menus set the gap penalties, the binarization (k-NN with its
    ``kappa``, a fixed threshold, or none), the key handling (OTI, best of
    twelve, or a fixed shift) and the diagonal smoothing length. The figure
    shows the match matrix and the accumulated score matrix with the
    aligned path; below it the score, the aligned sections and, when audio
    is given, players for the two aligned sections.

    Parameters
    ----------
    X, Y : np.ndarray, shape (12, N) and (12, M)
        Query and document chroma (e.g. CENS).
    feature_rate : float
        Frames per second of ``X`` and ``Y``.
    y_query, y_document : np.ndarray, shape (n,), optional
        Audio of the two recordings (same time axis as the features).
    sr : int, optional
        Sample rate of the audio.
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from .. import plot
    from .. import versions
    from ..plot import versions as vplot

    style = {"description_width": "initial"}
    w_go = W.FloatSlider(value=gap_onset, min=0.0, max=10.0, step=0.5, description="gap onset",
                         continuous_update=False, style=style)
    w_ge = W.FloatSlider(value=gap_extension, min=0.0, max=3.0, step=0.1, description="gap extension",
                         continuous_update=False, style=style)
    w_bin = W.Dropdown(options=[("k nearest neighbours", "knn"), ("threshold", "threshold"),
                                ("none (similarity - threshold)", "none")], value="knn",
                       description="binarization", style=style)
    w_kappa = W.FloatSlider(value=kappa, min=0.02, max=0.5, step=0.02, description="kappa (k-NN)",
                            continuous_update=False, style=style)
    w_thr = W.FloatSlider(value=0.8, min=0.3, max=0.99, step=0.01, description="threshold",
                          continuous_update=False, style=style)
    w_key = W.Dropdown(options=[("OTI", "oti"), ("best of 12", "best")] + [(f"shift {k}", k) for k in range(12)],
                       value="oti", description="key", style=style)
    w_smooth = W.IntSlider(value=1, min=1, max=9, step=1, description="smoothing (frames)",
                           continuous_update=False, style=style)
    fig_out = W.Output()
    info = W.HTML()
    audio_out = W.HTML()

    def update(*_):
        res = versions.align(X, Y, feature_rate, key=w_key.value, binarization=w_bin.value, kappa=w_kappa.value,
                             threshold=w_thr.value, smooth=w_smooth.value, gap_onset=w_go.value,
                             gap_extension=w_ge.value)
        with fig_out:
            fig_out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
            kw = dict(query_label=query_label, document_label=document_label)
            vplot.similarity_matrix(res.D, res.feature_rate, ax=axes[0], path=res.path, colorbar=False,
                                    title=f"match matrix, key shift {res.shift}", **kw)
            vplot.similarity_matrix(res.Q, res.feature_rate, ax=axes[1], path=res.path, cmap="magma_r",
                                    title=f"accumulated score Q (Qmax = {res.score:.1f})", **kw)
            plt.show()
            plt.close(fig)
        if len(res.path):
            qa, qb = res.query_interval
            da, db = res.document_interval
            info.value = (f"<b>Qmax = {res.score:.1f}</b>, normalised {res.normalized_score:.3f}; "
                          f"{query_label} {qa:.1f}-{qb:.1f} s aligned with {document_label} {da:.1f}-{db:.1f} s")
        else:
            info.value = "<b>no match</b> (Qmax = 0)"
        # players as HTML (an <audio> element with the data inline): displaying Audio objects
        # inside an Output widget can dead-lock headless execution (jupyter/nbconvert#2029)
        players = []
        if sr is not None and len(res.path):
            for y, label, (a, b) in ((y_query, query_label, (qa, qb)), (y_document, document_label, (da, db))):
                if y is not None:
                    html = plot.audio(y, sr, start=a, duration=min(12.0, b - a))._repr_html_()
                    players.append(f"<div>{label}, aligned section ({a:.1f}-{min(b, a + 12.0):.1f} s):</div>{html}")
        audio_out.value = "".join(players)

    for w in (w_go, w_ge, w_bin, w_kappa, w_thr, w_key, w_smooth):
        w.observe(update, names="value")
    update()
    controls = W.VBox([W.HBox([w_go, w_ge, w_smooth]), W.HBox([w_bin, w_kappa, w_thr]), w_key])
    return W.VBox([controls, fig_out, info, audio_out])
