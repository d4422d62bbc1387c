"""Cross-modal theme retrieval: a monophonic theme from a score finds its recording.

This is the code behind notebook 06 (``06_Cross_Modal_Theme_Retrieval``).
The setting follows Barlow and Morgenstern's *Dictionary of Musical Themes*
(1948) and its use for retrieval by Balke et al. (ICASSP 2016): a short
melody, written in the score's key and tempo, is the query; polyphonic
recordings are the database; the answer is a ranked list of recordings.

The module has three parts.

Dataset (scores, no audio)
    :func:`top_voice` (the melody line of a score), :func:`phrase_starts`,
    :func:`extract_themes` (opening phrase and later themes, 8-30 notes),
    :func:`find_occurrences` (where a theme's interval pattern occurs, used
    to decide which recordings count as relevant) and :func:`plan_version`
    (a seeded choice of tempo, tempo curve, transposition, tuning and
    instruments for one rendering).

Matching
    :func:`theme_chroma` (query features from the symbolic theme),
    :func:`melody_enhance` (a pitch-salience variant of chroma that
    emphasises the highest sounding line), :func:`match_theme` (subsequence
    matching with several tempo factors, optional 12-shift transposition
    invariance and tuning compensation), :func:`rank_documents` (one score
    per recording: its best match). :func:`voice_blend` adds the other
    voices to a top-voice feature at a lower weight (themes that are not
    always the highest voice); :func:`second_voice` is its ground-truth
    counterpart for diagnosis; :func:`log_likelihood_features` turns the
    matching cost into a negative log-likelihood of pitch-class
    probabilities.

Evaluation
    :func:`top_k_accuracy` and :func:`position_overlap`.

Times are in seconds at the API boundary; feature matrices are
``(features, frames)``; score positions are in quarter notes from the start
of the score ("beats" in :mod:`cmr.symbolic`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Smallest and largest number of notes in a theme (issue 9: 8-30 notes).
MIN_THEME_NOTES = 8
MAX_THEME_NOTES = 30


# ---------------------------------------------------------------------------
# Dataset: melody line, phrases, themes, relevance, versions
# ---------------------------------------------------------------------------

def _is_fermata(note) -> bool:
    return any(type(e).__name__ == "Fermata" for e in getattr(note, "expressions", ()))


def top_voice(score, part: int | None = None) -> pd.DataFrame:
    """The melody line of a music21 score: the highest note at each onset of the top part.

    Parameters
    ----------
    score : music21.stream.Score
        A parsed score.
    part : int or None
        Index of the part to use. ``None`` picks the part with the highest
        mean pitch among the parts that sound during at least half of the
        score (so a doubling horn or a short descant is not taken for the
        melody).

    Returns
    -------
    pandas.DataFrame
        One row per melody note, sorted by onset, with columns
        ``start_beat``, ``end_beat`` (quarter notes from the score start),
        ``pitch`` (MIDI number), ``fermata`` (bool) and ``measure``.
        Tied notes are merged; chords contribute their highest pitch; when
        two notes start together (two voices in one part) the higher wins,
        and a note is cut where the next melody note begins.
    """
    parts = list(getattr(score, "parts", []))
    if not parts:
        raise ValueError("top_voice: score has no parts")
    if part is not None:
        if not (0 <= part < len(parts)):
            raise ValueError(f"top_voice: part must be in [0, {len(parts) - 1}], got {part}")
        chosen = parts[part]
    else:
        total = float(score.highestTime) or 1.0
        best, best_mean = None, -np.inf
        for p in parts:
            notes = [n for n in p.recurse().notes if n.quarterLength > 0]
            if not notes:
                continue
            covered = sum(float(n.quarterLength) for n in notes)
            mean = float(np.mean([max(x.midi for x in n.pitches) for n in notes]))
            if covered >= 0.5 * total and mean > best_mean:
                best, best_mean = p, mean
        chosen = best if best is not None else parts[0]
    stripped = chosen.stripTies(inPlace=False)
    rows = {}
    for n in stripped.recurse().notes:
        ql = float(n.quarterLength)
        if ql <= 0:  # grace notes
            continue
        start = float(n.getOffsetInHierarchy(stripped))
        pitch = max(x.midi for x in n.pitches)
        old = rows.get(start)
        if old is None or pitch > old[1]:
            rows[start] = (start + ql, pitch, _is_fermata(n), n.measureNumber or 0)
    if not rows:
        raise ValueError("top_voice: the chosen part has no notes")
    starts = np.array(sorted(rows), dtype=np.float64)
    ends = np.array([rows[s][0] for s in starts])
    ends[:-1] = np.minimum(ends[:-1], starts[1:])
    return pd.DataFrame({
        "start_beat": starts,
        "end_beat": ends,
        "pitch": np.array([rows[s][1] for s in starts], dtype=np.int64),
        "fermata": np.array([rows[s][2] for s in starts], dtype=bool),
        "measure": np.array([rows[s][3] for s in starts], dtype=np.int64),
    })


def phrase_starts(melody: pd.DataFrame, rest_beats: float = 0.5, long_factor: float = 3.0) -> np.ndarray:
    """Indices of melody notes that begin a phrase.

    A phrase begins at the first note, after a note with a fermata, after a
    rest of at least ``rest_beats`` quarter notes, and after a note at least
    ``long_factor`` times as long as the median note (a held phrase end).

    Returns
    -------
    np.ndarray of int, sorted, always starting with 0.
    """
    _check_melody(melody, "melody")
    s = melody["start_beat"].to_numpy()
    e = melody["end_beat"].to_numpy()
    dur = e - s
    med = float(np.median(dur)) if len(dur) else 1.0
    gap = np.r_[s[1:] - e[:-1], 0.0]
    end_here = melody["fermata"].to_numpy() | (gap >= rest_beats) | (dur >= long_factor * med)
    starts = np.r_[0, np.flatnonzero(end_here[:-1]) + 1]
    return np.unique(starts)


def _check_melody(melody, name):
    if not isinstance(melody, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(melody).__name__}")
    for col in ("start_beat", "end_beat", "pitch"):
        if col not in melody.columns:
            raise ValueError(f"{name} needs a column {col!r}; has {list(melody.columns)}")
    if "fermata" not in melody.columns:
        melody["fermata"] = False


@dataclass
class Theme:
    """One query: a monophonic excerpt of a score's melody line.

    Attributes
    ----------
    piece : str
        Identifier of the piece it comes from.
    index : int
        Number of the theme within the piece (0 = opening phrase).
    first_note, n_notes : int
        Position in the piece's melody line (rows of :func:`top_voice`).
    start_beat, end_beat : float
        Position in the score, quarter notes.
    pitches : np.ndarray of int, (n_notes,)
        MIDI pitches in the written key.
    onsets, offsets : np.ndarray of float, (n_notes,)
        Note times in quarter notes relative to the theme start.
    """

    piece: str
    index: int
    first_note: int
    n_notes: int
    start_beat: float
    end_beat: float
    pitches: np.ndarray = field(repr=False)
    onsets: np.ndarray = field(repr=False)
    offsets: np.ndarray = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.piece}#{self.index}"

    def notes(self, qpm: float, velocity: int = 90) -> pd.DataFrame:
        """The theme as a note list in seconds at ``qpm`` quarter notes per minute."""
        if not qpm > 0:
            raise ValueError(f"qpm must be > 0, got {qpm}")
        spb = 60.0 / qpm
        return pd.DataFrame({"start": self.onsets * spb, "end": self.offsets * spb,
                             "pitch": self.pitches.astype(np.int64), "velocity": velocity,
                             "start_beat": self.onsets, "end_beat": self.offsets})


def _theme_from(melody, piece, index, i, n):
    rows = melody.iloc[i:i + n]
    s0 = float(rows["start_beat"].iloc[0])
    return Theme(piece=piece, index=index, first_note=int(i), n_notes=int(n), start_beat=s0,
                 end_beat=float(rows["end_beat"].iloc[-1]),
                 pitches=rows["pitch"].to_numpy(np.int64),
                 onsets=rows["start_beat"].to_numpy() - s0,
                 offsets=rows["end_beat"].to_numpy() - s0)


def _phrase_length(starts, i, n_total, min_notes, max_notes):
    """Notes from melody index i to a phrase end with at least min_notes notes."""
    later = starts[starts > i]
    for b in later:
        if b - i >= min_notes:
            return int(min(b - i, max_notes))
    return int(min(n_total - i, max_notes))


def extract_themes(melody: pd.DataFrame, piece: str, n_later: int = 1,
                   min_notes: int = 10, max_notes: int = 20) -> list[Theme]:
    """Opening phrase plus ``n_later`` later themes of a melody line.

    The opening theme starts at the first melody note. Later themes start at
    phrase beginnings (:func:`phrase_starts`) nearest to evenly spaced points
    of the piece (1/2 for one later theme, 1/3 and 2/3 for two, ...). Each
    theme runs to the first phrase end that gives it at least ``min_notes``
    notes and is cut at ``max_notes``. Themes do not overlap, use at least
    three different pitches, and differ from each other in their interval
    pattern.

    Returns
    -------
    list of Theme (possibly shorter than ``1 + n_later`` for short pieces).
    """
    _check_melody(melody, "melody")
    if not (MIN_THEME_NOTES <= min_notes <= max_notes <= MAX_THEME_NOTES):
        raise ValueError(f"need {MIN_THEME_NOTES} <= min_notes <= max_notes <= {MAX_THEME_NOTES}, "
                         f"got min_notes={min_notes}, max_notes={max_notes}")
    n_total = len(melody)
    if n_total < min_notes:
        return []
    starts = phrase_starts(melody)
    pitches = melody["start_beat"].to_numpy()
    length_beats = float(melody["end_beat"].iloc[-1])
    themes: list[Theme] = []
    used: list[tuple[int, int]] = []
    patterns: set[tuple] = set()

    def try_add(i):
        n = _phrase_length(starts, i, n_total, min_notes, max_notes)
        if n < min_notes or any(i < b and a < i + n for a, b in used):
            return False
        p = melody["pitch"].to_numpy()[i:i + n]
        pattern = tuple(np.diff(p))
        if len(np.unique(p)) < 3 or pattern in patterns:
            return False
        themes.append(_theme_from(melody, piece, len(themes), i, n))
        used.append((i, i + n))
        patterns.add(pattern)
        return True

    try_add(0)
    for k in range(1, n_later + 1):
        target = length_beats * k / (n_later + 1)
        order = np.argsort(np.abs(pitches[starts] - target), kind="stable")
        for j in order:
            if try_add(int(starts[j])):
                break
    return themes


def find_occurrences(theme_pitches, melody_pitches) -> np.ndarray:
    """Start indices where the theme's interval pattern occurs in a melody line.

    Transposed occurrences count (the pattern of successive intervals is
    compared, not the pitches), rhythm is ignored.

    Parameters
    ----------
    theme_pitches : array of int, (m,), m >= 2
    melody_pitches : array of int, (n,)

    Returns
    -------
    np.ndarray of int: indices ``i`` with ``diff(melody[i:i+m]) == diff(theme)``.
    """
    t = np.asarray(theme_pitches, dtype=np.int64)
    m = np.asarray(melody_pitches, dtype=np.int64)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"theme_pitches must be 1-D with at least 2 notes, got shape {t.shape}")
    if m.ndim != 1:
        raise ValueError(f"melody_pitches must be 1-D, got shape {m.shape}")
    if m.size < t.size:
        return np.zeros(0, dtype=np.int64)
    dt = np.diff(t)
    dm = np.diff(m)
    win = np.lib.stride_tricks.sliding_window_view(dm, dt.size)
    return np.flatnonzero(np.all(win == dt, axis=1)).astype(np.int64)


#: Instrument pools (General MIDI programs, 0-based) for version planning.
INSTRUMENT_POOLS = {
    "piano": [0],
    "organ": [19],
    "strings": [40, 41, 42, 48],
    "winds": [73, 71, 68, 70],
    "mixed": [73, 40, 71, 42],
    "brass": [56, 60, 57, 58],
    "choir": [52, 52, 52, 52],
    "guitar": [24],
}


def plan_version(rng: np.random.Generator, n_parts: int, tempo_range=(0.75, 1.33),
                 max_transpose: int = 5, p_transpose: float = 0.7, max_cents: float = 50.0,
                 curve_depth=(0.04, 0.15), max_reverb: float = 0.3) -> dict:
    """Draw the performance parameters of one rendering.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator (one per piece, so a piece's version does not
        depend on which other pieces are in the set).
    n_parts : int
        Number of parts to give instruments.
    tempo_range : (float, float)
        Global tempo factor relative to the written tempo, drawn
        log-uniformly (1.2 = 20 % faster).
    max_transpose, p_transpose : int, float
        With probability ``p_transpose`` the version is transposed by a
        non-zero number of semitones in ``[-max_transpose, max_transpose]``.
    max_cents : float
        Tuning deviation drawn uniformly in ``[-max_cents, max_cents]``.
    curve_depth : (float, float)
        Range of the depth ``a`` of the local tempo curve: 4 to 8 evenly
        spaced breakpoints over the piece with relative tempi drawn
        log-uniformly from ``[exp(-a), exp(a)]``, interpolated smoothly by
        :mod:`cmr.synth`.
    max_reverb : float
        Reverb mix drawn uniformly in ``[0, max_reverb]``.

    Returns
    -------
    dict with keys ``tempo_factor``, ``transpose``, ``tuning_cents``,
    ``ensemble``, ``programs`` (list of GM programs, one per part),
    ``curve`` (list of (score fraction, local tempo factor) breakpoints),
    ``reverb``, ``seed``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    if n_parts < 1:
        raise ValueError(f"n_parts must be >= 1, got {n_parts}")
    lo, hi = tempo_range
    tempo = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    transpose = 0
    if rng.random() < p_transpose:
        transpose = int(rng.choice([k for k in range(-max_transpose, max_transpose + 1) if k != 0]))
    cents = float(np.round(rng.uniform(-max_cents, max_cents), 1))
    ensemble = str(rng.choice(sorted(INSTRUMENT_POOLS)))
    pool = INSTRUMENT_POOLS[ensemble]
    programs = [int(pool[k % len(pool)]) for k in range(n_parts)]
    depth = float(rng.uniform(*curve_depth))
    n_points = int(rng.integers(4, 9))
    xs = np.linspace(0.0, 1.0, n_points)
    ys = np.exp(rng.uniform(-depth, depth, size=n_points))
    curve = [(float(x), float(np.round(y, 4))) for x, y in zip(xs, ys)]
    reverb = float(np.round(rng.uniform(0.0, max_reverb), 3))
    return {"tempo_factor": round(tempo, 4), "transpose": transpose, "tuning_cents": cents,
            "ensemble": ensemble, "programs": programs, "curve": curve, "reverb": reverb,
            "seed": int(rng.integers(0, 2**31 - 1))}


def make_version(plan: dict, qpm: float, end_beat: float, name: str = "theme-db"):
    """The :class:`cmr.synth.Version` of a plan from :func:`plan_version`.

    Parameters
    ----------
    plan : dict from :func:`plan_version` (or parsed from the pieces table)
    qpm : float, written tempo in quarter notes per minute
    end_beat : float, length of the score in quarter notes (to place the
        tempo-curve breakpoints given as fractions of the piece)
    """
    from .synth import Version

    if not (qpm > 0 and end_beat > 0):
        raise ValueError(f"qpm and end_beat must be > 0, got qpm={qpm}, end_beat={end_beat}")
    curve = [(float(x) * end_beat, float(v)) for x, v in plan.get("curve", [])]
    return Version(name=name, tempo_factor=float(plan["tempo_factor"]), tempo_curve=curve, bpm=float(qpm),
                   transpose=int(plan["transpose"]), tuning_cents=float(plan["tuning_cents"]),
                   programs=tuple(plan["programs"]), reverb=float(plan.get("reverb", 0.0)),
                   reverb_seconds=1.2, seed=int(plan.get("seed", 0)), tail=0.5)


def version_notes(notes: pd.DataFrame, version) -> pd.DataFrame:
    """The notes a :class:`cmr.synth.Version` of a score plays, in audio seconds, without synthesis.

    The timing part of :func:`cmr.synth.render` (same tempo map, sections,
    articulation and transposition), for ground-truth features of many
    renderings at no audio cost. Equals ``render(notes, version).truth.notes``
    in ``start``, ``end``, ``pitch`` and ``part``.

    Parameters
    ----------
    notes : pandas.DataFrame, a :func:`cmr.symbolic.score_notes` table (``start_beat``, ``end_beat``, ``pitch``, ``part``)
    version : cmr.synth.Version

    Returns
    -------
    pandas.DataFrame with columns ``start``, ``end`` (s), ``pitch`` (sounding MIDI), ``part``,
    ``velocity``, ``start_beat``, sorted like the rendering's ground truth
    """
    from . import synth

    if not isinstance(notes, pd.DataFrame) or not {"start_beat", "end_beat", "pitch"} <= set(notes.columns):
        raise ValueError("notes must be a DataFrame with columns start_beat, end_beat, pitch")
    bpm = float(version.bpm or notes.attrs.get("bpm") or 96.0)
    sections, _ = synth._section_beats(notes, version.sections)
    perf_beats, times, table = synth._tempo_map(sections, bpm, version)
    truth = synth.GroundTruth(notes=pd.DataFrame(), measure_times=pd.DataFrame(), sections=table,
                              perf_beats=perf_beats, times=times, duration=0.0, sr=1, version=version)
    sb = notes["start_beat"].to_numpy(np.float64)
    eb = notes["end_beat"].to_numpy(np.float64)
    parts = notes["part"].to_numpy(np.int64) if "part" in notes else np.zeros(len(notes), np.int64)
    vel = notes["velocity"].to_numpy(np.float64) if "velocity" in notes else np.full(len(notes), 90.0)
    rows = []
    for s0, s1, p0 in table:
        sel = np.flatnonzero((sb >= s0 - 1e-9) & (sb < s1 - 1e-9))
        on = p0 + sb[sel] - s0
        rows.append(pd.DataFrame({"start": truth._perf_to_time(on),
                                  "end": truth._perf_to_time(on + (eb[sel] - sb[sel]) * version.articulation),
                                  "pitch": notes["pitch"].to_numpy(np.int64)[sel] + version.transpose,
                                  "part": parts[sel], "velocity": vel[sel], "start_beat": sb[sel]}))
    out = pd.concat(rows, ignore_index=True)
    out = out[(out["pitch"] >= 0) & (out["pitch"] <= 127)]
    return out.sort_values(["start", "pitch", "part"], kind="stable").reset_index(drop=True)


def note_roll(notes: pd.DataFrame, feature_rate: float, n_frames: int, first_pitch: int = 21,
              n_pitches: int = 88) -> np.ndarray:
    """Piano roll of a note list on the centred frame grid: the share of each frame a pitch sounds.

    Frame ``n`` covers ``[(n - 0.5) / rate, (n + 0.5) / rate)`` as in
    :func:`cmr.chroma.symbolic_chroma`.

    Returns
    -------
    np.ndarray, shape (n_pitches, n_frames), float32 in [0, 1] (row ``i`` = MIDI pitch ``first_pitch + i``;
    notes outside the range are dropped)
    """
    if not (feature_rate > 0) or int(n_frames) < 0:
        raise ValueError(f"need feature_rate > 0 and n_frames >= 0, got {feature_rate}, {n_frames}")
    R = np.zeros((n_pitches, int(n_frames)), np.float64)
    rate = float(feature_rate)
    s = notes["start"].to_numpy(np.float64)
    e = notes["end"].to_numpy(np.float64)
    i = notes["pitch"].to_numpy(np.int64) - first_pitch
    a = np.maximum(np.floor(s * rate + 0.5).astype(np.int64), 0)
    b = np.minimum(np.floor(e * rate + 0.5).astype(np.int64), int(n_frames) - 1)
    keep = (i >= 0) & (i < n_pitches) & (e > s) & (b >= a)
    s, e, i, a, b = s[keep], e[keep], i[keep], a[keep], b[keep]
    if s.size == 0:
        return R.astype(np.float32)
    counts = b - a + 1
    note = np.repeat(np.arange(s.size), counts)
    frame = a[note] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    share = np.clip(np.minimum(e[note], (frame + 0.5) / rate) - np.maximum(s[note], (frame - 0.5) / rate), 0, None)
    np.add.at(R, (i[note], frame), share * rate)
    return np.minimum(R, 1.0).astype(np.float32)


def skyline(R, min_share: float = 0.5) -> np.ndarray:
    """Keep per frame only the highest pitch that sounds through at least ``min_share`` of it.

    Parameters
    ----------
    R : np.ndarray, shape (p, N), a :func:`note_roll`

    Returns
    -------
    np.ndarray, shape (p, N), float32, one-hot per frame (zero columns where nothing sounds)
    """
    R = np.asarray(R)
    on = R >= min_share
    top = R.shape[0] - 1 - np.argmax(on[::-1], axis=0)
    out = np.zeros(R.shape, np.float32)
    has = on.any(axis=0)
    out[top[has], np.flatnonzero(has)] = 1.0
    return out


def second_voice(R, min_share: float = 0.5) -> np.ndarray:
    """Keep per frame only the highest pitch *below* the :func:`skyline` pitch (the second voice from the top).

    A pitch counts as sounding when it fills at least ``min_share`` of the
    frame (as in :func:`skyline`); frames with fewer than two sounding
    pitches have no second voice. Used to diagnose themes that lie in an
    inner voice (voice crossing, a melody below a descant).

    Parameters
    ----------
    R : np.ndarray, shape (p, N), a :func:`note_roll`

    Returns
    -------
    np.ndarray, shape (p, N), float32, one-hot per frame (zero columns where fewer than two pitches sound)
    """
    R = np.asarray(R)
    if R.ndim != 2:
        raise ValueError(f"R must have shape (pitches, N), got {R.shape}")
    on = R >= min_share
    has = on.any(axis=0)
    top = R.shape[0] - 1 - np.argmax(on[::-1], axis=0)
    on[top[has], np.flatnonzero(has)] = False
    return skyline(on.astype(np.float32), 0.5)


def fold_chroma(R, first_pitch: int = 21) -> np.ndarray:
    """Fold a (pitches, N) matrix to (12, N) pitch classes (row ``i`` = MIDI ``first_pitch + i``)."""
    R = np.asarray(R, dtype=np.float32)
    C = np.zeros((12, R.shape[1]), np.float32)
    for i in range(R.shape[0]):
        C[(first_pitch + i) % 12] += R[i]
    return C


# ---------------------------------------------------------------------------
# Features: database (audio) and queries (symbolic themes)
# ---------------------------------------------------------------------------

#: Feature types compared in notebook 06, in table order.
FEATURE_KINDS = ("stft", "cqt", "iir", "cens", "melody")
#: Extra kind computed on request only (:func:`salience_chroma`); not in the render cache by default.
EXTRA_KINDS = ("salience", "learned", "conv")
#: Feature rate of the matching (frames per second).
FEATURE_RATE = 5.0
#: Rate of the fine features the matching features are pooled from.
FINE_RATE = 10.0
#: CENS smoothing window in fine frames (0.9 s: themes are short, CENS 41-10 would blur them away).
CENS_SMOOTH = 9


def pool_features(X, rate_in: float, rate_out: float, n_out: int | None = None) -> np.ndarray:
    """Average centred frames into the cells of a coarser centred grid.

    Input frame ``n`` (time ``n / rate_in``) goes to output frame
    ``round(n / rate_in * rate_out)``; each output frame is the mean of
    its input frames (frames that receive none repeat their left
    neighbour).

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
    rate_in, rate_out : float, frames per second, ``rate_out <= rate_in``
    n_out : int, optional
        Number of output frames (default ``1 + floor((N - 1) / rate_in * rate_out)``).

    Returns
    -------
    np.ndarray, shape (d, n_out), float32 (not normalised)
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (d, N), got {X.shape}")
    if not (rate_in > 0 and rate_out > 0) or rate_out > rate_in * (1 + 1e-9):
        raise ValueError(f"need 0 < rate_out <= rate_in, got rate_in={rate_in}, rate_out={rate_out}")
    d, n = X.shape
    if n_out is None:
        n_out = 1 + int(np.floor(max(n - 1, 0) / rate_in * rate_out + 1e-9)) if n else 0
    if n_out == 0 or n == 0:
        return np.zeros((d, n_out), np.float32)
    idx = np.clip(np.round(np.arange(n) / rate_in * rate_out).astype(np.int64), 0, n_out - 1)
    counts = np.bincount(idx, minlength=n_out).astype(np.float64)
    out = np.zeros((d, n_out), np.float64)
    np.add.at(out.T, idx, X.T.astype(np.float64))
    filled = counts > 0
    out[:, filled] /= counts[filled]
    for m in np.flatnonzero(~filled):
        out[:, m] = out[:, m - 1] if m > 0 else 0.0
    return out.astype(np.float32)


def _check_pitch_energies(P) -> np.ndarray:
    """P as float64 (pitches, N) after checking it holds finite non-negative energies."""
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2:
        raise ValueError(f"P must have shape (pitches, N), got {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError("P must contain finite non-negative energies")
    return P


def _skyline_weights(S, pitches, lowest, rel_salience, decay):
    """Weights (npitch, n) that favour the highest active pitch of each frame.

    A pitch is active when its salience ``S`` reaches ``rel_salience`` times
    the frame's maximum; the highest active pitch gets weight 1, a pitch
    ``d`` semitones below it ``exp(-d / decay)``, pitches above it and below
    ``lowest`` weight 0 (frames without salience: all 0).
    """
    npitch = S.shape[0]
    smax = S.max(axis=0)
    active = (S >= rel_salience * smax[None, :]) & (smax[None, :] > 0)
    top = np.where(active.any(axis=0), npitch - 1 - np.argmax(active[::-1], axis=0), -1)
    dist = top[None, :] - np.arange(npitch)[:, None]
    W = np.where((dist >= 0) & (top[None, :] >= 0), np.exp(-dist / decay), 0.0)
    W[pitches < lowest] = 0.0
    return W


def melody_chroma(P, first_pitch: int = 21, gamma: float = 10.0, rel_salience: float = 0.5,
                  decay: float = 4.0, lowest: int = 55) -> np.ndarray:
    """Melody-enhanced chroma from pitch energies: the highest salient line gets the weight.

    1. log compression ``log(1 + gamma * P / max P)``;
    2. harmonic summation: the salience of pitch ``p`` adds the compressed
       energy of its harmonics 1-4 (``p``, ``p + 12``, ``p + 19``,
       ``p + 24``) with weights 1, 1/2, 1/3, 1/4, so a fundamental outweighs
       its own overtones;
    3. per frame, the *top pitch* is the highest pitch (not below ``lowest``)
       whose salience reaches ``rel_salience`` times the frame's maximum;
       pitch ``p <= top`` is weighted by ``exp(-(top - p) / decay)`` and
       everything above the top pitch or below ``lowest`` is dropped;
    4. the weighted compressed energies are folded to 12 pitch classes.

    This mimics what a listener follows in a chorale or quartet: the upper
    voice. It is a simple stand-in for the learned salience representations
    of Zalkow, Balke and Müller (ICASSP 2019).

    Parameters
    ----------
    P : np.ndarray, shape (p, N), row ``i`` = MIDI pitch ``first_pitch + i`` (non-negative)

    Returns
    -------
    np.ndarray, shape (12, N), float32, not normalised (silent frames are zero)
    """
    P = _check_pitch_energies(P)
    npitch, n = P.shape
    if n == 0 or P.max() <= 0:
        return np.zeros((12, n), np.float32)
    L = np.log1p(gamma * P / P.max())
    S = L.copy()
    for h, off in ((2, 12), (3, 19), (4, 24)):
        S[:npitch - off] += L[off:] / h
    pitches = first_pitch + np.arange(npitch)
    S[pitches < lowest] = 0.0
    W = _skyline_weights(S, pitches, lowest, rel_salience, decay)
    M = L * W
    C = np.zeros((12, n), np.float64)
    for i in range(npitch):
        C[pitches[i] % 12] += M[i]
    return C.astype(np.float32)


#: Semitone offsets of harmonics 1..8 above a fundamental (round(12 log2 h)).
HARMONIC_OFFSETS = tuple(int(round(12 * np.log2(h))) for h in range(1, 9))


def salience_chroma(P, first_pitch: int = 21, gamma: float = 10.0, n_harmonics: int = 6, alpha: float = 0.8,
                    suppress: float = 0.0, rel_salience: float = 0.5, decay: float = 4.0, lowest: int = 55,
                    highest: int = 108, fold: str = "salience") -> np.ndarray:
    """Chroma of the upper voice from a harmonic-summation pitch salience (favours fundamentals).

    1. log compression ``L = log(1 + gamma * P / max P)``;
    2. harmonic summation ``S(p) = sum_{h=1}^{H} alpha^(h-1) L(p + round(12 log2 h))``;
    3. subharmonic suppression (``suppress > 0``): a pitch that can be
       explained as harmonic ``h = 2..H`` of a lower, more salient pitch ``q``
       loses ``suppress * alpha^(h-1) * S(q)`` (clipped at zero), so a
       trumpet's strong third harmonic (a twelfth above, i.e. the wrong pitch
       class) no longer looks like a note of its own;
    4. skyline: per frame the *top pitch* is the highest pitch (not below
       ``lowest``) whose salience reaches ``rel_salience`` times the frame's
       maximum (pitches above ``highest`` are not candidates: high
       overtones are not taken for the melody); pitch ``p <= top`` is weighted
       by ``exp(-(top - p) / decay)``;
    5. fold the weighted salience (``fold='salience'``) or the weighted
       compressed energy (``fold='energy'``, as :func:`melody_chroma`) to 12
       pitch classes.

    Parameters
    ----------
    P : np.ndarray, shape (p, N), row ``i`` = MIDI pitch ``first_pitch + i`` (non-negative energies)

    Returns
    -------
    np.ndarray, shape (12, N), float32, not normalised (silent frames are zero)
    """
    P = _check_pitch_energies(P)
    if not 1 <= int(n_harmonics) <= len(HARMONIC_OFFSETS):
        raise ValueError(f"n_harmonics must be in 1..{len(HARMONIC_OFFSETS)}, got {n_harmonics}")
    if fold not in ("salience", "energy"):
        raise ValueError(f"fold must be 'salience' or 'energy', got {fold!r}")
    npitch, n = P.shape
    if n == 0 or P.max() <= 0:
        return np.zeros((12, n), np.float32)
    L = np.log1p(gamma * P / P.max())
    offs = HARMONIC_OFFSETS[:int(n_harmonics)]
    S = np.zeros_like(L)
    for h, off in enumerate(offs):
        if off < npitch:
            S[:npitch - off] += alpha ** h * L[off:]
    if suppress > 0:
        R = np.zeros_like(S)
        for h, off in enumerate(offs[1:], start=1):
            if off < npitch:
                R[off:] = np.maximum(R[off:], alpha ** h * S[:npitch - off])
        S = np.maximum(S - suppress * R, 0.0)
    pitches = first_pitch + np.arange(npitch)
    S[(pitches < lowest) | (pitches > highest)] = 0.0
    W = _skyline_weights(S, pitches, lowest, rel_salience, decay)
    M = (S if fold == "salience" else L) * W
    C = np.zeros((12, n), np.float64)
    for i in range(npitch):
        C[pitches[i] % 12] += M[i]
    return C.astype(np.float32)


def voice_blend(top, others, weight: float = 0.7, remove_top: bool = True) -> np.ndarray:
    """Top-voice chroma plus a weighted share of the other voices' chroma, for themes not always on top.

    .. math::

        A = \\frac{T}{\\lVert T\\rVert},\\quad
        \\hat O = \\frac{O}{\\lVert O\\rVert},\\quad
        B = \\frac{\\hat O \\odot (1 - A)}{\\lVert \\hat O \\odot (1 - A)\\rVert},\\quad
        X = \\frac{A + w B}{\\lVert A + w B\\rVert}

    per frame (Euclidean norms over the 12 pitch classes, by
    :func:`cmr.chroma.normalize`: a silent frame becomes the flat unit
    vector, as in every other database feature). ``T`` is a top-voice
    chroma (e.g. the learned melody chroma of
    :func:`cmr.melody.learned_chroma`), ``O`` a chroma of all or of the
    other voices (e.g. :func:`salience_chroma` without skyline weighting).
    The factor ``1 - A`` takes out the pitch classes the top voice already
    covers (``remove_top=False`` keeps ``O`` as it is, for an ``O`` that
    holds only the other voices). A theme that lies in an inner voice for a
    while (voice crossing, a descant over the tune) then still matches the
    frames where it is not the highest note, at a lower similarity: a pitch
    class absent from ``T`` gets at most ``w / sqrt(1 + w^2)`` (0.57 for
    ``w = 0.7``) instead of up to 1. Chosen on the development themes of
    notebook 06's dataset: ``w = 0.7`` with ``O`` the all-voice salience
    (plateau 0.6-1.0; see ``scripts/eval_themes.py``, kind ``learned_blend``).

    Parameters
    ----------
    top, others : np.ndarray, shape (12, N), non-negative
    weight : float >= 0, the share ``w`` of the other voices
    remove_top : bool

    Returns
    -------
    np.ndarray, shape (12, N), float32, l2-normalised frames
    """
    from . import chroma

    T = np.asarray(top, dtype=np.float64)
    O = np.asarray(others, dtype=np.float64)
    if T.ndim != 2 or T.shape[0] != 12 or T.shape != O.shape:
        raise ValueError(f"top and others must have the same shape (12, N), got {T.shape} and {O.shape}")
    if not (np.all(np.isfinite(T)) and np.all(np.isfinite(O))) or np.any(T < 0) or np.any(O < 0):
        raise ValueError("top and others must be finite and non-negative")
    if not (np.isfinite(weight) and weight >= 0):
        raise ValueError(f"weight must be a finite number >= 0, got {weight}")
    A = chroma.normalize(T, "l2").astype(np.float64)
    B = chroma.normalize(O, "l2")
    if remove_top:
        B = chroma.normalize(B * (1.0 - A), "l2")
    return chroma.normalize(A + weight * B, "l2")


def log_likelihood_features(C, eps: float = 0.01, conditional: bool = True) -> np.ndarray:
    """Database features that turn diagonal matching into a log-likelihood cost.

    For pitch-class probabilities ``C`` (e.g. a pooled
    :func:`cmr.melody.learned_chroma`) the features are
    ``F = log(C / sum_c C + eps)`` (``conditional=True``: probabilities given
    that a note sounds) or ``log(C + eps)``. The matching kernel of
    :func:`cmr.matching.diagonal_matching` computes ``1 - <q, F>`` per frame
    for a unit query frame ``q``; for a one-hot query frame of pitch class
    ``c`` this is ``1 - log(p_c + eps)``: the matching cost becomes one plus
    the mean negative log-probability of the theme's pitch classes (build
    the database with ``normalize=False``).

    Parameters
    ----------
    C : np.ndarray, shape (12, N), non-negative probabilities
    eps : float > 0, floor of the probabilities (bounds the cost of a frame by ``1 - log eps``)
    conditional : bool

    Returns
    -------
    np.ndarray, shape (12, N), float32, values <= log(1 + eps)
    """
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"C must have shape (12, N), got {C.shape}")
    if not np.all(np.isfinite(C)) or np.any(C < 0):
        raise ValueError("C must contain finite non-negative probabilities")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps}")
    if conditional:
        s = C.sum(axis=0, keepdims=True)
        C = np.where(s > 0, C / np.where(s > 0, s, 1.0), 0.0)
    return np.log(C + eps).astype(np.float32)


def database_features(y, sr: float, kinds=FEATURE_KINDS, feature_rate: float = FEATURE_RATE,
                      tuning_cents: float | None = None) -> tuple[dict, float]:
    """Features of one database recording for every feature type.

    Parameters
    ----------
    y : np.ndarray, shape (n,), mono audio
    sr : float, Hz
    kinds : iterable of str, subset of :data:`FEATURE_KINDS`
        ``'stft'``, ``'cqt'`` (librosa chroma), ``'iir'`` (IIR filterbank
        chroma, :func:`cmr.chroma.chroma_iir`), ``'cens'`` (CENS of the IIR
        chroma with a short 0.9 s window), ``'melody'``
        (:func:`melody_chroma`); on request also ``'salience'``
        (:func:`salience_chroma`), ``'learned'`` (:func:`cmr.melody.learned_chroma`,
        the trained top-voice model) and ``'conv'`` (the same with the committed
        pitch-convolutional model, :func:`cmr.melody.conv_weights_path`), :data:`EXTRA_KINDS`.
    feature_rate : float, frames per second of the result
    tuning_cents : float or None
        Reference tuning of the filters in cents. ``None`` estimates it from
        the audio (*tuning compensation*); ``0.0`` assumes A4 = 440 Hz.

    Returns
    -------
    features : dict kind -> np.ndarray, shape (12, 1 + floor(duration * feature_rate)), float32, l2-normalised
    cents : float, the tuning used
    """
    from . import chroma

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be non-empty mono audio of shape (n,), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite samples")
    kinds = list(kinds)
    bad = [k for k in kinds if k not in FEATURE_KINDS + EXTRA_KINDS]
    if bad:
        raise ValueError(f"kinds must be among {FEATURE_KINDS + EXTRA_KINDS}, got {bad}")
    cents = float(chroma.estimate_tuning(y, sr)) if tuning_cents is None else float(tuning_cents)
    n_out = chroma.n_frames(len(y) / sr, feature_rate)
    out = {}
    if "stft" in kinds:
        hop = int(round(sr / FINE_RATE))
        C = chroma.chroma_stft(y, sr, n_fft=2 * hop, hop_length=hop, tuning=cents, norm=None)
        out["stft"] = pool_features(C, sr / hop, feature_rate, n_out)
    if "cqt" in kinds:
        C = chroma.chroma_cqt(y, sr, hop_length=1024, tuning=cents, norm=None)
        out["cqt"] = pool_features(C, sr / 1024, feature_rate, n_out)
    if {"iir", "cens", "melody", "salience", "learned", "conv"} & set(kinds):
        P = chroma.pitch_features(y, sr, feature_rate=FINE_RATE, tuning_cents=cents)
        C = chroma.pitch_to_chroma(P)
        if "iir" in kinds:
            out["iir"] = pool_features(C, FINE_RATE, feature_rate, n_out)
        if "cens" in kinds:
            X, _ = chroma.cens(C, FINE_RATE, smooth_len=CENS_SMOOTH, target_rate=feature_rate)
            out["cens"] = _fit_length(X, n_out)
        if "melody" in kinds:
            out["melody"] = pool_features(melody_chroma(P), FINE_RATE, feature_rate, n_out)
        if "salience" in kinds:
            out["salience"] = pool_features(salience_chroma(P), FINE_RATE, feature_rate, n_out)
        if "learned" in kinds:
            from .melody import learned_chroma

            out["learned"] = pool_features(learned_chroma(P), FINE_RATE, feature_rate, n_out)
        if "conv" in kinds:
            from .melody import conv_weights_path, learned_chroma, load_model

            out["conv"] = pool_features(learned_chroma(P, load_model(conv_weights_path())), FINE_RATE,
                                        feature_rate, n_out)
    return {k: chroma.normalize(out[k], "l2") for k in kinds}, cents


def _fit_length(X, n):
    if X.shape[1] >= n:
        return X[:, :n]
    return np.concatenate([X, np.repeat(X[:, -1:], n - X.shape[1], axis=1)], axis=1)


def theme_features(notes: pd.DataFrame, kind: str = "melody", feature_rate: float = FEATURE_RATE) -> np.ndarray:
    """Query features of a theme from its notes (seconds), as the database kind expects.

    The theme's symbolic chroma (:func:`cmr.chroma.symbolic_chroma`) at
    :data:`FINE_RATE` is pooled to ``feature_rate``; for ``kind='cens'`` it
    goes through the same CENS step as the database.

    Parameters
    ----------
    notes : pandas.DataFrame with columns ``start``, ``end`` (s), ``pitch``;
        e.g. :meth:`Theme.notes`. The first note should start at 0.
    kind : one of :data:`FEATURE_KINDS`

    Returns
    -------
    np.ndarray, shape (12, M), float32, l2-normalised
    """
    from . import chroma

    if kind not in FEATURE_KINDS + EXTRA_KINDS:
        raise ValueError(f"kind must be one of {FEATURE_KINDS + EXTRA_KINDS}, got {kind!r}")
    if not isinstance(notes, pd.DataFrame) or len(notes) == 0:
        raise ValueError("notes must be a non-empty DataFrame with columns start, end, pitch")
    duration = float(notes["end"].max())
    C = chroma.symbolic_chroma(notes, FINE_RATE, duration=duration, norm=None)
    n_out = chroma.n_frames(duration, feature_rate)
    if kind == "cens":
        X, _ = chroma.cens(C, FINE_RATE, smooth_len=CENS_SMOOTH, target_rate=feature_rate)
        X = _fit_length(X, n_out)
    else:
        X = pool_features(C, FINE_RATE, feature_rate, n_out)
    return chroma.normalize(X, "l2")


# ---------------------------------------------------------------------------
# Matching and document ranking
# ---------------------------------------------------------------------------

def tempo_factors(n: int = 9, low: float = 0.63, high: float = 1.59) -> tuple:
    """``n`` tempo factors spaced evenly on a log scale from ``low`` to ``high`` (rounded to 3 decimals).

    ``tempo_factors(9)`` is :data:`TEMPO_FACTORS` (~12 % apart); ``tempo_factors(13)`` is ~8 % apart
    (the best configuration of notebook 06, with the matching at :data:`FINE_RATE`).

    Parameters
    ----------
    n : int >= 2, number of factors
    low, high : float, ``0 < low < high``, the slowest-to-fastest range (a factor ``r`` means the
        recording plays the theme ``r`` times slower than written)

    Returns
    -------
    tuple of float, increasing, first ``low`` and last ``high``
    """
    if int(n) != n or n < 2 or not (0 < low < high):
        raise ValueError(f"need an integer n >= 2 and 0 < low < high, got n={n}, low={low}, high={high}")
    return tuple(float(np.round(x, 3)) for x in np.geomspace(low, high, int(n)))


#: Tempo factors of the query scaling (database passage / query duration), 0.63 ... 1.59, ~12 % apart.
TEMPO_FACTORS = tempo_factors(9)


def match_theme(query, db, tempo_factors=TEMPO_FACTORS, transposition_invariant: bool = True,
                normalize: bool = False):
    """Matching curve of a theme over the database (diagonal matching, :mod:`cmr.matching`).

    Parameters
    ----------
    query : np.ndarray, shape (12, M), from :func:`theme_features`
    db : cmr.matching.Database of the same feature kind and rate
    tempo_factors : sequence of float
        Query scalings tried (a factor ``r`` means the recording plays the
        theme ``r`` times slower than written).
    transposition_invariant : bool
        Minimise over the 12 cyclic shifts of the query chroma.
    normalize : bool
        Standardise the costs of every tempo factor against their own
        distribution over the database before the minimum over factors
        (``normalize`` of :func:`cmr.matching.diagonal_matching`): a query
        squeezed to few frames no longer wins by chance.

    Returns
    -------
    cmr.matching.MatchingCurve
    """
    from .matching import diagonal_matching

    return diagonal_matching(query, db, tempo_factors=tempo_factors,
                             transposition_invariant=transposition_invariant, normalize=normalize)


def rank_documents(curve, relative: bool = False) -> pd.DataFrame:
    """One score per recording: the cost of its best match; the ranked list.

    With ``relative=True`` a recording is scored by how far its best match
    stands out from the rest of the same recording,

    .. math::

        s_d = \\min_{n \\in d} \\Delta(n) - \\frac{1}{|d|} \\sum_{n \\in d} \\Delta(n),

    the mean taken over the positions of recording ``d`` where the query
    fits (finite costs). A recording whose features resemble every query
    a little (a low curve everywhere: dense harmony, a sustained texture)
    then no longer beats the recording that holds the theme once, clearly.

    Parameters
    ----------
    curve : cmr.matching.MatchingCurve (``anchor='start'``)
    relative : bool
        Rank by :math:`s_d` instead of the best cost.

    Returns
    -------
    pandas.DataFrame sorted by cost (best first), one row per document,
    columns ``doc`` (index), ``doc_id``, ``cost`` (the score ranked by:
    the best cost, or :math:`s_d` with ``relative``; ``inf`` if the theme
    fits nowhere in it), ``start``, ``end`` (seconds in the document of the
    best match), ``shift``, ``tempo``, ``rank`` (1-based); with
    ``relative`` also ``best`` (the best cost) and ``mean`` (the
    recording's mean cost).
    """
    db = curve.db
    off = db.offsets
    cost = curve.cost
    rows = []
    for d in range(db.n_docs):
        a, b = int(off[d]), int(off[d + 1])
        seg = cost[a:b]
        fin = seg[np.isfinite(seg)]
        if fin.size == 0:
            rows.append((d, db.doc_ids[d], np.inf, np.nan, np.nan, 0, np.nan, np.inf, np.nan))
            continue
        i = a + int(np.argmin(seg))
        best, mean = float(cost[i]), float(np.mean(fin, dtype=np.float64))
        rows.append((d, db.doc_ids[d], best - mean if relative else best, (i - a) / db.feature_rate,
                     (int(curve.other[i]) - a) / db.feature_rate, int(curve.shift[i]), float(curve.tempo[i]),
                     best, mean))
    df = pd.DataFrame(rows, columns=["doc", "doc_id", "cost", "start", "end", "shift", "tempo", "best", "mean"])
    if not relative:
        df = df.drop(columns=["best", "mean"])
    df = df.sort_values(["cost", "doc"], kind="stable").reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

def first_relevant_rank(ranking: pd.DataFrame, relevant) -> int:
    """1-based rank of the first relevant document in a ranking from :func:`rank_documents`."""
    rel = set(relevant)
    if not rel:
        raise ValueError("relevant must name at least one document")
    hit = ranking["doc_id"].isin(rel).to_numpy()
    if not hit.any():
        raise ValueError(f"none of the relevant documents {sorted(rel)[:5]} is in the ranking")
    return int(np.argmax(hit)) + 1


#: Seed of the development / held-out split of the database pieces (``scripts/eval_themes.py --split``):
#: parameters of new features and matching options were screened on the themes of the development half.
SPLIT_SEED = 0


def development_pieces(pieces) -> set:
    """The development half of the database pieces: a permutation of the sorted piece names seeded with
    :data:`SPLIT_SEED`, first half (the rest is the held-out half).

    Parameters
    ----------
    pieces : pandas.DataFrame with a ``piece`` column (``themes_pieces.csv``) or a sequence of piece names
    """
    names = list(pieces["piece"]) if isinstance(pieces, pd.DataFrame) else list(pieces)
    if len(set(names)) != len(names):
        raise ValueError("pieces: every piece name must occur once")
    perm = np.random.default_rng(SPLIT_SEED).permutation(sorted(names))
    return set(perm[: len(perm) // 2].tolist())


def top_k_accuracy(ranks, ks=(1, 20, 50)) -> dict:
    """Top-k accuracy for several k: fraction of queries with a relevant document within the first k.

    Uses :func:`cmr.evaluation.top_k_accuracy`.

    Returns
    -------
    dict k -> float in [0, 1]
    """
    from .evaluation import top_k_accuracy as _topk

    acc = _topk(np.asarray(ranks), list(ks))
    return {int(k): float(a) for k, a in zip(ks, acc)}


def position_overlap(start: float, end: float, occurrences) -> bool:
    """Does the interval ``[start, end)`` (s) overlap any true occurrence ``(s0, s1)``?"""
    if not (np.isfinite(start) and np.isfinite(end)):
        return False
    return any(min(end, s1) > max(start, s0) for s0, s1 in occurrences)


# ---------------------------------------------------------------------------
# The committed dataset (lib/cmr/data/themes_*), as notebook 06 uses it
# ---------------------------------------------------------------------------

def _data_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent / "data"


def load_dataset() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The theme dataset tables written by ``scripts/build_theme_dataset.py select``.

    Returns
    -------
    pieces : one row per recording: ``piece`` (id), ``path`` (music21 corpus
        path), ``collection``, ``quarters`` (score length), ``qpm`` (written
        tempo), ``version`` (JSON of :func:`plan_version`), ...
    theme_list : one row per theme: ``theme`` (id ``piece#index``),
        ``piece``, ``n_notes``, ``start_beat``, ``end_beat``, ``qpm``,
        ``pitches``, ``onsets``, ``offsets`` (space separated), ...
    relevance : one row per (theme, piece, occurrence): ``start_beat``,
        ``end_beat`` of the occurrence in that piece, ``own``.
    """
    d = _data_dir()
    files = [d / "themes_pieces.csv", d / "themes_list.csv", d / "themes_relevance.csv"]
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"{f} is missing: run scripts/build_theme_dataset.py select")
    return tuple(pd.read_csv(f) for f in files)


def theme_from_row(row) -> Theme:
    """A :class:`Theme` from a row of the theme list (see :func:`load_dataset`)."""
    piece, index = str(row["theme"]).rsplit("#", 1)
    pitches = np.array(str(row["pitches"]).split(), dtype=np.int64)
    onsets = np.array(str(row["onsets"]).split(), dtype=np.float64)
    offsets = np.array(str(row["offsets"]).split(), dtype=np.float64)
    return Theme(piece=piece, index=int(index), first_note=-1, n_notes=len(pitches),
                 start_beat=float(row["start_beat"]), end_beat=float(row["end_beat"]),
                 pitches=pitches, onsets=onsets, offsets=offsets)


def load_database(kind: str = "melody", path=None, fine: bool = False):
    """The committed database features (``themes_db.npz``) as a :class:`cmr.matching.Database`.

    Parameters
    ----------
    kind : feature kind stored in the file (the pack stage decides which)
    path : optional other ``.npz`` written by the pack stage
    fine : bool
        Read ``themes_db_fine.npz`` instead: the learned ``conv`` features
        at :data:`FINE_RATE` (10 Hz) rather than :data:`FEATURE_RATE`; match
        them with queries of :func:`theme_features` at the same
        ``feature_rate``.

    Returns
    -------
    db : cmr.matching.Database (float32 features at the file's rate; stored as float16)
    info : dict with ``estimated_cents`` and ``duration`` (s) per document
    """
    from .matching import Database

    if path is None:
        path = _data_dir() / ("themes_db_fine.npz" if fine else "themes_db.npz")
    elif fine:
        raise ValueError("give either path or fine=True, not both")
    with np.load(path) as z:
        if kind not in z.files:
            have = [k for k in z.files if k not in ("offsets", "doc_ids", "feature_rate", "estimated_cents",
                                                    "duration")]
            raise ValueError(f"kind {kind!r} is not stored in {path}; stored kinds: {have}")
        feats = z[kind].astype(np.float32)
        offsets = z["offsets"]
        ids = [str(x) for x in z["doc_ids"]]
        info = {"estimated_cents": z["estimated_cents"], "duration": z["duration"]}
        rate = float(z["feature_rate"])
    return Database(feats, rate, ids, offsets), info


def cut_notes(notes: pd.DataFrame, max_quarters: float) -> pd.DataFrame:
    """Keep the measures of a :func:`cmr.symbolic.score_notes` table that end within ``max_quarters``.

    Long movements enter the dataset as excerpts; the cut lies on a bar line.
    """
    ms = notes.attrs.get("measure_starts")
    end = float(notes.attrs.get("end_beat", notes["end_beat"].max()))
    if ms is None or len(ms) == 0 or end <= max_quarters:
        return notes
    keep = ms[ms["start_beat"] + ms["length"] <= max_quarters + 1e-9]
    if len(keep) == 0:
        return notes
    cut = float(keep["start_beat"].iloc[-1] + keep["length"].iloc[-1])
    attrs = dict(notes.attrs)
    out = notes[notes["start_beat"] < cut - 1e-9].copy()
    out["end_beat"] = np.minimum(out["end_beat"], cut)
    out = out.reset_index(drop=True)
    attrs.update(measure_starts=keep.reset_index(drop=True), end_beat=cut)
    out.attrs.update(attrs)
    return out


def render_piece(piece_row, max_quarters: float = 400.0, **version_changes):
    """Render one database recording again (as the dataset did), from its score and version.

    The database audio is not stored; this regenerates it (a few seconds,
    the score is parsed by music21 the first time).

    Parameters
    ----------
    piece_row : a row of the pieces table (:func:`load_dataset`)
    max_quarters : the excerpt length used by the dataset build
    **version_changes : fields of :class:`cmr.synth.Version` to override
        (e.g. ``transpose=0`` to hear the effect of one challenge)

    Returns
    -------
    cmr.synth.Rendering
    """
    import json

    from . import symbolic, synth

    notes = cut_notes(symbolic.cached_score_notes(str(piece_row["path"])), max_quarters)
    plan = json.loads(piece_row["version"])
    version = make_version(plan, float(piece_row["qpm"]), float(notes.attrs["end_beat"]))
    if version_changes:
        version = version.replace(**version_changes)
    return synth.render(notes, version)


def theme_stream(theme: Theme, time_signature: str | None = None):
    """The theme as a one-part music21 score (for engraving with :func:`cmr.symbolic.render_svg`)."""
    from music21 import meter, note, stream

    part = stream.Part()
    if time_signature:
        part.append(meter.TimeSignature(time_signature))
    t = 0.0
    for p, on, off in zip(theme.pitches, theme.onsets, theme.offsets):
        if on > t + 1e-6:
            part.append(note.Rest(quarterLength=on - t))
        part.append(note.Note(int(p), quarterLength=max(off - on, 0.25)))
        t = on + max(off - on, 0.25)
    score = stream.Score()
    score.insert(0, part)
    return score.makeNotation()
