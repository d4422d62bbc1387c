"""Music synchronization: align two versions of a piece, or a score with a recording.

This is the code behind notebook ``02_DTW_and_Synchronization``.

Pipeline (:func:`sync_chroma`, used by :func:`sync_audio_audio` and
:func:`sync_score_audio`):

1. **Features** (:func:`sync_features`): log-compressed chroma, each frame
   normalised to unit length, stacked with *chroma onset* features
   smeared by a short decaying window (after the DLNCO features of Ewert,
   Müller and Grosche 2009). Chroma says *which* harmony sounds; the onset
   part says *when* something new starts, which pins the alignment down
   inside long stretches of the same harmony. For audio the onsets come by
   default from the 88 pitch energies (:func:`pitch_onsets`: where a pitch
   *starts* to rise, so slow attacks are not placed late) and are scaled
   locally (``onset_norm='local'``); with chroma alone (:func:`sync_chroma`)
   they are the increase of log chroma, scaled per frame.
2. **Key** (:func:`estimate_shift`): the cyclic chroma shift of the second
   version that makes a coarse (about 2 Hz) DTW cheapest, so versions in
   different keys align without being told the interval.
3. **Alignment**: multiscale DTW (:func:`cmr.dtw.multiscale_dtw`) at the
   target feature rate (audio-audio: 50 Hz) with the Euclidean distance of
   the stacked features (for two unit vectors ``sqrt(2 - 2 cos)``, less
   forgiving of small dissimilarities than the plain cosine cost).
4. **Result** (:class:`Alignment`): the warping path in seconds and
   :meth:`Alignment.a_to_b` / :func:`warp_time` to map any time of one
   version to the other.

:func:`alignment_errors` measures a result against known corresponding
times (ground truth of rendered versions, or annotated measure positions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import dtw as _dtw

__all__ = [
    "Alignment",
    "AlignmentErrors",
    "sync_features",
    "note_features",
    "estimate_shift",
    "sync_chroma",
    "sync_audio_audio",
    "sync_score_audio",
    "path_to_map",
    "warp_time",
    "alignment_errors",
    "align_versions",
    "map_between",
]

#: Feature rate of the audio chroma the pipeline starts from (frames per second).
SOURCE_RATE = 50.0
#: Energy window (seconds) of the pitch energies behind :func:`pitch_onsets` in the audio pipeline
#: (longer than the 40 ms of the chroma: averages out the beating of sustained tones).
ONSET_WINDOW = 0.1
#: Default weight of the onset half when the onsets come from :func:`pitch_onsets`.
PITCH_ONSET_WEIGHT = 4.0


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------

@dataclass
class Alignment:
    """A synchronization result.

    Attributes
    ----------
    path : np.ndarray, shape (L, 2), float64
        Warping path in seconds: column 0 times in version A, column 1 the
        corresponding times in version B (monotone in both).
    frames : np.ndarray, shape (L, 2), int64
        The same path in frames of the features used.
    feature_rate : float
        Frames per second of the features that were aligned.
    shift : int
        Cyclic chroma shift (semitones) applied to B: ``np.roll(C_b, shift,
        axis=0)`` matched A. ``0`` when both are in the same key.
    cost : float
        Accumulated DTW cost of the path.
    features : tuple of np.ndarray
        The aligned feature sequences ``(X_a, X_b)``, shape ``(d, N)`` and
        ``(d, M)`` (B already shifted).
    """

    path: np.ndarray
    frames: np.ndarray
    feature_rate: float
    shift: int
    cost: float
    features: tuple = field(default=(), repr=False)
    info: dict = field(default_factory=dict, repr=False)

    def a_to_b(self, t):
        """Times in B corresponding to times ``t`` (seconds) in A."""
        return warp_time(self.path, t)

    def b_to_a(self, t):
        """Times in A corresponding to times ``t`` (seconds) in B."""
        return warp_time(self.path, t, inverse=True)


@dataclass
class AlignmentErrors:
    """Errors of an alignment at reference positions (seconds).

    Attributes
    ----------
    errors : np.ndarray, shape (K,)
        Absolute error ``|estimated - reference|`` at each position, seconds.
    mean, median : float
        Mean and median absolute error, seconds.
    within_50ms, within_100ms, within_250ms : float
        Share (0..1) of positions with an error of at most 50/100/250 ms.
    """

    errors: np.ndarray
    mean: float
    median: float
    within_50ms: float
    within_100ms: float
    within_250ms: float

    def as_dict(self) -> dict:
        return {"mean_s": self.mean, "median_s": self.median, "within_50ms": self.within_50ms,
                "within_100ms": self.within_100ms, "within_250ms": self.within_250ms, "n": len(self.errors)}

    def __str__(self) -> str:
        return (f"mean {1000 * self.mean:.0f} ms, median {1000 * self.median:.0f} ms, "
                f"<=50 ms {100 * self.within_50ms:.0f}%, <=100 ms {100 * self.within_100ms:.0f}%, "
                f"<=250 ms {100 * self.within_250ms:.0f}% (n={len(self.errors)})")


# ---------------------------------------------------------------------------
# time maps
# ---------------------------------------------------------------------------

def path_to_map(path) -> tuple[np.ndarray, np.ndarray]:
    """Turn a monotone warping path into a strictly increasing map A -> B.

    A DTW path repeats times of A where B moves on alone (vertical runs) and
    vice versa. Each distinct time of A is given the mean of its B times,
    which yields a strictly increasing sequence of A times and a
    non-decreasing sequence of B times that can be interpolated.

    Parameters
    ----------
    path : np.ndarray, shape (L, 2)
        Monotone path (seconds or frames), column 0 = A, column 1 = B.

    Returns
    -------
    ta, tb : np.ndarray, shape (K,)
    """
    p = np.asarray(path, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise ValueError(f"path must have shape (L, 2) with L >= 1, got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("path contains NaN or inf")
    if np.any(np.diff(p[:, 0]) < 0) or np.any(np.diff(p[:, 1]) < 0):
        raise ValueError("path must be monotone (non-decreasing in both columns)")
    ta, inv = np.unique(p[:, 0], return_inverse=True)
    tb = np.bincount(inv, weights=p[:, 1]) / np.bincount(inv)
    return ta, tb


def warp_time(path_seconds, t, inverse: bool = False):
    """Map times of version A to version B along a warping path (or back).

    Parameters
    ----------
    path_seconds : np.ndarray, shape (L, 2), or Alignment
        Column 0 times in A, column 1 times in B, monotone.
    t : float or array_like
        Times in A (in B when ``inverse=True``), seconds.
    inverse : bool
        Map B -> A.

    Returns
    -------
    float or np.ndarray
        Linear interpolation between path points; times before the first or
        after the last path point are clamped to the path's ends.
    """
    if isinstance(path_seconds, Alignment):
        path_seconds = path_seconds.path
    p = np.asarray(path_seconds, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"path_seconds must have shape (L, 2), got {p.shape}")
    if inverse:
        p = p[:, ::-1]
    ta, tb = path_to_map(p)
    t_arr = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t_arr)):
        raise ValueError("t contains NaN or inf")
    if ta.shape[0] == 1:
        out = np.full_like(t_arr, tb[0])
    else:
        out = np.interp(t_arr, ta, tb)
    return float(out) if out.ndim == 0 else out


def alignment_errors(estimated_map, ref_times_a, ref_times_b) -> AlignmentErrors:
    """Compare an alignment with reference correspondences.

    Parameters
    ----------
    estimated_map : Alignment, np.ndarray of shape (L, 2) (path in seconds) or callable
        The estimated alignment; a callable maps times of A to times of B.
    ref_times_a, ref_times_b : array_like, shape (K,)
        Corresponding positions (seconds) in A and in B, e.g. note onsets of
        a rendered version and the ground-truth times of the same notes in
        another, or annotated measure starts in two recordings.

    Returns
    -------
    AlignmentErrors
    """
    ra = np.asarray(ref_times_a, dtype=np.float64).ravel()
    rb = np.asarray(ref_times_b, dtype=np.float64).ravel()
    if ra.shape != rb.shape:
        raise ValueError(f"ref_times_a and ref_times_b must have the same length, got {ra.shape[0]} "
                         f"and {rb.shape[0]}")
    if ra.size == 0:
        raise ValueError("need at least one reference position, got none")
    if not (np.all(np.isfinite(ra)) and np.all(np.isfinite(rb))):
        raise ValueError("reference times contain NaN or inf")
    if callable(estimated_map) and not isinstance(estimated_map, Alignment):
        est = np.asarray(estimated_map(ra), dtype=np.float64)
    else:
        est = np.asarray(warp_time(estimated_map, ra), dtype=np.float64)
    err = np.abs(est - rb)
    return AlignmentErrors(errors=err, mean=float(err.mean()), median=float(np.median(err)),
                           within_50ms=float(np.mean(err <= 0.05 + 1e-9)),
                           within_100ms=float(np.mean(err <= 0.1 + 1e-9)),
                           within_250ms=float(np.mean(err <= 0.25 + 1e-9)))


# ---------------------------------------------------------------------------
# features
# ---------------------------------------------------------------------------

def _check_chroma(C, name: str) -> np.ndarray:
    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != 12:
        raise ValueError(f"{name} must be chroma with shape (12, N), got shape {C.shape}")
    if C.shape[1] == 0:
        raise ValueError(f"{name} has no frames (shape {C.shape})")
    if not np.all(np.isfinite(C)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(C < 0):
        raise ValueError(f"{name} must be non-negative (chroma energies)")
    return C.astype(np.float64)


def _unit(X: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(X, axis=0)
    out = np.zeros_like(X)
    ok = n > 1e-12
    out[:, ok] = X[:, ok] / n[ok]
    return out


def _block_mean(X: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return X
    n = X.shape[1]
    full = n // factor
    parts = []
    if full:
        parts.append(X[:, : full * factor].reshape(X.shape[0], full, factor).mean(axis=2))
    if n > full * factor:
        parts.append(X[:, full * factor:].mean(axis=1, keepdims=True))
    return np.concatenate(parts, axis=1)


def _decay_smear(O: np.ndarray, length: int) -> np.ndarray:
    """Convolve each row causally with a decaying window sqrt(1 - k/length), k = 0..length-1."""
    if length <= 1:
        return O
    from scipy.signal import lfilter

    kernel = np.sqrt(1.0 - np.arange(length) / length)
    return lfilter(kernel, [1.0], O, axis=1)


def _resample_factor(feature_rate: float, target_rate: float) -> int:
    factor = int(round(feature_rate / target_rate))
    if factor < 1 or abs(feature_rate / factor - target_rate) > 1e-6 * target_rate:
        raise ValueError(f"target_rate must be feature_rate divided by a whole number; got feature_rate="
                         f"{feature_rate} and target_rate={target_rate}")
    return factor


def sync_features(C, feature_rate: float, target_rate: float | None = None, gamma: float = 100.0,
                  onset_weight: float = 1.0, onset_decay: float = 0.2, onset_window: float = 1.0,
                  onsets=None, onset_norm: str = "frame", onset_norm_window: float = 2.0
                  ) -> tuple[np.ndarray, float, float]:
    """Features for synchronization: unit log-chroma stacked with chroma onsets.

    Parameters
    ----------
    C : np.ndarray, shape (12, N)
        Non-negative chroma energies (not normalised) at ``feature_rate``.
    feature_rate : float
        Frames per second of ``C``; frame ``n`` is at ``n / feature_rate`` s.
    target_rate : float, optional
        Rate of the result, ``feature_rate / k`` for a whole ``k`` (frames
        are averaged in blocks of ``k``). Default: ``feature_rate``.
    gamma : float
        Log compression ``log(1 + gamma * C / max(C))``.
    onset_weight : float
        Weight of the onset half (``0`` gives pure chroma, 12 rows).
    onset_decay : float
        Length in seconds of the decaying window that smears each onset.
    onset_window : float
        With ``onset_norm='frame'``: onsets are divided by their local
        maximum over this many seconds before smearing, so soft and loud
        passages count alike.
    onsets : np.ndarray, shape (12, N), optional
        Onset strengths to use instead of the ones derived from ``C`` (e.g.
        from a note list, see :func:`note_features`, or from the pitch
        energies of a recording, see :func:`pitch_onsets`).
    onset_norm : {'frame', 'local'}
        How the onset half is scaled. ``'frame'``: every frame to unit
        length (a frame far from any onset then holds amplified noise as a
        full-length vector). ``'local'``: the smeared onsets are divided by
        the largest frame norm within ``onset_norm_window`` seconds
        (centred), so a strong onset has length 1 and the frames near it
        that hold only weak onsets or noise stay short; the onset half then
        pulls the path mainly where something starts, which suits sparse,
        peak-picked onsets such as :func:`pitch_onsets`. (A stretch longer
        than the window without any onset is still scaled up to its own
        largest frame.)
    onset_norm_window : float
        Window (seconds) of the ``'local'`` normalisation.

    Returns
    -------
    X : np.ndarray, shape (24, N') or (12, N'), float32
        The chroma half has unit norm per frame; the onset half (times
        ``onset_weight``) unit norm or zero (``'frame'``) or a norm of at
        most 1 (``'local'``).
    rate : float
        Frames per second of ``X``.
    offset : float
        Time in seconds of frame 0 of ``X`` (block averaging moves the frame
        centres by ``(k - 1) / (2 feature_rate)``).
    """
    C = _check_chroma(C, "C")
    feature_rate = float(feature_rate)
    if not feature_rate > 0:
        raise ValueError(f"feature_rate must be positive, got {feature_rate}")
    target_rate = feature_rate if target_rate is None else float(target_rate)
    factor = _resample_factor(feature_rate, target_rate)
    if gamma is None or gamma <= 0:
        raise ValueError(f"gamma must be positive, got {gamma}")
    peak = C.max()
    L = np.log1p(gamma * C / peak) if peak > 0 else np.zeros_like(C)
    chroma_part = _unit(_block_mean(L, factor))
    if onset_weight == 0:
        X = chroma_part
    else:
        if onsets is None:
            O = np.maximum(np.diff(L, axis=1, prepend=L[:, :1]), 0.0)
        else:
            O = _check_chroma(onsets, "onsets")
            if O.shape != C.shape:
                raise ValueError(f"onsets must have the shape of C {C.shape}, got {O.shape}")
        from scipy.ndimage import maximum_filter1d

        if onset_norm == "frame":
            win = max(1, int(round(onset_window * feature_rate)))
            local = maximum_filter1d(O.max(axis=0), win, mode="nearest")
            O = O / np.maximum(local, 1e-9)[None, :]
            O = _decay_smear(O, int(round(onset_decay * feature_rate)))
            onset_part = _unit(_block_mean(O, factor))
        elif onset_norm == "local":
            O = _block_mean(_decay_smear(O, int(round(onset_decay * feature_rate))), factor)
            norms = np.linalg.norm(O, axis=0)
            win = max(1, int(round(onset_norm_window * target_rate)))
            local = maximum_filter1d(norms, win, mode="nearest")
            onset_part = np.where(local > 1e-12, O / np.maximum(local, 1e-12)[None, :], 0.0)
        else:
            raise ValueError(f"onset_norm must be 'frame' or 'local', got {onset_norm!r}")
        X = np.vstack([chroma_part, float(onset_weight) * onset_part])
    offset = (factor - 1) / (2.0 * feature_rate)
    return X.astype(np.float32), target_rate, offset


def _previous_max(L: np.ndarray, k: int) -> np.ndarray:
    """``M[:, n] = max(L[:, n-k:n])`` (the previous ``k`` frames); ``L[:, 0]`` for frame 0."""
    M = np.full_like(L, -np.inf)
    for j in range(1, k + 1):
        if j >= L.shape[1]:
            break
        np.maximum(M[:, j:], L[:, :-j], out=M[:, j:])
    M[:, 0] = L[:, 0]
    return M


def pitch_onsets(P, feature_rate: float, gamma: float = 1e7, lookback: float = 0.05, peak_window: float = 0.3,
                 threshold: float = 0.2, first_pitch: int = 21) -> np.ndarray:
    """Chroma onset strengths from per-pitch energies: where a pitch *starts* to rise.

    An onset feature in the spirit of the DLNCO features of Ewert, Müller
    and Grosche (ICASSP 2009), made to fire at the *beginning* of an energy
    rise rather than at its steepest point, so that instruments with a slow
    attack (string ensembles, organ) and with a sharp one (piano) mark a
    note at nearly the same time:

    1. strong log compression ``L = log(1 + gamma * P / max(P))`` (with the
       default ``gamma = 1e7`` about 70 dB of range): the first, still
       quiet part of a slow attack already is a large step in ``L``;
    2. the *rise above the recent maximum*, ``max(0, L[n] - max(L[n-k:n]))``
       with ``k = lookback * feature_rate`` frames: a pitch that recovers
       from a dip shorter than ``lookback`` (beating of a sustained tone) to
       its earlier level does not count, a pitch that becomes louder than
       it just was does;
    3. *peak picking* per pitch: a frame is kept only if it is the largest
       rise within ``+-peak_window`` seconds, so that the long tail of a
       slow attack (which keeps rising for a few hundred ms) leaves one
       event at its start instead of a smeared trail;
    4. folding to chroma (sum over octaves);
    5. dropping weak events: with such strong compression the decaying tail
       of a reverberant or sustained sound still makes many tiny rises in
       quiet bands, so chroma events below ``threshold`` times the 99th
       percentile of all event strengths of the recording are set to 0.

    Parameters
    ----------
    P : np.ndarray, shape (p, N)
        Non-negative pitch energies (e.g. :func:`cmr.chroma.pitch_features`),
        row ``i`` is MIDI pitch ``first_pitch + i``.
    feature_rate : float
        Frames per second of ``P``.
    gamma : float
        Log compression factor (> 0).
    lookback : float
        Seconds over which the recent maximum is taken (>= one frame).
    peak_window : float
        Half width in seconds of the peak-picking window (0 keeps every rise).
    threshold : float
        Relative strength below which events are dropped (0 keeps all).
    first_pitch : int
        MIDI number of row 0 (21 = A0 for the IIR filterbank).

    Returns
    -------
    np.ndarray, shape (12, N), float64
        Onset strength per chroma band (row 0 = C) and frame; zero where no
        pitch starts.
    """
    P = np.asarray(P)
    if P.ndim != 2 or P.shape[1] == 0:
        raise ValueError(f"P must be pitch energies with shape (p, N), N >= 1, got shape {P.shape}")
    if not np.all(np.isfinite(P)):
        raise ValueError("P contains NaN or inf")
    if np.any(P < 0):
        raise ValueError("P must be non-negative (energies)")
    feature_rate = float(feature_rate)
    if not feature_rate > 0:
        raise ValueError(f"feature_rate must be positive, got {feature_rate}")
    if not gamma > 0:
        raise ValueError(f"gamma must be positive, got {gamma}")
    if not lookback > 0 or peak_window < 0:
        raise ValueError(f"need lookback > 0 and peak_window >= 0 seconds, got {lookback} and {peak_window}")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    P = P.astype(np.float64)
    peak = P.max()
    out = np.zeros((12, P.shape[1]))
    if peak <= 0:
        return out
    L = np.log1p(gamma * P / peak)
    k = max(1, int(round(lookback * feature_rate)))
    O = np.maximum(L - _previous_max(L, k), 0.0)
    w = int(round(peak_window * feature_rate))
    if w > 0:
        from scipy.ndimage import maximum_filter1d

        O = np.where(O >= maximum_filter1d(O, 2 * w + 1, axis=1, mode="nearest"), O, 0.0)
    for i in range(O.shape[0]):
        out[(first_pitch + i) % 12] += O[i]
    events = out[out > 0]
    if threshold > 0 and events.size:
        out[out < threshold * np.quantile(events, 0.99)] = 0.0
    return out


def note_features(notes, feature_rate: float, duration: float | None = None):
    """Chroma energies and chroma onsets of a note list, at ``feature_rate``.

    Parameters
    ----------
    notes : pandas.DataFrame
        Columns ``start``, ``end`` (seconds) and ``pitch`` (MIDI); optional
        ``velocity``.
    feature_rate : float
    duration : float, optional
        Length in seconds (default: last note end).

    Returns
    -------
    C, O : np.ndarray, shape (12, N)
        Chroma (from :func:`cmr.chroma.symbolic_chroma`, unnormalised) and
        onset impulses (velocity-weighted) in the frame of each note start.
    """
    from .chroma import symbolic_chroma

    C = symbolic_chroma(notes, feature_rate, duration=duration, norm=None)
    O = np.zeros_like(C, dtype=np.float64)
    starts = np.asarray(notes["start"], dtype=np.float64)
    pitch = np.asarray(notes["pitch"]).astype(int) % 12
    vel = np.asarray(notes["velocity"], dtype=np.float64) / 127.0 if "velocity" in notes else np.ones(len(starts))
    frames = np.clip(np.round(starts * feature_rate).astype(int), 0, C.shape[1] - 1)
    np.add.at(O, (pitch, frames), vel)
    return C.astype(np.float64), O


# ---------------------------------------------------------------------------
# key
# ---------------------------------------------------------------------------

def estimate_shift(Ca, Cb, feature_rate: float, coarse_rate: float = 2.0) -> tuple[int, np.ndarray]:
    """Cyclic chroma shift of B that aligns best with A (different keys).

    For each shift ``k = 0..11`` the chroma of B is rolled by ``k`` and
    aligned with A by DTW at about ``coarse_rate`` frames per second
    (smoothed log chroma, cosine cost); the shift with the lowest
    accumulated cost per path step wins.

    Parameters
    ----------
    Ca, Cb : np.ndarray, shape (12, N) and (12, M)
        Chroma energies at ``feature_rate``.
    feature_rate : float
    coarse_rate : float
        Rate of the 12 trial alignments.

    Returns
    -------
    shift : int
        ``np.roll(Cb, shift, axis=0)`` is in the key of A.
    costs : np.ndarray, shape (12,)
        Cost per path step for every shift.
    """
    Ca = _check_chroma(Ca, "Ca")
    Cb = _check_chroma(Cb, "Cb")
    factor = max(1, int(round(feature_rate / coarse_rate)))

    def coarse(C):
        peak = C.max()
        L = np.log1p(100.0 * C / peak) if peak > 0 else C
        return _block_mean(L, factor)

    A, B = coarse(Ca), coarse(Cb)
    costs = np.empty(12)
    for k in range(12):
        r = _dtw.dtw(A, np.roll(B, k, axis=0), metric="cosine")
        costs[k] = r.cost / len(r.path)
    return int(np.argmin(costs)), costs


# ---------------------------------------------------------------------------
# synchronization
# ---------------------------------------------------------------------------

def _align(Xa, Xb, rate, offset, shift, step_sizes, weights, multiscale, info) -> Alignment:
    if multiscale:
        r = _dtw.multiscale_dtw(Xa, Xb, metric="euclidean", step_sizes=step_sizes, weights=weights)
    else:
        r = _dtw.dtw(Xa, Xb, metric="euclidean", step_sizes=step_sizes, weights=weights)
    path = offset + r.path / rate
    return Alignment(path=path, frames=r.path, feature_rate=rate, shift=int(shift), cost=r.cost,
                     features=(Xa, Xb), info=info)


def _key(key_shift, Ca, Cb, feature_rate):
    if key_shift == "auto":
        return estimate_shift(Ca, Cb, feature_rate)
    if key_shift is None:
        return 0, None
    if isinstance(key_shift, (int, np.integer)):
        return int(key_shift) % 12, None
    raise ValueError(f"key_shift must be 'auto', None or an int number of semitones, got {key_shift!r}")


def sync_chroma(Ca, Cb, feature_rate: float, target_rate: float | None = 25.0, key_shift="auto",
                onset_weight: float = 1.0, step_sizes=_dtw.STEPS_CLASSIC, weights=None,
                multiscale: bool = True, onsets_a=None, onsets_b=None, onset_norm: str = "frame") -> Alignment:
    """Align two chroma sequences (the core of every ``sync_*`` function).

    Parameters
    ----------
    Ca, Cb : np.ndarray, shape (12, N) and (12, M)
        Non-negative chroma energies of A and B at ``feature_rate``.
    feature_rate : float
        Frames per second of both.
    target_rate : float or None
        Rate at which to align (``feature_rate / k``); ``None`` keeps it.
    key_shift : 'auto', None or int
        ``'auto'``: :func:`estimate_shift`; an int: roll B by that many
        semitones; ``None``: same key.
    onset_weight : float
        Weight of the chroma onset features (0 = chroma only).
    step_sizes, weights
        DTW steps (see :func:`cmr.dtw.dtw`).
    multiscale : bool
        Use :func:`cmr.dtw.multiscale_dtw` (linear memory) instead of full DTW.
    onsets_a, onsets_b : np.ndarray, shape like Ca / Cb, optional
        Onset strengths to use instead of deriving them from the chroma.
    onset_norm : {'frame', 'local'}
        Scaling of the onset half, see :func:`sync_features`.

    Returns
    -------
    Alignment
    """
    Ca = _check_chroma(Ca, "Ca")
    Cb = _check_chroma(Cb, "Cb")
    shift, costs = _key(key_shift, Ca, Cb, feature_rate)
    Cb_s = np.roll(Cb, shift, axis=0)
    Ob_s = None if onsets_b is None else np.roll(onsets_b, shift, axis=0)
    Xa, rate, offset = sync_features(Ca, feature_rate, target_rate, onset_weight=onset_weight, onsets=onsets_a,
                                     onset_norm=onset_norm)
    Xb, _, _ = sync_features(Cb_s, feature_rate, target_rate, onset_weight=onset_weight, onsets=Ob_s,
                             onset_norm=onset_norm)
    info = {"shift_costs": costs}
    return _align(Xa, Xb, rate, offset, shift, step_sizes, weights, multiscale, info)


def _audio_chroma(y, sr, name, onsets=None):
    """IIR chroma energies at SOURCE_RATE, and (``onsets='pitch'``) :func:`pitch_onsets` of the audio."""
    from .chroma import chroma, pitch_features

    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{name} must be non-empty mono audio with shape (n,), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or inf samples")
    if not np.any(y):
        raise ValueError(f"{name} is silent (all samples are zero): nothing to align")
    C, rate = chroma(y, sr, kind="iir", feature_rate=SOURCE_RATE, norm=None)
    C = np.maximum(C, 0.0)
    if onsets is None or onsets == "chroma":
        return C, rate, None
    if onsets != "pitch":
        raise ValueError(f"onsets must be 'pitch' or 'chroma', got {onsets!r}")
    P = pitch_features(y, sr, feature_rate=rate, window_seconds=ONSET_WINDOW)
    O = pitch_onsets(P, rate)
    if O.shape[1] != C.shape[1]:  # both come from the same frame grid; guard against a future change
        raise RuntimeError(f"pitch onsets have {O.shape[1]} frames, chroma {C.shape[1]}")
    return C, rate, O


def _onset_options(onset_weight, onset_norm, onsets):
    """Defaults of the onset half: pitch onsets are weighted 4 and scaled locally, chroma onsets 1 and per frame."""
    pitch = onsets == "pitch"
    w = (PITCH_ONSET_WEIGHT if pitch else 1.0) if onset_weight is None else float(onset_weight)
    norm = ("local" if pitch else "frame") if onset_norm is None else onset_norm
    return w, norm


def sync_audio_audio(y1, y2, sr: int, feature_rate: float = 50.0, key_shift="auto",
                     onset_weight: float | None = None, step_sizes=_dtw.STEPS_CLASSIC, weights=None,
                     multiscale: bool = True, onsets: str = "pitch", onset_norm: str | None = None) -> Alignment:
    """Align two recordings of the same piece.

    Parameters
    ----------
    y1, y2 : np.ndarray, shape (n,)
        Mono audio of version A and version B at sample rate ``sr``.
    sr : int
        Sample rate, Hz.
    feature_rate : float
        Alignment resolution in frames per second (50 divided by a whole
        number: 50, 25, 10, ...).
    key_shift, step_sizes, weights, multiscale
        See :func:`sync_chroma`.
    onsets : {'pitch', 'chroma'}
        Where the onset half of the features comes from. ``'pitch'``
        (default): :func:`pitch_onsets` of the 88 IIR pitch energies (100 ms
        window), which mark the *start* of each note's rise and so keep
        slow-attack instruments (string ensemble, organ) from being aligned
        late. ``'chroma'``: the increase of log chroma (the earlier
        behaviour, which is all :func:`sync_chroma` can do when only
        chroma is available).
    onset_weight : float, optional
        Weight of the onset half; default 4 for ``onsets='pitch'`` and 1 for
        ``'chroma'``.
    onset_norm : {'frame', 'local'}, optional
        Scaling of the onset half (:func:`sync_features`); default
        ``'local'`` for ``onsets='pitch'`` and ``'frame'`` for ``'chroma'``.

    Returns
    -------
    Alignment
        ``path`` in seconds (A, B); ``a_to_b(t)`` maps times.
    """
    w, norm = _onset_options(onset_weight, onset_norm, onsets)
    Ca, rate, Oa = _audio_chroma(y1, sr, "y1", onsets)
    Cb, _, Ob = _audio_chroma(y2, sr, "y2", onsets)
    return sync_chroma(Ca, Cb, rate, feature_rate, key_shift=key_shift, onset_weight=w, step_sizes=step_sizes,
                       weights=weights, multiscale=multiscale, onsets_a=Oa, onsets_b=Ob, onset_norm=norm)


def _score_notes_seconds(notes_or_score, bpm):
    import pandas as pd

    if not isinstance(notes_or_score, pd.DataFrame):
        from .symbolic import score_notes

        notes_or_score = score_notes(notes_or_score)
    notes = notes_or_score
    if len(notes) == 0:
        raise ValueError("the score has no notes")
    if {"start", "end"} <= set(notes.columns):
        return notes, None
    if not {"start_beat", "end_beat"} <= set(notes.columns):
        raise ValueError("notes need columns start/end (seconds) or start_beat/end_beat, got "
                         f"{list(notes.columns)}")
    bpm = bpm or notes.attrs.get("bpm") or 96.0
    out = notes.copy()
    out["start"] = out["start_beat"] * 60.0 / bpm
    out["end"] = out["end_beat"] * 60.0 / bpm
    return out, float(bpm)


def sync_score_audio(notes_or_score, y, sr: int, feature_rate: float = 25.0, key_shift="auto",
                     onset_weight: float = 1.0, bpm: float | None = None, step_sizes=_dtw.STEPS_CLASSIC,
                     weights=None, multiscale: bool = True, onsets: str = "chroma") -> Alignment:
    """Align a score (or a note list) with a recording of it.

    The score is turned into chroma and note-onset features on a nominal
    time axis (``start``/``end`` seconds if the notes have them, otherwise
    beats at ``bpm`` quarter notes per minute) and aligned with the audio.
    Version A of the result is the score's nominal time, version B the audio.

    Parameters
    ----------
    notes_or_score : pandas.DataFrame or music21 score (anything
        :func:`cmr.symbolic.score_notes` accepts)
        Notes with ``pitch`` and either ``start``/``end`` (seconds) or
        ``start_beat``/``end_beat``.
    y : np.ndarray, shape (n,)
        The recording, mono.
    sr : int
    feature_rate, key_shift, onset_weight, step_sizes, weights, multiscale
        See :func:`sync_audio_audio` (here the defaults are 25 Hz and weight 1).
    onsets : {'chroma', 'pitch'}
        Onsets of the recording: the increase of its log chroma (default)
        or :func:`pitch_onsets`. The score's onsets always come from the
        note starts.
    bpm : float, optional
        Tempo used to put beats on a seconds axis (default: the score's
        tempo, ``notes.attrs['bpm']``, else 96).

    Returns
    -------
    Alignment
        ``info['bpm']`` holds the tempo used (``None`` when the notes had
        seconds); ``a_to_b(beats * 60 / bpm)`` gives the audio time of score
        beats.
    """
    notes, used_bpm = _score_notes_seconds(notes_or_score, bpm)
    Cb, rate, Ob = _audio_chroma(y, sr, "y", onsets)
    duration = float(np.max(notes["end"]))
    Ca, Oa = note_features(notes, rate, duration=duration)
    al = sync_chroma(Ca, Cb, rate, feature_rate, key_shift=key_shift, onset_weight=onset_weight,
                     step_sizes=step_sizes, weights=weights, multiscale=multiscale, onsets_a=Oa, onsets_b=Ob)
    al.info["bpm"] = used_bpm
    return al


# ---------------------------------------------------------------------------
# several versions (the Interpretation Switcher)
# ---------------------------------------------------------------------------

def align_versions(versions: dict, sr: int, reference: str | None = None, **kwargs) -> dict:
    """Align every version of a piece with one reference version.

    Parameters
    ----------
    versions : dict str -> np.ndarray, shape (n,)
        Mono audio of each version at sample rate ``sr``.
    sr : int
    reference : str, optional
        Name of the reference version (default: the first).
    **kwargs
        Passed to :func:`sync_audio_audio`.

    Returns
    -------
    dict str -> Alignment
        ``alignments[name]`` aligns the reference (A) with ``name`` (B); the
        reference itself gets the identity path.
    """
    names = list(versions)
    if not names:
        raise ValueError("versions must hold at least one recording")
    reference = names[0] if reference is None else reference
    if reference not in versions:
        raise ValueError(f"reference {reference!r} is not one of the versions {names}")
    out = {}
    y_ref = versions[reference]
    duration = len(y_ref) / sr
    for name in names:
        if name == reference:
            t = np.array([0.0, duration])
            out[name] = Alignment(path=np.c_[t, t], frames=np.zeros((2, 2), dtype=np.int64), feature_rate=0.0,
                                  shift=0, cost=0.0, info={"reference": reference})
        else:
            al = sync_audio_audio(y_ref, versions[name], sr, **kwargs)
            al.info["reference"] = reference
            out[name] = al
    return out


def map_between(alignments: dict, source: str, target: str, t):
    """Map time(s) ``t`` of version ``source`` to version ``target`` via the reference.

    ``alignments`` comes from :func:`align_versions`: the time goes from the
    source back to the reference (``b_to_a``) and on to the target
    (``a_to_b``).
    """
    for name in (source, target):
        if name not in alignments:
            raise ValueError(f"unknown version {name!r}; choose one of {list(alignments)}")
    t_ref = alignments[source].b_to_a(t)
    return alignments[target].a_to_b(t_ref)
