"""Score Viewer: an engraved score whose sounding measure follows a recording.

The engraving comes from verovio (MusicXML -> SVG). verovio's *timemap*
tells, for every measure of the engraving, its SVG element id and its start
in quarter notes from the beginning of the score (``qstamp``). A
synchronisation gives a map from score beats (quarter notes) to seconds in
the recording, so every measure gets a start time in the recording; the
measure sounding at time ``t`` is the last one that started at or before
``t``.

This module computes; the widget that shows it is in
:mod:`cmr.widgets.scoreviewer`. Notebook: ``07_Score_Viewer_and_Separation.ipynb``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

HIGHLIGHT_COLOR = "#d62728"


@dataclass
class EngravedScore:
    """A score engraved by verovio, with its measures in score order.

    Attributes
    ----------
    measures : pd.DataFrame
        One row per measure in playing order: ``index`` (0, 1, ...),
        ``svg_id`` (verovio element id), ``start_beat`` (quarter notes
        from the start), ``page`` (1-based), ``number`` (the measure
        number printed in the score).
    n_pages : int
    """

    toolkit: object
    measures: pd.DataFrame
    n_pages: int
    _svg_cache: dict = field(default_factory=dict, repr=False)

    def page_svg(self, page: int) -> str:
        """The SVG of one page (1-based), without highlighting."""
        if not 1 <= page <= self.n_pages:
            raise ValueError(f"page must be in 1..{self.n_pages}, got {page}")
        if page not in self._svg_cache:
            self._svg_cache[page] = self.toolkit.renderToSVG(int(page))
        return self._svg_cache[page]

    def svg(self, measure_index: int | None = None, page: int | None = None,
            color: str = HIGHLIGHT_COLOR) -> str:
        """SVG of the page that holds ``measure_index``, with that measure coloured.

        Parameters
        ----------
        measure_index : int or None, row of :attr:`measures` (None: no highlight)
        page : int or None, page to show when no measure is given (default 1)
        color : CSS colour of the highlighted measure
        """
        if measure_index is None:
            return self.page_svg(page or 1)
        if not 0 <= measure_index < len(self.measures):
            raise ValueError(f"measure_index must be in 0..{len(self.measures) - 1}, got {measure_index}")
        row = self.measures.iloc[int(measure_index)]
        svg = self.page_svg(int(row["page"]))
        style = (f"<style>g#{row['svg_id']} path, g#{row['svg_id']} use, g#{row['svg_id']} rect, "
                 f"g#{row['svg_id']} polygon {{fill: {color}; stroke: {color};}}</style>")
        # insert the style right after the opening <svg ...> tag
        return re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + style, svg, count=1)


def engrave(score, page_width: int = 2100, page_height: int = 1000, scale: int = 40) -> EngravedScore:
    """Engrave a score with verovio and list its measures with their beats and pages.

    Parameters
    ----------
    score : anything :func:`cmr.symbolic.load_score` accepts (corpus name, file, music21 stream)
    page_width, page_height : verovio page size (tenths of mm at scale 100); a long score
        is broken into several pages of this size
    scale : int, percent

    Returns
    -------
    EngravedScore
    """
    import verovio

    from . import symbolic

    score = symbolic.load_score(score)
    xml = symbolic.to_musicxml(score)
    tk = verovio.toolkit()
    tk.setOptions({"pageWidth": int(page_width), "pageHeight": int(page_height), "scale": int(scale),
                   "footer": "none", "header": "none", "breaks": "auto",
                   "pageMarginTop": 30, "pageMarginBottom": 30, "pageMarginLeft": 30, "pageMarginRight": 30})
    if not tk.loadData(xml):
        raise ValueError("engrave: verovio could not read the MusicXML of this score")
    rows = []
    for event in tk.renderToTimemap({"includeMeasures": True}):
        if "measureOn" in event:
            rows.append((event["measureOn"], float(event["qstamp"])))
    if not rows:
        raise ValueError("engrave: the engraved score has no measures with notes")
    measures = pd.DataFrame(rows, columns=["svg_id", "start_beat"])
    measures.insert(0, "index", np.arange(len(measures)))
    measures["page"] = [int(tk.getPageWithElement(i)) for i in measures["svg_id"]]
    # measure numbers as printed in the score (a pickup is often measure 0)
    numbered = symbolic.measure_starts(score)
    if len(numbered) == len(measures) and np.allclose(numbered["start_beat"], measures["start_beat"]):
        measures["number"] = numbered["measure"].to_numpy()
    else:
        measures["number"] = measures["index"] + 1
    return EngravedScore(toolkit=tk, measures=measures, n_pages=int(tk.getPageCount()))


def measure_times(measure_start_beats, beat_to_time) -> np.ndarray:
    """Start time in seconds of every measure, given a beats -> seconds map.

    Parameters
    ----------
    measure_start_beats : array-like, shape (M,), quarter notes, increasing
    beat_to_time : callable mapping an array of beats to seconds in the recording
        (e.g. ``Rendering.beat_to_time``, or the map a score-audio synchronisation returns)

    Returns
    -------
    np.ndarray, shape (M,), seconds
    """
    beats = np.asarray(measure_start_beats, dtype=float)
    if beats.ndim != 1 or beats.size == 0:
        raise ValueError(f"measure_start_beats must be a non-empty 1-D array, got shape {beats.shape}")
    if np.any(np.diff(beats) < 0):
        raise ValueError("measure_start_beats must be non-decreasing (playing order)")
    times = np.asarray(beat_to_time(beats), dtype=float)
    if times.shape != beats.shape or not np.all(np.isfinite(times)):
        raise ValueError("beat_to_time must return one finite time per beat")
    return times


def measure_at(t, starts_seconds) -> np.ndarray | int:
    """Index of the measure sounding at time(s) ``t`` (seconds).

    Before the first measure starts the answer is 0 (the first measure);
    after the last start it stays the last measure.
    """
    starts = np.asarray(starts_seconds, dtype=float)
    if starts.ndim != 1 or starts.size == 0:
        raise ValueError(f"starts_seconds must be a non-empty 1-D array, got shape {starts.shape}")
    idx = np.searchsorted(starts, np.asarray(t, dtype=float), side="right") - 1
    idx = np.clip(idx, 0, len(starts) - 1)
    return int(idx) if np.ndim(idx) == 0 else idx


def alignment_beat_to_time(alignment):
    """A beats -> seconds map from a score-audio :class:`cmr.sync.Alignment`.

    :func:`cmr.sync.sync_score_audio` puts the score on a nominal seconds axis
    (beats at ``info['bpm']`` quarter notes per minute); this undoes that
    scaling and follows the warping path into the recording.
    """
    bpm = alignment.info.get("bpm")
    if not bpm:
        raise ValueError("alignment_beat_to_time: the alignment has no info['bpm']; it must come from "
                         "sync_score_audio with notes in beats")
    return lambda beats: alignment.a_to_b(np.asarray(beats, dtype=float) * 60.0 / bpm)


def follow(score, y, sr: int, engraved: EngravedScore | None = None, **sync_kwargs):
    """Engrave a score, synchronise it with a recording, and time every measure.

    Parameters
    ----------
    score : anything :func:`cmr.symbolic.load_score` accepts
    y : np.ndarray, shape (n,), the recording (mono)
    sr : int, sample rate in Hz
    engraved : EngravedScore, optional, reuse an engraving
    **sync_kwargs : passed to :func:`cmr.sync.sync_score_audio`

    Returns
    -------
    engraved : EngravedScore
    starts : np.ndarray, shape (M,), start time in seconds of every engraved measure in ``y``
    alignment : cmr.sync.Alignment
    """
    from . import symbolic, sync

    score = symbolic.load_score(score)
    if engraved is None:
        engraved = engrave(score)
    alignment = sync.sync_score_audio(symbolic.score_notes(score), y, sr, **sync_kwargs)
    starts = measure_times(engraved.measures["start_beat"].to_numpy(), alignment_beat_to_time(alignment))
    return engraved, starts, alignment
