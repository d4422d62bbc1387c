"""Symbolic music: scores (music21), note lists, piano rolls, engraved SVG.

A score enters the workbook through :func:`load_score` (a music21 corpus
name such as ``'bach/bwv846'``, or a MusicXML/MIDI/kern file) and becomes a
flat note list with :func:`score_notes`: one row per sounding note, with
its start and end in *beats* (quarter notes from the start of the score),
MIDI pitch, velocity, part and measure. Everything downstream (synthesis in
:mod:`cmr.synth`, piano rolls, symbolic chroma) starts from that table.

Notebook: ``00_Music_Representations.ipynb``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Velocity of a note when the score says nothing about dynamics.
DEFAULT_VELOCITY = 80
#: Velocities for dynamic markings (used until the next marking in the same part).
DYNAMIC_VELOCITY = {"pppp": 20, "ppp": 30, "pp": 42, "p": 56, "mp": 68, "mf": 80, "f": 94,
                    "ff": 108, "fff": 118, "ffff": 124, "sf": 100, "sfz": 100, "fz": 100, "fp": 94}
#: Quarter-note tempo used when a score has no metronome mark.
DEFAULT_BPM = 96.0

NOTE_COLUMNS = ["start_beat", "end_beat", "pitch", "velocity", "part", "measure", "voice"]


def load_score(name_or_path):
    """Load a score as a :class:`music21.stream.Score`.

    Parameters
    ----------
    name_or_path : str or Path or music21 stream
        A file (MusicXML ``.xml/.mxl/.musicxml``, MIDI ``.mid``, Humdrum
        ``.krn``, ...), or a music21 corpus name (``'bach/bwv846'``,
        ``'bwv66.6'``, ``'mozart/k155/movement1'``). A stream is returned
        unchanged (a Part is wrapped in a Score).

    Raises
    ------
    FileNotFoundError
        A path-like argument that names no file and no corpus work.
    ValueError
        The file or corpus work exists but music21 cannot parse it.
    """
    from music21 import converter, corpus, stream

    if isinstance(name_or_path, stream.Score):
        return name_or_path
    if isinstance(name_or_path, stream.Stream):
        sc = stream.Score()
        sc.insert(0, name_or_path)
        return sc
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(f"load_score: name_or_path must be a str, Path or music21 stream, "
                        f"got {type(name_or_path).__name__}")
    path = Path(name_or_path)
    if path.is_file():
        if path.stat().st_size == 0:
            raise ValueError(f"load_score: file {path} is empty")
        target, parse = str(path), converter.parse
    else:
        try:
            work = corpus.getWork(str(name_or_path))
        except Exception:  # music21's CorpusException
            work = None
        if not work:
            raise FileNotFoundError(f"load_score: {name_or_path!r} is neither a file nor a music21 corpus work")
        target, parse = str(name_or_path), corpus.parse
    try:
        parsed = parse(target)
    except Exception as exc:  # music21 raises many exception types for bad input
        raise ValueError(f"load_score: cannot parse {name_or_path!r}: {type(exc).__name__}: {exc}") from exc
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    if not isinstance(parsed, stream.Score):
        sc = stream.Score()
        sc.insert(0, parsed)
        parsed = sc
    return parsed


def _parts(score):
    parts = list(score.parts)
    if not parts:
        parts = [score]
    return parts


def _measures(part):
    ms = list(part.getElementsByClass("Measure"))
    if not ms:
        part = part.makeMeasures()
        ms = list(part.getElementsByClass("Measure"))
    return ms


def measure_starts(score) -> pd.DataFrame:
    """Start beat and length (in quarter notes) of every measure, from the first part.

    Returns
    -------
    pd.DataFrame with columns ``measure`` (int, as numbered in the score),
    ``start_beat``, ``length`` (beats). Rows are in score order; a measure
    number that appears twice (rare) keeps its first occurrence.
    """
    score = load_score(score)
    rows, seen = [], set()
    for m in _measures(_parts(score)[0]):
        num = int(m.number) if m.number is not None else len(rows)
        if num in seen:
            continue
        seen.add(num)
        rows.append((num, float(m.offset), float(m.duration.quarterLength)))
    return pd.DataFrame(rows, columns=["measure", "start_beat", "length"])


def score_tempo(score) -> float:
    """Quarter notes per minute of the first metronome mark, else :data:`DEFAULT_BPM`."""
    score = load_score(score)
    for mm in score.recurse().getElementsByClass("MetronomeMark"):
        bpm = mm.getQuarterBPM()
        if bpm and bpm > 0:
            return float(bpm)
    return DEFAULT_BPM


def score_notes(score, parts=None) -> pd.DataFrame:
    """The sounding notes of a score as a table (ties merged, grace notes dropped).

    Parameters
    ----------
    score : music21 Score or anything :func:`load_score` accepts
    parts : list of int, optional
        Indices of the parts to keep (default: all).

    Returns
    -------
    notes : pd.DataFrame
        Columns ``start_beat``, ``end_beat`` (quarter notes from the start of
        the score), ``pitch`` (MIDI int), ``velocity`` (1..127, from the
        note, else from the last dynamic marking, else 80), ``part`` (int,
        index in the score), ``measure`` (int, number of the measure the note
        starts in), ``voice`` (the part's name). Sorted by start, pitch, part.
        ``notes.attrs`` holds ``measure_starts`` (DataFrame, see
        :func:`measure_starts`), ``bpm`` (:func:`score_tempo`),
        ``part_names``, ``part_programs`` (General MIDI program of each part,
        0 when unknown), ``end_beat`` (end of the last measure) and ``title``.
    """
    score = load_score(score)
    all_parts = _parts(score)
    keep = range(len(all_parts)) if parts is None else list(parts)
    for k in keep:
        if not 0 <= k < len(all_parts):
            raise ValueError(f"score_notes: part index {k} out of range, the score has {len(all_parts)} parts")
    rows = []
    names, programs = [], []
    for pi, part in enumerate(all_parts):
        inst = part.getInstrument(returnDefault=True)
        names.append(part.partName or (inst.instrumentName if inst else None) or f"part {pi}")
        programs.append(int(inst.midiProgram) if inst is not None and inst.midiProgram is not None else 0)
        if pi not in keep:
            continue
        part_rows = []
        open_ties: dict[int, int] = {}
        dyn = []
        for m in _measures(part):
            moff = float(m.offset)
            mnum = int(m.number) if m.number is not None else 0
            for d in m.recurse().getElementsByClass("Dynamic"):
                v = DYNAMIC_VELOCITY.get(str(d.value))
                if v is not None:
                    dyn.append((moff + float(d.getOffsetInHierarchy(m)), v))
            for el in m.recurse().notes:
                if el.duration.isGrace or el.quarterLength <= 0:
                    continue
                on = moff + float(el.getOffsetInHierarchy(m))
                off = on + float(el.quarterLength)
                sub = el.notes if el.isChord else [el]
                for n in sub:
                    if not hasattr(n, "pitch"):
                        continue  # unpitched percussion
                    midi = int(n.pitch.midi)
                    vel = n.volume.velocity if n.volume is not None and n.volume.velocity is not None else None
                    if vel is None and el.isChord and el.volume.velocity is not None:
                        vel = el.volume.velocity
                    tie = n.tie.type if n.tie is not None else (el.tie.type if el.tie is not None else None)
                    if tie in ("continue", "stop") and midi in open_ties:
                        idx = open_ties[midi]
                        part_rows[idx][1] = max(part_rows[idx][1], off)
                        if tie == "stop":
                            del open_ties[midi]
                        continue
                    part_rows.append([on, off, midi, -1 if vel is None else int(vel), pi, mnum, names[pi]])
                    if tie in ("start", "continue"):
                        open_ties[midi] = len(part_rows) - 1
                    else:
                        open_ties.pop(midi, None)
        if dyn:
            dyn.sort()
            d_on = np.array([d[0] for d in dyn])
            d_vel = [d[1] for d in dyn]
            for r in part_rows:
                if r[3] < 0:
                    k = int(np.searchsorted(d_on, r[0] + 1e-9, side="right")) - 1
                    r[3] = d_vel[k] if k >= 0 else DEFAULT_VELOCITY
        rows.extend(part_rows)
    df = pd.DataFrame(rows, columns=NOTE_COLUMNS)
    df["velocity"] = df["velocity"].where(df["velocity"] > 0, DEFAULT_VELOCITY).clip(1, 127)
    df = df.astype({"start_beat": float, "end_beat": float, "pitch": int, "velocity": int, "part": int,
                    "measure": int, "voice": str})
    df = df.sort_values(["start_beat", "pitch", "part"], kind="stable").reset_index(drop=True)
    ms = measure_starts(score)
    df.attrs.update(measure_starts=ms, bpm=score_tempo(score), part_names=names, part_programs=programs,
                    end_beat=float(ms["start_beat"].iloc[-1] + ms["length"].iloc[-1]) if len(ms) else
                    float(df["end_beat"].max() if len(df) else 0.0),
                    title=_title(score))
    return df


def _title(score) -> str:
    md = score.metadata
    if md is None:
        return ""
    for attr in ("title", "movementName"):
        v = getattr(md, attr, None)
        if v:
            return str(v)
    return ""


def piano_roll(notes: pd.DataFrame, resolution: int = 4, pitch_range=(0, 128), start_beat: float | None = None,
               end_beat: float | None = None, weight: str = "binary") -> np.ndarray:
    """A piano roll: pitch x time matrix of a note table on a beat grid.

    Parameters
    ----------
    notes : pd.DataFrame with ``start_beat``, ``end_beat``, ``pitch`` (and ``velocity``)
    resolution : int, grid cells per beat (quarter note)
    pitch_range : (lo, hi), MIDI pitches lo..hi-1 become rows 0..hi-lo-1
    start_beat, end_beat : float, optional; default the notes' extent (start at 0)
    weight : 'binary' (1 where a note sounds) or 'velocity' (velocity / 127)

    Returns
    -------
    roll : np.ndarray, shape (hi - lo, n_cells), float32
        Cell j covers beats ``start_beat + j / resolution`` onwards.
    """
    if resolution <= 0:
        raise ValueError(f"piano_roll: resolution must be a positive int, got {resolution}")
    lo, hi = int(pitch_range[0]), int(pitch_range[1])
    if not 0 <= lo < hi <= 128:
        raise ValueError(f"piano_roll: pitch_range must satisfy 0 <= lo < hi <= 128, got {pitch_range}")
    if weight not in ("binary", "velocity"):
        raise ValueError(f"piano_roll: weight must be 'binary' or 'velocity', got {weight!r}")
    t0 = 0.0 if start_beat is None else float(start_beat)
    t1 = float(notes["end_beat"].max()) if end_beat is None and len(notes) else (end_beat or t0)
    n = max(0, int(np.ceil((t1 - t0) * resolution - 1e-9)))
    roll = np.zeros((hi - lo, n), dtype=np.float32)
    for s, e, p, v in zip(notes["start_beat"], notes["end_beat"], notes["pitch"],
                          notes["velocity"] if "velocity" in notes else np.full(len(notes), 127)):
        if not lo <= p < hi:
            continue
        a = int(round((s - t0) * resolution))
        b = max(a + 1, int(round((e - t0) * resolution)))
        a, b = max(a, 0), min(b, n)
        if a < b:
            roll[p - lo, a:b] = np.maximum(roll[p - lo, a:b], 1.0 if weight == "binary" else v / 127.0)
    return roll


def find_motif(notes: pd.DataFrame, motif, transpositions=True, part=None, within_part: bool = True) -> pd.DataFrame:
    """All occurrences of a melodic motif (pitch sequence + onset pattern) in a note table.

    An occurrence is a set of notes whose onsets have the same beat offsets
    as the motif (relative to its first note) and whose pitches are the
    motif's pitches shifted by one interval (0 when ``transpositions`` is
    False). Other notes sounding at the same time do not matter (polyphony
    is allowed).

    Parameters
    ----------
    notes : pd.DataFrame from :func:`score_notes` (``start_beat``, ``pitch``, optionally ``part``)
    motif : list of (beat_offset, pitch)
        e.g. ``[(0, 60), (0.5, 62), (1, 64)]``.
    transpositions : bool
    part : int, optional, search this part only
    within_part : bool
        All notes of an occurrence must come from one part (a melodic motif
        in one voice; parts doubling each other each give an occurrence).
        When False, notes may come from any parts.

    Returns
    -------
    pd.DataFrame with columns ``start_beat``, ``shift`` (semitones),
    ``part`` (-1 when ``within_part`` is False), ``note_index`` (tuple of
    row labels of ``notes``), sorted by start and part.
    """
    motif = sorted((float(o), int(p)) for o, p in motif)
    if len(motif) < 1:
        raise ValueError("find_motif: motif must contain at least one (offset, pitch) pair")
    sel = notes if part is None else notes[notes["part"] == part]
    if within_part and "part" in sel.columns:
        groups = list(sel.groupby("part", sort=True))
    else:
        groups = [(-1, sel)]
    o0, p0 = motif[0]
    rel = [(o - o0, p - p0) for o, p in motif]
    rows = []
    for part_id, group in groups:
        lookup = {}
        for idx, s, p in zip(group.index, group["start_beat"], group["pitch"]):
            lookup.setdefault((round(float(s), 6), int(p)), idx)
        seen = set()
        for (s, p), idx in lookup.items():
            shift = p - p0
            if (not transpositions and shift != 0) or (s, shift) in seen:
                continue
            hit = [idx]
            for dob, dp in rel[1:]:
                j = lookup.get((round(s + dob, 6), p + dp))
                if j is None:
                    break
                hit.append(j)
            else:
                seen.add((s, shift))
                rows.append((s, shift, int(part_id), tuple(int(h) for h in hit)))
    out = pd.DataFrame(rows, columns=["start_beat", "shift", "part", "note_index"])
    return out.sort_values(["start_beat", "part", "shift"]).reset_index(drop=True)


def to_musicxml(score) -> str:
    """The score as a MusicXML string (what the .mxl file contains, uncompressed)."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    out = GeneralObjectExporter(load_score(score)).parse()
    return out.decode("utf-8") if isinstance(out, bytes) else str(out)


def excerpt(score, first_measure: int, last_measure: int):
    """Measures ``first_measure..last_measure`` (inclusive, as numbered) of every part."""
    score = load_score(score)
    return score.measures(int(first_measure), int(last_measure))


def render_svg(score, first_measure: int | None = None, last_measure: int | None = None,
               page_width: int = 2100, scale: int = 35, page: int = 1) -> str:
    """Engrave a score (or a measure range of it) as SVG with verovio.

    Parameters
    ----------
    score : anything :func:`load_score` accepts
    first_measure, last_measure : int, optional; inclusive measure numbers
    page_width : int, verovio page width in its units (tenths of mm at scale 100)
    scale : int, percent
    page : int, which page of the layout to return (1-based)

    Returns
    -------
    svg : str
    """
    import verovio

    score = load_score(score)
    if first_measure is not None or last_measure is not None:
        ms = measure_starts(score)
        a = int(ms["measure"].iloc[0]) if first_measure is None else int(first_measure)
        b = int(ms["measure"].iloc[-1]) if last_measure is None else int(last_measure)
        score = excerpt(score, a, b)
    xml = to_musicxml(score)
    tk = verovio.toolkit()
    tk.setOptions({"pageWidth": int(page_width), "scale": int(scale), "adjustPageHeight": True,
                   "footer": "none", "header": "none", "breaks": "auto", "pageMarginTop": 20,
                   "pageMarginBottom": 20})
    if not tk.loadData(xml):
        raise ValueError("render_svg: verovio could not read the MusicXML of this score")
    n_pages = tk.getPageCount()
    if not 1 <= page <= n_pages:
        raise ValueError(f"render_svg: page must be in 1..{n_pages}, got {page}")
    return tk.renderToSVG(page)


def midi_events(notes: pd.DataFrame, bpm: float | None = None, ticks_per_beat: int = 480) -> pd.DataFrame:
    """The note table as a MIDI-style event list (note_on / note_off with delta ticks).

    Parameters
    ----------
    notes : pd.DataFrame from :func:`score_notes`
    bpm : float, quarter notes per minute (default ``notes.attrs['bpm']`` or 96)
    ticks_per_beat : int

    Returns
    -------
    pd.DataFrame with columns ``tick``, ``delta``, ``seconds``, ``type``
    (``note_on``/``note_off``), ``channel`` (= part), ``note``, ``velocity``.
    Note-offs sort before note-ons at the same tick, as MIDI writers do.
    """
    bpm = float(bpm or notes.attrs.get("bpm", DEFAULT_BPM))
    ev = []
    for s, e, p, v, part in zip(notes["start_beat"], notes["end_beat"], notes["pitch"], notes["velocity"],
                                notes["part"]):
        ev.append((int(round(s * ticks_per_beat)), 1, "note_on", int(part), int(p), int(v)))
        ev.append((int(round(e * ticks_per_beat)), 0, "note_off", int(part), int(p), 0))
    ev.sort()
    df = pd.DataFrame([(t, k, c, p, v) for t, _, k, c, p, v in ev],
                      columns=["tick", "type", "channel", "note", "velocity"])
    df.insert(1, "delta", df["tick"].diff().fillna(df["tick"]).astype(int) if len(df) else [])
    df.insert(2, "seconds", df["tick"] / ticks_per_beat * 60.0 / bpm)
    return df


#: Bump when :func:`score_notes` changes what it returns (invalidates the disk cache).
_NOTES_CACHE_VERSION = 1


def cached_score_notes(score, parts=None) -> pd.DataFrame:
    """:func:`score_notes` with a disk cache for corpus names and files.

    Parsing a long score with music21 takes seconds (a string-quartet
    movement ~10 s); the note table is cached (pickle) under
    ``cmr.paths.cache_dir('score_notes')``, keyed by the name or the file's
    path, size and modification time, and the music21 version. Parsed
    streams are not cached (they are converted directly).
    """
    import hashlib
    import pickle

    import music21

    from .paths import cache_dir

    if not isinstance(score, (str, Path)):
        return score_notes(score, parts=parts)
    path = Path(score)
    ident = str(score)
    if path.is_file():
        st = path.stat()
        ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    key = hashlib.sha1(f"{ident}|{parts}|{music21.__version__}|{_NOTES_CACHE_VERSION}".encode()).hexdigest()[:20]
    file = cache_dir("score_notes") / f"{key}.pkl"
    if file.is_file():
        try:
            with open(file, "rb") as fh:
                df = pickle.load(fh)
            if isinstance(df, pd.DataFrame):
                return df
        except Exception:  # a broken cache entry is recomputed
            pass
    df = score_notes(score, parts=parts)
    df.attrs["source"] = str(score)
    tmp = file.with_suffix(f".{np.random.default_rng().integers(1 << 30)}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(df, fh)
    tmp.replace(file)
    return df
