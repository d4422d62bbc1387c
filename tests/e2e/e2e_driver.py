"""Drive one notebook in JupyterLab with Playwright and report what the reader sees.

:func:`run_notebook` opens a notebook, clears its stored outputs (so every
output checked afterwards comes from this run), runs all cells from the
"Run" menu as a reader would, waits until the kernel is idle, moves a slider
and saves a screenshot. It returns a :class:`NotebookReport`;
:func:`problems` turns the report into a list of human-readable failures
(empty when the notebook is fine). Keeping the two apart lets the tests show
that the checks do fail on a notebook that raises.

The JupyterLab application object (``window.jupyterapp``, exposed by the
server started in :mod:`e2e_lab`) is used to *read* the notebook model (error
outputs, widget views, execution counts); what the reader would see is
checked in the DOM.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

# Text that ipywidgets shows instead of a widget it could not render.
WIDGET_FAILURE_TEXTS = (
    "Loading widget...",
    "Error displaying widget",
    "model not found",
    "Failed to load model class",
    "Error creating widget",
)

_FIND_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.widgets) return w;
  }
  return null;
}
"""

# Everything the checks need, read in one go.
_STATE_JS = """
(path) => {
  const find = %s;
  const panel = find(path);
  if (!panel) return {found: false};
  const kernel = panel.sessionContext.session ? panel.sessionContext.session.kernel : null;
  const cells = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    const outputs = [];
    const area = cell.outputArea;
    for (let j = 0; j < area.model.length; j++) {
      const out = area.model.get(j);
      const json = out.toJSON();
      const mimes = Object.keys(json.data || {});
      const child = area.widgets[j];
      const node = child ? child.node : null;
      const text = node ? node.innerText : '';
      outputs.push({
        type: json.output_type,
        mimes: mimes,
        ename: json.ename || null,
        evalue: json.evalue || null,
        widget_view: mimes.includes('application/vnd.jupyter.widget-view+json'),
        live_widget: node ? node.querySelector('.jupyter-widgets') !== null : false,
        text: text.length > 600 ? text.slice(0, 600) : text,
      });
    }
    const tags = cell.model.getMetadata('tags') || [];
    cells.push({
      index: index,
      raises_tag: tags.includes('raises-exception'),
      nbval_raises: cell.model.sharedModel.getSource().includes('NBVAL_RAISES_EXCEPTION'),
      execution_count: cell.model.executionCount,
      prompt: prompt ? prompt.innerText.trim() : '',
      source_head: cell.model.sharedModel.getSource().slice(0, 80),
      outputs: outputs,
    });
  });
  const audios = Array.from(panel.content.node.querySelectorAll('audio')).map(a => {
    const src = a.currentSrc || a.src || (a.querySelector('source') ? a.querySelector('source').src : '');
    return {src: src.slice(0, 60), ready_state: a.readyState, duration: a.duration,
            error: a.error ? a.error.code : null};
  });
  const sliders = panel.content.node.querySelectorAll('.widget-slider .noUi-target').length;
  return {
    found: true,
    kernel_status: kernel ? kernel.status : 'no kernel',
    busy_prompts: cells.filter(c => c.prompt.includes('*')).length,
    cells: cells,
    audios: audios,
    sliders: sliders,
    output_text: Array.from(panel.content.node.querySelectorAll('.jp-OutputArea')).map(n => n.innerText).join('\\n'),
  };
}
""" % _FIND_PANEL

# A signature of every figure on the page: <img> sources, inline SVG, canvas pixels.
_FIGURES_JS = """
(path) => {
  const panel = (%s)(path);
  const root = panel.content.node;
  const parts = [];
  root.querySelectorAll('.jp-OutputArea-output img').forEach(i => parts.push('img:' + i.src));
  root.querySelectorAll('.jp-OutputArea-output svg').forEach(s => {
    if (s.closest('.jp-OutputPrompt, .jp-OutputArea-promptOverlay, button')) return;
    parts.push('svg:' + s.outerHTML);
  });
  root.querySelectorAll('.jp-OutputArea-output canvas').forEach(c => {
    try { parts.push('canvas:' + c.toDataURL()); } catch (e) { parts.push('canvas:?'); }
  });
  return parts;
}
""" % _FIND_PANEL


# What widget outputs show: figures plus the text of ipywidgets Output areas.
_WIDGET_OUTPUTS_JS = """
(path) => {
  const panel = (%s)(path);
  const root = panel.content.node;
  const parts = [];
  root.querySelectorAll('.widget-output, .jp-OutputArea-output').forEach(n => {
    n.querySelectorAll('img').forEach(i => parts.push('img:' + i.src));
    n.querySelectorAll('svg').forEach(s => { if (!s.closest('.jp-OutputPrompt, .jp-OutputArea-promptOverlay, button')) parts.push('svg:' + s.outerHTML); });
  });
  root.querySelectorAll('.widget-output').forEach(n => parts.push('text:' + n.innerText));
  return parts;
}
""" % _FIND_PANEL


@dataclass
class NotebookReport:
    """What one notebook looked like after Run All in JupyterLab."""

    path: str
    seconds: float = 0.0
    finished: bool = False            # kernel idle, nothing queued, before the timeout
    timeout: float = 0.0
    code_cells: int = 0
    unexecuted: list = field(default_factory=list)     # cell indices without execution count
    errors: list = field(default_factory=list)         # "cell i: Ename: value"
    expected_errors: list = field(default_factory=list)  # in cells tagged raises-exception
    widget_views: int = 0
    dead_widgets: list = field(default_factory=list)   # "cell i: <text shown instead>"
    failure_texts: list = field(default_factory=list)  # widget failure texts anywhere in outputs
    audios: list = field(default_factory=list)
    sliders: int = 0
    slider_changed_figure: bool | None = None          # None: no slider to try
    slider_log: list = field(default_factory=list)
    dropdowns: int = 0
    dropdown_changed_output: bool | None = None        # tried only without a working slider
    dropdown_log: list = field(default_factory=list)
    screenshot: str | None = None
    notes: list = field(default_factory=list)


def _state(page, path):
    return page.evaluate(_STATE_JS, path)


def _figures(page, path) -> str:
    parts = page.evaluate(_FIGURES_JS, path)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest() + f":{len(parts)}"


def _run_menu(page, menu: str, item: str) -> None:
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def _wait_until_done(page, path, deadline: float) -> bool:
    """Kernel idle, no ``[*]`` prompt, and either every code cell ran or one failed.

    Two consecutive polls must agree so a gap between two queued cells is
    not taken for the end of the run.
    """
    stable = 0
    while time.monotonic() < deadline:
        s = _state(page, path)
        ran_all = all(c["execution_count"] is not None for c in s["cells"])
        failed = any(o["type"] == "error" and not c["raises_tag"] for c in s["cells"] for o in c["outputs"])
        if s["kernel_status"] == "idle" and s["busy_prompts"] == 0 and (ran_all or failed):
            stable += 1
            if stable >= 2:
                return True
        else:
            stable = 0
        page.wait_for_timeout(500)
    return False


def _wait_idle(page, path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s = _state(page, path)
        if s["kernel_status"] == "idle" and s["busy_prompts"] == 0:
            return
        page.wait_for_timeout(250)


def _try_sliders(page, path, report: NotebookReport, max_sliders: int = 4,
                 wait_seconds: float = 20.0) -> None:
    """Click on a slider's track away from its handle; did any figure change?"""
    tracks = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider .noUi-target")
    n = tracks.count()
    report.sliders = n
    if n == 0:
        report.slider_changed_figure = None
        return
    report.slider_changed_figure = False
    for i in range(min(n, max_sliders)):
        track = tracks.nth(i)
        track.scroll_into_view_if_needed()
        handle = track.locator(".noUi-handle").first
        before_value = handle.get_attribute("aria-valuenow")
        lo = float(handle.get_attribute("aria-valuemin") or 0)
        hi = float(handle.get_attribute("aria-valuemax") or 1)
        now = float(before_value or lo)
        frac = 0.8 if hi == lo or (now - lo) / (hi - lo) < 0.5 else 0.2
        before = _figures(page, path)
        box = track.bounding_box()
        page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
        after_value = handle.get_attribute("aria-valuenow")
        if after_value == before_value:  # tap did not move it: use the keyboard
            handle.focus()
            handle.press("ArrowRight" if frac > 0.5 else "ArrowLeft")
            after_value = handle.get_attribute("aria-valuenow")
        changed = _changed_when_idle(page, path, lambda: _figures(page, path), before, wait_seconds)
        report.slider_log.append(f"slider {i}: value {before_value} -> {after_value}, "
                                 f"figure {'changed' if changed else 'unchanged'}")
        if changed:
            report.slider_changed_figure = True
            return


def _changed_when_idle(page, path, probe, before, wait_seconds: float) -> bool:
    """Poll until ``probe()`` differs from ``before`` with the kernel idle and no cell busy (or time is up)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        s = _state(page, path)
        if probe() != before and s["kernel_status"] == "idle" and s["busy_prompts"] == 0:
            return True
        page.wait_for_timeout(300)
    return False


def _outputs(page, path) -> str:
    parts = page.evaluate(_WIDGET_OUTPUTS_JS, path)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _try_dropdowns(page, path, report: NotebookReport, max_dropdowns: int = 3,
                   wait_seconds: float = 20.0) -> None:
    """For notebooks whose widgets are dropdowns: pick another option; did an output change?"""
    selects = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-dropdown select")
    n = selects.count()
    report.dropdowns = n
    if n == 0:
        return
    report.dropdown_changed_output = False
    for i in range(min(n, max_dropdowns)):
        sel = selects.nth(i)
        sel.scroll_into_view_if_needed()
        options = sel.evaluate("s => Array.from(s.options).map(o => o.value)")
        current = sel.input_value()
        others = [o for o in options if o != current]
        if not others:
            continue
        before = _outputs(page, path)
        sel.select_option(others[0])
        changed = _changed_when_idle(page, path, lambda: _outputs(page, path), before, wait_seconds)
        report.dropdown_log.append(f"dropdown {i}: {current!r} -> {others[0]!r}, "
                                   f"output {'changed' if changed else 'unchanged'}")
        if changed:
            report.dropdown_changed_output = True
            return


def _wait_audio(page, path, report: NotebookReport, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        audios = _state(page, path)["audios"]
        if all(a["ready_state"] >= 1 or a["error"] for a in audios) or time.monotonic() > deadline:
            report.audios = audios
            return
        page.wait_for_timeout(250)


_OUTER = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')"


def _screenshot(page, target: Path, max_height: int = 6000) -> list[str]:
    """The whole notebook: a tall viewport, scrolled page by page if it is longer.

    Writes ``target`` and, for long notebooks, ``<stem>-2.png``, ``<stem>-3.png``...
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f"{target.stem}-*.png"):
        old.unlink()
    total = page.evaluate(f"() => {{ const n = {_OUTER}; return n ? n.scrollHeight : 900; }}")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": int(min(max(total + 160, 900), max_height))})
    page.wait_for_timeout(300)
    visible = page.evaluate(f"() => {{ const n = {_OUTER}; return n ? n.clientHeight : 0; }}") or 800
    shots, offset = [], 0
    try:
        while True:
            page.evaluate(f"(y) => {{ const n = {_OUTER}; if (n) n.scrollTop = y; }}", offset)
            page.wait_for_timeout(400)
            path = target if not shots else target.with_name(f"{target.stem}-{len(shots) + 1}.png")
            page.screenshot(path=str(path))
            shots.append(str(path))
            offset += visible
            if offset >= total or len(shots) >= 30:
                break
    finally:
        page.set_viewport_size(size)
    return shots


def run_notebook(page, server, relpath: str, timeout: float = 120.0,
                 screenshot: Path | None = None) -> NotebookReport:
    """Open ``relpath`` (relative to the server root), clear, Run All, inspect.

    ``timeout`` bounds opening the notebook, starting its kernel and running
    all cells; moving a slider and waiting for audio have their own small
    bounds on top.
    """
    report = NotebookReport(path=relpath, timeout=timeout)
    start = time.monotonic()
    deadline = start + timeout
    try:
        page.goto(server.lab_url(relpath), timeout=timeout * 1000)
        page.wait_for_function(
            "(path) => { const p = (%s)(path); return p && p.sessionContext.session && "
            "p.sessionContext.session.kernel && p.sessionContext.session.kernel.connectionStatus === 'connected' "
            "&& p.sessionContext.session.kernel.status === 'idle' && p.content.widgets.length > 0; }" % _FIND_PANEL,
            arg=relpath, timeout=max(1.0, deadline - time.monotonic()) * 1000)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        _run_menu(page, "Edit", "Clear Outputs of All Cells")
        _run_menu(page, "Run", "Run All Cells")
        report.finished = _wait_until_done(page, relpath, deadline)
        report.seconds = time.monotonic() - start
        if report.finished:
            _wait_audio(page, relpath, report)
            _try_sliders(page, relpath, report)
            if report.slider_changed_figure is None:  # no slider: the widgets are dropdowns?
                _wait_idle(page, relpath, 20.0)
                _try_dropdowns(page, relpath, report)
            _wait_idle(page, relpath, 20.0)
    finally:
        if screenshot is not None:
            try:
                shots = _screenshot(page, screenshot)
                report.screenshot = shots[0] + (f" (+{len(shots) - 1} more)" if len(shots) > 1 else "")
            except Exception as exc:  # the checks below matter more than the picture
                report.notes.append(f"screenshot failed: {exc}")
    s = _state(page, relpath)
    report.code_cells = len(s["cells"])
    report.audios = s["audios"] if not report.audios else report.audios
    for c in s["cells"]:
        if c["execution_count"] is None:
            report.unexecuted.append(c["index"])
        for o in c["outputs"]:
            if o["type"] == "error":
                what = f"cell {c['index']}: {o['ename']}: {o['evalue']}"
                if c["raises_tag"]:  # JupyterLab goes on after such a cell: intended
                    report.expected_errors.append(what)
                elif c["nbval_raises"]:
                    report.errors.append(what + " (the cell says NBVAL_RAISES_EXCEPTION but lacks the "
                                         "'raises-exception' tag, so Run All stops here in JupyterLab)")
                else:
                    report.errors.append(what)
            if o["widget_view"]:
                report.widget_views += 1
                bad = [t for t in WIDGET_FAILURE_TEXTS if t.lower() in o["text"].lower()]
                if not o["live_widget"] or bad:
                    report.dead_widgets.append(f"cell {c['index']}: {o['text'][:120]!r}")
    report.failure_texts = [t for t in WIDGET_FAILURE_TEXTS if t.lower() in s["output_text"].lower()]
    return report


def problems(report: NotebookReport, require_audio: bool = True) -> list[str]:
    """Everything wrong with a notebook run, as sentences; [] when it passed."""
    out = []
    if not report.finished:
        out.append(f"{report.path}: the run did not finish within {report.timeout:.0f} s "
                   f"(kernel still busy or cells still queued)")
    for e in report.errors:
        out.append(f"{report.path}: error output in {e}")
    if report.finished and not report.errors and report.unexecuted:
        out.append(f"{report.path}: code cells never executed: {report.unexecuted}")
    for w in report.dead_widgets:
        out.append(f"{report.path}: widget not rendered live in {w}")
    for t in report.failure_texts:
        out.append(f"{report.path}: widget failure text {t!r} shown in an output")
    if report.slider_changed_figure is False:
        out.append(f"{report.path}: moving a slider changed no figure ({'; '.join(report.slider_log)})")
    if report.dropdown_changed_output is False:
        out.append(f"{report.path}: no slider, and choosing another dropdown option changed no output "
                   f"({'; '.join(report.dropdown_log)})")
    if require_audio and not report.audios:
        out.append(f"{report.path}: no audio player in the notebook")
    for a in report.audios:
        if a["error"] or a["ready_state"] < 1 or not (a["duration"] and a["duration"] > 0):
            out.append(f"{report.path}: audio player cannot play {a['src']!r} "
                       f"(readyState {a['ready_state']}, duration {a['duration']}, error {a['error']})")
    return out
