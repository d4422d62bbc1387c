"""Score-informed source separation.

Given a recording and the notes of its score aligned to the recording (start
and end in seconds, MIDI pitch, part), split the recording into its parts.
Two methods, both working on the magnitude STFT:

``"mask"``
    Every aligned note claims the time-frequency bins near its harmonics
    (a harmonic comb with a tolerance in cents) during its time span (with a
    tolerance in seconds). Each bin is shared among the parts in proportion
    to their claims; bins nobody claims are shared equally.
``"nmf"``
    Score-informed non-negative matrix factorisation (Ewert and Müller,
    ICASSP 2012): ``V ≈ W H`` with one spectral template per (part, pitch)
    and one activation row per template. Templates start as harmonic combs,
    activations start as the aligned note regions; the multiplicative
    updates keep every zero at zero, so the score constraints hold while
    templates and activations adapt to the recording. The part estimates
    ``W_p H_p`` then define soft (Wiener-like) masks.

The masks of all parts sum to one in every bin, so the separated parts add
up to the mixture (up to the STFT round trip).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-10


def _check_audio(y, name: str = "y") -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"{name} must be mono audio with shape (n,), got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} is empty (0 samples)")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite samples")
    return y


def _note_table(notes):
    """(start, end, pitch, part) arrays from a DataFrame or an (n, 4) array."""
    if hasattr(notes, "columns"):
        missing = {"start", "end", "pitch", "part"} - set(notes.columns)
        if missing:
            raise ValueError(f"notes must have columns start, end, pitch, part; missing {sorted(missing)}")
        start = notes["start"].to_numpy(float)
        end = notes["end"].to_numpy(float)
        pitch = notes["pitch"].to_numpy(float)
        part = notes["part"].to_numpy()
    else:
        arr = np.asarray(notes, dtype=float)
        if arr.ndim != 2 or arr.shape[1] < 4:
            raise ValueError(f"notes must be a DataFrame or an array of shape (n, 4) "
                             f"[start, end, pitch, part], got shape {arr.shape}")
        start, end, pitch, part = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(int)
    if len(start) == 0:
        raise ValueError("notes is empty: nothing to separate")
    if not (np.all(np.isfinite(start)) and np.all(np.isfinite(end)) and np.all(np.isfinite(pitch))):
        raise ValueError("notes contain NaN or infinite start/end/pitch values")
    if np.any(end < start):
        raise ValueError("notes: every note needs end >= start")
    return start, end, pitch, part


def harmonic_comb(pitch: float, freqs: np.ndarray, n_harmonics: int = 12,
                  tolerance_cents: float = 40.0, tuning_cents: float = 0.0) -> np.ndarray:
    """Spectral template of one pitch: 1/h-weighted bands around its harmonics.

    Parameters
    ----------
    pitch : float, MIDI pitch (69 = A4 = 440 Hz)
    freqs : np.ndarray, shape (F,), centre frequency of each STFT bin in Hz
    n_harmonics : int, number of partials
    tolerance_cents : float, half width of each band in cents
    tuning_cents : float, global tuning offset of the recording in cents

    Returns
    -------
    np.ndarray, shape (F,), float32, max-normalised (all zero if no partial lies below Nyquist)
    """
    f0 = 440.0 * 2.0 ** ((pitch - 69.0 + tuning_cents / 100.0) / 12.0)
    template = np.zeros(len(freqs), dtype=np.float32)
    ratio = 2.0 ** (tolerance_cents / 1200.0)
    df = freqs[1] - freqs[0] if len(freqs) > 1 else 1.0
    for h in range(1, n_harmonics + 1):
        fh = h * f0
        if fh > freqs[-1]:
            break
        # at least one bin either side, so low partials are not missed
        lo, hi = min(fh / ratio, fh - df), max(fh * ratio, fh + df)
        band = (freqs >= lo) & (freqs <= hi)
        template[band] = np.maximum(template[band], 1.0 / h)
    if template.max() > 0:
        template /= template.max()
    return template


@dataclass
class Separation:
    """Result of :func:`separate`.

    Attributes
    ----------
    parts : list, the part labels, in the order of the other fields
    audio : dict, part -> np.ndarray shape (n,), float32, the separated signals
    masks : np.ndarray, shape (P, F, N), float32, soft masks summing to one over parts
    sr : int, sample rate in Hz
    hop_length : int, STFT hop in samples
    """

    parts: list
    audio: dict
    masks: np.ndarray
    sr: int
    hop_length: int


def _templates_and_activations(start, end, pitch, part, parts, freqs, n_frames, frame_rate,
                               n_harmonics, tolerance_cents, tuning_cents, onset_tol, offset_tol):
    """One template per (part, pitch), activation support from the aligned notes."""
    keys = sorted({(p, float(q)) for p, q in zip(part, pitch)}, key=lambda k: (parts.index(k[0]), k[1]))
    index = {k: i for i, k in enumerate(keys)}
    W = np.stack([harmonic_comb(q, freqs, n_harmonics, tolerance_cents, tuning_cents) for _, q in keys], axis=1)
    H = np.zeros((len(keys), n_frames), dtype=np.float32)
    for s, e, q, p in zip(start, end, pitch, part):
        a = max(0, int(np.floor((s - onset_tol) * frame_rate)))
        b = min(n_frames, int(np.ceil((e + offset_tol) * frame_rate)) + 1)
        if b > a:
            H[index[(p, float(q))], a:b] = 1.0
    owner = np.array([parts.index(k[0]) for k in keys])
    return W.astype(np.float32), H, owner


def _masks_from_estimates(estimates: np.ndarray) -> np.ndarray:
    """Turn per-part magnitude estimates (P, F, N) into masks that sum to one."""
    total = estimates.sum(axis=0, keepdims=True)
    P = estimates.shape[0]
    masks = np.where(total > _EPS, estimates / np.maximum(total, _EPS), 1.0 / P)
    return masks.astype(np.float32)


def nmf_score_informed(V: np.ndarray, W: np.ndarray, H: np.ndarray, n_iter: int = 30,
                       update_templates: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative-update NMF (Euclidean) that keeps zeros of W and H at zero.

    Parameters
    ----------
    V : np.ndarray, shape (F, N), non-negative magnitude spectrogram
    W : np.ndarray, shape (F, K), initial templates (zeros stay zero)
    H : np.ndarray, shape (K, N), initial activations (zeros stay zero)
    n_iter : int, number of updates
    update_templates : bool, also adapt W (else only H)

    Returns
    -------
    W, H : the factors after ``n_iter`` updates (float32)
    """
    V = np.asarray(V, dtype=np.float32)
    W = np.array(W, dtype=np.float32)
    H = np.array(H, dtype=np.float32)
    if V.ndim != 2 or W.shape[0] != V.shape[0] or H.shape[1] != V.shape[1] or W.shape[1] != H.shape[0]:
        raise ValueError(f"nmf_score_informed: shapes do not fit: V {V.shape}, W {W.shape}, H {H.shape}")
    if np.any(V < 0) or np.any(W < 0) or np.any(H < 0):
        raise ValueError("nmf_score_informed: V, W and H must be non-negative")
    for _ in range(n_iter):
        WH = W @ H
        H *= (W.T @ V) / (W.T @ WH + _EPS)
        if update_templates:
            WH = W @ H
            W *= (V @ H.T) / (WH @ H.T + _EPS)
            norm = W.max(axis=0, keepdims=True)
            norm[norm == 0] = 1.0
            W /= norm
            H *= norm.T
    return W, H


def separate(y, sr: int, notes, method: str = "nmf", n_fft: int = 2048, hop_length: int = 512,
             n_harmonics: int = 12, tolerance_cents: float = 40.0, tuning_cents: float = 0.0,
             onset_tolerance: float = 0.1, offset_tolerance: float = 0.2, n_iter: int = 30,
             parts=None) -> Separation:
    """Separate a recording into the parts of its aligned score.

    Parameters
    ----------
    y : np.ndarray, shape (n,), the mixture
    sr : int, sample rate in Hz
    notes : DataFrame with columns start, end (seconds, aligned to ``y``), pitch (MIDI), part;
        or an array of shape (m, 4) with those columns
    method : "mask" (harmonic-comb masks) or "nmf" (score-informed NMF)
    n_fft, hop_length : STFT parameters in samples
    n_harmonics, tolerance_cents : harmonic comb: partials and half band width in cents
    tuning_cents : tuning offset of the recording against A4 = 440 Hz, in cents
    onset_tolerance, offset_tolerance : seconds a note's region is widened before/after,
        to absorb alignment errors and decays
    n_iter : NMF iterations
    parts : optional list of part labels to separate (default: all parts in ``notes``)

    Returns
    -------
    Separation
    """
    import librosa

    y = _check_audio(y)
    if method not in ("mask", "nmf"):
        raise ValueError(f"method must be 'mask' or 'nmf', got {method!r}")
    start, end, pitch, part = _note_table(notes)
    if parts is None:
        parts = sorted(set(part.tolist()), key=lambda p: (str(type(p)), p))
    else:
        parts = list(parts)
        unknown = set(part.tolist()) - set(parts)
        if unknown:
            raise ValueError(f"parts {sorted(unknown)} occur in notes but not in parts={parts}")
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    X = librosa.stft(y, n_fft=n_fft, hop_length=hop_length)
    V = np.abs(X).astype(np.float32)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    frame_rate = sr / hop_length
    W, H, owner = _templates_and_activations(start, end, pitch, part, parts, freqs, V.shape[1], frame_rate,
                                             n_harmonics, tolerance_cents, tuning_cents,
                                             onset_tolerance, offset_tolerance)
    if method == "nmf":
        W, H = nmf_score_informed(V, W, H, n_iter=n_iter)
    estimates = np.zeros((len(parts),) + V.shape, dtype=np.float32)
    for p in range(len(parts)):
        sel = owner == p
        if np.any(sel):
            estimates[p] = W[:, sel] @ H[sel]
    masks = _masks_from_estimates(estimates)
    audio = {}
    for p, label in enumerate(parts):
        audio[label] = librosa.istft(masks[p] * X, hop_length=hop_length, length=len(y)).astype(np.float32)
    return Separation(parts=list(parts), audio=audio, masks=masks, sr=sr, hop_length=hop_length)


def _reference_and_estimate(reference, estimate, name: str):
    """Both signals as float64 1-D arrays of the same shape, and the reference's power."""
    s = np.asarray(reference, dtype=np.float64)
    e = np.asarray(estimate, dtype=np.float64)
    if s.shape != e.shape or s.ndim != 1:
        raise ValueError(f"{name}: reference and estimate need the same 1-D shape, got {s.shape} and {e.shape}")
    power = np.sum(s ** 2)
    if power == 0:
        raise ValueError(f"{name}: the reference is silent, the ratio is undefined")
    return s, e, power


def sdr(reference, estimate) -> float:
    """Signal-to-distortion ratio in dB: 10 log10(|s|^2 / |s - s_hat|^2).

    The plain (not scale-invariant) definition used by recent separation
    evaluations (the "new SDR" of SiSEC 2021, without a distortion filter).
    Returns ``inf`` for a perfect estimate.

    Raises
    ------
    ValueError if the shapes differ or the reference is silent (the ratio is undefined).
    """
    s, e, power = _reference_and_estimate(reference, estimate, "sdr")
    err = np.sum((s - e) ** 2)
    if err == 0:
        return float("inf")
    return float(10 * np.log10(power / err))


def si_sdr(reference, estimate) -> float:
    """Scale-invariant SDR in dB (Le Roux et al., ICASSP 2019)."""
    s, e, power = _reference_and_estimate(reference, estimate, "si_sdr")
    alpha = np.dot(e, s) / power
    target = alpha * s
    err = np.sum((e - target) ** 2)
    if err == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(target ** 2) / err))


def remix(separation: Separation, gains: dict) -> np.ndarray:
    """Mix the separated parts again with a gain per part (1.0 = unchanged).

    The "audio editing" application: make one voice louder or softer.
    """
    out = None
    for label in separation.parts:
        g = float(gains.get(label, 1.0))
        part = separation.audio[label] * g
        out = part if out is None else out + part
    return out.astype(np.float32)
