"""Every notebook in a real browser: JupyterLab + headless Chromium (``make e2e``).

For each ``*.ipynb`` in the notebook folder (``notebooks/`` unless
``CMR_E2E_NOTEBOOKS`` says otherwise): open it in JupyterLab, clear its
stored outputs, Run All from the menu, wait until the kernel is idle, then
require

* no error output in any cell and every code cell executed;
* every ipywidgets view rendered as a live widget (not "Loading widget..."
  or "Error displaying widget: model not found");
* in a notebook with sliders: moving one changes a displayed figure;
* audio players present (every notebook but the index) and playable by the
  browser (metadata loaded, duration > 0);
* the ``.ipynb`` file on disk unchanged by the run.

A screenshot of each notebook after the run goes to ``artifacts/e2e/``.

The self-tests at the end run the same checks on throwaway fixture notebooks
in a temporary folder and show that each check passes on a good notebook and
fails on a notebook that raises, a widget that cannot render and a slider
that changes nothing.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from e2e_settings import artifacts_dir, notebook_dir, notebook_timeout
from driver import problems, run_notebook
from fixture_nb import write_fixture

NOTEBOOKS = sorted(notebook_dir().glob("*.ipynb"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(lab_servers, page, nb: Path, require_audio: bool, shot_name: str | None = None,
         server_root: Path | None = None):
    root = server_root or nb.parent.parent  # the repository (or fixture) folder
    server = lab_servers(root)
    relpath = nb.relative_to(root).as_posix()
    shot = artifacts_dir() / f"{shot_name or nb.stem}.png"
    try:
        report = run_notebook(page, server, relpath, timeout=notebook_timeout(), screenshot=shot)
    finally:
        server.shutdown_kernels()  # free the memory before the next notebook
    return report, problems(report, require_audio=require_audio)


def test_notebooks_found():
    assert NOTEBOOKS, f"no notebooks in {notebook_dir()}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_in_browser(nb, lab_servers, page):
    before = _digest(nb)
    report, found = _run(lab_servers, page, nb, require_audio=not nb.stem.endswith("Index"))
    print(f"{nb.name}: ran in {report.seconds:.1f} s, {report.code_cells} code cells, "
          f"{report.widget_views} widget views, {len(report.audios)} audio players, "
          f"sliders {report.sliders} ({'; '.join(report.slider_log) or 'none moved'}), "
          f"screenshot {report.screenshot}")
    assert not found, "\n".join(found)
    assert _digest(nb) == before, f"{nb} was modified on disk by the browser run"


# --- self-tests: the checks fail where they must ---------------------------------

@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e-fixtures")


def _fixture(fixture_root, name, **kw) -> Path:
    nbdir = write_fixture(fixture_root / name, with_file_audio=True, **kw)
    return nbdir / "00_Fixture.ipynb"


def _run_fixture(fixture_root, lab_servers, page, name, **kw):
    # one server for all fixture variants, rooted above them
    return _run(lab_servers, page, _fixture(fixture_root, name, **kw), True,
                f"selftest-{name}", server_root=fixture_root)


def test_checks_pass_on_the_good_fixture(fixture_root, lab_servers, page):
    report, found = _run_fixture(fixture_root, lab_servers, page, "good")
    assert found == [], found
    assert report.widget_views == 1 and report.slider_changed_figure is True
    assert len(report.audios) == 2  # data-URI player and ../audio/ file player


def test_checks_fail_when_a_notebook_raises(fixture_root, lab_servers, page):
    report, found = _run_fixture(fixture_root, lab_servers, page, "broken", broken=True)
    assert any("RuntimeError: deliberately broken fixture cell" in p for p in found), found


def test_checks_fail_on_dead_widget_and_idle_slider(fixture_root, lab_servers, page):
    report, found = _run_fixture(fixture_root, lab_servers, page, "dead-widget",
                                 dead_widget=True, idle_slider=True)
    assert any("widget not rendered live" in p and "model not found" in p for p in found), found
    assert any("moving a slider changed no figure" in p for p in found), found
