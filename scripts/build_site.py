"""Render the workbook as a static HTML site (``make html``).

Every ``notebooks/*.ipynb`` is executed (nbclient, the ``python3`` kernel of
the interpreter running this script, i.e. the project's ``.venv``; working
folder ``notebooks/``) and rendered with nbconvert's ``lab`` template into
``build/site/notebooks/<name>.html``; ``build/site/index.html`` is the
notebook map. The committed notebooks are never modified.

* Figures and IPython audio players are embedded in the pages (base64 data
  URIs); files that a page references by relative path (``../audio/x.wav``,
  an image) are copied into the site at the same relative place.
* Links between notebooks (``01_Chroma_Features.ipynb``) point to the pages.
* ipywidgets need a running kernel to do anything (their callbacks are
  Python), so each widget view is replaced by a visible note saying so,
  followed by what the widget showed for its initial values (the outputs its
  ``Output`` widgets captured during execution: the figure, the audio).
* Collapsed solution cells become ``<details>`` blocks.

Afterwards the site is checked (:func:`check_site`): a page per notebook,
every relative link and source resolves, every ``<audio>`` has a playable
source (an existing file or a decodable ``data:audio/...`` URI). Problems
make the script exit with status 1.

Usage::

    python scripts/build_site.py                    # execute + render notebooks/
    python scripts/build_site.py --no-execute       # use the committed outputs
    python scripts/build_site.py --notebooks DIR --out DIR
"""
from __future__ import annotations

import argparse
import base64
import binascii
import copy
import html
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = "interactive widget: run this notebook in JupyterLab or Binder"

# nbconvert's lab template, minus the scripts the site does not need (require.js,
# mermaid, the widget manager: widgets are replaced by notes), plus a
# navigation bar and solutions folded into <details>. MathJax comes from the
# site's own copy (copy_mathjax) or, without it, from the web.
SITE_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}
<style type="text/css">
.cmr-sitebar { font-family: var(--jp-ui-font-family, sans-serif); padding: 0.6em 1em;
  border-bottom: 1px solid #ddd; margin-bottom: 1em; }
.cmr-widget-note { border-left: 4px solid #e0a800; background: #fff8e1; padding: 0.4em 0.8em;
  margin: 0.3em 0; font-family: var(--jp-ui-font-family, sans-serif); }
details.cmr-solution > summary { cursor: pointer; color: #555; margin: 0.3em 0; }
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
<nav class="cmr-sitebar"><a href="../index.html">&larr; all notebooks</a></nav>
{%- endblock body_header -%}
{% block input_group -%}
{%- if cell.metadata.get('jupyter', {}).get('source_hidden') -%}
<details class="cmr-solution"><summary>Solution (click to show the code)</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock input_group %}
"""

INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style type="text/css">
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: 0.4em 0.6em; border-bottom: 1px solid #ddd; }}
.note {{ color: #555; font-size: 0.95em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<h2>The notebooks</h2>
<table>
<thead><tr><th>#</th><th>notebook</th><th>what it is about</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="note">This is a static rendering made by <code>make html</code>: figures and audio
players work in any browser; sliders and other widgets need a running Python kernel, so
each one is replaced by a note ({widget_note}) followed by what it showed for its initial
values. Formulas are typeset by MathJax {mathjax}.</p>
<p class="note">Built {built} from {count} notebooks{executed}.</p>
</body>
</html>
"""


# --------------------------------------------------------------------------- widgets
def _refs(value) -> list[str]:
    """Model ids referenced as ``IPY_MODEL_<id>`` inside a widget state value."""
    if isinstance(value, str):
        return [value[len("IPY_MODEL_"):]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _describe_control(model: dict) -> str | None:
    name = model.get("model_name", "")
    state = model.get("state", {})
    if name in ("OutputModel", "LayoutModel") or name.endswith("StyleModel") or name.startswith(("VBox", "HBox", "Box", "GridBox")):
        return None
    kind = name.replace("Model", "")
    label = state.get("description") or kind
    if "value" in state and not isinstance(state["value"], (dict, list)):
        return f"{html.escape(str(label))} = {html.escape(str(state['value']))}"
    return html.escape(str(label))


def _walk(model_id: str, states: dict, seen: set) -> tuple[list[str], list[dict]]:
    """Controls (described) and captured outputs of a widget and its children, in order."""
    if model_id in seen or model_id not in states:
        return [], []
    seen.add(model_id)
    model = states[model_id]
    state = model.get("state", {})
    controls, outputs = [], []
    desc = _describe_control(model)
    if desc:
        controls.append(desc)
    if model.get("model_name") == "OutputModel":
        outputs.extend(copy.deepcopy(state.get("outputs", [])))
    for child in _refs(state.get("children", [])):
        c, o = _walk(child, states, seen)
        controls += c
        outputs += o
    return controls, outputs


def degrade_widgets(nb) -> int:
    """Replace every widget view by a note plus what its Output widgets showed.

    Returns the number of widget views replaced. The widget state is removed
    from the notebook metadata afterwards (the site loads no widget manager).
    """
    states = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new_outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW) if out.get("output_type") in ("display_data", "execute_result") else None
            if view is None:
                new_outputs.append(out)
                continue
            replaced += 1
            controls, captured = _walk(view.get("model_id", ""), states, set())
            what = f" ({'; '.join(controls)})" if controls else ""
            after = " Below: what it showed for these initial values." if captured else ""
            note = (f'<div class="cmr-widget-note"><strong>{WIDGET_NOTE}</strong>{what}.'
                    f' It needs a running Python kernel.{after}</div>')
            new_outputs.append(nbformat.v4.new_output(
                "display_data", data={"text/html": note, "text/plain": WIDGET_NOTE}))
            new_outputs.extend(nbformat.from_dict(o) for o in captured)
        cell.outputs = new_outputs
    nb.metadata.pop("widgets", None)
    return replaced


# --------------------------------------------------------------------------- rendering
def _poll_in_slices(channel, slice_seconds: float = 1.0) -> None:
    """Make ``channel.get_msg(timeout)`` wait in short polls instead of one long one.

    With the async client (jupyter_client 8, pyzmq 27) a reply that is
    already in the socket is sometimes not noticed until the poll's timeout
    runs out: we measured cells whose reply came exactly when nbclient's
    per-cell timeout (600 s) expired while the kernel had been idle all
    along. Re-polling every second bounds that delay to about a second.
    """
    from queue import Empty
    from time import monotonic

    original = channel.get_msg

    async def get_msg(timeout=None):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            remaining = slice_seconds if deadline is None else max(0.0, deadline - monotonic())
            try:
                return await original(timeout=min(slice_seconds, remaining))
            except Empty:
                if deadline is not None and monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


def execute(nb, nbdir: Path, timeout: int):
    from nbclient import NotebookClient

    class Client(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            _poll_in_slices(kc.shell_channel)
            _poll_in_slices(kc.iopub_channel)
            return kc

    client = Client(nb, timeout=timeout, kernel_name="python3",
                    resources={"metadata": {"path": str(nbdir)}},
                    store_widget_state=True)
    client.execute()
    return nb


def copy_mathjax(out: Path) -> str | None:
    """Copy MathJax 2.7 (from the ``jupyter-server-mathjax`` package) into ``out/mathjax``.

    Returns the ``mathjax_url`` for pages one folder below ``out``, or None
    when the package is not installed (the pages then load MathJax from the
    web, nbconvert's default).
    """
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (src / "MathJax.js").is_file():
        return None
    shutil.copytree(src, out / "mathjax")  # 10 MB, with its LICENSE
    return "../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"


def _exporter(mathjax_url: str | None = None):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab",
                            extra_loaders=[DictLoader({"cmr_site.html.j2": SITE_TEMPLATE})])
    exporter.template_file = "cmr_site.html.j2"
    exporter.embed_images = True
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    return exporter


def rewrite_notebook_links(page: str, names: set[str]) -> str:
    """``href="X.ipynb#frag"`` -> ``href="X.html#frag"`` for notebooks in the site."""
    def sub(m):
        target, frag = m.group(2), m.group(3) or ""
        if target in names:
            return f'{m.group(1)}{target[:-len(".ipynb")]}.html{frag}"'
        return m.group(0)
    return re.sub(r'(href=")([^"#?/:]+\.ipynb)(#[^"]*)?"', sub, page)


def title_and_summary(nb, fallback: str) -> tuple[str, str]:
    """The first markdown heading and the paragraph after it (plain text)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# "):
                title = line[2:].strip()
                para = []
                for rest in lines[i + 1:]:
                    if rest.strip() == "" and para:
                        break
                    if rest.strip() and not rest.startswith("#"):
                        para.append(rest.strip())
                summary = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join(para))  # drop link targets
                summary = html.unescape(re.sub(r"[*_`]", "", summary))  # &sharp; -> #
                if summary and not summary.rstrip().endswith((".", "!", "?", ")")):
                    # the paragraph runs into a list ("Afterwards you can"): keep whole sentences
                    cut = max(summary.rfind(". "), summary.rfind("? "), summary.rfind("! "))
                    summary = summary[:cut + 1] if cut > 0 else summary
                return title, summary
    return fallback, ""


class _Refs(HTMLParser):
    """Collect links, sources and audio elements of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.audios: list[list[str]] = []
        self._in_audio = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "audio":
            self._in_audio = True
            self.audios.append([a["src"]] if a.get("src") else [])
        elif tag == "source" and self._in_audio and a.get("src"):
            self.audios[-1].append(a["src"])
        if a.get("src") and tag in ("img", "audio", "source", "video", "script", "iframe"):
            self.srcs.append(a["src"])

    def handle_endtag(self, tag):
        if tag == "audio":
            self._in_audio = False


def _parse(page: str) -> _Refs:
    p = _Refs()
    p.feed(page)
    return p


def _is_local(ref: str) -> bool:
    parts = urlsplit(ref)
    return not parts.scheme and not parts.netloc and not ref.startswith("#") and bool(parts.path)


def copy_referenced_files(page: str, nbdir: Path, page_dir: Path, repo_root: Path) -> list[str]:
    """Copy files a page references by relative path into the site; return missing ones.

    The page sits in the site as the notebook sits in the repository
    (``notebooks/``), so ``../audio/x.wav`` resolves to ``<site>/audio/x.wav``.
    """
    refs = _parse(page)
    missing = []
    for ref in refs.srcs + [h for h in refs.hrefs if not h.endswith((".html", ".ipynb")) and "." in h.rsplit("/", 1)[-1]]:
        if not _is_local(ref):
            continue
        rel = unquote(urlsplit(ref).path)
        src = (nbdir / rel).resolve()
        dst = (page_dir / rel).resolve()
        if dst.is_file():  # already in the site (copied before, or the site's MathJax)
            continue
        if not src.is_file():
            missing.append(ref)
            continue
        try:
            src.relative_to(repo_root)
        except ValueError:
            missing.append(f"{ref} (outside the repository)")
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    return missing


@dataclass
class BuildResult:
    site: Path
    pages: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    widgets_replaced: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def build_site(notebooks: Path, out: Path, run: bool = True, timeout: int = 600,
               repo_root: Path | None = None, log=print) -> BuildResult:
    """Execute (optionally) and render every ``*.ipynb`` in ``notebooks`` into ``out``."""
    notebooks = Path(notebooks).resolve()
    out = Path(out).resolve()
    repo_root = Path(repo_root).resolve() if repo_root else notebooks.parent
    paths = sorted(notebooks.glob("*.ipynb"))
    if not paths:
        raise SystemExit(f"build_site: no notebooks in {notebooks}")
    if out.exists():
        shutil.rmtree(out)
    page_dir = out / notebooks.name
    page_dir.mkdir(parents=True)
    names = {p.name for p in paths}
    mathjax_url = copy_mathjax(out)
    exporter = _exporter(mathjax_url)
    result = BuildResult(site=out)
    rows = []
    for i, path in enumerate(paths, 1):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        if run:
            log(f"[{i}/{len(paths)}] executing {path.name} ...", flush=True)
            try:
                execute(nb, notebooks, timeout)
            except Exception as exc:  # CellExecutionError, timeout, dead kernel
                first = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()  # no ANSI colours
                result.failed[path.name] = "\n".join(first[-12:])
                log(f"    FAILED: {path.name} raised while executing:\n{result.failed[path.name]}")
                continue
        result.seconds[path.name] = time.perf_counter() - start
        title, summary = title_and_summary(nb, path.stem)
        result.widgets_replaced += degrade_widgets(nb)
        nb.metadata["title"] = title
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        body = rewrite_notebook_links(body, names)
        missing = copy_referenced_files(body, notebooks, page_dir, repo_root)
        result.problems += [f"{path.name}: references a missing file {m}" for m in missing]
        target = page_dir / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        result.pages.append(target)
        number = "map" if path.stem.endswith("Index") else path.name[:2]
        rows.append(f'<tr><td>{html.escape(number)}</td>'
                    f'<td><a href="{notebooks.name}/{html.escape(path.stem)}.html">{html.escape(title)}</a></td>'
                    f'<td>{html.escape(summary)}</td></tr>')
        log(f"[{i}/{len(paths)}] {path.name} -> {target.relative_to(out)}"
            + (f" (executed in {result.seconds[path.name]:.1f} s)" if run else ""), flush=True)
    index = INDEX_TEMPLATE.format(
        title="The cross-modal music retrieval workbook",
        intro="Jupyter notebooks that teach how a computer finds music in music: chroma features, "
              "dynamic time warping, audio matching, version identification, indexing and "
              "cross-modal theme retrieval. Each page below is one notebook, executed and rendered.",
        rows="\n".join(rows), widget_note=html.escape(WIDGET_NOTE),
        mathjax="(a copy is in mathjax/, so they render offline)" if mathjax_url else "(loaded from the web)",
        built=time.strftime("%Y-%m-%d %H:%M"), count=len(result.pages),
        executed=" (executed for this build)" if run else " (committed outputs)")
    (out / "index.html").write_text(index, encoding="utf-8")
    result.problems = [f"{n}: execution failed" for n in result.failed] + result.problems
    result.problems += check_site(out, paths, notebooks.name)
    return result


# --------------------------------------------------------------------------- checks
AUDIO_MAGIC = (b"RIFF", b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


def _check_data_uri(uri: str) -> str | None:
    """None if ``uri`` is a base64 ``data:audio/...`` URI holding audio bytes, else why not."""
    m = re.match(r"data:(audio/[\w.+-]+)(;[^,]*)?,(.*)$", uri, re.S)
    if not m:
        return f"not an audio data URI: {uri[:40]!r}"
    if "base64" not in (m.group(2) or ""):
        return f"audio data URI is not base64: {uri[:40]!r}"
    try:
        head = base64.b64decode(m.group(3)[:64] + "=" * (-len(m.group(3)[:64]) % 4), validate=True)
        payload_len = len(m.group(3)) * 3 // 4
    except (binascii.Error, ValueError):
        return f"audio data URI has invalid base64: {uri[:40]!r}"
    if payload_len < 64 or not head.startswith(AUDIO_MAGIC):
        return f"audio data URI holds no audio file ({payload_len} bytes, starts {head[:4]!r})"
    return None


def check_site(site: Path, notebooks: list[Path], page_folder: str = "notebooks") -> list[str]:
    """Problems of a built site, as sentences ([] when it is fine).

    * every notebook has ``<site>/<page_folder>/<stem>.html`` and the index links to it;
    * every relative link and source in every page resolves to a file in the site;
    * every ``<audio>`` has a source, each an existing file or an audio data URI.
    """
    site = Path(site)
    problems = []
    index = site / "index.html"
    if not index.is_file():
        return [f"{index} is missing"]
    pages = [index]
    index_links = {urlsplit(h).path for h in _parse(index.read_text(encoding="utf-8")).hrefs}
    for nb in notebooks:
        rel = f"{page_folder}/{Path(nb).stem}.html"
        if not (site / rel).is_file():
            problems.append(f"no page for {Path(nb).name} (expected {rel})")
        else:
            pages.append(site / rel)
        if rel not in index_links:
            problems.append(f"index.html does not link {rel}")
    for page in pages:
        text = page.read_text(encoding="utf-8")
        refs = _parse(text)
        name = page.relative_to(site).as_posix()
        for ref in refs.hrefs + refs.srcs:
            if ref.startswith("data:") or not _is_local(ref):
                continue
            target = (page.parent / unquote(urlsplit(ref).path)).resolve()
            if not target.is_file():
                problems.append(f"{name}: link or source {ref!r} does not resolve in the site")
        for k, sources in enumerate(refs.audios):
            if not sources:
                problems.append(f"{name}: audio element {k} has no source")
            for src in sources:
                if src.startswith("data:"):
                    why = _check_data_uri(src)
                    if why:
                        problems.append(f"{name}: audio element {k}: {why}")
                elif _is_local(src):
                    target = (page.parent / unquote(urlsplit(src).path)).resolve()
                    if not target.is_file() or target.stat().st_size == 0:
                        problems.append(f"{name}: audio element {k} references missing file {src!r}")
                else:
                    problems.append(f"{name}: audio element {k} references {src[:60]!r} outside the site")
        if WIDGET_VIEW in text or "Loading widget" in text:
            problems.append(f"{name}: an ipywidgets view was left in the page (it would not render)")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="folder of .ipynb files")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="output folder (replaced)")
    ap.add_argument("--no-execute", action="store_true", help="render the committed outputs")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell when executing")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    result = build_site(args.notebooks, args.out, run=not args.no_execute, timeout=args.timeout,
                        repo_root=ROOT if args.notebooks.resolve().parent == ROOT else None)
    print(f"\n{len(result.pages)} pages, {result.widgets_replaced} widget views replaced by notes, "
          f"{time.perf_counter() - start:.0f} s in total.")
    if result.problems:
        print("\nPROBLEMS:", *result.problems, sep="\n  ")
        print(f"\nThe site in {result.site} is incomplete (see above).")
        return 1
    print(f"\nThe static site is ready: {result.site / 'index.html'}")
    print(f"Open it in a browser, e.g. file://{result.site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
