"""Scores to audio with exact ground truth: "performances" rendered from a score.

A :class:`Version` describes a performance: global tempo, a smooth tempo
curve (rubato, ritardando), transposition, tuning offset in cents,
instrumentation (General MIDI program per part), dynamics, reverb, noise
and the order of sections played (omissions, repetitions). :func:`render`
turns a score and a version into mono audio with the SoundFont player of
:mod:`cmr.sf2`, and returns together with it the exact ground truth
(:class:`GroundTruth`): every rendered note with onset/offset in seconds,
the map between score beats and audio seconds in both directions, measure
start times, and per-part stems.

Time model. Score time is measured in *beats* (quarter notes from the start
of the score, as music21 counts offsets). A version plays a list of
sections; concatenated they form the *performance beat* axis ``p``. The
tempo at performance beat ``p`` is ``bpm * tempo_factor * curve(s)``
(quarter notes per minute) where ``s`` is the score beat being played and
``curve`` interpolates the version's ``tempo_curve`` points smoothly
(monotone cubic in log tempo). Audio time is the integral of
``60 / tempo`` over ``p``, evaluated exactly on a grid of 1/16 beat with
the tempo of each cell's midpoint: the resulting piecewise-linear map *is*
the ground truth, and the renderer places every note through that same
map, so the ground truth is exact up to rounding onsets to whole samples.

Notebook: ``00_Music_Representations.ipynb``.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .audio import DEFAULT_SR

#: Grid of the tempo map, in beats.
GRID_BEATS = 1.0 / 16.0
#: Peak level of every rendering after normalisation.
PEAK = 0.9
GROUND_TRUTH_FORMAT = "cmr-ground-truth/1"

__all__ = ["Version", "GroundTruth", "Rendering", "render", "render_collection", "save_ground_truth",
           "load_ground_truth", "load_example_truth", "map_time", "true_alignment", "random_piece", "DEFAULT_SR"]


def _pairs(value, name):
    if value is None:
        return ()
    out = []
    for item in value:
        if len(item) != 2:
            raise ValueError(f"Version: {name} must be a list of pairs, got item {item!r}")
        out.append((float(item[0]), float(item[1])))
    return tuple(out)


@dataclass(frozen=True)
class Version:
    """Parameters of one rendered performance.

    Attributes
    ----------
    name : str, label used in file names
    tempo_factor : float, multiplies the score tempo (2.0 = twice as fast)
    tempo_curve : tuple of (score_beat, relative_tempo)
        Points of a smooth local tempo curve (1.0 = no change). Interpolated
        monotonically (PCHIP in log tempo), constant beyond the end points.
    bpm : float or None, quarter notes per minute before ``tempo_factor``;
        ``None`` takes the score's first metronome mark (or 96)
    transpose : int, semitones added to every pitch
    tuning_cents : float, offset of every pitch in cents (e.g. -50..50)
    programs : None, int, or tuple of int
        General MIDI program of each part (index = part number); an int
        applies to all parts; ``None`` uses the score's instruments (piano
        when unknown).
    velocity_scale : float, multiplies every velocity
    dynamics_curve : tuple of (score_beat, factor), smooth velocity factor over the score
    velocity_jitter : float, standard deviation of a seeded random velocity offset
    articulation : float, multiplies note durations (0.5 staccato, 1 legato as written)
    reverb : float in [0, 1], wet/dry mix of a seeded synthetic room response
    reverb_seconds : float, reverberation time (RT60) of that response
    snr_db : float or None, adds seeded white noise at this signal-to-noise ratio
    sections : tuple of (first_measure, last_measure)
        Measure ranges (inclusive, as numbered in the score) played in this
        order; empty = the whole score. Repeating or omitting ranges gives
        structural differences between versions.
    lead_in : float, seconds of silence before the first section
    tail : float, seconds rendered after the last note-off (release, reverb)
    seed : int, seeds every random choice (jitter, reverb, noise)
    """

    name: str = "score"
    tempo_factor: float = 1.0
    tempo_curve: tuple = ()
    bpm: float | None = None
    transpose: int = 0
    tuning_cents: float = 0.0
    programs: object = None
    velocity_scale: float = 1.0
    dynamics_curve: tuple = ()
    velocity_jitter: float = 0.0
    articulation: float = 1.0
    reverb: float = 0.0
    reverb_seconds: float = 1.6
    snr_db: float | None = None
    sections: tuple = ()
    lead_in: float = 0.0
    tail: float = 1.0
    seed: int = 0

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("tempo_curve", _pairs(self.tempo_curve, "tempo_curve"))
        set_("dynamics_curve", _pairs(self.dynamics_curve, "dynamics_curve"))
        secs = []
        for item in self.sections or ():
            if len(item) != 2 or int(item[0]) > int(item[1]):
                raise ValueError(f"Version: sections must be (first_measure, last_measure) pairs with "
                                 f"first <= last, got {item!r}")
            secs.append((int(item[0]), int(item[1])))
        set_("sections", tuple(secs))
        if self.programs is not None and not isinstance(self.programs, (int, np.integer)):
            set_("programs", tuple(int(p) for p in self.programs))
        elif self.programs is not None:
            set_("programs", int(self.programs))
        progs = () if self.programs is None else (
            (self.programs,) if isinstance(self.programs, int) else self.programs)
        if any(not 0 <= p <= 127 for p in progs):
            raise ValueError(f"Version: programs must be General MIDI numbers 0..127, got {self.programs!r}")
        if not (np.isfinite(self.tempo_factor) and self.tempo_factor > 0):
            raise ValueError(f"Version: tempo_factor must be a positive number, got {self.tempo_factor!r}")
        if self.bpm is not None and not (np.isfinite(self.bpm) and self.bpm > 0):
            raise ValueError(f"Version: bpm must be positive or None, got {self.bpm!r}")
        if any(t <= 0 or not np.isfinite(t) for _, t in self.tempo_curve):
            raise ValueError(f"Version: relative tempi in tempo_curve must be positive, got {self.tempo_curve!r}")
        beats = [b for b, _ in self.tempo_curve]
        if any(b2 <= b1 for b1, b2 in zip(beats, beats[1:])):
            raise ValueError(f"Version: tempo_curve beats must increase strictly, got {beats!r}")
        if not 0.0 <= self.reverb <= 1.0:
            raise ValueError(f"Version: reverb must be in [0, 1], got {self.reverb!r}")
        if not self.articulation > 0:
            raise ValueError(f"Version: articulation must be positive, got {self.articulation!r}")
        if self.lead_in < 0 or self.tail < 0:
            raise ValueError(f"Version: lead_in and tail must be >= 0, got {self.lead_in!r}, {self.tail!r}")
        set_("transpose", int(self.transpose))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for k in ("tempo_curve", "dynamics_curve", "sections"):
            d[k] = [list(x) for x in d[k]]
        if isinstance(d["programs"], tuple):
            d["programs"] = list(d["programs"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Version":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def replace(self, **changes) -> "Version":
        return dataclasses.replace(self, **changes)


def _smooth_curve(points, beats):
    """Evaluate a (beat, value) curve: PCHIP in log value, constant outside, 1 without points."""
    beats = np.asarray(beats, dtype=np.float64)
    if len(points) == 0:
        return np.ones_like(beats)
    if len(points) == 1:
        return np.full_like(beats, points[0][1])
    from scipy.interpolate import PchipInterpolator

    x = np.array([p[0] for p in points])
    y = np.log(np.array([p[1] for p in points]))
    f = PchipInterpolator(x, y, extrapolate=False)
    v = f(np.clip(beats, x[0], x[-1]))
    return np.exp(v)


# --------------------------------------------------------------------------------------------
# ground truth
# --------------------------------------------------------------------------------------------

@dataclass
class GroundTruth:
    """The exact correspondence between a score and one rendered version.

    Attributes
    ----------
    notes : pd.DataFrame
        One row per rendered note, in onset order: ``start``, ``end``
        (seconds in the audio; ``end`` is the note-off, the release follows),
        ``pitch`` (sounding MIDI pitch, after transposition), ``velocity``,
        ``part``, ``start_beat``, ``end_beat`` (score beats), ``measure``,
        ``occurrence`` (0 for the first time a measure is played, 1 for a
        repetition...), ``program``.
    measure_times : pd.DataFrame
        ``measure``, ``occurrence``, ``start_beat``, ``start`` (seconds),
        one row per measure played, in performance order.
    sections : np.ndarray, shape (K, 3)
        ``(score_start_beat, score_end_beat, perf_start_beat)`` per section.
    perf_beats, times : np.ndarray, shape (G,)
        The tempo map: audio seconds at performance beats (linear between).
    duration : float, seconds of audio
    sr : int
    version : Version
    source : str, the score the version was rendered from
    meta : dict, extra information (bpm, part names, gain...)
    """

    notes: pd.DataFrame
    measure_times: pd.DataFrame
    sections: np.ndarray
    perf_beats: np.ndarray
    times: np.ndarray
    duration: float
    sr: int
    version: Version
    source: str = ""
    meta: dict = field(default_factory=dict)

    # ---- perf beat <-> seconds -------------------------------------------------------------
    def _perf_to_time(self, p):
        p = np.asarray(p, dtype=np.float64)
        pb, tt = self.perf_beats, self.times
        t = np.interp(p, pb, tt)
        lo, hi = p < pb[0], p > pb[-1]
        if np.any(lo):
            t[lo] = tt[0] + (p[lo] - pb[0]) * (tt[1] - tt[0]) / (pb[1] - pb[0])
        if np.any(hi):
            t[hi] = tt[-1] + (p[hi] - pb[-1]) * (tt[-1] - tt[-2]) / (pb[-1] - pb[-2])
        return t

    def _time_to_perf(self, t):
        t = np.asarray(t, dtype=np.float64)
        pb, tt = self.perf_beats, self.times
        p = np.interp(t, tt, pb)
        lo, hi = t < tt[0], t > tt[-1]
        if np.any(lo):
            p[lo] = pb[0] + (t[lo] - tt[0]) * (pb[1] - pb[0]) / (tt[1] - tt[0])
        if np.any(hi):
            p[hi] = pb[-1] + (t[hi] - tt[-1]) * (pb[-1] - pb[-2]) / (tt[-1] - tt[-2])
        return p

    # ---- score beat <-> seconds ------------------------------------------------------------
    def beat_to_time(self, beats, occurrence: int = 0, missing: str = "raise"):
        """Audio time (seconds) at which score beat(s) are played.

        Parameters
        ----------
        beats : float or array-like, score beats (quarter notes)
        occurrence : int, which playing of a repeated passage (0 = first)
        missing : {'raise', 'nan'}
            What to do with a beat the version does not play (omitted
            section, or fewer repetitions than ``occurrence``): raise
            ``ValueError`` or return NaN for it. Beats before the first or
            after the last played section extend the map linearly.

        Returns
        -------
        float or np.ndarray of float (same shape as ``beats``)
        """
        if missing not in ("raise", "nan"):
            raise ValueError(f"beat_to_time: missing must be 'raise' or 'nan', got {missing!r}")
        b = np.asarray(beats, dtype=np.float64)
        flat = b.ravel()
        if np.any(~np.isfinite(flat)):
            raise ValueError("beat_to_time: beats contain NaN or infinity")
        sec = self.sections
        s0, s1, p0 = sec[:, 0], sec[:, 1], sec[:, 2]
        lo = s0.copy()
        hi = s1.copy()
        # the first performed section may extend backwards, the last forwards
        if s0[0] <= s0.min():
            lo[0] = -np.inf
        if s1[-1] >= s1.max():
            hi[-1] = np.inf
        inside = (flat[:, None] >= lo[None, :]) & (flat[:, None] < hi[None, :])
        # a beat exactly at the end of the last section is still in it
        inside |= (flat[:, None] == s1[None, :]) & (np.arange(len(sec)) == len(sec) - 1)[None, :]
        count = np.cumsum(inside, axis=1)
        hit = inside & (count == occurrence + 1)
        found = hit.any(axis=1)
        k = np.argmax(hit, axis=1)
        p = p0[k] + (flat - s0[k])
        t = self._perf_to_time(p)
        if not np.all(found):
            if missing == "raise":
                bad = flat[~found][0]
                raise ValueError(f"beat_to_time: score beat {bad} is not played (occurrence {occurrence}) "
                                 f"in version {self.version.name!r}; use missing='nan'")
            t[~found] = np.nan
        t = t.reshape(b.shape)
        return float(t) if t.ndim == 0 else t

    def time_to_beat(self, times):
        """Score beat played at audio time(s) (seconds); extends linearly outside the audio."""
        t = np.asarray(times, dtype=np.float64)
        if np.any(~np.isfinite(t)):
            raise ValueError("time_to_beat: times contain NaN or infinity")
        p = self._time_to_perf(t.ravel())
        sec = self.sections
        k = np.clip(np.searchsorted(sec[:, 2], p, side="right") - 1, 0, len(sec) - 1)
        s = sec[k, 0] + (p - sec[k, 2])
        s = s.reshape(t.shape)
        return float(s) if s.ndim == 0 else s

    def measure_to_time(self, measure: int, occurrence: int = 0) -> float:
        """Start time (seconds) of a measure (by its number in the score)."""
        mt = self.measure_times
        row = mt[(mt["measure"] == int(measure)) & (mt["occurrence"] == occurrence)]
        if row.empty:
            raise ValueError(f"measure_to_time: measure {measure} (occurrence {occurrence}) is not played "
                             f"in version {self.version.name!r}")
        return float(row["start"].iloc[0])

    # ---- files -------------------------------------------------------------------------------
    def to_json(self) -> dict:
        notes = self.notes
        return {
            "format": GROUND_TRUTH_FORMAT,
            "source": self.source,
            "sr": int(self.sr),
            "duration": float(self.duration),
            "version": self.version.to_dict(),
            "meta": self.meta,
            "sections": self.sections.tolist(),
            "tempo_map": {"perf_beat": self.perf_beats.tolist(), "time": self.times.tolist()},
            "notes": {"columns": list(notes.columns), "data": notes.to_numpy(dtype=object).tolist()},
            "measure_times": {"columns": list(self.measure_times.columns),
                              "data": self.measure_times.to_numpy(dtype=object).tolist()},
        }

    @classmethod
    def from_json(cls, d: dict) -> "GroundTruth":
        if d.get("format") != GROUND_TRUTH_FORMAT:
            raise ValueError(f"ground truth: unknown format {d.get('format')!r}, expected {GROUND_TRUTH_FORMAT!r}")
        notes = pd.DataFrame(d["notes"]["data"], columns=d["notes"]["columns"])
        notes = notes.astype({c: t for c, t in _NOTE_TYPES.items() if c in notes.columns})
        mt = pd.DataFrame(d["measure_times"]["data"], columns=d["measure_times"]["columns"])
        mt = mt.astype({"measure": int, "occurrence": int, "start_beat": float, "start": float})
        return cls(notes=notes, measure_times=mt, sections=np.asarray(d["sections"], dtype=np.float64).reshape(-1, 3),
                   perf_beats=np.asarray(d["tempo_map"]["perf_beat"], dtype=np.float64),
                   times=np.asarray(d["tempo_map"]["time"], dtype=np.float64), duration=float(d["duration"]),
                   sr=int(d["sr"]), version=Version.from_dict(d["version"]), source=d.get("source", ""),
                   meta=d.get("meta", {}))


_NOTE_TYPES = {"start": float, "end": float, "pitch": int, "velocity": int, "part": int, "start_beat": float,
               "end_beat": float, "measure": int, "occurrence": int, "program": int}


def save_ground_truth(truth, path) -> Path:
    """Write a :class:`GroundTruth` (or a :class:`Rendering`'s) as JSON; floats round-trip exactly."""
    truth = truth.truth if isinstance(truth, Rendering) else truth
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth.to_json(), separators=(",", ":")))
    return path


def load_ground_truth(path) -> GroundTruth:
    """Read a ground-truth JSON written by :func:`save_ground_truth`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_ground_truth: no such file {path}")
    try:
        d = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"load_ground_truth: {path} is not valid JSON: {exc}") from exc
    try:
        return GroundTruth.from_json(d)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"load_ground_truth: {path} lacks ground-truth field {exc}") from exc


def load_example_truth(piece: str, version: str) -> GroundTruth:
    """Ground truth of one version in the committed example set (``audio/``)."""
    from .audio import example_row
    from .paths import AUDIO_DIR

    row = example_row(piece, version)
    return load_ground_truth(AUDIO_DIR / row["truth_file"])


def map_time(times_a, truth_a: GroundTruth, truth_b: GroundTruth, occurrence: int = 0, missing: str = "nan"):
    """Map audio times of version A to the times of version B that play the same score position.

    The composition ``truth_b.beat_to_time(truth_a.time_to_beat(t))``: the
    true audio-to-audio alignment between two renderings of one score.
    Positions B does not play give NaN (``missing='nan'``) or raise.
    """
    ta = truth_a.truth if isinstance(truth_a, Rendering) else truth_a
    tb = truth_b.truth if isinstance(truth_b, Rendering) else truth_b
    return tb.beat_to_time(ta.time_to_beat(times_a), occurrence=occurrence, missing=missing)


def true_alignment(truth_a, truth_b, step: float = 0.02) -> np.ndarray:
    """The true alignment path between two renderings, sampled every ``step`` seconds of A.

    Returns
    -------
    path : np.ndarray, shape (2, K)
        Row 0: times in A (seconds, ``0, step, 2 step, ...`` up to A's
        duration); row 1: the corresponding times in B. Times of A whose
        score position B does not play, or that map outside B's audio, are
        left out.
    """
    ta = truth_a.truth if isinstance(truth_a, Rendering) else truth_a
    tb = truth_b.truth if isinstance(truth_b, Rendering) else truth_b
    if not step > 0:
        raise ValueError(f"true_alignment: step must be positive, got {step!r}")
    t = np.arange(0.0, ta.duration, step)
    u = map_time(t, ta, tb)
    ok = np.isfinite(u) & (u >= 0) & (u <= tb.duration)
    return np.vstack([t[ok], u[ok]])


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------

@dataclass
class Rendering:
    """Audio of one version plus its :class:`GroundTruth`.

    Attributes
    ----------
    audio : np.ndarray, shape (n,), float32, mono, peak :data:`PEAK`
    sr : int
    truth : GroundTruth
    stems : dict int -> np.ndarray or None
        Per-part dry audio (before reverb and noise), scaled by the same gain
        as the mix; without reverb and noise ``sum(stems.values())`` equals
        ``audio`` up to float32 rounding (~1e-7).
    """

    audio: np.ndarray
    sr: int
    truth: GroundTruth
    stems: dict | None = None

    @property
    def notes(self) -> pd.DataFrame:
        return self.truth.notes

    @property
    def measure_times(self) -> pd.DataFrame:
        return self.truth.measure_times

    @property
    def duration(self) -> float:
        return self.truth.duration

    @property
    def version(self) -> Version:
        return self.truth.version

    def beat_to_time(self, beats, occurrence: int = 0, missing: str = "raise"):
        return self.truth.beat_to_time(beats, occurrence=occurrence, missing=missing)

    def time_to_beat(self, times):
        return self.truth.time_to_beat(times)


def random_piece(seed: int = 0, n_notes: int = 16, bpm: float = 100.0) -> pd.DataFrame:
    """A seeded two-part toy piece: a C-major melody over a slower bass line.

    Useful for tests and benchmarks that need music no score in the corpus
    contains. The melody has ``n_notes`` notes of 1/2, 1 or 3/2 beats
    (pitches of the C-major scale from C4 to B5); every second melody note
    starts a bass note twice as long, MIDI pitch 40 (E2) plus a C-major
    scale step (0-11 semitones), so the bass is not always in the key.

    Parameters
    ----------
    seed : int, seed of the random generator (same seed, same piece)
    n_notes : int, number of melody notes (>= 1)
    bpm : float, written tempo in quarter notes per minute (``attrs["bpm"]``)

    Returns
    -------
    pandas.DataFrame with columns ``start_beat, end_beat, pitch, velocity, part``
    (part 0 = melody, 1 = bass), ready for :func:`render`.
    """
    if int(n_notes) < 1:
        raise ValueError(f"random_piece: n_notes must be >= 1, got {n_notes!r}")
    g = np.random.default_rng(int(seed))
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    rows, beat = [], 0.0
    for i in range(int(n_notes)):
        d = float(g.choice([0.5, 1.0, 1.0, 1.5]))
        rows.append((beat, beat + d, 60 + int(scale[g.integers(7)]) + 12 * int(g.integers(0, 2)), 80, 0))
        if i % 2 == 0:
            rows.append((beat, beat + 2 * d, 40 + int(scale[g.integers(7)]), 70, 1))
        beat += d
    notes = pd.DataFrame(rows, columns=["start_beat", "end_beat", "pitch", "velocity", "part"])
    notes.attrs["bpm"] = float(bpm)
    return notes


def _as_notes(score_or_notes):
    from . import symbolic

    if isinstance(score_or_notes, pd.DataFrame):
        notes = score_or_notes
        missing = {"start_beat", "end_beat", "pitch"} - set(notes.columns)
        if missing:
            raise ValueError(f"render: a note table needs columns start_beat, end_beat, pitch; missing {missing}")
        notes = notes.copy()
        notes.attrs = dict(score_or_notes.attrs)
        if "velocity" not in notes:
            notes["velocity"] = symbolic.DEFAULT_VELOCITY
        if "part" not in notes:
            notes["part"] = 0
        if "measure" not in notes:
            notes["measure"] = 0
        return notes, str(notes.attrs.get("source", "notes"))
    source = score_or_notes if isinstance(score_or_notes, (str, Path)) else ""
    return symbolic.cached_score_notes(score_or_notes), str(source)


def _section_beats(notes, sections):
    """Score beat ranges [(s0, s1)] of the sections, and the measure table used."""
    ms = notes.attrs.get("measure_starts")
    end_beat = float(notes.attrs.get("end_beat", notes["end_beat"].max() if len(notes) else 0.0))
    if ms is None or len(ms) == 0:
        if sections:
            raise ValueError("render: sections need measure information (render a score, not a bare note table)")
        return [(0.0, max(end_beat, float(notes["end_beat"].max()) if len(notes) else 0.0))], None
    ms = ms.reset_index(drop=True)
    if not sections:
        return [(float(ms["start_beat"].iloc[0]), float(ms["start_beat"].iloc[-1] + ms["length"].iloc[-1]))], ms
    out = []
    nums = ms["measure"].to_numpy()
    for a, b in sections:
        ia, ib = np.flatnonzero(nums == a), np.flatnonzero(nums == b)
        if ia.size == 0 or ib.size == 0:
            raise ValueError(f"render: section ({a}, {b}) names a measure the score does not have "
                             f"(measures {nums[0]}..{nums[-1]})")
        ia, ib = ia[0], ib[0]
        if ib < ia:
            raise ValueError(f"render: section ({a}, {b}) ends before it starts")
        out.append((float(ms["start_beat"].iloc[ia]), float(ms["start_beat"].iloc[ib] + ms["length"].iloc[ib])))
    return out, ms


def _tempo_map(sections, bpm, version):
    """Grid of (perf_beat, time) and the (K, 3) section table."""
    pbs, ts, table = [], [], []
    perf = 0.0
    t = float(version.lead_in)
    for k, (s0, s1) in enumerate(sections):
        length = s1 - s0
        n = max(1, int(np.ceil(length / GRID_BEATS - 1e-9)))
        local = np.minimum(np.arange(n + 1) * GRID_BEATS, length)
        mids = s0 + 0.5 * (local[1:] + local[:-1])
        rel = _smooth_curve(version.tempo_curve, mids)
        dt = np.diff(local) * 60.0 / (bpm * version.tempo_factor * rel)
        times = t + np.concatenate([[0.0], np.cumsum(dt)])
        table.append((s0, s1, perf))
        if k == 0:
            pbs.append(perf + local)
            ts.append(times)
        else:  # the boundary point is shared with the previous section
            pbs.append(perf + local[1:])
            ts.append(times[1:])
        perf += length
        t = float(times[-1])
    return np.concatenate(pbs), np.concatenate(ts), np.asarray(table, dtype=np.float64)


def _reverb_ir(seconds: float, sr: int, seed: int) -> np.ndarray:
    """A seeded synthetic room response: direct sound + exponentially decaying noise (unit energy)."""
    rng = np.random.default_rng([int(seed), 2])
    n = max(2, int(seconds * sr))
    t = np.arange(n) / sr
    ir = rng.standard_normal(n) * np.exp(-6.9078 * t / seconds)
    predelay = int(0.012 * sr)
    ir[:predelay] = 0.0
    ir[0] = 1.0
    return (ir / np.sqrt(np.sum(ir ** 2))).astype(np.float64)


def render(score_or_notes, version: Version | None = None, sr: int = DEFAULT_SR, stems: bool = False,
           soundfont=None) -> Rendering:
    """Render one version of a score to audio, with exact ground truth.

    Parameters
    ----------
    score_or_notes : str, Path, music21 Score, or pd.DataFrame
        A corpus name / file for :func:`cmr.symbolic.load_score`, a parsed
        score, or a note table like :func:`cmr.symbolic.score_notes` returns
        (columns ``start_beat``, ``end_beat``, ``pitch``; optional
        ``velocity``, ``part``, ``measure``; ``attrs['bpm']``,
        ``attrs['measure_starts']`` if present).
    version : Version, default ``Version()`` (the score as written)
    sr : int, output sample rate in Hz
    stems : bool, also return per-part audio in ``Rendering.stems``
    soundfont : cmr.sf2.SoundFont, optional (default: the GM SoundFont of pretty_midi)

    Returns
    -------
    Rendering
        ``.audio`` float32 mono; ``.truth`` the exact ground truth.
    """
    from . import sf2

    version = Version() if version is None else version
    if not isinstance(version, Version):
        raise TypeError(f"render: version must be a cmr.synth.Version, got {type(version).__name__}")
    if not (isinstance(sr, (int, np.integer)) and 1000 <= sr <= 192000):
        raise ValueError(f"render: sr must be an int sample rate in Hz (1000..192000), got {sr!r}")
    notes, source = _as_notes(score_or_notes)
    bpm = float(version.bpm or notes.attrs.get("bpm") or 96.0)
    sections, ms = _section_beats(notes, version.sections)
    perf_beats, times, table = _tempo_map(sections, bpm, version)
    truth = GroundTruth(notes=pd.DataFrame(), measure_times=pd.DataFrame(), sections=table,
                        perf_beats=perf_beats, times=times, duration=0.0, sr=int(sr), version=version,
                        source=source)
    # ---- notes of each section, in performance order
    sb = notes["start_beat"].to_numpy(dtype=np.float64)
    eb = notes["end_beat"].to_numpy(dtype=np.float64)
    rows = []
    eps = 1e-9
    for k, (s0, s1, p0) in enumerate(table):
        sel = np.flatnonzero((sb >= s0 - eps) & (sb < s1 - eps))
        occ = sum(1 for j in range(k) if table[j, 0] <= s0 < table[j, 1])
        dur = (eb[sel] - sb[sel]) * version.articulation
        rows.append(pd.DataFrame({"idx": sel, "perf_on": p0 + sb[sel] - s0, "perf_off": p0 + sb[sel] + dur - s0,
                                  "occurrence": occ}))
    sel = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["idx", "perf_on", "perf_off",
                                                                                "occurrence"])
    src = notes.iloc[sel["idx"].to_numpy(dtype=np.int64)].reset_index(drop=True)
    out = pd.DataFrame({
        "start": truth._perf_to_time(sel["perf_on"].to_numpy(dtype=np.float64)),
        "end": truth._perf_to_time(sel["perf_off"].to_numpy(dtype=np.float64)),
        "pitch": src["pitch"].to_numpy(dtype=np.int64) + version.transpose,
        "velocity": src["velocity"].to_numpy(dtype=np.float64),
        "part": src["part"].to_numpy(dtype=np.int64),
        "start_beat": src["start_beat"].to_numpy(dtype=np.float64),
        "end_beat": src["end_beat"].to_numpy(dtype=np.float64),
        "measure": src["measure"].to_numpy(dtype=np.int64),
        "occurrence": sel["occurrence"].to_numpy(dtype=np.int64),
    })
    # ---- dynamics
    vel = out["velocity"].to_numpy() * version.velocity_scale * _smooth_curve(version.dynamics_curve,
                                                                              out["start_beat"].to_numpy())
    if version.velocity_jitter > 0:
        rng = np.random.default_rng([int(version.seed), 0])
        vel = vel + rng.standard_normal(len(vel)) * version.velocity_jitter
    out["velocity"] = np.clip(np.round(vel), 1, 127).astype(np.int64)
    # ---- instruments
    default_programs = list(notes.attrs.get("part_programs", []))
    n_parts = int(out["part"].max()) + 1 if len(out) else 1
    if version.programs is None:
        progs = [default_programs[p] if p < len(default_programs) else 0 for p in range(n_parts)]
    elif isinstance(version.programs, int):
        progs = [version.programs] * n_parts
    else:
        if len(version.programs) < n_parts:
            raise ValueError(f"render: version.programs names {len(version.programs)} parts, the score has "
                             f"{n_parts}")
        progs = list(version.programs)
    out["program"] = [progs[p] for p in out["part"]]
    out = out[(out["pitch"] >= 0) & (out["pitch"] <= 127)]
    out = out.sort_values(["start", "pitch", "part"], kind="stable").reset_index(drop=True)
    # ---- measure times
    mrows = []
    if ms is not None:
        mstart = ms["start_beat"].to_numpy(dtype=np.float64)
        counts: dict = {}
        for s0, s1, p0 in table:
            for j in np.flatnonzero((mstart >= s0 - eps) & (mstart < s1 - eps)):
                m = int(ms["measure"].iloc[j])
                occ = counts.get(m, 0)
                counts[m] = occ + 1
                mrows.append((m, occ, float(mstart[j]), float(truth._perf_to_time(np.array([p0 + mstart[j] - s0]))[0])))
    truth.measure_times = pd.DataFrame(mrows, columns=["measure", "occurrence", "start_beat", "start"])
    # ---- audio
    last = float(max(out["end"].max() if len(out) else 0.0, times[-1]))
    duration = last + float(version.tail) + (version.reverb_seconds * 0.5 if version.reverb > 0 else 0.0)
    n = int(np.ceil(duration * sr))
    parts = sorted(set(out["part"].tolist())) or [0]
    row_of = {p: i for i, p in enumerate(parts)}
    on = np.round(out["start"].to_numpy() * sr).astype(np.int64)
    off = np.round(out["end"].to_numpy() * sr).astype(np.int64)
    bank = np.zeros(len(out), dtype=np.int64)
    buf = sf2.render_notes(on, off, out["program"].to_numpy(), out["pitch"].to_numpy(),
                           out["velocity"].to_numpy(), np.array([row_of[p] for p in out["part"]], dtype=np.int64),
                           len(parts), n, int(sr), cents=float(version.tuning_cents), soundfont=soundfont,
                           banks=bank)
    # remove DC and sub-audio rumble (some SoundFont loops have an offset): 2nd-order 20 Hz high-pass
    from scipy.signal import butter, sosfilt

    buf = sosfilt(butter(2, 20.0, btype="highpass", fs=sr, output="sos"), buf, axis=1).astype(np.float32)
    dry = buf.sum(axis=0, dtype=np.float32) if buf.shape[0] > 1 else buf[0].copy()
    y = dry.astype(np.float64)
    if version.reverb > 0:
        from scipy.signal import fftconvolve

        wet = fftconvolve(y, _reverb_ir(version.reverb_seconds, sr, version.seed))[:n]
        y = (1.0 - version.reverb) * y + version.reverb * wet
    if version.snr_db is not None:
        power = float(np.mean(y ** 2))
        if power > 0:
            rng = np.random.default_rng([int(version.seed), 1])
            y = y + rng.standard_normal(n) * np.sqrt(power / 10.0 ** (version.snr_db / 10.0))
    peak = float(np.max(np.abs(y))) if n else 0.0
    gain = PEAK / peak if peak > 0 else 1.0
    audio = (y * gain).astype(np.float32)
    truth.notes = out
    truth.duration = n / sr
    truth.meta = {"bpm": bpm, "gain": gain, "part_names": list(notes.attrs.get("part_names", [])),
                  "programs": progs, "title": notes.attrs.get("title", ""), "score_end_beat":
                  float(notes.attrs.get("end_beat", 0.0))}
    stem_dict = None
    if stems:
        stem_dict = {p: (buf[row_of[p]] * np.float32(gain)).astype(np.float32) for p in parts}
    return Rendering(audio=audio, sr=int(sr), truth=truth, stems=stem_dict)


# --------------------------------------------------------------------------------------------
# collections
# --------------------------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_") or "item"


def _content_label(score) -> str:
    """A short stable name for an in-memory score or note table (hash of its notes)."""
    import hashlib

    notes = score if isinstance(score, pd.DataFrame) else _as_notes(score)[0]
    cols = [c for c in ("start_beat", "end_beat", "pitch", "velocity", "part") if c in notes.columns]
    digest = hashlib.sha1(np.ascontiguousarray(notes[cols].to_numpy(dtype=np.float64)).tobytes()).hexdigest()
    return f"notes-{digest[:12]}"


def render_collection(items, name: str, progress: bool = True, sr: int = DEFAULT_SR, overwrite: bool = False,
                      audio_format: str = "FLAC") -> pd.DataFrame:
    """Render many (score, version) items into ``cmr.paths.cache_dir('renders', name)``.

    Each item is a ``(score, Version)`` pair or a dict with keys ``score``,
    ``version`` and optionally ``id``. Its audio (16-bit FLAC) and ground
    truth (JSON) are written as ``<id>.flac`` and ``<id>.json``; the id
    defaults to ``<score>__<version.name>``, where ``<score>`` is the corpus
    name or path, a note table's ``attrs['source']``, or else a hash of the
    notes (so two anonymous scores never share an id). Items whose files already
    exist are skipped (unless ``overwrite``), so an interrupted run
    resumes. A score that cannot be parsed or rendered is reported in the
    manifest (``status='error'``, ``error`` message) and skipped; it never
    stops the run. Scores are parsed once per run (and cached on disk by
    :func:`cmr.symbolic.cached_score_notes`).

    Returns
    -------
    manifest : pd.DataFrame
        Columns ``id``, ``score``, ``version``, ``audio``, ``truth`` (paths),
        ``duration`` (s), ``status`` (``'rendered'``, ``'cached'``,
        ``'error'``), ``error``; also written to ``manifest.csv`` in the folder.
    """
    import soundfile as sf
    from tqdm.auto import tqdm

    from .paths import cache_dir

    folder = cache_dir("renders", _slug(name))
    items = list(items)
    rows = []
    notes_cache: dict = {}
    manifest_path = folder / "manifest.csv"
    old = {}
    if manifest_path.is_file() and not overwrite:
        try:
            prev = pd.read_csv(manifest_path)
            old = {r["id"]: r for _, r in prev.iterrows()}
        except (pd.errors.ParserError, pd.errors.EmptyDataError, KeyError):
            old = {}
    for item in tqdm(items, desc=f"render {name}", disable=not progress):
        if isinstance(item, dict):
            score, version, item_id = item.get("score"), item.get("version"), item.get("id")
        else:
            score, version = item
            item_id = None
        version = version if isinstance(version, Version) else Version.from_dict(version or {})
        label = score if isinstance(score, (str, Path)) else getattr(score, "attrs", {}).get("source")
        if label is None:  # a parsed score or an anonymous note table: name it by its content
            try:
                label = _content_label(score)
            except Exception as exc:  # unparsable: report like any other failure
                rows.append({"id": _slug(item_id or f"unnamed__{version.name}"), "score": "?",
                             "version": version.name, "audio": "", "truth": "", "duration": np.nan,
                             "status": "error", "error": f"{type(exc).__name__}: {exc}"[:500]})
                continue
        item_id = _slug(item_id or f"{label}__{version.name}")
        wav, js = folder / f"{item_id}.{audio_format.lower()}", folder / f"{item_id}.json"
        row = {"id": item_id, "score": str(label), "version": version.name, "audio": str(wav), "truth": str(js),
               "duration": np.nan, "status": "", "error": ""}
        if not overwrite and wav.is_file() and js.is_file():
            row["status"] = "cached"
            prev = old.get(item_id)
            row["duration"] = float(prev["duration"]) if prev is not None else float(sf.info(str(wav)).duration)
            rows.append(row)
            continue
        try:
            key = str(score) if isinstance(score, (str, Path)) else id(score)
            if key not in notes_cache:
                notes_cache.clear()  # keep one score in memory at a time
                notes_cache[key] = _as_notes(score)[0]
            notes = notes_cache[key]
            notes.attrs["source"] = str(label)
            r = render(notes, version, sr=sr)
            r.truth.source = str(label)
            tmp = wav.with_suffix(".tmp" + wav.suffix)
            sf.write(str(tmp), r.audio, sr, format=audio_format, subtype="PCM_16")
            save_ground_truth(r.truth, js)
            tmp.replace(wav)
            row.update(duration=r.duration, status="rendered")
        except Exception as exc:  # one bad score must not stop a long job
            row.update(status="error", error=f"{type(exc).__name__}: {exc}"[:500])
        rows.append(row)
    man = pd.DataFrame(rows, columns=["id", "score", "version", "audio", "truth", "duration", "status", "error"])
    man.to_csv(manifest_path, index=False)
    n_err = int((man["status"] == "error").sum())
    if n_err and progress:
        print(f"render_collection {name}: {n_err} of {len(man)} items failed (see 'error' in {manifest_path})")
    return man
