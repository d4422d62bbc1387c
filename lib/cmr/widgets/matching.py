"""Widgets for audio matching (notebook 03): a playable ranked result table and a query explorer."""
from __future__ import annotations

import numpy as np


def ranked_table(matches, get_audio, sr: int = 22050, max_seconds: float = 20.0, labels=None,
                 relevant=None):
    """A ranked list of matches with a play button per row.

    Parameters
    ----------
    matches : list of cmr.matching.Match
    get_audio : callable ``match -> np.ndarray`` (mono audio of the match's document at ``sr``)
    sr : int
    max_seconds : float, longest excerpt played
    labels : callable ``match -> str``, optional, the "piece / version" column
    relevant : list of bool, optional, marks rows that are true occurrences

    Returns
    -------
    ipywidgets.VBox
        Header, one row per match (rank, piece/version, start-end s, cost,
        tempo, shift, a ▶ button) and an output area where the excerpt's
        player appears.
    """
    import ipywidgets as W
    from IPython.display import display

    from cmr.plot import audio as audio_player
    from cmr.plot.matching import short_label

    out = W.Output(layout=W.Layout(min_height="60px"))
    widths = [45, 290, 120, 60, 55, 50, 45]

    def cells_html(cells, bold=False):
        tag = "b" if bold else "span"
        return "".join(f'<{tag} style="display:inline-block;width:{w}px">{c}</{tag}>' for c, w in zip(cells, widths))

    header = W.HTML(cells_html(["rank", "piece / version", "start-end (s)", "cost", "tempo", "shift", "true?"],
                               bold=True))
    rows = [header]
    cache = {}
    for i, m in enumerate(matches):
        button = W.Button(description="▶ play", tooltip=f"play match {m.rank}",
                          layout=W.Layout(width="80px"))

        def play(_b, m=m):
            key = m.doc
            if key not in cache:
                cache[key] = get_audio(m)
            with out:
                out.clear_output(wait=True)
                print(f"rank {m.rank}: {labels(m) if labels else short_label(m.meta, m.doc_id)}, "
                      f"{m.start:.1f}-{m.end:.1f} s")
                display(audio_player(cache[key], sr, start=m.start,
                                     duration=min(m.end - m.start, max_seconds)))

        button.on_click(play)
        mark = "" if relevant is None else ("✓" if relevant[i] else "✗")
        tempo = f"{m.tempo:.2f}" if np.isfinite(m.tempo) else "-"
        shift = f"{m.shift:+d}" if m.shift <= 6 else f"{m.shift - 12:+d}"
        text = cells_html([m.rank, labels(m) if labels else short_label(m.meta, m.doc_id),
                           f"{m.start:.1f}-{m.end:.1f}", f"{m.cost:.3f}", tempo, shift, mark])
        rows.append(W.HBox([W.HTML(text), button]))
    return W.VBox(rows + [out])


def query_explorer(db, get_audio, occurrences_fn=None, sr: int = 22050, num: int = 8,
                   tempo_factors=None, default_doc=0):
    """Choose a query (piece, version, start, length) and see the matching curve, hits and ranked table.

    Parameters
    ----------
    db : cmr.matching.Database
        Documents need ``meta["piece"]`` and ``meta["version"]``.
    get_audio : callable ``doc index -> np.ndarray`` mono audio at ``sr``

    Audio players appear only when a ▶ button is pressed (nothing is
    embedded in the saved notebook until then).
    occurrences_fn : callable ``(doc, start, end) -> list of (doc, start, end)``, optional
        Ground-truth occurrences of a query passage (shaded green, ✓ in the table).
    tempo_factors : sequence of float, default ``cmr.matching.DEFAULT_TEMPO_FACTORS``
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    from cmr import matching as mt
    from cmr.plot import audio as audio_player
    from cmr.plot.matching import matching_curve as plot_curve

    tempo_factors = mt.DEFAULT_TEMPO_FACTORS if tempo_factors is None else tempo_factors
    pieces = sorted({m["piece"] for m in db.meta})
    d0 = db.doc_index(default_doc)
    piece_w = W.Dropdown(options=pieces, value=db.meta[d0]["piece"], description="piece")
    version_w = W.Dropdown(description="version")
    start_w = W.FloatSlider(value=2.0, min=0.0, max=20.0, step=0.5, description="start (s)", continuous_update=False)
    length_w = W.FloatSlider(value=10.0, min=3.0, max=25.0, step=0.5, description="length (s)",
                             continuous_update=False)
    method_w = W.ToggleButtons(options=[("diagonal + tempo set", "diagonal"), ("subsequence DTW", "dtw")],
                               value="diagonal", description="method")
    ti_w = W.Checkbox(value=True, description="transposition invariant")
    fig_out = W.Output()
    table_out = W.Output()
    query_out = W.Output()
    query_button = W.Button(description="▶ play the query")
    state = {"busy": False, "query": None}

    def play_query(_b):
        if state["query"] is None:
            return
        d, start, dur = state["query"]
        with query_out:
            query_out.clear_output(wait=True)
            display(audio_player(get_audio(d), sr, start=start, duration=dur))

    query_button.on_click(play_query)

    def versions_of(piece):
        return [db.meta[d]["version"] for d in range(db.n_docs) if db.meta[d]["piece"] == piece]

    def doc_of(piece, version):
        for d in range(db.n_docs):
            if db.meta[d]["piece"] == piece and db.meta[d]["version"] == version:
                return d
        raise ValueError(f"no document for {piece} / {version}")

    def sync_versions(*_):
        state["busy"] = True
        opts = versions_of(piece_w.value)
        version_w.options = opts
        version_w.value = opts[0]
        state["busy"] = False

    def sync_start(*_):
        d = doc_of(piece_w.value, version_w.value)
        dur = db.doc_lengths()[d] / db.feature_rate
        length_w.max = max(3.0, min(25.0, dur))
        start_w.max = max(0.0, dur - length_w.value)

    def update(*_):
        if state["busy"] or version_w.value is None:
            return
        sync_start()
        d = doc_of(piece_w.value, version_w.value)
        fr = db.feature_rate
        a = int(round(start_w.value * fr))
        L = max(2, int(round(length_w.value * fr)))
        X = db.doc_features(d)
        query = X[:, a:a + L]
        kwargs = {"transposition_invariant": ti_w.value}
        if method_w.value == "diagonal":
            kwargs["tempo_factors"] = tempo_factors
        curve = mt.matching_curve(query, db, method=method_w.value, **kwargs)
        # the query itself is not a result: blank half a query length around its own position, which is
        # its start frame for diagonal curves and its last frame for DTW curves (anchor "end")
        own = a if curve.anchor == "start" else min(a + L, X.shape[1]) - 1
        curve.cost[db.offsets[d] + max(0, own - L // 2): db.offsets[d] + min(X.shape[1], own + L // 2 + 1)] = np.inf
        matches = mt.select_matches(curve, num=num)
        occ = occurrences_fn(d, a / fr, (a + L) / fr) if occurrences_fn else None
        relevant = None
        if occ is not None:
            relevant = mt.evaluate_matches(matches, occ, tolerance=min(2.0, length_w.value / 4)).correct.tolist()
        state["query"] = (d, a / fr, L / fr)
        with fig_out:
            fig_out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(11, 3))
            plot_curve(curve, ax=ax, matches=matches, occurrences=occ,
                       title=f"query: {piece_w.value} / {version_w.value}, {a / fr:.1f}-{(a + L) / fr:.1f} s "
                             f"({method_w.value}{', 12 shifts' if ti_w.value else ''})")
            plt.show()
            plt.close(fig)
        with query_out:
            query_out.clear_output()
        with table_out:
            table_out.clear_output(wait=True)
            display(ranked_table(matches, lambda m: get_audio(m.doc), sr=sr, relevant=relevant))

    piece_w.observe(sync_versions, names="value")
    piece_w.observe(update, names="value")
    for w in (version_w, start_w, length_w, method_w, ti_w):
        w.observe(update, names="value")
    sync_versions()
    version_w.value = db.meta[d0]["version"]
    update()
    controls = W.VBox([W.HBox([piece_w, version_w]), W.HBox([start_w, length_w]), W.HBox([method_w, ti_w]),
                       W.HBox([query_button, query_out])])
    return W.VBox([controls, fig_out, table_out])
