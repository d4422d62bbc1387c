"""Chroma features: from audio or notes to a (12, N) pitch-class representation.

This module is the code behind notebook ``01_Chroma_Features.ipynb``.

Conventions used by every function here
---------------------------------------
* A feature matrix has shape ``(d, N)``: ``d`` features (12 chroma bins,
  bin 0 = C, 1 = C#, ..., 11 = B; or 88 piano pitches A0..C8) by ``N``
  frames.
* Frames are *centred*: frame ``n`` describes the signal around time
  ``n / feature_rate`` seconds (``frames_to_seconds``). A signal of
  ``L`` samples at ``sr`` Hz gives ``1 + floor(L / sr * feature_rate)``
  frames, the same count as librosa's ``center=True`` framing.
* Every feature function states its feature rate: the ``chroma_*``
  functions take it (or ``sr / hop_length``) as a parameter, ``cens`` and
  ``chroma`` return it alongside the features.
* Tuning deviations are given in **cents** (1/100 semitone) everywhere,
  positive = sharp.

Overview
--------
``chroma_stft`` / ``chroma_cqt``
    librosa's STFT and CQT chroma, with our normalisation and tuning units.
``pitch_features`` / ``chroma_iir``
    A multirate IIR filterbank (88 piano pitches) and its chroma folding
    (implemented in :mod:`cmr.filterbank`).
``log_compress``, ``normalize``, ``smooth``, ``cens``, ``crp``
    Post-processing: dynamics compression, frame normalisation, temporal
    smoothing, the quantised, smoothed and downsampled CENS variant, and
    timbre-robust CRP.
``estimate_tuning``, ``shift``
    Tuning estimation (cents) and cyclic shifts for transposition.
``symbolic_chroma``
    Chroma from a note list, at the same feature rate as audio chroma.
``frame_cosine``, ``stretched_similarity``, ``aligned_similarity``
    Compare two feature sequences frame by frame (directly, after a linear
    stretch, or at corresponding score positions of two renderings).
``chroma``
    One entry point for all variants: ``C, rate = chroma(y, sr, kind=...)``.
"""
from __future__ import annotations

import numpy as np

PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

_NORMS = ("l1", "l2", "max")


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _check_audio(y, sr, name: str = "y") -> np.ndarray:
    """Return ``y`` as a finite float32 mono array or raise a clear error."""
    if y is None:
        raise TypeError(f"{name} must be a 1-D numpy array of audio samples, got None")
    y = np.asarray(y)
    if y.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValueError(f"{name} must be mono with shape (n_samples,), got shape {y.shape}")
    y = y.astype(np.float32, copy=False)
    if y.size and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite samples ({np.count_nonzero(~np.isfinite(y))} of {y.size})")
    if not np.isscalar(sr) or not np.isfinite(sr) or sr <= 0:
        raise ValueError(f"sr must be a positive sample rate in Hz, got {sr!r}")
    return y


def _check_features(X, name: str = "X", rows: int | None = None) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (features, frames), got shape {X.shape}")
    if rows is not None and X.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows, got shape {X.shape}")
    if X.size and not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _check_rate(feature_rate, name: str = "feature_rate") -> float:
    try:
        rate = float(feature_rate)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number of frames per second, got {feature_rate!r}") from None
    if not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"{name} must be a positive number of frames per second, got {feature_rate!r}")
    return rate


def n_frames(duration: float, feature_rate: float) -> int:
    """Number of centred frames covering ``duration`` seconds: ``1 + floor(duration * rate)``."""
    rate = _check_rate(feature_rate)
    if duration < 0:
        raise ValueError(f"duration must be >= 0 seconds, got {duration}")
    return 1 + int(np.floor(duration * rate + 1e-9))


def frames_to_seconds(frames, feature_rate: float):
    """Centre time (seconds) of frame index/indices ``frames``: ``frames / feature_rate``."""
    rate = _check_rate(feature_rate)
    out = np.asarray(frames, dtype=float) / rate
    return float(out) if out.ndim == 0 else out


def seconds_to_frames(seconds, feature_rate: float):
    """Index of the frame whose centre is nearest to ``seconds`` (int or int array)."""
    rate = _check_rate(feature_rate)
    out = np.round(np.asarray(seconds, dtype=float) * rate).astype(int)
    return int(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------
# post-processing
# ---------------------------------------------------------------------------

def log_compress(X, gamma: float = 100.0, ref: str | float | None = None) -> np.ndarray:
    """Logarithmic compression ``log(1 + gamma * X / ref)``.

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
        Non-negative energies (pitch or chroma features).
    gamma : float
        Compression strength; ``gamma -> 0`` approaches a linear map, large
        ``gamma`` flattens differences of loudness.
    ref : None, 'max' or float
        Divide ``X`` by this before compressing. ``'max'`` uses the largest
        value of ``X``, which makes the result independent of the overall
        level of the recording (so one ``gamma`` suits any feature type).

    Returns
    -------
    np.ndarray, shape (d, N), float32
    """
    X = _check_features(X)
    if not np.isfinite(gamma) or gamma < 0:
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")
    if X.size and X.min() < 0:
        raise ValueError(f"X must be non-negative energies, got minimum {X.min():.3g}")
    X = X.astype(np.float32)
    if ref is None:
        scale = 1.0
    elif isinstance(ref, str):
        if ref != "max":
            raise ValueError(f"ref must be None, 'max' or a positive number, got {ref!r}")
        scale = float(X.max()) if X.size and X.max() > 0 else 1.0
    else:
        scale = float(ref)
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"ref must be None, 'max' or a positive number, got {ref!r}")
    return np.log1p(np.float32(gamma / scale) * X).astype(np.float32)


def normalize(X, norm: str | None = "l2", threshold: float = 1e-6, relative: bool = True,
              fill: str = "flat") -> np.ndarray:
    """Normalise every frame (column) of ``X`` to unit norm.

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
    norm : {'l2', 'l1', 'max'} or None
        Which norm each column gets divided by (``None`` returns a float32 copy).
    threshold : float
        A frame counts as *silent* when its norm is below ``threshold``
        (times the largest frame norm of ``X`` if ``relative``). Silent
        frames are not divided (that would amplify noise or divide by
        zero) but replaced by the ``fill`` vector.
    relative : bool
        Interpret ``threshold`` relative to the loudest frame (default), so
        the result does not depend on the recording level.
    fill : {'flat', 'zero'}
        ``'flat'``: the constant vector with unit norm (all pitch classes
        equally likely, the chroma toolbox convention); ``'zero'``: zeros.

    Returns
    -------
    np.ndarray, shape (d, N), float32; never contains NaN.
    """
    X = _check_features(X).astype(np.float32)
    if norm is None:
        return X.copy()
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS} or None, got {norm!r}")
    if fill not in ("flat", "zero"):
        raise ValueError(f"fill must be 'flat' or 'zero', got {fill!r}")
    if threshold < 0 or not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}")
    d, n = X.shape
    if n == 0 or d == 0:
        return X.copy()
    A = np.abs(X.astype(np.float64))
    if norm == "l2":
        norms = np.sqrt(np.sum(A * A, axis=0))
        flat = 1.0 / np.sqrt(d)
    elif norm == "l1":
        norms = np.sum(A, axis=0)
        flat = 1.0 / d
    else:
        norms = np.max(A, axis=0)
        flat = 1.0
    limit = threshold * norms.max() if relative else threshold
    silent = (norms <= limit) | (norms == 0)
    out = np.empty_like(X)
    loud = ~silent
    out[:, loud] = (X[:, loud] / norms[loud]).astype(np.float32)
    out[:, silent] = flat if fill == "flat" else 0.0
    return out


def cens(C, feature_rate: float, smooth_len: int = 41, downsample: int | None = 10,
         target_rate: float | None = None,
         quant_steps=(0.4, 0.2, 0.1, 0.05), quant_weights=(1.0, 1.0, 1.0, 1.0),
         threshold: float = 1e-6):
    """Chroma Energy Normalised Statistics (CENS), Müller et al. 2005.

    Steps: l1-normalise every frame; quantise each value by counting how
    many of ``quant_steps`` it reaches (0..4); smooth each chroma band with
    a Hann window of ``smooth_len`` frames; resample to the new feature rate;
    l2-normalise every frame.

    Parameters
    ----------
    C : np.ndarray, shape (12, N)
        Chroma (or pitch) energies, any normalisation.
    feature_rate : float
        Frames per second of ``C``.
    smooth_len : int
        Length of the Hann smoothing window in input frames (41 frames at
        10 Hz = 4.1 s; 1 = no smoothing).
    downsample : int or None
        Keep every ``downsample``-th smoothed frame. Ignored when
        ``target_rate`` is given.
    target_rate : float, optional
        Output feature rate in Hz (any positive value <= ``feature_rate``;
        frame ``m`` of the output is centred at ``m / target_rate`` s).
    quant_steps, quant_weights : sequences
        Quantisation thresholds on the l1-normalised values and the amount
        added for reaching each one.
    threshold : float
        Relative silence threshold passed to :func:`normalize`.

    Returns
    -------
    C_cens : np.ndarray, shape (12, M), float32
    new_rate : float
        Feature rate of ``C_cens`` in Hz.
    """
    C = _check_features(C)
    rate = _check_rate(feature_rate)
    smooth_len = int(smooth_len)
    if smooth_len < 1:
        raise ValueError(f"smooth_len must be >= 1 frame, got {smooth_len}")
    if len(quant_steps) != len(quant_weights):
        raise ValueError("quant_steps and quant_weights must have the same length, got "
                         f"{len(quant_steps)} and {len(quant_weights)}")
    if target_rate is None:
        if downsample is None:
            downsample = 1
        downsample = int(downsample)
        if downsample < 1:
            raise ValueError(f"downsample must be an integer >= 1, got {downsample}")
        new_rate = rate / downsample
    else:
        new_rate = _check_rate(target_rate, "target_rate")
        if new_rate > rate * (1 + 1e-9):
            raise ValueError(f"target_rate ({new_rate} Hz) must not exceed feature_rate ({rate} Hz)")
    d, n = C.shape
    if n == 0:
        return np.zeros((d, 0), np.float32), new_rate
    X = normalize(C, "l1", threshold=threshold, fill="zero").astype(np.float64)
    Q = np.zeros_like(X)
    for step, weight in zip(quant_steps, quant_weights):
        Q += weight * (X >= step)
    if smooth_len > 1:
        win = np.hanning(smooth_len + 2)[1:-1]
        win /= win.sum()
        from scipy.ndimage import convolve1d
        Q = convolve1d(Q, win, axis=1, mode="constant", cval=0.0)
    if target_rate is None:
        Q = Q[:, ::downsample]
    else:
        m = n_frames((n - 1) / rate, new_rate)
        pos = np.arange(m) * (rate / new_rate)
        idx = np.clip(np.round(pos).astype(int), 0, n - 1)
        Q = Q[:, idx]
    return normalize(Q, "l2", threshold=threshold, fill="flat"), new_rate


def smooth(C, smooth_len: int = 21, norm: str | None = "l2", threshold: float = 1e-6) -> np.ndarray:
    """Temporal smoothing: average every chroma band over a Hann window of ``smooth_len`` frames.

    The feature rate does not change (frame ``n`` stays centred at
    ``n / feature_rate``); each frame now summarises about
    ``smooth_len / feature_rate`` seconds, which makes the features robust
    to local tempo changes and articulation at the cost of temporal detail.

    Parameters
    ----------
    C : np.ndarray, shape (d, N)
    smooth_len : int, window length in frames (1 = unchanged)
    norm, threshold : frame normalisation afterwards (see :func:`normalize`)

    Returns
    -------
    np.ndarray, shape (d, N), float32
    """
    C = _check_features(C)
    smooth_len = int(smooth_len)
    if smooth_len < 1:
        raise ValueError(f"smooth_len must be >= 1 frame, got {smooth_len}")
    X = C.astype(np.float64)
    if smooth_len > 1 and X.shape[1]:
        from scipy.ndimage import convolve1d

        win = np.hanning(smooth_len + 2)[1:-1]
        X = convolve1d(X, win / win.sum(), axis=1, mode="constant", cval=0.0)
    return normalize(X.astype(np.float32), norm, threshold=threshold)


def shift(C, k: int) -> np.ndarray:
    """Cyclic shift of chroma by ``k`` semitones upwards.

    ``shift(C, k)[(i + k) % 12] == C[i]``: the chroma of a recording
    transposed up by ``k`` semitones equals ``shift`` of the original's
    chroma by ``k``.

    Parameters
    ----------
    C : np.ndarray, shape (12, N) or (12,)
    k : int, semitones (negative = down)
    """
    C = np.asarray(C)
    if C.ndim not in (1, 2) or C.shape[0] != 12:
        raise ValueError(f"C must have shape (12, N) or (12,), got {C.shape}")
    if int(k) != k:
        raise TypeError(f"k must be an integer number of semitones, got {k!r}")
    return np.roll(C, int(k), axis=0)


# ---------------------------------------------------------------------------
# tuning
# ---------------------------------------------------------------------------

def estimate_tuning(y, sr: float, n_fft: int = 4096, resolution_cents: float = 1.0) -> float:
    """Estimate the deviation of a recording's tuning from A4 = 440 Hz, in cents.

    Uses librosa's peak-picking estimator (``librosa.estimate_tuning``): the
    frequencies of prominent spectral peaks are compared with the nearest
    equal-tempered pitch and the most common deviation wins.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : float, Hz
    n_fft : int
        STFT size for the peak search (larger = finer frequency resolution).
    resolution_cents : float
        Histogram resolution in cents.

    Returns
    -------
    float
        Cents in [-50, 50); 0.0 for silence or signals too short to analyse.
        Pass it as ``tuning`` / ``tuning_cents`` to the chroma functions.
    """
    y = _check_audio(y, sr)
    if y.size < 64 or not np.any(y):
        return 0.0
    import librosa

    import warnings

    n_fft = int(min(n_fft, 2 ** int(np.floor(np.log2(max(64, y.size))))))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Trying to estimate tuning from empty frequency set")
        frac = librosa.estimate_tuning(y=y, sr=sr, n_fft=n_fft, resolution=resolution_cents / 100.0)
    if not np.isfinite(frac):
        return 0.0
    return float(frac) * 100.0


def _tuning_cents(tuning, y, sr) -> float:
    if tuning is None:
        return estimate_tuning(y, sr)
    t = float(tuning)
    if not np.isfinite(t) or abs(t) > 100:
        raise ValueError(f"tuning must be a deviation in cents within [-100, 100] (or None to estimate), got {tuning!r}")
    return t


# ---------------------------------------------------------------------------
# audio chroma (librosa based)
# ---------------------------------------------------------------------------

def _pad_short(y, n: int) -> np.ndarray:
    return np.pad(y, (0, n - y.size)) if y.size < n else y


def chroma_stft(y, sr: float, n_fft: int = 4410, hop_length: int = 2205, tuning: float | None = None,
                norm: str | None = "l2", threshold: float = 1e-6, gamma: float | None = None,
                window: str = "hann", **kwargs) -> np.ndarray:
    """STFT-based chroma (librosa's chroma filter bank on the power spectrogram).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : float
        Sample rate in Hz.
    n_fft, hop_length : int
        Window and hop in samples. Feature rate = ``sr / hop_length`` Hz
        (22050 / 2205 = 10 Hz by default).
    tuning : float or None
        Tuning deviation in cents; ``None`` estimates it with
        :func:`estimate_tuning`.
    norm : {'l2', 'l1', 'max'} or None
        Frame normalisation (``'max'`` is librosa's ``norm=np.inf``).
    threshold : float
        Relative silence threshold for :func:`normalize`.
    gamma : float, optional
        If given, apply :func:`log_compress` (``ref='max'``) before normalising.
    **kwargs
        Passed to ``librosa.filters.chroma`` (e.g. ``ctroct``, ``octwidth``).

    Returns
    -------
    np.ndarray, shape (12, 1 + len(y) // hop_length), float32
    """
    import librosa

    y = _check_audio(y, sr)
    n_fft, hop_length = int(n_fft), int(hop_length)
    if n_fft < 16 or hop_length < 1:
        raise ValueError(f"n_fft must be >= 16 and hop_length >= 1, got {n_fft}, {hop_length}")
    n_out = 1 + y.size // hop_length
    cents = _tuning_cents(tuning, y, sr)
    S = np.abs(librosa.stft(_pad_short(y, n_fft), n_fft=n_fft, hop_length=hop_length, window=window,
                            center=True, pad_mode="constant")) ** 2
    C = librosa.feature.chroma_stft(S=S, sr=sr, n_fft=n_fft, tuning=cents / 100.0, norm=None, **kwargs)
    C = C[:, :n_out]
    C = np.maximum(C, 0).astype(np.float32)
    if gamma is not None:
        C = log_compress(C, gamma, ref="max")
    return normalize(C, norm, threshold=threshold)


def chroma_cqt(y, sr: float, hop_length: int = 2205, tuning: float | None = None,
               norm: str | None = "l2", threshold: float = 1e-6, gamma: float | None = None,
               fmin: float | None = None, n_octaves: int = 7, bins_per_octave: int = 36) -> np.ndarray:
    """CQT-based chroma (librosa's constant-Q transform folded to 12 bins).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : float, Hz
    hop_length : int
        Hop in samples; feature rate = ``sr / hop_length`` Hz.
    tuning : float or None
        Cents; ``None`` estimates with :func:`estimate_tuning`.
    norm, threshold, gamma
        As in :func:`chroma_stft`.
    fmin, n_octaves, bins_per_octave
        CQT range (default from C1 = 32.7 Hz over 7 octaves) and resolution.

    Returns
    -------
    np.ndarray, shape (12, 1 + len(y) // hop_length), float32
    """
    import librosa

    y = _check_audio(y, sr)
    hop_length = int(hop_length)
    if hop_length < 1:
        raise ValueError(f"hop_length must be >= 1, got {hop_length}")
    n_out = 1 + y.size // hop_length
    cents = _tuning_cents(tuning, y, sr)
    if fmin is None:
        fmin = librosa.note_to_hz("C1")
    # keep the top CQT bin below Nyquist
    n_octaves = int(min(n_octaves, np.floor(np.log2(0.45 * sr / fmin))))
    yy = _pad_short(y, 4096)
    import warnings

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_fft=.*is too large")
        C = librosa.feature.chroma_cqt(y=yy, sr=sr, hop_length=hop_length, fmin=fmin, norm=None,
                                       tuning=cents / 100.0, n_octaves=n_octaves,
                                       bins_per_octave=bins_per_octave)
    C = np.nan_to_num(C[:, :n_out], nan=0.0)
    C = np.maximum(C, 0).astype(np.float32)
    if C.shape[1] < n_out:
        C = np.pad(C, ((0, 0), (0, n_out - C.shape[1])))
    if gamma is not None:
        C = log_compress(C, gamma, ref="max")
    return normalize(C, norm, threshold=threshold)


# ---------------------------------------------------------------------------
# IIR filterbank chroma (the filterbank itself lives in cmr.filterbank)
# ---------------------------------------------------------------------------

def pitch_features(y, sr: float, feature_rate: float = 50.0, window_seconds: float | None = None,
                   tuning_cents: float | None = 0.0, threads: int | None = None) -> np.ndarray:
    """Short-time energies of the 88 piano pitches (A0..C8) from the IIR filterbank.

    See :func:`cmr.filterbank.pitch_features` for the full description.

    Returns
    -------
    np.ndarray, shape (88, 1 + floor(len(y) / sr * feature_rate)), float32
        Mean power of each pitch band over the window around each frame
        centre; row ``i`` is MIDI pitch ``21 + i``; feature rate =
        ``feature_rate``.
    """
    from . import filterbank

    y = _check_audio(y, sr)
    cents = _tuning_cents(tuning_cents, y, sr)
    return filterbank.pitch_features(y, sr, feature_rate=feature_rate, window_seconds=window_seconds,
                                     tuning_cents=cents, threads=threads)


def pitch_to_chroma(P, first_pitch: int = 21) -> np.ndarray:
    """Fold pitch energies to chroma by summing all octaves of each pitch class.

    Parameters
    ----------
    P : np.ndarray, shape (p, N)
        Row ``i`` is MIDI pitch ``first_pitch + i``.

    Returns
    -------
    np.ndarray, shape (12, N), float32
    """
    P = _check_features(P)
    C = np.zeros((12, P.shape[1]), np.float64)
    for i in range(P.shape[0]):
        C[(first_pitch + i) % 12] += P[i]
    return C.astype(np.float32)


def chroma_iir(y, sr: float, feature_rate: float = 50.0, window_seconds: float | None = None,
               tuning_cents: float | None = 0.0, norm: str | None = "l2", threshold: float = 1e-6,
               gamma: float | None = None, threads: int | None = None) -> np.ndarray:
    """Chroma from the multirate IIR pitch filterbank (chroma toolbox style).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : float, Hz
    feature_rate : float
        Frames per second of the result.
    window_seconds : float, optional
        Length of the energy window (default ``2 / feature_rate``).
    tuning_cents : float or None
        Shift of all filter centre frequencies in cents; ``None`` estimates it.
    norm, threshold, gamma
        As in :func:`chroma_stft` (``gamma`` compresses the 88 pitch
        energies before folding, like the chroma toolbox's CLP features).
    threads : int, optional
        Threads for the filterbank (default 2 on multi-core machines).

    Returns
    -------
    np.ndarray, shape (12, 1 + floor(len(y) / sr * feature_rate)), float32
    """
    P = pitch_features(y, sr, feature_rate=feature_rate, window_seconds=window_seconds,
                       tuning_cents=tuning_cents, threads=threads)
    if gamma is not None:
        P = log_compress(P, gamma, ref="max")
    return normalize(pitch_to_chroma(P), norm, threshold=threshold)


def crp(P, n_remove: int = 55, gamma: float = 1000.0, norm: str | None = "l2",
        threshold: float = 1e-6) -> np.ndarray:
    """Chroma DCT-Reduced log Pitch (CRP) features (Müller & Ewert 2010).

    Log-compress the pitch energies, take the DCT along the pitch axis,
    drop the lowest ``n_remove`` coefficients (which describe the spectral
    envelope, i.e. timbre), invert, fold to chroma.

    Parameters
    ----------
    P : np.ndarray, shape (88, N)
        Pitch energies from :func:`pitch_features` (MIDI 21..108).
    n_remove : int
        Number of low DCT coefficients discarded (of 120 when the 88 pitches
        are placed into the full MIDI range 0..119 as in the toolbox).
    gamma : float
        Log compression factor (applied with ``ref='max'``).

    Returns
    -------
    np.ndarray, shape (12, N), float32; same feature rate as ``P``.
    """
    from scipy.fft import dct, idct

    P = _check_features(P, "P", rows=88)
    if not 0 <= n_remove < 120:
        raise ValueError(f"n_remove must be in [0, 120), got {n_remove}")
    L = np.zeros((120, P.shape[1]), np.float64)
    L[21:109] = log_compress(P, gamma, ref="max")
    D = dct(L, type=2, norm="ortho", axis=0)
    D[:n_remove] = 0.0
    R = idct(D, type=2, norm="ortho", axis=0)
    C = np.zeros((12, P.shape[1]), np.float64)
    for p in range(120):
        C[p % 12] += R[p]
    # CRP values may be negative; normalise without taking absolute values away
    return normalize(C.astype(np.float32), norm, threshold=threshold)


# ---------------------------------------------------------------------------
# symbolic chroma
# ---------------------------------------------------------------------------

def _notes_array(notes):
    """Return (start, end, pitch, velocity or None) arrays from a DataFrame or array."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(notes, pd.DataFrame):
        missing = [c for c in ("start", "end", "pitch") if c not in notes.columns]
        if missing:
            raise ValueError(f"notes must have columns start, end, pitch; missing {missing} "
                             f"(columns: {list(notes.columns)})")
        start = notes["start"].to_numpy(float)
        end = notes["end"].to_numpy(float)
        pitch = notes["pitch"].to_numpy(float)
        vel = notes["velocity"].to_numpy(float) if "velocity" in notes.columns else None
    else:
        arr = np.asarray(notes, dtype=float)
        if arr.ndim != 2 or (arr.size and arr.shape[1] < 3):
            raise ValueError(f"notes must be a DataFrame or an array of shape (n, 3+) "
                             f"with columns start, end, pitch[, velocity]; got shape {arr.shape}")
        if arr.size == 0:
            arr = arr.reshape(0, 3)
        start, end, pitch = arr[:, 0], arr[:, 1], arr[:, 2]
        vel = arr[:, 3] if arr.shape[1] > 3 else None
    for name, a in (("start", start), ("end", end), ("pitch", pitch)):
        if a.size and not np.all(np.isfinite(a)):
            raise ValueError(f"notes column {name!r} contains NaN or infinite values")
    if np.any(end < start):
        i = int(np.argmax(end < start))
        raise ValueError(f"notes: end must be >= start, note {i} has start={start[i]} end={end[i]}")
    if np.any(start < 0):
        raise ValueError(f"notes: start times must be >= 0 seconds, got minimum {start.min()}")
    return start, end, pitch, vel


def symbolic_chroma(notes, feature_rate: float, duration: float | None = None, use_velocity: bool = False,
                    harmonics=None, norm: str | None = "l2", threshold: float = 1e-6) -> np.ndarray:
    """Chroma of a note list, on the same centred frame grid as audio chroma.

    Each note adds, to its pitch class, the time it overlaps each frame's
    cell ``[(n - 0.5) / rate, (n + 0.5) / rate)`` (so a note that sounds
    through a whole frame contributes 1/rate seconds).

    Parameters
    ----------
    notes : pandas.DataFrame or np.ndarray
        Columns ``start``, ``end`` (seconds), ``pitch`` (MIDI number) and
        optionally ``velocity`` (0..127); or an array of shape (n, 3+) with
        the same columns in that order.
    feature_rate : float
        Frames per second of the result.
    duration : float, optional
        Length in seconds (default: the last note end). Gives
        ``1 + floor(duration * feature_rate)`` frames, matching audio of that
        duration.
    use_velocity : bool
        Weight notes by ``velocity / 127`` (needs the velocity column).
    harmonics : sequence of float, optional
        Amplitudes of harmonics 1, 2, 3, ...; harmonic ``h`` of a note adds
        ``weight**2`` to pitch class ``pitch + round(12 log2 h)``, which
        mimics what an audio chroma sees of a harmonic tone. Default: the
        fundamental only.
    norm, threshold
        Frame normalisation as in :func:`normalize`.

    Returns
    -------
    np.ndarray, shape (12, N), float32
    """
    rate = _check_rate(feature_rate)
    start, end, pitch, vel = _notes_array(notes)
    if use_velocity and vel is None:
        raise ValueError("use_velocity=True needs a velocity column in notes")
    if duration is None:
        duration = float(end.max()) if end.size else 0.0
    elif not np.isfinite(duration) or duration < 0:
        raise ValueError(f"duration must be >= 0 seconds, got {duration!r}")
    N = n_frames(duration, rate)
    weights = np.ones(start.size) if not use_velocity else np.clip(vel, 0, 127) / 127.0
    if harmonics is None:
        partials = [(0, 1.0)]
    else:
        h = np.asarray(harmonics, float)
        if h.ndim != 1 or h.size == 0 or np.any(h < 0):
            raise ValueError(f"harmonics must be a non-empty sequence of amplitudes >= 0, got {harmonics!r}")
        partials = [(int(round(12 * np.log2(k + 1))), float(a) ** 2) for k, a in enumerate(h) if a > 0]
    pc = np.round(pitch).astype(int) % 12
    edges = (np.arange(N + 1) - 0.5) / rate
    C = np.zeros((12, N), np.float64)
    first = np.clip(np.floor(start * rate + 0.5).astype(int), 0, N)
    last = np.clip(np.ceil(end * rate + 0.5).astype(int), 0, N)
    for i in range(start.size):
        a, b = first[i], last[i]
        if b <= a:
            continue
        ov = np.minimum(end[i], edges[a + 1:b + 1]) - np.maximum(start[i], edges[a:b])
        ov = np.maximum(ov, 0.0) * weights[i]
        for offset, amp in partials:
            C[(pc[i] + offset) % 12, a:b] += amp * ov
    return normalize(C.astype(np.float32), norm, threshold=threshold)


# ---------------------------------------------------------------------------
# comparing two feature sequences
# ---------------------------------------------------------------------------

def frame_cosine(A, B) -> np.ndarray:
    """Cosine similarity of corresponding frames ``A[:, n]`` and ``B[:, n]``.

    Parameters
    ----------
    A, B : np.ndarray, shape (d, N)

    Returns
    -------
    np.ndarray, shape (N,); 0 where a frame is all zero.
    """
    A = _check_features(A, "A")
    B = _check_features(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    A = A.astype(np.float64)
    B = B.astype(np.float64)
    num = np.sum(A * B, axis=0)
    den = np.linalg.norm(A, axis=0) * np.linalg.norm(B, axis=0)
    out = np.zeros(A.shape[1])
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def stretched_similarity(A, B) -> float:
    """Mean frame cosine after stretching ``B`` linearly to the length of ``A``.

    A global tempo difference is undone by the stretch; *local* tempo
    deviations are not, which is what this measure exposes.
    """
    A = _check_features(A, "A")
    B = _check_features(B, "B", rows=A.shape[0])
    if A.shape[1] == 0 or B.shape[1] == 0:
        raise ValueError(f"A and B need at least one frame, got shapes {A.shape} and {B.shape}")
    idx = np.round(np.linspace(0, B.shape[1] - 1, A.shape[1])).astype(int)
    return float(frame_cosine(A, B[:, idx]).mean())


def aligned_similarity(A, B, feature_rate: float, truth_a, truth_b) -> float:
    """Mean frame cosine of two rendered versions at corresponding score positions.

    Frame ``n`` of version A (time ``n / feature_rate``) is compared with the
    frame of version B nearest to the time at which B plays the same score
    position, found with the rendering ground truth
    (:func:`cmr.synth.map_time`). Frames outside the music are skipped.

    Parameters
    ----------
    A, B : np.ndarray, shape (d, N) and (d, M), same feature rate
    feature_rate : float, Hz
    truth_a, truth_b : cmr.synth.GroundTruth of the two versions

    Raises
    ------
    ValueError
        When no frame of A corresponds to a frame of B (e.g. B is empty).
    """
    from . import synth

    A = _check_features(A, "A")
    B = _check_features(B, "B", rows=A.shape[0])
    rate = _check_rate(feature_rate)
    t = np.arange(A.shape[1]) / rate
    tb = np.asarray(synth.map_time(t, truth_a, truth_b, missing="nan"), float)
    jb = np.round(tb * rate)
    ok = np.isfinite(jb) & (jb >= 0) & (jb < B.shape[1])
    if not np.any(ok):
        raise ValueError(f"truth_a, truth_b: no frame of A ({A.shape[1]} frames) has a corresponding frame in B "
                         f"({B.shape[1]} frames) at {rate} Hz; expected two versions of the same music")
    return float(frame_cosine(A[:, ok], B[:, jb[ok].astype(int)]).mean())


# ---------------------------------------------------------------------------
# one entry point
# ---------------------------------------------------------------------------

def chroma(y, sr: float, kind: str = "iir", feature_rate: float = 10.0, tuning: float | None = 0.0,
           norm: str | None = "l2", gamma: float | None = None, threshold: float = 1e-6):
    """Compute any chroma variant at a given feature rate.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : float, Hz
    kind : {'iir', 'stft', 'cqt', 'crp', 'cens'}
        ``'cens'``: IIR chroma at ``10 * feature_rate``, then :func:`cens`
        with a 41-frame window and downsampling by 10 (the classic CENS
        41-10 at ``feature_rate=1``: 4.1 s window, 1 Hz).
    feature_rate : float
        Frames per second of the result. For ``'stft'`` / ``'cqt'`` the hop is
        ``round(sr / feature_rate)`` samples, and the true rate
        ``sr / hop`` is returned.
    tuning : float or None
        Cents; ``None`` estimates it once.
    norm, gamma, threshold
        Post-processing (see :func:`chroma_stft`).

    Returns
    -------
    C : np.ndarray, shape (12, N), float32
    rate : float, frames per second of ``C``
    """
    y = _check_audio(y, sr)
    rate = _check_rate(feature_rate)
    cents = _tuning_cents(tuning, y, sr)
    if kind == "iir":
        return chroma_iir(y, sr, feature_rate=rate, tuning_cents=cents, norm=norm, gamma=gamma,
                          threshold=threshold), rate
    if kind in ("stft", "cqt"):
        hop = max(1, int(round(sr / rate)))
        if kind == "stft":
            C = chroma_stft(y, sr, n_fft=max(16, 2 * hop), hop_length=hop, tuning=cents, norm=norm,
                            gamma=gamma, threshold=threshold)
        else:
            C = chroma_cqt(y, sr, hop_length=hop, tuning=cents, norm=norm, gamma=gamma, threshold=threshold)
        return C, sr / hop
    if kind == "crp":
        P = pitch_features(y, sr, feature_rate=rate, tuning_cents=cents)
        return crp(P, norm=norm, threshold=threshold), rate
    if kind == "cens":
        C = chroma_iir(y, sr, feature_rate=10 * rate, tuning_cents=cents, norm=None)
        return cens(C, 10 * rate, smooth_len=41, downsample=10, threshold=threshold)
    raise ValueError(f"kind must be one of 'iir', 'stft', 'cqt', 'crp', 'cens'; got {kind!r}")
