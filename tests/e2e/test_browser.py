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
from e2e_settings import ROOT, artifacts_dir, notebook_dir, notebook_timeout
from e2e_driver import problems, run_notebook
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
          f"dropdowns {report.dropdowns} ({'; '.join(report.dropdown_log) or 'not tried'}), "
          f"screenshot {report.screenshot}")
    assert not found, "\n".join(found)
    assert _digest(nb) == before, (f"{nb} changed on disk during the browser run (JupyterLab must not save it; "
                                 f"or someone rebuilt it meanwhile)")


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
    report, found = _run_fixture(fixture_root, lab_servers, page, "good", demo_error=True)
    assert found == [], found
    # the cell tagged raises-exception raised, and Run All went on past it
    assert len(report.expected_errors) == 1 and "ValueError" in report.expected_errors[0]
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



def test_checks_fail_on_a_dropdown_that_changes_nothing(fixture_root, lab_servers, page):
    report, found = _run_fixture(fixture_root, lab_servers, page, "idle-dropdown", idle_dropdown=True)
    assert report.sliders == 0 and report.dropdowns == 1
    assert any("choosing another dropdown option changed no output" in p for p in found), found


# --- the static site (make html) in the same browser -------------------------------

def _load_build_site():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_site"] = mod
    spec.loader.exec_module(mod)
    return mod


def _check_site_in_browser(page, site: Path) -> list[str]:
    """Open index.html, follow every notebook link; audio must load, images must decode."""
    found = []
    page.goto((site / "index.html").as_uri(), wait_until="domcontentloaded")
    links = page.eval_on_selector_all("a[href$='.html']", "els => els.map(e => e.href)")
    if not links:
        return ["index.html links no page"]
    for url in links:
        page.goto(url, wait_until="domcontentloaded")
        name = url.rsplit("/", 1)[-1]
        try:
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('audio')).every(a => a.readyState >= 1 || a.error)"
                " && Array.from(document.images).every(i => i.complete)", timeout=15_000)
        except Exception:
            found.append(f"{name}: audio or images still loading after 15 s")
        audios = page.eval_on_selector_all(
            "audio", "els => els.map(a => [a.currentSrc.startsWith('data:') ? a.currentSrc.slice(0, 40) : a.currentSrc, a.readyState, a.duration, a.error ? a.error.code : null])")
        for src, ready, duration, error in audios:
            if error or ready < 1 or not duration or duration <= 0:
                found.append(f"{name}: audio {src!r} does not load (readyState {ready}, error {error})")
        broken_images = page.eval_on_selector_all(
            "img", "els => els.filter(i => !(i.naturalWidth > 0)).map(i => i.src.slice(0, 50))")
        found += [f"{name}: image {src!r} does not decode" for src in broken_images]
    return found


def test_fixture_site_in_browser(tmp_path, page):
    mod = _load_build_site()
    nbdir = write_fixture(tmp_path, with_file_audio=True)
    result = mod.build_site(nbdir, tmp_path / "site", run=True, timeout=120, log=lambda *a, **k: None)
    assert result.problems == []
    assert _check_site_in_browser(page, result.site) == []
    # formulas are typeset by the site's own MathJax copy (no network here)
    page.goto((result.site / "notebooks" / "01_Fixture_Second.html").as_uri(), wait_until="domcontentloaded")
    page.wait_for_selector(".MathJax_Display, .MathJax", state="attached", timeout=20_000)
    # and the check notices an audio file that is gone
    (result.site / "audio" / "fixture_click.wav").unlink()
    found = _check_site_in_browser(page, result.site)
    assert any("fixture_click.wav" in p for p in found), found


def test_built_site_in_browser(page):
    site = ROOT / "build" / "site"
    if not (site / "index.html").is_file():
        pytest.skip("no build/site: run `make html` first to check the real site in the browser")
    built_at = (site / "index.html").stat().st_mtime
    newer = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if p.stat().st_mtime > built_at]
    if newer:
        pytest.skip(f"build/site is older than {newer}: run `make html` again")
    assert _check_site_in_browser(page, site) == []
