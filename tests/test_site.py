"""The static site builder (scripts/build_site.py, ``make html``).

Fast by design (it runs in ``make test``): the builder is run, with
execution, on two small fixture notebooks written to a temporary folder
(tests/e2e/fixture_nb.py: a slider driving a figure, an IPython audio
player, an audio file referenced as ``../audio/...``, a link between the
notebooks). The real workbook takes minutes to execute, so its build is
checked here only when ``build/site`` exists and is newer than every
notebook (after ``make html``; ``make html`` also runs the same checker on
what it built and fails on any problem).

The checker itself is tested on sites broken on purpose, so a passing
check means something.
"""
from __future__ import annotations

import base64
import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from script_loader import load_module

ROOT = Path(__file__).resolve().parents[1]


write_fixture = load_module("fixture_nb", ROOT / "tests" / "e2e" / "fixture_nb.py").write_fixture
build_site_mod = load_module("build_site", ROOT / "scripts" / "build_site.py")
build_site, check_site = build_site_mod.build_site, build_site_mod.check_site
degrade_widgets, WIDGET_NOTE = build_site_mod.degrade_widgets, build_site_mod.WIDGET_NOTE


def _quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("site-fixture")
    nbdir = write_fixture(root, with_file_audio=True, demo_error=True)
    before = {p.name: p.read_bytes() for p in nbdir.glob("*.ipynb")}
    result = build_site(nbdir, root / "site", run=True, timeout=120, log=_quiet)
    return root, nbdir, result, before


def _page(result, stem):
    return (result.site / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")


def test_fixture_site_builds_without_problems(built):
    root, nbdir, result, before = built
    assert result.failed == {}
    assert result.problems == []
    assert sorted(p.name for p in result.pages) == ["00_Fixture.html", "01_Fixture_Second.html"]
    # the source notebooks are not touched by the build
    assert {p.name: p.read_bytes() for p in nbdir.glob("*.ipynb")} == before


def test_cell_tagged_raises_exception_is_rendered_not_fatal(built):
    _, _, result, _ = built
    assert "query longer than the database (a demonstration)" in _page(result, "00_Fixture")


@pytest.mark.skipif(importlib.util.find_spec("jupyter_server_mathjax") is None,
                    reason="jupyter-server-mathjax (the `site` extra) not installed")
def test_formulas_use_the_sites_own_mathjax(built):
    _, _, result, _ = built
    page = _page(result, "01_Fixture_Second")
    assert 'src="../mathjax/MathJax.js?config=' in page and "cdnjs" not in page
    assert (result.site / "mathjax" / "MathJax.js").is_file()


def test_index_links_every_notebook_page(built):
    _, nbdir, result, _ = built
    index = (result.site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    for nb in nbdir.glob("*.ipynb"):
        assert f"notebooks/{nb.stem}.html" in links
        assert (result.site / "notebooks" / f"{nb.stem}.html").is_file()
    assert "Fixture notebook" in index and "Second fixture notebook" in index


def test_links_between_notebooks_point_to_pages(built):
    _, _, result, _ = built
    page = _page(result, "00_Fixture")
    assert 'href="01_Fixture_Second.html"' in page
    assert ".ipynb\"" not in page


def test_audio_embedded_and_referenced_files_copied(built):
    root, _, result, _ = built
    page = _page(result, "00_Fixture")
    data_uris = re.findall(r'src="(data:audio/wav;base64,[^"]+)"', page)
    assert len(data_uris) == 1
    wav = base64.b64decode(data_uris[0].split(",", 1)[1])
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    # the fixture tone is 0.5 s at 8 kHz, 16-bit mono: 8000 bytes of samples
    assert len(wav) == 44 + 8000
    assert 'src="../audio/fixture_click.wav"' in page
    copied = result.site / "audio" / "fixture_click.wav"
    assert copied.read_bytes() == (root / "audio" / "fixture_click.wav").read_bytes()


def test_widget_replaced_by_note_and_initial_figure(built):
    _, _, result, _ = built
    page = _page(result, "00_Fixture")
    assert result.widgets_replaced == 1
    assert WIDGET_NOTE in page and "frequency (Hz) = 2" in page
    # the figure the widget's Output captured for the initial value is in the page
    note_at = page.index(WIDGET_NOTE)
    assert "data:image/png;base64," in page[note_at:]
    assert "application/vnd.jupyter.widget-view+json" not in page
    assert "Loading widget" not in page


def test_a_raising_notebook_fails_the_build(tmp_path):
    nbdir = write_fixture(tmp_path, broken=True)
    result = build_site(nbdir, tmp_path / "site", run=True, timeout=120, log=_quiet)
    assert "RuntimeError" in result.failed["00_Fixture.ipynb"]
    assert "00_Fixture.ipynb: execution failed" in result.problems
    assert any("no page for 00_Fixture.ipynb" in p for p in result.problems)


# --- the checker finds broken sites -------------------------------------------------

@pytest.fixture
def site_copy(built, tmp_path):
    _, nbdir, result, _ = built
    site = tmp_path / "site"
    shutil.copytree(result.site, site)
    return site, sorted(nbdir.glob("*.ipynb"))


def test_checker_passes_the_intact_copy(site_copy):
    site, nbs = site_copy
    assert check_site(site, nbs) == []


def test_checker_finds_a_missing_page(site_copy):
    site, nbs = site_copy
    (site / "notebooks" / "01_Fixture_Second.html").unlink()
    found = check_site(site, nbs)
    assert any("no page for 01_Fixture_Second.ipynb" in p for p in found), found
    # the link in 00_Fixture's page now dangles too
    assert any("00_Fixture.html" in p and "01_Fixture_Second.html" in p for p in found), found


def test_checker_finds_a_dangling_index_link(site_copy):
    site, nbs = site_copy
    index = site / "index.html"
    index.write_text(index.read_text().replace("notebooks/01_Fixture_Second.html", "notebooks/nope.html"))
    found = check_site(site, nbs)
    assert any("does not link notebooks/01_Fixture_Second.html" in p for p in found), found
    assert any("'notebooks/nope.html' does not resolve" in p for p in found), found


def test_checker_finds_a_missing_audio_file(site_copy):
    site, nbs = site_copy
    (site / "audio" / "fixture_click.wav").unlink()
    found = check_site(site, nbs)
    assert any("missing file '../audio/fixture_click.wav'" in p for p in found), found


def test_checker_finds_a_bad_audio_data_uri(site_copy):
    site, nbs = site_copy
    page = site / "notebooks" / "00_Fixture.html"
    text = page.read_text()
    text = re.sub(r'data:audio/wav;base64,[^"]+', "data:audio/wav;base64,AAAA", text, count=1)
    page.write_text(text)
    found = check_site(site, nbs)
    assert any("holds no audio file" in p for p in found), found


def test_checker_finds_an_audio_element_without_source(site_copy):
    site, nbs = site_copy
    page = site / "notebooks" / "01_Fixture_Second.html"
    page.write_text(page.read_text().replace("</main>", "<audio controls></audio></main>"))
    assert any("has no source" in p for p in check_site(site, nbs))


# --- widget degradation on a hand-made widget state ---------------------------------

def test_degrade_widgets_walks_nested_boxes():
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo=", "text/plain": "fig"}}
    text = {"output_type": "stream", "name": "stdout", "text": "cost 1.25\n"}
    states = {
        "a": model("VBoxModel", children=["IPY_MODEL_b", "IPY_MODEL_c"]),
        "b": model("HBoxModel", children=["IPY_MODEL_s", "IPY_MODEL_d"]),
        "s": model("FloatSliderModel", description="tempo", value=1.5),
        "d": model("DropdownModel", description="step sizes", value="classic"),
        "c": model("OutputModel", outputs=[png, text]),
    }
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="before\n"),
        nbformat.v4.new_output("display_data", data={
            "text/plain": "VBox()",
            "application/vnd.jupyter.widget-view+json": {"model_id": "a", "version_major": 2, "version_minor": 0}}),
    ])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": states}}
    assert degrade_widgets(nb) == 1
    outs = nb.cells[0].outputs
    assert [o.output_type for o in outs] == ["stream", "display_data", "display_data", "stream"]
    note = outs[1].data["text/html"]
    assert WIDGET_NOTE in note and "tempo = 1.5" in note and "step sizes = classic" in note
    assert note.index("tempo") < note.index("step sizes")
    assert outs[2].data["image/png"] == "iVBORw0KGgo=" and outs[3].text == "cost 1.25\n"
    assert "widgets" not in nb.metadata


# --- the real build, when there is a fresh one ----------------------------------------

def test_real_build_when_present():
    site = ROOT / "build" / "site"
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not (site / "index.html").is_file():
        pytest.skip("no build/site (run `make html` to build and check the real site)")
    built_at = (site / "index.html").stat().st_mtime
    newer = [p.name for p in notebooks if p.stat().st_mtime > built_at]
    if newer:
        pytest.skip(f"build/site is older than {newer}: run `make html` again")
    assert check_site(site, notebooks) == []
