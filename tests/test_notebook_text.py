"""Markdown of the committed notebooks holds no stray control characters.

The build scripts write markdown in ordinary Python strings, where ``\\f`` (in ``\\frac``), ``\\a`` (in
``\\approx``), ``\\b`` (in ``\\bigl``) or ``\\t`` (in ``\\tilde``) silently become control characters and
break the LaTeX; this catches them in the executed notebooks themselves.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_has_no_control_characters(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    bad = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        for m in CONTROL.finditer(text):
            bad.append(f"cell {i}: {m.group()!r} in ...{text[max(0, m.start() - 30):m.start() + 10]!r}")
    assert not bad, "\n".join(bad)


def test_the_check_sees_a_form_feed():
    nb = {"cells": [{"cell_type": "markdown", "source": ["$\\frac{1}{2}$ and $\frac{1}{2}$"]}]}
    text = "".join(nb["cells"][0]["source"])
    assert len(CONTROL.findall(text)) == 1
