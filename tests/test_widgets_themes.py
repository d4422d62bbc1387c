"""The theme explorer of notebook 06 passes its matching options (shifts, tempo normalisation, relative scores)."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

from cmr import themes  # noqa: E402
from cmr.widgets.themes import theme_explorer  # noqa: E402

THEME = "beethoven_opus18no1_movement1#0"


def _first_rank(text):
    found = re.findall(r"first relevant recording at rank (\d+)", text)
    assert found, text[-2000:]
    return int(found[-1])


def test_theme_explorer_follows_its_checkboxes(capsys):
    pieces, theme_list, relevance = themes.load_dataset()
    db, _ = themes.load_database("conv")
    row = theme_list[theme_list["theme"] == THEME].iloc[0]
    q = themes.theme_features(themes.theme_from_row(row).notes(float(row["qpm"])), "conv")
    relevant = set(relevance.loc[relevance["theme"] == THEME, "piece"])
    expect = {(n, r): themes.first_relevant_rank(themes.rank_documents(themes.match_theme(q, db, normalize=n),
                                                                       relative=r), relevant)
              for n in (False, True) for r in (False, True)}
    assert len(set(expect.values())) > 1  # the options matter for this theme
    w = theme_explorer(theme_list, pieces, relevance, db, kind="conv", themes_shown=[THEME])
    norm, rel = w.children[1].children
    assert _first_rank(capsys.readouterr().out) == expect[(False, False)]
    norm.value = True
    assert _first_rank(capsys.readouterr().out) == expect[(True, False)]
    rel.value = True
    assert _first_rank(capsys.readouterr().out) == expect[(True, True)]
    norm.value = False
    assert _first_rank(capsys.readouterr().out) == expect[(False, True)]
