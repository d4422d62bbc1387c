"""A small throwaway notebook used to prove the browser test and the site builder.

It has what the workbook's notebooks have and what the checks look at: a
figure driven by an ipywidgets slider (``interactive_output``), an IPython
audio player, a markdown link to a second notebook and an audio file
referenced by relative path. ``broken=True`` adds a cell that raises, so the
tests can show that the checks fail when a notebook raises.

The notebooks are written to a folder of the caller's choice (a temporary
folder), never to ``notebooks/``.
"""
from __future__ import annotations

import wave
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

SLIDER_CELL = '''
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
import ipywidgets as widgets
from IPython.display import display

t = np.linspace(0.0, 1.0, 400)

def draw(freq):
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.plot(t, np.sin(2 * np.pi * freq * t))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.set_title(f"sine at {freq} Hz")
    plt.show()

freq = widgets.IntSlider(value=2, min=1, max=10, description="frequency (Hz)")
display(widgets.VBox([freq, widgets.interactive_output(draw, {"freq": freq})]))
'''

AUDIO_CELL = '''
from IPython.display import Audio
sr = 8000
tone = np.sin(2 * np.pi * 440 * np.arange(sr // 2) / sr)
Audio(tone, rate=sr)
'''

FILE_AUDIO_CELL = '''
from IPython.display import HTML
HTML('<audio controls src="../audio/fixture_click.wav"></audio>')
'''


# A widget view whose model does not exist: JupyterLab shows an error text
# instead of a widget (what a reader sees when widget state is lost).
DEAD_WIDGET_CELL = '''
from IPython.display import display
display({"application/vnd.jupyter.widget-view+json":
         {"model_id": "0123456789abcdef0123456789abcdef", "version_major": 2, "version_minor": 0},
         "text/plain": "a widget"}, raw=True)
'''

# A slider connected to nothing, next to a static figure.
IDLE_SLIDER_CELL = '''
import numpy as np
import matplotlib.pyplot as plt
import ipywidgets as widgets
from IPython.display import display
display(widgets.IntSlider(value=2, min=1, max=10, description="does nothing"))
plt.figure(figsize=(4, 2)); plt.plot(np.arange(10)); plt.show()
'''


# A dropdown connected to nothing (the notebook's only widget).
IDLE_DROPDOWN_CELL = '''
import ipywidgets as widgets
from IPython.display import display
display(widgets.Dropdown(options=["a", "b", "c"], value="a", description="does nothing"))
'''


def _write_wav(path: Path, sr: int = 8000, seconds: float = 0.25) -> None:
    n = int(sr * seconds)
    y = (0.3 * np.sin(2 * np.pi * 660 * np.arange(n) / sr) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(y.tobytes())


def write_fixture(root: str | Path, broken: bool = False, with_file_audio: bool = False,
                  dead_widget: bool = False, idle_slider: bool = False,
                  demo_error: bool = False, idle_dropdown: bool = False) -> Path:
    """Write the fixture notebooks under ``root/notebooks`` and return that folder.

    Parameters
    ----------
    root : path
        An empty (temporary) folder; ``notebooks/`` and, if requested,
        ``audio/`` are created inside it, mirroring the repository layout.
    broken : bool
        Insert a cell that raises ``RuntimeError`` between the figure and the
        audio player.
    with_file_audio : bool
        Also write ``audio/fixture_click.wav`` and a cell that plays it by
        relative path (``../audio/...``), as a notebook of the workbook may.
    dead_widget : bool
        Add a widget view whose model does not exist (must be reported).
    idle_slider : bool
        Replace the working slider by one that changes no figure (must be
        reported).
    idle_dropdown : bool
        Replace the slider cell by a dropdown that changes nothing (must be
        reported: a notebook without sliders is checked through its dropdowns).
    demo_error : bool
        Add a cell that raises on purpose and carries the ``raises-exception``
        tag (JupyterLab and nbclient go on after it; it must *not* be
        reported).
    """
    root = Path(root)
    nbdir = root / "notebooks"
    nbdir.mkdir(parents=True, exist_ok=True)
    cells = [
        new_markdown_cell("# Fixture notebook\n\nA slider drives a figure; a tone plays.\n\n"
                          "[next notebook](01_Fixture_Second.ipynb)"),
        new_code_cell((IDLE_DROPDOWN_CELL if idle_dropdown else
                       IDLE_SLIDER_CELL if idle_slider else SLIDER_CELL).strip()),
    ]
    if dead_widget:
        cells.append(new_code_cell(DEAD_WIDGET_CELL.strip()))
    if demo_error:
        demo = new_code_cell('raise ValueError("query longer than the database (a demonstration)")')
        demo.metadata["tags"] = ["raises-exception"]
        cells.append(demo)
    if broken:
        cells.append(new_code_cell('raise RuntimeError("deliberately broken fixture cell")'))
    cells.append(new_code_cell(AUDIO_CELL.strip()))
    if with_file_audio:
        (root / "audio").mkdir(exist_ok=True)
        _write_wav(root / "audio" / "fixture_click.wav")
        cells.append(new_code_cell(FILE_AUDIO_CELL.strip()))
    _save(nbdir / "00_Fixture.ipynb", cells)
    _save(nbdir / "01_Fixture_Second.ipynb", [
        new_markdown_cell("# Second fixture notebook\n\nNo widgets here.\n\n[back](00_Fixture.ipynb)\n\n"
                          "$$D(n, m) = C(n, m) + \\min\\{D(n-1, m), D(n, m-1)\\}$$"),
        new_code_cell("print(6 * 7)"),
        new_code_cell("import numpy as np\nfrom IPython.display import Audio\n"
                      "Audio(np.sin(2 * np.pi * 330 * np.arange(2000) / 8000), rate=8000)"),
    ])
    return nbdir


def _save(path: Path, cells) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)


if __name__ == "__main__":
    import sys

    where = write_fixture(sys.argv[1], broken="--broken" in sys.argv, with_file_audio=True)
    print(f"fixture notebooks written to {where}")
