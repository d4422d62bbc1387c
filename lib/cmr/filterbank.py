"""A multirate IIR pitch filterbank: 88 band-pass filters, one per piano key.

This is the filterbank of notebook ``01_Chroma_Features.ipynb`` (section
"The pitch filterbank"), in the tradition of the chroma toolbox (Müller &
Ewert, ISMIR 2011): every piano pitch p (MIDI 21 = A0 .. 108 = C8) gets an
elliptic band-pass filter centred at its frequency

    f(p) = 440 Hz * 2 ** ((p - 69) / 12) * 2 ** (tuning_cents / 1200)

with quality factor Q = f / bandwidth = 25 (pass band +-f/(2Q), i.e. about
+-0.35 semitone, 1 dB ripple; stop band from +-f/Q, 50 dB down). The
signal is filtered forwards and backwards (zero phase, squared magnitude
response), squared, and averaged over a window around every frame centre:
the *short-time mean power* of each pitch.

Multirate: a narrow filter at 27.5 Hz designed for 22050 Hz has poles so
close to the unit circle that it is numerically fragile, and running it on
all 22050 samples per second is wasteful. So the signal is halved in
sample rate octave by octave (a zero-phase half-band FIR, 60 dB stop band)
and each pitch is filtered at the lowest rate at which its frequency is at
most 0.4 x the sample rate: every group of 12 pitches (one octave) has its
own rate, from sr/2 for the top octave down to sr/128, where A0..C2 share
the lowest group. The total work is about that of filtering 12 pitches at
the full rate once, instead of 88.

Frames are centred at ``n / feature_rate`` seconds; the window sums are
read from a cumulative sum with linear interpolation, so any feature rate
works at any internal sample rate.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from numba import njit
from scipy import signal

#: MIDI numbers of the filterbank rows: A0 .. C8.
PITCHES = np.arange(21, 109)
#: Quality factor (centre frequency / pass-band width).
Q = 25.0
#: Highest centre frequency relative to the sample rate a filter runs at.
MAX_RELATIVE_FREQ = 0.4
#: How many halvings of the sample rate are allowed at most.
MAX_DECIMATIONS = 7


def pitch_frequency(pitch, tuning_cents: float = 0.0):
    """Centre frequency in Hz of MIDI ``pitch`` (A4 = 69 = 440 Hz), shifted by ``tuning_cents``."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, float) - 69.0) / 12.0 + tuning_cents / 1200.0)


def _decimations(freqs: np.ndarray, sr: float) -> np.ndarray:
    """For every centre frequency: how many times the rate may be halved (-1 = above Nyquist)."""
    k = np.floor(np.log2(MAX_RELATIVE_FREQ * sr / freqs)).astype(int)
    k = np.minimum(k, MAX_DECIMATIONS)
    return np.where(freqs * (1 + 1 / Q) < 0.5 * sr * 0.95, np.maximum(k, 0), -1)


def design_filter(freq: float, fs: float, q: float = Q, rp: float = 1.0, rs: float = 50.0) -> np.ndarray:
    """Elliptic band-pass around ``freq`` Hz for sample rate ``fs``, as second-order sections.

    Pass band ``freq * (1 +- 1/(2q))`` with ``rp`` dB ripple, stop band from
    ``freq * (1 +- 1/q)`` with ``rs`` dB attenuation; scaled to gain 1 at ``freq``.

    Returns
    -------
    np.ndarray, shape (n_sections, 6) (scipy ``sos`` format)
    """
    nyq = fs / 2.0
    wp = [freq * (1 - 1 / (2 * q)) / nyq, freq * (1 + 1 / (2 * q)) / nyq]
    ws = [freq * (1 - 1 / q) / nyq, min(freq * (1 + 1 / q) / nyq, 0.999)]
    order, wn = signal.ellipord(wp, ws, rp, rs)
    sos = signal.ellip(order, rp, rs, wn, btype="bandpass", output="sos")
    # unit gain at the centre frequency (the pass band ripples between -rp and 0 dB)
    _, h = signal.sosfreqz(sos, worN=[freq], fs=fs)
    sos[0, :3] /= np.abs(h[0])
    return sos


@lru_cache(maxsize=32)
def _bank(sr: float, tuning_cents: float):
    """Design the whole bank for input rate ``sr``.

    Returns a list of groups ``(k, fs, rows, bank, ring)``: decimation level,
    sample rate, pitch rows (indices into ``PITCHES``), sos array
    (n_filters, n_sections, 6) and the ring-out length in samples.
    """
    freqs = pitch_frequency(PITCHES, tuning_cents)
    dec = _decimations(freqs, sr)
    groups = []
    for k in sorted(set(dec[dec >= 0].tolist())):
        rows = np.flatnonzero(dec == k)
        fs = sr / 2 ** k
        sos_list = [design_filter(freqs[r], fs) for r in rows]
        nsec = max(s.shape[0] for s in sos_list)
        bank = np.zeros((rows.size, nsec, 6))
        bank[:, :, 0] = 1.0  # identity sections as padding
        bank[:, :, 3] = 1.0
        for i, s in enumerate(sos_list):
            bank[i, : s.shape[0]] = s
        # ring-out length: samples until the slowest pole decays to 1e-4 (-80 dB)
        radius = max(np.abs(signal.sos2zpk(s)[1]).max() for s in sos_list)
        ring = int(np.ceil(np.log(1e-4) / np.log(radius))) + 1
        groups.append((k, fs, rows, bank, ring))
    return groups


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _sos_pass(buf, b0, b1, b2, a1, a2, backward, square):
    """Run a group of biquad cascades over ``buf`` (n, nf) in place, all filters side by side.

    The recursions of different filters are independent, so the inner loop
    over filters becomes SIMD code (one biquad recursion alone is limited by
    its own latency).
    """
    nsec, nf = b0.shape
    n = buf.shape[0]
    z0 = np.zeros((nsec, nf), np.float32)
    z1 = np.zeros((nsec, nf), np.float32)
    v = np.empty(nf, np.float32)
    for step in range(n):
        i = n - 1 - step if backward else step
        for j in range(nf):
            v[j] = buf[i, j]
        for s in range(nsec):
            for j in range(nf):
                o = b0[s, j] * v[j] + z0[s, j]
                z0[s, j] = b1[s, j] * v[j] - a1[s, j] * o + z1[s, j]
                z1[s, j] = b2[s, j] * v[j] - a2[s, j] * o
                v[j] = o
        if square:
            for j in range(nf):
                buf[i, j] = v[j] * v[j]
        else:
            for j in range(nf):
                buf[i, j] = v[j]


@njit(cache=True, nogil=True)
def _group_filtfilt_sums(x, b0, b1, b2, a1, a2, need, sums):
    """Zero-phase filter ``x`` with a group of filters and record power suffix sums.

    float32 is precise enough for the filtering because, thanks to the
    multirate design, every filter runs at a rate where its centre
    frequency is 0.16-0.4 x the sample rate (pole radii <= 0.998); the
    sums are float64.

    Parameters
    ----------
    x : float32 (n,)
    b0, b1, b2, a1, a2 : float32 (nsec, nf), biquad coefficients per section and filter
    need : int64 (m,), sorted sample indices in [0, n]
    sums : float64 (m, nf), output: ``sum(z[need[k]:] ** 2)`` for every filter,
        ``z`` the forward-backward filtered signal
    """
    nf = b0.shape[1]
    n = x.size
    buf = np.empty((n, nf), np.float32)
    for i in range(n):
        for j in range(nf):
            buf[i, j] = x[i]
    _sos_pass(buf, b0, b1, b2, a1, a2, False, False)
    _sos_pass(buf, b0, b1, b2, a1, a2, True, True)
    acc = np.zeros(nf)
    k = need.size - 1
    while k >= 0 and need[k] >= n:
        sums[k, :] = 0.0
        k -= 1
    for i in range(n - 1, -1, -1):
        for j in range(nf):
            acc[j] += buf[i, j]
        while k >= 0 and need[k] == i:
            for j in range(nf):
                sums[k, j] = acc[j]
            k -= 1


@njit(cache=True, nogil=True)
def _halfband_decimate(x, h):
    """Lowpass with the half-band FIR ``h`` and keep every second sample.

    ``h`` has odd length ``4 q + 3`` and is zero at every even offset from
    its centre except the centre itself, so each output needs only the
    centre tap and the ``q + 1`` symmetric pairs of odd taps. Output sample
    ``m`` is centred on input sample ``2 m`` (zero phase).
    """
    n = x.size
    c = h.size // 2
    npair = (c + 1) // 2
    g = np.empty(npair, np.float32)
    for t in range(npair):
        g[t] = h[c + 2 * t + 1]
    hc = h[c]
    m = (n + 1) // 2
    out = np.zeros(m, np.float32)
    for i in range(m):
        centre = 2 * i
        acc = hc * x[centre]
        if centre - c >= 0 and centre + c < n:
            for t in range(npair):
                d = 2 * t + 1
                acc += g[t] * (x[centre - d] + x[centre + d])
        else:
            for t in range(npair):
                d = 2 * t + 1
                if centre - d >= 0:
                    acc += g[t] * x[centre - d]
                if centre + d < n:
                    acc += g[t] * x[centre + d]
        out[i] = acc
    return out


@lru_cache(maxsize=1)
def _halfband():
    """Half-band FIR for halving the rate: flat to 0.21 fs, >= 60 dB down from 0.29 fs (fs = input rate)."""
    h = signal.firwin(55, 0.5, window=("kaiser", 6.0))
    c = h.size // 2
    h[c + 2::2] = 0.0  # exact zeros at even offsets (they are ~1e-18 already)
    h[c - 2::-2] = 0.0
    return h.astype(np.float32)


def _coefficients(bank):
    return tuple(np.ascontiguousarray(bank[:, :, c].T, dtype=np.float32) for c in (0, 1, 2, 4, 5))


def _window_means(x, coefs, lo, hi, chunk: int = 1 << 18, overlap: int = 0):
    """Mean power of every filter output over the sample intervals [lo, hi) (fractional).

    ``x`` is processed in chunks of about ``chunk`` samples that overlap by
    ``overlap`` samples on each side (enough for the filters to ring in and
    out), so memory stays bounded for long recordings.

    Returns float64 (nf, len(lo)).
    """
    n = x.size
    nf = coefs[0].shape[1]
    N = lo.size
    out = np.zeros((nf, N))
    m0 = 0
    while m0 < N:
        # frames whose windows start within the next `chunk` samples
        m1 = int(np.searchsorted(lo, lo[m0] + chunk, side="left"))
        m1 = max(m1, m0 + 1)
        s = max(0, int(np.floor(lo[m0])) - overlap)
        e = min(n, int(np.ceil(hi[m1 - 1])) + 1 + overlap)
        if e <= s:
            m0 = m1
            continue
        a = np.clip(lo[m0:m1] - s, 0, e - s)
        b = np.clip(hi[m0:m1] - s, 0, e - s)
        ia = np.floor(a).astype(np.int64)
        ib = np.floor(b).astype(np.int64)
        m = m1 - m0
        idx = np.minimum(np.concatenate([ia, ia + 1, ib, ib + 1]), e - s)
        need, inv = np.unique(idx, return_inverse=True)
        sums = np.zeros((need.size, nf))
        _group_filtfilt_sums(x[s:e], *coefs, need, sums)
        S = sums[inv]  # suffix sums at floor and floor + 1 of both window ends
        fa = (a - ia)[:, None]
        fb_ = (b - ib)[:, None]
        Sa = S[:m] * (1 - fa) + S[m:2 * m] * fa
        Sb = S[2 * m:3 * m] * (1 - fb_) + S[3 * m:] * fb_
        width = np.maximum(b - a, 1e-12)
        out[:, m0:m1] = ((Sa - Sb) / width[:, None]).T
        m0 = m1
    return out


def pitch_features(y, sr: float, feature_rate: float = 50.0, window_seconds: float | None = None,
                   tuning_cents: float = 0.0, threads: int | None = None) -> np.ndarray:
    """Short-time mean power of the 88 piano pitches.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio (any sample rate >= about 1 kHz; pitches whose filters
        would reach Nyquist stay zero).
    sr : float
        Sample rate in Hz.
    feature_rate : float
        Frames per second; frame ``m`` is centred at ``m / feature_rate`` s.
    window_seconds : float, optional
        Averaging window (default ``2 / feature_rate``: half-overlapping
        windows, like the chroma toolbox's 4410 samples at 10 Hz).
    tuning_cents : float
        Shift of all centre frequencies (positive = sharper recording).
    threads : int, optional
        Octave groups run in this many threads (the numba kernels release
        the GIL). Default: ``min(2, os.cpu_count())``; 1 = no threads.

    Returns
    -------
    np.ndarray, shape (88, 1 + floor(len(y) / sr * feature_rate)), float32
        Row ``i`` is MIDI pitch ``21 + i``; values are mean squared
        amplitude of the band signal over the window (a full-scale sine in
        the pass band gives about 0.5).
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"y must be mono with shape (n_samples,), got shape {y.shape}")
    if not np.isfinite(sr) or sr <= 0:
        raise ValueError(f"sr must be a positive sample rate in Hz, got {sr!r}")
    rate = float(feature_rate)
    if not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"feature_rate must be a positive number of frames per second, got {feature_rate!r}")
    win = 2.0 / rate if window_seconds is None else float(window_seconds)
    if not np.isfinite(win) or win <= 0:
        raise ValueError(f"window_seconds must be > 0, got {window_seconds!r}")
    if not np.isfinite(tuning_cents) or abs(tuning_cents) > 100:
        raise ValueError(f"tuning_cents must be within [-100, 100], got {tuning_cents!r}")
    duration = y.size / sr
    N = 1 + int(np.floor(duration * rate + 1e-9))
    out = np.zeros((88, N), np.float64)
    if y.size == 0 or not np.any(y):
        return out.astype(np.float32)
    centres = np.arange(N) / rate
    groups = _bank(float(sr), round(float(tuning_cents), 2))
    if threads is None:
        threads = min(2, os.cpu_count() or 1)
    h = _halfband()

    def run(x, fs, rows, bank, pad):
        # zero padding so the filters can ring in and out
        xp = np.concatenate([np.zeros(pad, np.float32), x, np.zeros(pad, np.float32)])
        lo = (centres - win / 2) * fs + pad
        hi = (centres + win / 2) * fs + pad
        out[rows] = _window_means(xp, _coefficients(bank), lo, hi, overlap=pad)

    x = y
    level = 0
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=int(threads)) as pool:
            jobs = []
            for k, fs, rows, bank, pad in groups:
                while level < k:
                    x = _halfband_decimate(x, h)
                    level += 1
                jobs.append(pool.submit(run, x, fs, rows, bank, pad))
            for job in jobs:
                job.result()
    else:
        for k, fs, rows, bank, pad in groups:
            while level < k:
                x = _halfband_decimate(x, h)
                level += 1
            run(x, fs, rows, bank, pad)
    np.maximum(out, 0.0, out=out)
    return out.astype(np.float32)


def multirate_table(sr: float = 22050.0, tuning_cents: float = 0.0):
    """Which pitches are filtered at which sample rate.

    Returns
    -------
    list of dict with keys ``rate`` (Hz), ``first_pitch``, ``last_pitch``
    (MIDI), ``n_filters``, ``sections`` (biquads per filter),
    ``relative_freq`` ((min, max) centre frequency / rate).
    """
    rows = []
    for k, fs, r, bank, _ in _bank(float(sr), round(float(tuning_cents), 2)):
        f = pitch_frequency(PITCHES[r], tuning_cents)
        rows.append({"rate": fs, "first_pitch": int(PITCHES[r][0]), "last_pitch": int(PITCHES[r][-1]),
                     "n_filters": int(r.size), "sections": int(bank.shape[1]),
                     "relative_freq": (float(f.min() / fs), float(f.max() / fs))})
    return rows


def frequency_response(pitch: int, tuning_cents: float = 0.0, sr: float = 22050.0, n: int = 4096):
    """Magnitude response (zero-phase, i.e. squared) of one pitch filter, for plots.

    Returns
    -------
    freqs : np.ndarray, shape (n,), Hz (up to the Nyquist of the filter's rate)
    gain_db : np.ndarray, shape (n,), dB of the forward-backward response
    fs : float, the sample rate this pitch is filtered at
    """
    groups = _bank(float(sr), round(float(tuning_cents), 2))
    for k, fs, rows, bank, _ in groups:
        hit = np.flatnonzero(PITCHES[rows] == pitch)
        if hit.size:
            w, h = signal.sosfreqz(bank[hit[0]], worN=n, fs=fs)
            return w, 20 * np.log10(np.maximum(np.abs(h) ** 2, 1e-12)), fs
    raise ValueError(f"pitch must be a MIDI number in 21..108 below Nyquist of sr={sr}, got {pitch}")
