"""The theme explorer of notebook 06 passes its matching options (shifts, tempo normalisation, relative scores,
frame rate)."""
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


def test_theme_explorer_switches_to_the_fine_database(capsys):
    import pytest

    pieces, theme_list, relevance = themes.load_dataset()
    db, _ = themes.load_database("conv")
    fine_db, _ = themes.load_database("conv", fine=True)
    assert (db.feature_rate, fine_db.feature_rate) == (themes.FEATURE_RATE, themes.FINE_RATE)
    assert list(fine_db.doc_ids) == list(db.doc_ids)
    assert abs(fine_db.duration - db.duration) / db.duration < 0.01  # the same recordings, twice the frames
    row = theme_list[theme_list["theme"] == THEME].iloc[0]
    notes = themes.theme_from_row(row).notes(float(row["qpm"]))
    relevant = set(relevance.loc[relevance["theme"] == THEME, "piece"])

    def rank(d, rate, normalize):
        q = themes.theme_features(notes, "conv", feature_rate=rate)
        return themes.first_relevant_rank(themes.rank_documents(themes.match_theme(q, d, normalize=normalize)),
                                          relevant)

    assert rank(fine_db, themes.FINE_RATE, True) != rank(db, themes.FEATURE_RATE, True)  # the switch shows
    w = theme_explorer(theme_list, pieces, relevance, db, kind="conv", themes_shown=[THEME], normalize=True,
                       fine_db=fine_db, fine=True)
    norm, rel, fine = w.children[1].children
    out = capsys.readouterr().out
    assert _first_rank(out) == rank(fine_db, themes.FINE_RATE, True)
    fine.value = False
    assert _first_rank(capsys.readouterr().out) == rank(db, themes.FEATURE_RATE, True)
    norm.value = False
    fine.value = True
    assert _first_rank(capsys.readouterr().out) == rank(fine_db, themes.FINE_RATE, False)
    with pytest.raises(ValueError, match="needs fine_db"):
        theme_explorer(theme_list, pieces, relevance, db, kind="conv", themes_shown=[THEME], fine=True)
    with pytest.raises(ValueError, match="same recordings"):
        theme_explorer(theme_list, pieces, relevance, db, kind="conv", themes_shown=[THEME],
                       fine_db=fine_db.subset(range(5)))


def test_theme_explorer_uses_the_given_tempo_factors(capsys):
    theme = "bach_bwv31.9#0"  # its recording is second with 9 factors at 10 Hz, first with 13
    pieces, theme_list, relevance = themes.load_dataset()
    db, _ = themes.load_database("conv")
    fine_db, _ = themes.load_database("conv", fine=True)
    row = theme_list[theme_list["theme"] == theme].iloc[0]
    q = themes.theme_features(themes.theme_from_row(row).notes(float(row["qpm"])), "conv",
                              feature_rate=fine_db.feature_rate)
    relevant = set(relevance.loc[relevance["theme"] == theme, "piece"])
    expect = {n: themes.first_relevant_rank(themes.rank_documents(themes.match_theme(
        q, fine_db, tempo_factors=themes.tempo_factors(n), normalize=True)), relevant) for n in (9, 13)}
    assert expect[9] != expect[13]
    for n in (9, 13):
        theme_explorer(theme_list, pieces, relevance, db, kind="conv", themes_shown=[theme], normalize=True,
                       fine_db=fine_db, fine=True, tempo_factors=themes.tempo_factors(n))
        assert _first_rank(capsys.readouterr().out) == expect[n]
