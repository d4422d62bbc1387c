"""Small helpers to author and execute the workbook's notebooks.

Notebooks are committed *with* their outputs (nbval compares the checked
ones, readers see figures without running anything). A notebook is written
from a Python build script with :func:`md` / :func:`code` cells and then
executed in place with :func:`execute`::

    from nbtools import md, code, write, execute
    cells = [md("# Title"), code("import cmr\\nprint(1 + 1)", check=True)]
    write("notebooks/99_Example.ipynb", cells)
    execute("notebooks/99_Example.ipynb")

``check=True`` puts the ``# NBVAL_CHECK_OUTPUT`` marker in the cell, so
``make test`` (nbval in lax mode) compares its output with the stored one.
``hidden=True`` collapses the cell's source in JupyterLab (used for
solutions).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(source: str, check: bool = False, hidden: bool = False, skip: bool = False):
    source = source.strip("\n")
    if check:
        source = "# NBVAL_CHECK_OUTPUT\n" + source
    if skip:
        source = "# NBVAL_SKIP\n" + source
    cell = new_code_cell(source)
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
        cell.metadata["tags"] = ["solution"]
    return cell


def nav(prev: str | None, nxt: str | None) -> str:
    """Markdown navigation line: previous / index / next."""
    parts = []
    if prev:
        parts.append(f"[← previous]({prev})")
    parts.append("[index](00_Index.ipynb)")
    if nxt:
        parts.append(f"[next →]({nxt})")
    return " · ".join(parts)


def write(path: str | Path, cells) -> Path:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    path = Path(path)
    nbformat.write(nb, path)
    return path


def execute(path: str | Path, timeout: int = 600) -> float:
    """Execute a notebook in place (cwd = notebooks/), store outputs, return seconds.

    Uses the same kernel client as the static site builder, which re-polls
    the kernel every second (see ``build_site._poll_in_slices``): without
    that, a notebook whose widgets show audio could sit idle until the
    per-cell timeout although the kernel had finished.
    """
    from build_site import execute as execute_nb

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    execute_nb(nb, path.parent, timeout)
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds

if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: executed in {execute(name):.1f} s")
