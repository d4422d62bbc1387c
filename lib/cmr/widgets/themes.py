"""Widget for notebook 06: pick a theme, hear it, see its matching curve over the database, hear the best hit."""
from __future__ import annotations

import numpy as np


def theme_explorer(theme_list, pieces, relevance, db, kind: str = "melody", themes_shown=None,
                   n_rows: int = 8, transposition_invariant: bool = True, normalize: bool = False,
                   relative: bool = False, fine_db=None, fine: bool = False, tempo_factors=None):
    """Interactive theme retrieval over the precomputed database.

    Parameters
    ----------
    theme_list, pieces, relevance : tables from :func:`cmr.themes.load_dataset`
    db : cmr.matching.Database of feature ``kind`` (:func:`cmr.themes.load_database`)
    kind : feature kind of ``db``
    themes_shown : list of theme ids offered in the drop-down (default: all)
    n_rows : length of the ranked list shown
    transposition_invariant : initial state of the checkbox
    normalize, relative : initial states of the checkboxes for tempo normalisation
        (:func:`cmr.themes.match_theme`) and recording-relative scores
        (:func:`cmr.themes.rank_documents`)
    fine_db : cmr.matching.Database, optional
        The same recordings and feature kind at a higher frame rate
        (``cmr.themes.load_database(kind, fine=True)``, 10 Hz); adds a
        checkbox that switches between ``db`` and ``fine_db`` (the query is
        computed at the rate of the database in use).
    fine : initial state of that checkbox (needs ``fine_db``)
    tempo_factors : sequence of float, optional
        Tempo factors of the matching (default :data:`cmr.themes.TEMPO_FACTORS`, nine; the best
        configuration of notebook 06 uses ``cmr.themes.tempo_factors(13)``)

    Returns
    -------
    ipywidgets.VBox
        A theme drop-down, checkboxes for transposition invariance, tempo
        normalisation, relative scores (and the frame rate), the theme
        (score and synthesized audio), the matching curve over the whole
        database, the ranked recordings, and a button that renders the best
        hit's excerpt with :mod:`cmr.synth` and plays it.
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    from cmr import synth, themes
    from cmr.plot import audio as audio_player
    from cmr.plot.themes import database_curve, theme_svg

    if fine_db is not None and list(fine_db.doc_ids) != list(db.doc_ids):
        raise ValueError("fine_db must hold the same recordings, in the same order, as db")
    if fine and fine_db is None:
        raise ValueError("fine=True needs fine_db (cmr.themes.load_database(kind, fine=True))")
    tf = themes.TEMPO_FACTORS if tempo_factors is None else tuple(tempo_factors)
    ids = list(theme_list["theme"]) if themes_shown is None else list(themes_shown)
    by_id = theme_list.set_index("theme")
    rel = relevance.groupby("theme")["piece"].apply(set).to_dict()
    piece_rows = pieces.set_index("piece")
    pick = W.Dropdown(options=ids, value=ids[0], description="theme", layout=W.Layout(width="420px"))
    inv = W.Checkbox(value=transposition_invariant, description="12 chroma shifts (transposition invariance)",
                     layout=W.Layout(width="420px"))
    norm = W.Checkbox(value=normalize, description="tempo normalisation", layout=W.Layout(width="200px"))
    relb = W.Checkbox(value=relative, description="score relative to the recording", layout=W.Layout(width="280px"))
    fineb = W.Checkbox(value=bool(fine), layout=W.Layout(width="200px"),
                       description=f"{fine_db.feature_rate:g} frames per second" if fine_db is not None else "")
    out_theme = W.Output()
    out_curve = W.Output()
    out_hit = W.Output()
    button = W.Button(description="▶ render and play the best hit", layout=W.Layout(width="260px"))
    state = {}

    def update(_=None):
        row = by_id.loc[pick.value]
        th = themes.theme_from_row(row.to_frame().T.assign(theme=pick.value).iloc[0])
        notes = th.notes(float(row.qpm))
        use = fine_db if fineb.value else db
        q = themes.theme_features(notes, kind, feature_rate=use.feature_rate)
        curve = themes.match_theme(q, use, tempo_factors=tf, transposition_invariant=inv.value,
                                   normalize=norm.value)
        ranking = themes.rank_documents(curve, relative=relb.value)
        relevant = rel.get(pick.value, set())
        state.update(ranking=ranking, relevant=relevant)
        alone = synth.render(notes.assign(start_beat=th.onsets, end_beat=th.offsets)[["start_beat", "end_beat",
                                                                                       "pitch"]],
                             synth.Version(bpm=float(row.qpm), programs=73))
        with out_theme:
            out_theme.clear_output(wait=True)
            print(f"{pick.value}: {th.n_notes} notes, {notes['end'].max():.1f} s at the written tempo "
                  f"({row.qpm:g} quarter notes per minute)")
            try:
                display(theme_svg(th))
            except Exception as exc:  # engraving is a nicety; the retrieval does not need it
                print(f"(no score image: {exc})")
            display(audio_player(alone.audio, alone.sr))
        with out_curve:
            out_curve.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(11, 2.6))
            database_curve(curve, ranking, relevant, ax=ax)
            ax.set_title(f"matching curve over {use.n_docs} recordings ({use.duration / 3600:.1f} h, "
                         f"{use.feature_rate:g} frames per second)")
            plt.show()
            plt.close(fig)
            rows = []
            for _, r in ranking.head(n_rows).iterrows():
                mark = "✔" if r.doc_id in relevant else ""
                rows.append(f"<tr><td>{int(r['rank'])}</td><td>{r.doc_id}</td><td>{r.start:.1f}-{r.end:.1f}</td>"
                            f"<td>{r.cost:.3f}</td><td>{int(r['shift'])}</td><td>{r.tempo:.2f}</td><td>{mark}</td></tr>")
            first = themes.first_relevant_rank(ranking, relevant) if relevant else None
            display(W.HTML("<table><tr><th>rank</th><th>recording</th><th>match (s)</th><th>score</th>"
                           "<th>shift</th><th>tempo</th><th>relevant</th></tr>" + "".join(rows) +
                           f"</table><p>first relevant recording at rank {first}</p>"))
        with out_hit:
            out_hit.clear_output()

    def play(_b):
        ranking = state.get("ranking")
        if ranking is None:
            return
        best = ranking.iloc[0]
        with out_hit:
            out_hit.clear_output(wait=True)
            print(f"rendering {best.doc_id} ...")
            r = themes.render_piece(piece_rows.loc[best.doc_id].to_frame().T.iloc[0])
            out_hit.clear_output(wait=True)
            print(f"best hit: {best.doc_id}, {best.start:.1f}-{best.end:.1f} s (score {best.cost:.3f})")
            display(audio_player(r.audio, r.sr, start=max(0.0, best.start - 0.5),
                                 duration=best.end - best.start + 1.5))

    pick.observe(update, names="value")
    inv.observe(update, names="value")
    norm.observe(update, names="value")
    relb.observe(update, names="value")
    fineb.observe(update, names="value")
    button.on_click(play)
    update()
    options = [norm, relb] + ([fineb] if fine_db is not None else [])
    return W.VBox([W.HBox([pick, inv]), W.HBox(options), out_theme, out_curve, button, out_hit])
