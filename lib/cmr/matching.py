"""Audio matching: find every passage of a database that sounds like a query.

This module is the code behind notebook 03 (``03_Audio_Matching.ipynb``).
The query and all database recordings are turned into chroma-based features
(CENS at a low feature rate, 1-10 frames per second); the query is then slid
over the database and compared frame by frame, which gives a *matching
curve*: one cost per database position, low where the database sounds like
the query. Local minima of that curve are the matches.

Pieces
------
:class:`Database`
    Feature sequences of many recordings, concatenated into one ``(12, N)``
    array, with the document boundaries, ids and optional metadata. Built
    once (:func:`build_database`, with a progress bar), cached on disk under
    :func:`cmr.paths.cache_dir`, saved and loaded as ``.npz``.
:func:`diagonal_matching`
    The query is compared along diagonals of the cost matrix (no warping),
    for a set of tempo factors (multiple scaling of the query) and
    optionally all 12 cyclic chroma shifts (transposition invariance); the
    curve is the minimum over all of them. A blocked numba kernel, no cost
    matrix is ever stored.
:func:`dtw_matching`
    Subsequence DTW per document: local tempo deviations are absorbed by
    warping instead of by scaling the query.
``normalize=True`` in :func:`diagonal_matching`
    Per-tempo cost normalisation: each tempo factor's costs are standardised
    over the database before the minimum, so factors whose curves scatter
    more do not win by chance.
:func:`crp_features`
    Timbre-reduced chroma (CRP), smoothed like CENS, for matching across
    instrumentations; :func:`example_database` offers both.
:func:`refine_matches`
    Start and end of diagonal matches re-estimated by subsequence DTW
    (tempo drift inside long passages).
:func:`select_matches`
    Iterative minimum picking with a neighbourhood exclusion and a threshold
    or a maximum number of matches; each match is a :class:`Match`
    ``(document, start s, end s, cost, ...)``.
:func:`evaluate_matches`, :func:`precision_at_r`
    Precision, recall and F-measure against ground-truth occurrences at a
    time tolerance, and precision at R (R = number of true occurrences).

Conventions
-----------
Feature sequences are ``(12, frames)`` float arrays with an explicit
``feature_rate`` (frames per second). Every frame is normalised to unit
Euclidean length (frames with almost no energy become the flat vector
``1/sqrt(12)``), so the local cost ``1 - <q, d>`` is the cosine distance and
lies in [0, 2] (in [0, 1] for non-negative features). The matching cost of a
passage is the mean local cost along its alignment.

Documents never merge: a match is always inside one document, the curve is
``inf`` at positions from which the (scaled) query would run past the end of
its document.

A tempo factor ``r`` means the database passage is ``r`` times *longer*
than the query (the database version is slower by that factor); the query is
resampled to ``round(r * M)`` frames. A shift ``s`` means the database
passage is the query transposed up by ``s`` semitones (the query's chroma
rotated by ``s`` bins).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from numba import njit

__all__ = [
    "DEFAULT_TEMPO_FACTORS",
    "Database",
    "Match",
    "MatchingCurve",
    "normalize_features",
    "cens_query_variants",
    "cens_features",
    "crp_features",
    "DEFAULT_CRP_REMOVE",
    "example_chroma",
    "example_database",
    "scale_tempo",
    "build_database",
    "diagonal_matching",
    "dtw_matching",
    "matching_curve",
    "select_matches",
    "match",
    "refine_matches",
    "REFINE_WEIGHTS",
    "evaluate_matches",
    "precision_at_r",
    "true_occurrences",
    "MatchEvaluation",
]

#: Tempo factors used by default: 0.66 ... 1.5, about 10 % apart, 1.0 included (9 values).
DEFAULT_TEMPO_FACTORS = (0.66, 0.73, 0.81, 0.9, 1.0, 1.1, 1.22, 1.36, 1.5)

_FLAT = np.float32(1.0 / np.sqrt(12.0))


# ---------------------------------------------------------------------------
# features
# ---------------------------------------------------------------------------

def _check_features(X, name: str, n_features: int | None = None, allow_empty: bool = False) -> np.ndarray:
    if isinstance(X, (str, bytes, Path)) or X is None:
        raise TypeError(f"{name}: expected a feature array of shape (features, frames), got {type(X).__name__}")
    X = np.asarray(X)
    if X.dtype == object or not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"{name}: expected a numeric feature array, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name}: expected shape (features, frames), got shape {X.shape}")
    if n_features is not None and X.shape[0] != n_features:
        raise ValueError(f"{name}: expected {n_features} feature rows (like the database), got shape {X.shape}")
    if X.shape[1] == 0 and not allow_empty:
        raise ValueError(f"{name}: expected at least one frame, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name}: contains NaN or inf values")
    return X


def normalize_features(X, threshold: float = 1e-4) -> np.ndarray:
    """Normalise every frame to unit Euclidean length.

    Parameters
    ----------
    X : np.ndarray, shape (K, N)
        Feature sequence (e.g. chroma or CENS).
    threshold : float
        Frames whose norm is below ``threshold`` (silence) are replaced by the
        flat unit vector ``1/sqrt(K)`` instead of being divided by ~0.

    Returns
    -------
    np.ndarray, shape (K, N), float32, C-contiguous
    """
    X = _check_features(X, "X", allow_empty=True).astype(np.float32)
    if X.shape[1] == 0:
        return np.ascontiguousarray(X)
    norms = np.sqrt(np.sum(X.astype(np.float64) ** 2, axis=0))
    out = np.empty_like(X)
    ok = norms >= threshold
    out[:, ok] = X[:, ok] / norms[ok].astype(np.float32)
    out[:, ~ok] = np.float32(1.0 / np.sqrt(X.shape[0]))
    return np.ascontiguousarray(out)


def scale_tempo(X, factor: float) -> np.ndarray:
    """Resample a feature sequence in time to ``round(factor * N)`` frames.

    Linear interpolation between neighbouring frames (the first and last
    frames are kept), followed by renormalisation.

    Parameters
    ----------
    X : np.ndarray, shape (K, N)
    factor : float > 0
        Length ratio new/old; ``factor = 1.5`` simulates a performance that
        is 1.5 times slower.

    Returns
    -------
    np.ndarray, shape (K, max(1, round(factor * N))), float32
    """
    X = _check_features(X, "X")
    factor = float(factor)
    if not np.isfinite(factor) or factor <= 0:
        raise ValueError(f"factor: expected a positive tempo factor, got {factor}")
    n = X.shape[1]
    n_new = max(1, int(round(factor * n)))
    if n == 1 or n_new == n:
        out = np.repeat(X[:, :1], n_new, axis=1) if n == 1 else X
        return normalize_features(out)
    pos = np.linspace(0.0, n - 1.0, n_new)
    left = np.floor(pos).astype(np.int64)
    left = np.minimum(left, n - 2)
    frac = (pos - left).astype(np.float32)
    Xf = X.astype(np.float32)
    out = Xf[:, left] * (1.0 - frac) + Xf[:, left + 1] * frac
    return normalize_features(out)


# ---------------------------------------------------------------------------
# the database
# ---------------------------------------------------------------------------

@dataclass
class Database:
    """Features of many recordings in one array, with document boundaries.

    Attributes
    ----------
    features : np.ndarray, shape (K, N), float32
        All documents' (normalised) features, concatenated in time.
    feature_rate : float
        Frames per second.
    doc_ids : list of str
        One id per document.
    offsets : np.ndarray, shape (n_docs + 1,), int64
        Document ``d`` occupies frames ``offsets[d]:offsets[d + 1]``.
    meta : list of dict
        Optional per-document metadata (piece, version, audio file, ...);
        JSON-serialisable.
    """

    features: np.ndarray
    feature_rate: float
    doc_ids: list
    offsets: np.ndarray
    meta: list = field(default_factory=list)

    def __post_init__(self):
        self.features = np.ascontiguousarray(self.features, dtype=np.float32)
        self.offsets = np.asarray(self.offsets, dtype=np.int64)
        self.doc_ids = [str(d) for d in self.doc_ids]
        if not self.meta:
            self.meta = [{} for _ in self.doc_ids]
        if self.features.ndim != 2:
            raise ValueError(f"features: expected shape (K, N), got {self.features.shape}")
        if len(self.offsets) != len(self.doc_ids) + 1 or self.offsets[0] != 0 \
                or self.offsets[-1] != self.features.shape[1] or np.any(np.diff(self.offsets) < 0):
            raise ValueError(f"offsets: expected {len(self.doc_ids) + 1} non-decreasing frame offsets from 0 "
                             f"to {self.features.shape[1]}, got {self.offsets.tolist()[:10]}...")
        if len(self.meta) != len(self.doc_ids):
            raise ValueError(f"meta: expected {len(self.doc_ids)} entries, got {len(self.meta)}")
        fr = float(self.feature_rate)
        if not np.isfinite(fr) or fr <= 0:
            raise ValueError(f"feature_rate: expected a positive number of frames per second, got {self.feature_rate}")
        self.feature_rate = fr
        self._remaining = None

    # -- construction -----------------------------------------------------
    @classmethod
    def from_features(cls, features: Sequence[np.ndarray], feature_rate: float,
                      doc_ids: Sequence | None = None, meta: Sequence[dict] | None = None,
                      normalize: bool = True) -> "Database":
        """Database from a list of ``(K, N_d)`` feature sequences (one per document).

        An empty list gives an empty database (matching it returns no matches).
        """
        features = list(features)
        if doc_ids is None:
            doc_ids = [str(i) for i in range(len(features))]
        doc_ids = [str(d) for d in doc_ids]
        if len(doc_ids) != len(features):
            raise ValueError(f"doc_ids: expected {len(features)} ids (one per feature sequence), got {len(doc_ids)}")
        if len(set(doc_ids)) != len(doc_ids):
            raise ValueError("doc_ids: ids must be unique")
        meta = [dict(m) for m in meta] if meta is not None else [{} for _ in features]
        if not features:
            return cls(np.zeros((12, 0), np.float32), feature_rate, [], np.zeros(1, np.int64), [])
        checked = []
        k = None
        for i, X in enumerate(features):
            X = _check_features(X, f"features[{i}] ({doc_ids[i]!r})", n_features=k, allow_empty=True)
            k = X.shape[0]
            checked.append(normalize_features(X) if normalize else X.astype(np.float32))
        lengths = [X.shape[1] for X in checked]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return cls(np.concatenate(checked, axis=1), feature_rate, doc_ids, offsets, meta)

    # -- basic properties ---------------------------------------------------
    @property
    def n_docs(self) -> int:
        return len(self.doc_ids)

    @property
    def n_frames(self) -> int:
        return int(self.features.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[0])

    @property
    def duration(self) -> float:
        """Total duration in seconds."""
        return self.n_frames / self.feature_rate

    def doc_lengths(self) -> np.ndarray:
        """Frames per document, shape (n_docs,)."""
        return np.diff(self.offsets)

    def doc_features(self, doc) -> np.ndarray:
        """Features ``(K, N_d)`` of one document (index or id)."""
        d = self.doc_index(doc)
        return self.features[:, self.offsets[d]:self.offsets[d + 1]]

    def doc_index(self, doc) -> int:
        """Document index from an index or an id."""
        if isinstance(doc, (int, np.integer)):
            if not 0 <= doc < self.n_docs:
                raise ValueError(f"doc: expected an index in [0, {self.n_docs}), got {doc}")
            return int(doc)
        try:
            return self.doc_ids.index(str(doc))
        except ValueError:
            raise ValueError(f"doc: no document with id {doc!r} (the database has {self.n_docs})") from None

    def locate(self, frames) -> tuple[np.ndarray, np.ndarray]:
        """Global frame indices -> (document index, frame inside the document)."""
        frames = np.asarray(frames, dtype=np.int64)
        docs = np.searchsorted(self.offsets, frames, side="right") - 1
        return docs, frames - self.offsets[docs]

    def remaining(self) -> np.ndarray:
        """For every global frame, the number of frames left in its document (itself included)."""
        if self._remaining is None or len(self._remaining) != self.n_frames:
            rem = np.empty(self.n_frames, np.int32)
            for d in range(self.n_docs):
                a, b = self.offsets[d], self.offsets[d + 1]
                rem[a:b] = np.arange(b - a, 0, -1, dtype=np.int32)
            self._remaining = rem
        return self._remaining

    def subset(self, docs: Iterable) -> "Database":
        """A new database holding only the given documents (indices or ids)."""
        idx = [self.doc_index(d) for d in docs]
        return Database.from_features([self.doc_features(d) for d in idx], self.feature_rate,
                                      [self.doc_ids[d] for d in idx], [self.meta[d] for d in idx],
                                      normalize=False)

    def __repr__(self) -> str:
        return (f"Database({self.n_docs} documents, {self.n_frames} frames x {self.n_features} features, "
                f"{self.feature_rate:g} Hz, {self.duration / 3600:.2f} h)")

    # -- persistence ----------------------------------------------------------
    def save(self, path, dtype=np.float32) -> Path:
        """Write the database to an ``.npz`` file (``dtype=np.float16`` halves the size)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, features=self.features.astype(dtype), feature_rate=self.feature_rate,
                            offsets=self.offsets, doc_ids=np.array(self.doc_ids, dtype=str),
                            meta=np.array(json.dumps(self.meta)))
        return path

    @classmethod
    def load(cls, path) -> "Database":
        """Read a database written by :meth:`save`; renormalises float16 features."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path: no database file at {path}")
        try:
            with np.load(path, allow_pickle=False) as z:
                feats = z["features"]
                fr = float(z["feature_rate"])
                offsets = z["offsets"]
                doc_ids = [str(s) for s in z["doc_ids"]]
                meta = json.loads(str(z["meta"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"path: {path} is not a matching database file ({exc})") from exc
        if feats.dtype != np.float32:
            feats = normalize_features(feats.astype(np.float32)) if feats.shape[1] else feats.astype(np.float32)
        return cls(feats, fr, doc_ids, offsets, meta)


#: Default CENS smoothing window in feature frames (window = this / feature_rate seconds).
DEFAULT_SMOOTH_FRAMES = 4.0


def _smooth_len(fr, smooth_seconds, base):
    if smooth_seconds is None:
        smooth_seconds = DEFAULT_SMOOTH_FRAMES / fr
    if not np.isfinite(smooth_seconds) or smooth_seconds < 0:
        raise ValueError(f"smooth_seconds: expected a non-negative duration, got {smooth_seconds!r}")
    return max(1, int(round(smooth_seconds * base)) | 1)


def _audio_feature_rates(feature_rate, smooth_seconds):
    """Check ``feature_rate`` (0, 50] Hz; return it, the base rate ``max(10, 5 * rate)`` and the smoothing length."""
    fr = float(feature_rate)
    if not np.isfinite(fr) or not 0 < fr <= 50:
        raise ValueError(f"feature_rate: expected a rate in (0, 50] Hz, got {feature_rate!r}")
    base = max(10.0, 5.0 * fr)
    return fr, base, _smooth_len(fr, smooth_seconds, base)


def cens_features(y, sr: float, feature_rate: float = 4.0, smooth_seconds: float | None = None,
                  tuning_cents: float | None = None) -> np.ndarray:
    """CENS features for matching: IIR-filterbank chroma, quantised, smoothed, downsampled.

    The chroma is computed at ``base = max(10, 5 * feature_rate)`` Hz with
    :func:`cmr.chroma.chroma_iir`, then :func:`cmr.chroma.cens` smooths it
    over ``smooth_seconds`` (Hann window; default ``4 / feature_rate`` s:
    the classic CENS 41/10 at 1 Hz, 1 s at the default 4 Hz) and resamples
    it to ``feature_rate``. On the rendered evaluation database
    (``benchmarks/eval_matching_quality.py``) 4 Hz with 0.5-1 s smoothing
    was clearly more specific than 1-2 Hz with 2-4 s smoothing: the pieces
    change harmony every beat or two, and heavy smoothing blurs exactly what
    distinguishes one chorale from the next.

    Parameters
    ----------
    y : np.ndarray, shape (n,), mono audio
    sr : float, Hz
    feature_rate : float, frames per second of the result
    smooth_seconds : float, optional, length of the smoothing window
    tuning_cents : float or None
        Tuning of the recording in cents; ``None`` estimates it (robust to
        versions tuned off A4 = 440 Hz).

    Returns
    -------
    np.ndarray, shape (12, N), float32, unit-norm frames at ``feature_rate``
    """
    from cmr import chroma as _chroma

    fr, base, smooth_len = _audio_feature_rates(feature_rate, smooth_seconds)
    C = _chroma.chroma_iir(y, sr, feature_rate=base, tuning_cents=tuning_cents, norm=None)
    X, _rate = _chroma.cens(C, base, smooth_len=smooth_len, target_rate=fr)
    return X


#: Number of low DCT coefficients (of 120) removed by :func:`crp_features` (the chroma toolbox's default).
DEFAULT_CRP_REMOVE = 55


def crp_features(y, sr: float, feature_rate: float = 4.0, smooth_seconds: float | None = None,
                 tuning_cents: float | None = None, n_remove: int = DEFAULT_CRP_REMOVE) -> np.ndarray:
    """Smoothed CRP features for matching across instrumentations.

    CRP (chroma DCT-reduced log pitch, Müller and Ewert 2010) takes the
    log-compressed energies of the 88 piano pitches, removes the slowly
    varying part along the pitch axis (the lowest ``n_remove`` DCT
    coefficients: the spectral envelope, i.e. mostly timbre) and folds the
    rest to chroma. Here they are computed from the IIR filterbank at
    ``base = max(10, 5 * feature_rate)`` Hz (:func:`cmr.chroma.crp`), then
    smoothed and downsampled exactly like :func:`cens_features` (Hann window
    of ``smooth_seconds``, default ``4 / feature_rate`` s; frames resampled
    to ``feature_rate``), and normalised to unit length. Values may be
    negative; the matching cost ``1 - <q, d>`` then lies in [0, 2].

    On the rendered evaluation database (``benchmarks/eval_matching_quality.py``,
    development pieces, 10 s queries, normalised diagonal matching) they
    found every true occurrence in the top R for 98.1 % of the queries
    against 86.5 % with CENS: the slow version is played by winds with
    reverb, whose strong upper partials move CENS away from the piano's.

    Parameters
    ----------
    y : np.ndarray, shape (n,), mono audio
    sr : float, Hz
    feature_rate : float, frames per second of the result
    smooth_seconds : float, optional, length of the smoothing window
    tuning_cents : float or None, tuning in cents (``None``: estimated)
    n_remove : int, low DCT coefficients removed (0..119)

    Returns
    -------
    np.ndarray, shape (12, N), float32, unit-norm frames at ``feature_rate``
    """
    from cmr import chroma as _chroma

    fr, base, smooth_len = _audio_feature_rates(feature_rate, smooth_seconds)
    P = _chroma.pitch_features(y, sr, feature_rate=base, tuning_cents=tuning_cents)
    C = _chroma.crp(P, n_remove=int(n_remove))
    return _resample_frames(_chroma.smooth(C, smooth_len=smooth_len, norm=None), base, fr)


def _resample_frames(S, rate, new_rate):
    """Pick the frames nearest to ``m / new_rate`` s (as :func:`cmr.chroma.cens` does) and normalise them."""
    from cmr import chroma as _chroma

    n = S.shape[1]
    m = _chroma.n_frames((n - 1) / rate, new_rate)
    idx = np.clip(np.round(np.arange(m) * (rate / new_rate)).astype(int), 0, n - 1)
    return normalize_features(S[:, idx])


#: Committed chroma of the example recordings (``scripts/build_matching_db.py``).
EXAMPLE_CHROMA_FILE = Path(__file__).resolve().parent / "data" / "matching_examples_chroma10hz.npz"
#: Its feature rate in Hz.
EXAMPLE_CHROMA_RATE = 10.0
#: Committed unsmoothed CRP features of the same recordings, same rate and order.
EXAMPLE_CRP_FILE = Path(__file__).resolve().parent / "data" / "matching_examples_crp10hz.npz"


def example_chroma() -> dict:
    """The committed 10 Hz IIR chroma of every example recording in ``audio/``.

    Returns
    -------
    dict with ``chroma`` (list of ``(12, N_d)`` float32 arrays, not normalised),
    ``feature_rate`` (10.0), ``ids`` ("piece/version"), ``pieces``,
    ``versions``, ``tuning_cents`` (estimated), ``durations`` (s).
    """
    path = EXAMPLE_CHROMA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"example chroma: {path} not found; run scripts/build_matching_db.py")
    with np.load(path, allow_pickle=False) as z:
        C = z["chroma"].astype(np.float32)
        lengths = z["lengths"]
        out = {"feature_rate": float(z["feature_rate"]), "ids": [str(s) for s in z["ids"]],
               "pieces": [str(s) for s in z["pieces"]], "versions": [str(s) for s in z["versions"]],
               "tuning_cents": z["tuning_cents"].astype(float).tolist(),
               "durations": z["durations"].astype(float).tolist()}
    offs = np.concatenate([[0], np.cumsum(lengths)])
    out["chroma"] = [C[:, offs[i]:offs[i + 1]] for i in range(len(lengths))]
    return out


def example_database(feature_rate: float = 4.0, smooth_seconds: float | None = None,
                     pieces: Sequence[str] | None = None, features: str = "cens") -> Database:
    """CENS (or CRP) database of the example recordings, from the committed 10 Hz chroma (or CRP).

    Parameters
    ----------
    feature_rate : float, Hz, at most 10
    smooth_seconds : float, optional, CENS smoothing window (default as in
        :func:`cens_features`)
    pieces : list of str, optional, only these pieces
    features : {"cens", "crp"}
        ``"crp"``: the committed 10 Hz CRP features (``EXAMPLE_CRP_FILE``),
        smoothed and resampled as in :func:`crp_features`.

    Returns
    -------
    Database
        ``doc_ids`` are ``"piece/version"``; ``meta`` holds ``piece``,
        ``version``, ``tuning_cents`` and ``duration`` (s).
    """
    from cmr import chroma as _chroma

    fr = float(feature_rate)
    if not np.isfinite(fr) or not 0 < fr <= EXAMPLE_CHROMA_RATE:
        raise ValueError(f"feature_rate: expected a rate in (0, {EXAMPLE_CHROMA_RATE:g}] Hz, got {feature_rate!r}")
    if features not in ("cens", "crp"):
        raise ValueError(f"features: expected 'cens' or 'crp', got {features!r}")
    smooth_len = _smooth_len(fr, smooth_seconds, EXAMPLE_CHROMA_RATE)
    ex = example_chroma()
    if features == "crp":
        if not EXAMPLE_CRP_FILE.is_file():
            raise FileNotFoundError(f"example CRP: {EXAMPLE_CRP_FILE} not found; run scripts/build_matching_db.py")
        with np.load(EXAMPLE_CRP_FILE, allow_pickle=False) as z:
            if [str(i) for i in z["ids"]] != ex["ids"]:
                raise ValueError(f"{EXAMPLE_CRP_FILE}: recordings differ from the chroma file's; run "
                                 "scripts/build_matching_db.py")
            allc = z["crp"].astype(np.float32)
        offs = np.concatenate([[0], np.cumsum([c.shape[1] for c in ex["chroma"]])])
        ex["chroma"] = [allc[:, offs[i]:offs[i + 1]] for i in range(len(ex["ids"]))]
    feats, ids, meta = [], [], []
    for C, i, p, v, t, dur in zip(ex["chroma"], ex["ids"], ex["pieces"], ex["versions"], ex["tuning_cents"],
                                  ex["durations"]):
        if pieces is not None and p not in pieces:
            continue
        if features == "crp":
            X = _resample_frames(_chroma.smooth(C, smooth_len=smooth_len, norm=None), EXAMPLE_CHROMA_RATE, fr)
        else:
            X, _ = _chroma.cens(C, EXAMPLE_CHROMA_RATE, smooth_len=smooth_len, target_rate=fr)
        feats.append(X)
        ids.append(i)
        meta.append({"piece": p, "version": v, "tuning_cents": t, "duration": dur})
    return Database.from_features(feats, fr, ids, meta)


def build_database(items, feature_rate: float = 4.0, feature_fn: Callable | None = None,
                   name: str | None = None, progress: bool = True, cache: bool = True,
                   rebuild: bool = False, feature_key: str | None = None) -> Database:
    """Compute features of many recordings once and collect them in a :class:`Database`.

    Parameters
    ----------
    items : iterable of dict
        One per recording, with ``"id"`` (unique str) and either ``"audio"``
        (a path, loaded with :func:`cmr.audio.load` at 22050 Hz) or ``"y"`` and ``"sr"`` (samples). Other keys are kept as the
        document's metadata (JSON-serialisable values only).
    feature_rate : float
        Feature rate of the database in Hz (1-10 is typical for matching).
    feature_fn : callable ``(y, sr) -> np.ndarray (12, N)``, optional
        Feature extractor whose output has ``feature_rate`` frames per
        second; default: :func:`cens_features` at ``feature_rate``.
    feature_key : str, optional
        Describes a custom ``feature_fn`` and its parameters in the cache key
        (default: its module and name; give it when parameters change).
    name : str, optional
        Cache name. With ``cache=True`` the database is stored as
        ``cmr.paths.cache_dir("matching")/<name>-<hash>.npz`` (the hash covers
        the item ids, the feature rate and the extractor's name) and loaded
        from there on the next call.
    progress : bool
        Show a tqdm progress bar over the recordings.
    rebuild : bool
        Ignore an existing cache file.
    """
    items = list(items)
    fr = float(feature_rate)
    if not np.isfinite(fr) or fr <= 0:
        raise ValueError(f"feature_rate: expected a positive number of frames per second, got {feature_rate}")
    for i, it in enumerate(items):
        if not isinstance(it, dict) or "id" not in it or not ("audio" in it or ("y" in it and "sr" in it)):
            raise ValueError(f"items[{i}]: expected a dict with 'id' and 'audio' (path) or 'y' and 'sr', got {it!r:.80}")
    if feature_fn is None:
        def fn(y, sr):
            return cens_features(y, sr, feature_rate=fr)
        fn_key = f"cmr.matching.cens_features(feature_rate={fr})"
    else:
        fn = feature_fn
        fn_key = feature_key or f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    path = None
    if cache and name:
        from cmr.paths import cache_dir
        key = json.dumps([[str(it["id"]), str(it.get("audio", ""))] for it in items] + [fr, fn_key])
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        path = cache_dir("matching") / f"{name}-{digest}.npz"
        if path.is_file() and not rebuild:
            return Database.load(path)
    feats, ids, meta = [], [], []
    iterator = items
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(items, desc=f"features ({name or 'database'})", unit="rec")
    for it in iterator:
        if "y" in it:
            y, sr = np.asarray(it["y"], np.float32), int(it["sr"])
        else:
            y, sr = _load_audio(it["audio"])
        feats.append(fn(y, sr))
        ids.append(str(it["id"]))
        meta.append({k: v for k, v in it.items() if k not in ("y", "sr")})
    db = Database.from_features(feats, fr, ids, meta)
    if path is not None:
        db.save(path)
    return db


def _load_audio(path, sr: int = 22050):
    from cmr.audio import load

    return load(path, sr=sr), sr


# ---------------------------------------------------------------------------
# diagonal matching
# ---------------------------------------------------------------------------

@njit(cache=True, fastmath=True, nogil=True)
def _diag_kernel(D, remaining, Qsh, var_shift, var_len, var_off, left, w0, w1, block, out_cost, out_var,
                 var_scale, var_offset, block_stride, do_stats, st_sum, st_sq, st_n):
    """Minimum over query variants of the mean diagonal cost, per start frame.

    Parameters (all arrays C-contiguous)
    D : (K, N) float32, the database; remaining : (N,) int32, frames left in
    each frame's document; Qsh : (n_shift, R, K) float32, the chroma-shifted
    unscaled query frames (rows 0..M-1) plus, as row M, the flat vector used
    for frames whose interpolation vanishes; variant v uses shift
    var_shift[v] and has var_len[v] frames, described in
    [var_off[v], var_off[v] + var_len[v]) of left (int64), w0, w1 (float32):
    scaled frame j = w0 * Q[left] + w1 * Q[left + 1], with the normalisation
    and the 1/L of the mean already folded into w0, w1.

    Scaling is linear interpolation, so every dot product of a scaled query
    frame with a database frame is a weighted sum of two entries of the
    unscaled similarity block S = Q D (computed once per block and shift):
    the cost per database frame does not grow with the 12 feature
    dimensions for each tempo factor.

    Each variant's cost c (clipped at 0) is mapped to
    ``var_scale[v] * c + var_offset[v]`` before the minimum over variants
    (1 and 0 leave it unchanged; see ``normalize`` in
    :func:`diagonal_matching`).

    Writes out_cost (N,) float32 (inf where no variant fits) and out_var
    (N,) int16 (argmin variant, -1 where none fits). With ``do_stats`` only
    every ``block_stride``-th block is visited and, instead of the curve,
    the sum, sum of squares and count of every variant's raw cost over the
    visited positions are accumulated into st_sum, st_sq, st_n (float64).
    """
    K, N = D.shape
    n_shift, R, _ = Qsh.shape
    n_var = var_len.shape[0]
    lmax = 0
    for v in range(n_var):
        lmax = max(lmax, var_len[v])
    W = block + lmax
    S = np.empty((R, W), np.float32)
    acc = np.empty(block, np.float32)
    for i in range(N):
        out_cost[i] = np.inf
        out_var[i] = -1
    for b0 in range(0, N, block):
        if (b0 // block) % block_stride != 0:
            continue
        nb = min(block, N - b0)
        w = min(W, N - b0)
        rmax = 0
        for n in range(nb):
            rmax = max(rmax, remaining[b0 + n])
        for s in range(n_shift):
            needed = False
            for v in range(n_var):
                if var_shift[v] == s and var_len[v] <= rmax:
                    needed = True
            if not needed:
                continue
            # similarity of every (shifted) query frame with the block's frames
            for r in range(R):
                Sr = S[r, :w]
                for c in range(w):
                    Sr[c] = 0.0
                for k in range(K):
                    q = Qsh[s, r, k]
                    Dk = D[k, b0:b0 + w]
                    for c in range(w):
                        Sr[c] += q * Dk[c]
            for v in range(n_var):
                L = var_len[v]
                if var_shift[v] != s or L > rmax:
                    continue
                accv = acc[:nb]
                for n in range(nb):
                    accv[n] = 0.0
                for j in range(L):
                    lim = min(nb, w - j)
                    if lim <= 0:
                        break
                    idx = var_off[v] + j
                    a0 = w0[idx]
                    a1 = w1[idx]
                    r0 = S[left[idx], j:j + lim]
                    if a1 == 0.0:
                        for n in range(lim):
                            accv[n] += a0 * r0[n]
                    else:
                        r1 = S[left[idx] + 1, j:j + lim]
                        for n in range(lim):
                            accv[n] += a0 * r0[n] + a1 * r1[n]
                if do_stats:
                    t1 = 0.0
                    t2 = 0.0
                    tn = 0.0
                    for n in range(nb):
                        if remaining[b0 + n] >= L:
                            c = np.float32(1.0) - accv[n]
                            if c < 0.0:
                                c = np.float32(0.0)
                            t1 += c
                            t2 += np.float64(c) * c
                            tn += 1.0
                    st_sum[v] += t1
                    st_sq[v] += t2
                    st_n[v] += tn
                    continue
                a_v = var_scale[v]
                b_v = var_offset[v]
                for n in range(nb):
                    if remaining[b0 + n] >= L:
                        c = np.float32(1.0) - accv[n]
                        if c < 0.0:
                            c = np.float32(0.0)
                        c = a_v * c + b_v
                        if c < out_cost[b0 + n]:
                            out_cost[b0 + n] = c
                            out_var[b0 + n] = v


@njit(cache=True, fastmath=True, nogil=True)
def _diag_kernel_direct(D, remaining, Q, q_off, q_len, block, out_cost, out_var):
    """Like :func:`_diag_kernel`, for arbitrary query variants given frame by frame.

    Q : (K, total) float32, all variants side by side (variant v in columns
    q_off[v] : q_off[v] + q_len[v]), each column already divided by the
    variant's length, so the accumulated dot products are the mean
    similarity. Cost per database frame: K * sum(q_len) multiply-adds.
    """
    K, N = D.shape
    n_var = q_len.shape[0]
    acc = np.empty(block, np.float32)
    for i in range(N):
        out_cost[i] = np.inf
        out_var[i] = -1
    for b0 in range(0, N, block):
        nb = min(block, N - b0)
        rmax = 0
        for n in range(nb):
            rmax = max(rmax, remaining[b0 + n])
        for v in range(n_var):
            L = q_len[v]
            if L > rmax:
                continue
            accv = acc[:nb]
            for n in range(nb):
                accv[n] = 0.0
            for m in range(L):
                lim = min(nb, N - b0 - m)
                if lim <= 0:
                    break
                for k in range(K):
                    q = Q[k, q_off[v] + m]
                    Dk = D[k, b0 + m:b0 + m + lim]
                    for n in range(lim):
                        accv[n] += q * Dk[n]
            for n in range(nb):
                if remaining[b0 + n] >= L:
                    c = np.float32(1.0) - accv[n]
                    if c < 0.0:
                        c = np.float32(0.0)
                    if c < out_cost[b0 + n]:
                        out_cost[b0 + n] = c
                        out_var[b0 + n] = v


def cens_query_variants(C, chroma_rate: float, feature_rate: float, tempo_factors,
                        smooth_seconds: float | None = None) -> list:
    """Tempo-scaled CENS queries computed from the query's chroma (multiple resolutions).

    Instead of resampling finished CENS features, each tempo factor ``r``
    gets its own CENS: smoothing window ``smooth_seconds / r`` and feature
    rate ``r * feature_rate``. A passage played ``r`` times slower in the
    database then sees query frames that cover the same *music* as its own
    frames (the idea of Müller, Kurth and Clausen 2005, who varied the CENS
    window and downsampling factor per tempo).

    Parameters
    ----------
    C : np.ndarray, shape (12, N), the query's chroma (any normalisation)
    chroma_rate : float, Hz, frames per second of ``C`` (>= ``max(r) * feature_rate``)
    feature_rate : float, Hz, the database's feature rate
    tempo_factors : sequence of float
    smooth_seconds : float, optional, the database's CENS window (default as
        :func:`cens_features`)

    Returns
    -------
    list of (r, np.ndarray (12, M_r)) for :func:`diagonal_matching`'s ``query_variants``
    """
    from cmr import chroma as _chroma

    tf = _tempo_set(tempo_factors)
    fr = float(feature_rate)
    if max(tf) * fr > chroma_rate * (1 + 1e-9):
        raise ValueError(f"chroma_rate: {chroma_rate} Hz is too low for tempo factor {max(tf)} at "
                         f"{fr} Hz (needs >= {max(tf) * fr} Hz)")
    if smooth_seconds is None:
        smooth_seconds = DEFAULT_SMOOTH_FRAMES / fr
    out = []
    for r in tf:
        L = max(1, int(round(smooth_seconds / r * chroma_rate)) | 1)
        X, _ = _chroma.cens(C, chroma_rate, smooth_len=L, target_rate=fr * r)
        out.append((r, X))
    return out


def _interpolation_plan(qn, tempo_factors, threshold=1e-4):
    """Per tempo factor: left indices and weights reproducing :func:`scale_tempo`.

    Returns lists (lengths, left, w0, w1) over the factors; weights include
    the renormalisation of each interpolated frame and the 1/L of the mean.
    Frames whose interpolation has (almost) no energy point at the flat row
    (index M) with weight 1/L, as :func:`normalize_features` makes them flat.
    """
    K, M = qn.shape
    lengths, lefts, w0s, w1s = [], [], [], []
    for r in tempo_factors:
        L = max(1, int(round(r * M)))
        if M == 1:
            left = np.zeros(L, np.int64)
            frac = np.zeros(L)
        elif L == M:
            left = np.arange(M, dtype=np.int64)
            frac = np.zeros(L)
        else:
            pos = np.linspace(0.0, M - 1.0, L)
            left = np.minimum(np.floor(pos).astype(np.int64), M - 2)
            frac = pos - left
        nxt = np.minimum(left + 1, M - 1)
        a0 = (1.0 - frac).astype(np.float32)
        a1 = frac.astype(np.float32)
        vec = qn[:, left] * a0 + qn[:, nxt] * a1  # float32, as scale_tempo computes it
        norms = np.sqrt(np.sum(vec.astype(np.float64) ** 2, axis=0))
        flat = norms < threshold
        norms[flat] = 1.0
        w0 = (a0 / norms / L).astype(np.float32)
        w1 = (a1 / norms / L).astype(np.float32)
        left = left.copy()
        left[flat] = M
        w0[flat] = np.float32(1.0 / L)
        w1[flat] = 0.0
        w1[(a1 == 0)] = 0.0
        lengths.append(L)
        lefts.append(left)
        w0s.append(w0)
        w1s.append(w1)
    return lengths, lefts, w0s, w1s


@dataclass
class MatchingCurve:
    """A matching curve over a database, with what produced each value.

    Attributes
    ----------
    cost : np.ndarray, shape (N,), float32
        Matching cost per database frame (``inf`` where no match can lie).
    anchor : {"start", "end"}
        Whether ``cost[i]`` belongs to a match that *starts* at frame ``i``
        (diagonal matching) or *ends* there (DTW matching).
    other : np.ndarray, shape (N,), int64
        The other end of the best match at each frame: its end frame
        (exclusive) for ``anchor="start"``, its start frame for ``anchor="end"``
        (``-1`` where unknown; :func:`select_matches` fills it in for DTW curves).
    tempo : np.ndarray, shape (N,), float64
        Tempo factor of the best variant (nan where not applicable).
    shift : np.ndarray, shape (N,), int8
        Chroma shift of the best variant (0 without transposition invariance).
    db : Database
    query_frames : int
        Length of the (unscaled) query in frames.
    method : str
    details : dict
        Method specific extras (e.g. the per-variant curves when requested).
    """

    cost: np.ndarray
    anchor: str
    other: np.ndarray
    tempo: np.ndarray
    shift: np.ndarray
    db: Database
    query_frames: int
    method: str
    details: dict = field(default_factory=dict)

    @property
    def times(self) -> np.ndarray:
        """Global time axis (s) of the curve (documents one after another)."""
        return np.arange(len(self.cost)) / self.db.feature_rate

    def doc_curve(self, doc) -> tuple[np.ndarray, np.ndarray]:
        """``(times in s, cost)`` of one document's part of the curve."""
        d = self.db.doc_index(doc)
        a, b = self.db.offsets[d], self.db.offsets[d + 1]
        return np.arange(b - a) / self.db.feature_rate, self.cost[a:b]


def _check_query_db(query, db):
    if not isinstance(db, Database):
        raise TypeError(f"db: expected a cmr.matching.Database, got {type(db).__name__}")
    k = db.n_features if db.n_frames else None
    return _check_features(query, "query", n_features=k)


def _tempo_set(tempo_factors):
    if tempo_factors is None:
        tempo_factors = (1.0,)
    tf = np.atleast_1d(np.asarray(tempo_factors, dtype=np.float64))
    if tf.ndim != 1 or tf.size == 0 or not np.all(np.isfinite(tf)) or np.any(tf <= 0):
        raise ValueError(f"tempo_factors: expected a non-empty list of positive factors, got {tempo_factors!r}")
    return [float(t) for t in tf]


def _shift_set(transposition_invariant, shifts):
    if shifts is not None:
        sh = [int(s) % 12 for s in np.atleast_1d(shifts)]
        if not sh:
            raise ValueError("shifts: expected at least one chroma shift")
        return sh
    return list(range(12)) if transposition_invariant else [0]


def _empty_curve(db, query_frames, method, anchor):
    z = np.zeros(0, np.float32)
    return MatchingCurve(z, anchor, np.zeros(0, np.int64), z.copy(), np.zeros(0, np.int8), db, query_frames, method)


def diagonal_matching(query, db: Database, tempo_factors=(1.0,), transposition_invariant: bool = False,
                      shifts=None, block: int = 2048, return_variants: bool = False,
                      query_variants=None, normalize: bool = False,
                      normalize_sample: int = 65536) -> MatchingCurve:
    """Diagonal matching curve of a query over a database.

    .. math::

        \\Delta(n) = \\min_{r,s}\\; \\frac{1}{M_r}\\sum_{m=0}^{M_r-1}
        \\bigl(1 - \\langle \\sigma^s Q_r(m), D(n+m)\\rangle\\bigr)

    where :math:`Q_r` is the query resampled to :math:`M_r = \\mathrm{round}(rM)`
    frames and :math:`\\sigma^s` rotates the chroma by ``s`` bins.

    Raw costs of different tempo factors are not equally trustworthy: a
    query squeezed to few frames (small ``r``) averages fewer local costs,
    so its curve scatters more and its deepest minima are deeper, also at
    unrelated passages. With ``normalize=True`` every tempo factor's cost
    is standardised against its own distribution over the database (mean
    :math:`\\mu_r` and standard deviation :math:`\\sigma_r` over all
    positions and shifts) and put on the scale of the reference factor
    :math:`r_0` (the one closest to 1) before the minimum is taken:

    .. math::

        \\tilde c_r = \\mu_{r_0} + \\frac{\\sigma_{r_0}}{\\sigma_r}\\,(c_r - \\mu_r)

    so the reference factor's costs are unchanged and a match of another
    factor wins only if it is as unusual *for its factor*. On the rendered
    evaluation database this raised the share of queries with every true
    occurrence in the top R on the development pieces from 80.8 to 86.5 %
    (10 s queries) and from 88.0 to 90.0 % (12 s) (see
    ``benchmarks/eval_matching_quality.py``).

    Parameters
    ----------
    query : np.ndarray, shape (K, M)
        Query features at the database's feature rate (normalised here).
    db : Database
    tempo_factors : sequence of float
        Scalings of the query (``DEFAULT_TEMPO_FACTORS`` covers 0.66-1.5).
    transposition_invariant : bool
        Also minimise over the 12 cyclic chroma shifts of the query.
    shifts : sequence of int, optional
        Explicit chroma shifts (overrides ``transposition_invariant``).
    block : int
        Database frames per kernel block (cache size tuning).
    return_variants : bool
        Also return every variant's curve in ``details["variant_curves"]``
        (shape ``(n_variants, N)``; memory grows with the database).
    query_variants : list of (tempo factor, np.ndarray (K, M_r)), optional
        Explicitly scaled queries (e.g. from :func:`cens_query_variants`)
        used instead of resampling ``query``; ``tempo_factors`` is then
        ignored. Slower kernel: its work grows with K.
    normalize : bool
        Standardise each tempo factor's costs as described above. Normalised
        costs may fall slightly below 0 (factors other than the reference);
        the raw mean cost of the chosen variant is in ``details["raw_cost"]``
        and the statistics in ``details["tempo_stats"]`` (factor -> (mean,
        std, number of positions)). Not available with ``query_variants``.
    normalize_sample : int
        Database frames used to estimate the statistics: evenly spaced
        blocks of about this many frames in all (the whole database when it
        is smaller). Costs about ``normalize_sample / N`` of an extra pass.

    Returns
    -------
    MatchingCurve
        ``anchor="start"``; ``other`` holds each match's end frame (exclusive).

    Raises
    ------
    ValueError
        If the query has the wrong shape or non-finite values, or if every
        scaled query is longer than the longest document (no match possible).
    """
    query = _check_query_db(query, db)
    tf = _tempo_set(tempo_factors)
    sh = _shift_set(transposition_invariant, shifts)
    M = query.shape[1]
    if db.n_frames == 0:
        return _empty_curve(db, M, "diagonal", "start")
    if query_variants is not None:
        if normalize:
            raise ValueError("normalize: tempo normalisation is not available with query_variants")
        return _diagonal_direct(query, db, query_variants, sh, block, return_variants)
    sample = int(normalize_sample)
    if normalize and sample < 1:
        raise ValueError(f"normalize_sample: expected a positive number of frames, got {normalize_sample!r}")
    qn = normalize_features(query)
    lengths, lefts, w0s, w1s = _interpolation_plan(qn, tf)
    q_len = np.array([L for _s in sh for L in lengths], np.int64)
    vmeta = [(r, s) for s in sh for r in tf]
    longest = int(db.doc_lengths().max())
    if q_len.min() > longest:
        raise ValueError(f"query: {M} frames ({M / db.feature_rate:.1f} s), at least {q_len.min()} after tempo "
                         f"scaling, is longer than the longest document ({longest} frames, "
                         f"{longest / db.feature_rate:.1f} s); shorten the query or allow smaller tempo factors")
    K = qn.shape[0]
    flat = np.full((K, 1), 1.0 / np.sqrt(K), np.float32)
    Qsh = np.ascontiguousarray(np.stack([np.concatenate([np.roll(qn, s, axis=0), flat], axis=1).T for s in sh]),
                               dtype=np.float32)
    n_t = len(tf)
    var_shift = np.repeat(np.arange(len(sh), dtype=np.int64), n_t)
    var_off = np.concatenate([[0], np.cumsum(q_len)[:-1]]).astype(np.int64)
    left = np.concatenate(lefts * len(sh)).astype(np.int64)
    w0 = np.concatenate(w0s * len(sh)).astype(np.float32)
    w1 = np.concatenate(w1s * len(sh)).astype(np.float32)
    rem = db.remaining()
    block = int(max(64, block))
    n_var = len(q_len)
    scale = np.ones(n_var, np.float32)
    offset = np.zeros(n_var, np.float32)
    details = {"variants": vmeta, "variant_lengths": q_len}
    if normalize:
        scale, offset, details["tempo_stats"] = _tempo_normalization(
            db, rem, Qsh, var_shift, q_len, var_off, left, w0, w1, block, tf, sample)

    def run(sel, cost, var, stride=1, stats=None):
        st = stats if stats is not None else (np.zeros(1), np.zeros(1), np.zeros(1))
        _diag_kernel(db.features, rem, Qsh, var_shift[sel], q_len[sel], var_off[sel], left, w0, w1,
                     block, cost, var, scale[sel], offset[sel], stride, stats is not None, *st)

    if return_variants:
        curves = np.empty((n_var, db.n_frames), np.float32)
        vv = np.empty(db.n_frames, np.int16)
        for i in range(n_var):
            run(slice(i, i + 1), curves[i], vv)
    cost = np.empty(db.n_frames, np.float32)
    var = np.empty(db.n_frames, np.int16)
    run(slice(None), cost, var)
    details["variant_index"] = var
    if normalize:
        with np.errstate(invalid="ignore"):  # inf - offset where no variant fits stays inf
            details["raw_cost"] = (cost - offset[var]) / scale[var]
    if return_variants:
        details["variant_curves"] = curves
    return _finish_curve(db, cost, var, vmeta, q_len, M, details)


def _tempo_normalization(db, rem, Qsh, var_shift, q_len, var_off, left, w0, w1, block, tf, sample):
    """Per-variant scale and offset that standardise each tempo factor's costs (see diagonal_matching).

    The mean and standard deviation of the raw costs of every tempo factor
    (pooled over the chroma shifts) are estimated on evenly spaced database
    blocks (about ``sample`` frames); a factor seen at fewer than 100
    positions there gets its statistics from the whole database.
    """
    n_var = len(q_len)
    n_t = len(tf)
    n_blocks = -(-db.n_frames // block)
    stride = max(1, n_blocks // max(1, -(-sample // block)))
    dummy_c = np.empty(db.n_frames, np.float32)
    dummy_v = np.empty(db.n_frames, np.int16)
    ones = np.ones(n_var, np.float32)
    zeros = np.zeros(n_var, np.float32)

    def stats(stride):
        st = (np.zeros(n_var), np.zeros(n_var), np.zeros(n_var))
        _diag_kernel(db.features, rem, Qsh, var_shift, q_len, var_off, left, w0, w1, block, dummy_c, dummy_v,
                     ones, zeros, stride, True, *st)
        # pool the shifts of each tempo factor (variants are ordered shift-major)
        return [a.reshape(-1, n_t).sum(axis=0) for a in st]

    s1, s2, cnt = stats(stride)
    if stride > 1 and np.any((cnt < 100) & (q_len[:n_t] <= rem.max())):
        s1, s2, cnt = stats(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(cnt > 0, s1 / np.maximum(cnt, 1), 0.0)
        sd = np.sqrt(np.maximum(np.where(cnt > 1, s2 / np.maximum(cnt, 1) - mu ** 2, 0.0), 0.0))
    valid = (cnt > 1) & (sd > 1e-6)
    scale_t = np.ones(n_t)
    offset_t = np.zeros(n_t)
    if np.any(valid):
        cand = np.nonzero(valid)[0]
        ref = cand[np.argmin(np.abs(np.log(np.asarray(tf)[cand])))]
        scale_t[valid] = sd[ref] / sd[valid]
        offset_t[valid] = mu[ref] - scale_t[valid] * mu[valid]
    n_shift = n_var // n_t
    info = {float(r): (float(mu[i]), float(sd[i]), int(cnt[i])) for i, r in enumerate(tf)}
    return (np.tile(scale_t, n_shift).astype(np.float32), np.tile(offset_t, n_shift).astype(np.float32), info)


def _diagonal_direct(query, db, query_variants, sh, block, return_variants):
    M = query.shape[1]
    variants, vmeta = [], []
    for s in sh:
        for i, item in enumerate(query_variants):
            try:
                r, X = item
            except (TypeError, ValueError):
                raise TypeError(f"query_variants[{i}]: expected a (tempo factor, features) pair") from None
            X = _check_features(X, f"query_variants[{i}]", n_features=db.n_features)
            variants.append(np.roll(normalize_features(X), int(s), axis=0))
            vmeta.append((float(r), int(s)))
    if not variants:
        raise ValueError("query_variants: expected at least one (tempo factor, features) pair")
    q_len = np.array([v.shape[1] for v in variants], np.int64)
    longest = int(db.doc_lengths().max())
    if q_len.min() > longest:
        raise ValueError(f"query_variants: the shortest variant ({q_len.min()} frames) is longer than the longest "
                         f"document ({longest} frames)")
    q_off = np.concatenate([[0], np.cumsum(q_len)[:-1]]).astype(np.int64)
    Q = np.ascontiguousarray(np.concatenate([v / v.shape[1] for v in variants], axis=1), dtype=np.float32)
    rem = db.remaining()
    block = int(max(64, block))
    details = {"variants": vmeta, "variant_lengths": q_len}
    if return_variants:
        curves = np.empty((len(q_len), db.n_frames), np.float32)
        vv = np.empty(db.n_frames, np.int16)
        for i in range(len(q_len)):
            _diag_kernel_direct(db.features, rem, Q, q_off[i:i + 1].copy(), q_len[i:i + 1].copy(), block,
                                curves[i], vv)
        details["variant_curves"] = curves
    cost = np.empty(db.n_frames, np.float32)
    var = np.empty(db.n_frames, np.int16)
    _diag_kernel_direct(db.features, rem, Q, q_off, q_len, block, cost, var)
    details["variant_index"] = var
    return _finish_curve(db, cost, var, vmeta, q_len, M, details)


def _finish_curve(db, cost, var, vmeta, q_len, M, details):
    ok = var >= 0
    vmeta_arr = np.array(vmeta, dtype=np.float64).reshape(-1, 2)
    tempo = np.full(db.n_frames, np.nan, np.float64)
    shift = np.zeros(db.n_frames, np.int8)
    other = np.full(db.n_frames, -1, np.int64)
    tempo[ok] = vmeta_arr[var[ok], 0]
    shift[ok] = vmeta_arr[var[ok], 1].astype(np.int8)
    other[ok] = np.nonzero(ok)[0] + q_len[var[ok]]
    return MatchingCurve(cost, "start", other, tempo, shift, db, M, "diagonal", details)


# ---------------------------------------------------------------------------
# DTW-based matching
# ---------------------------------------------------------------------------

def dtw_matching(query, db: Database, transposition_invariant: bool = False, shifts=None,
                 step_sizes=None, weights=None) -> MatchingCurve:
    """Subsequence-DTW matching curve of a query over a database.

    Every document is aligned separately with :func:`cmr.dtw.subsequence_dtw`
    (cosine cost), so no match can run across a document boundary. The curve
    at frame ``b`` is the accumulated cost of the best alignment of the whole
    query that ends at ``b``, divided by the query length ``M``: local tempo
    changes are absorbed by the warping path instead of by scaled copies of
    the query.

    Parameters
    ----------
    query : np.ndarray, shape (K, M)
    db : Database
    transposition_invariant, shifts
        As in :func:`diagonal_matching`.
    step_sizes, weights
        Step sizes ``(query frames, database frames)`` and weights of the
        DTW; default ``cmr.dtw.STEPS_TEMPO`` = ``((1, 1), (2, 1), (1, 2))``,
        which allows local tempo ratios between 1/2 and 2, with weights
        ``(1, 2, 1)``: a step weighs as many query frames as it advances, so
        every path sums (about) ``M`` local costs. With unit weights a path
        that skips query frames with ``(2, 1)`` sums fewer costs and looks
        cheaper, which favours spurious matches twice as fast as the query.

    Returns
    -------
    MatchingCurve
        ``anchor="end"``; ``other`` is filled with the start frame of each
        selected match by :func:`select_matches` (by backtracking).

    Raises
    ------
    ValueError
        If the query is longer than every document.
    """
    from cmr import dtw as _dtw

    query = _check_query_db(query, db)
    sh = _shift_set(transposition_invariant, shifts)
    if step_sizes is None:
        step_sizes = _dtw.STEPS_TEMPO
        if weights is None:
            weights = (1.0, 2.0, 1.0)
    M = query.shape[1]
    if db.n_frames == 0:
        return _empty_curve(db, M, "dtw", "end")
    lengths = db.doc_lengths()
    if lengths.max() < M:
        raise ValueError(f"query: {M} frames ({M / db.feature_rate:.1f} s) is longer than the longest document "
                         f"({lengths.max()} frames, {lengths.max() / db.feature_rate:.1f} s)")
    qn = normalize_features(query)
    cost = np.full(db.n_frames, np.inf, np.float32)
    shift = np.zeros(db.n_frames, np.int8)
    best_res = np.full(db.n_frames, -1, np.int32)
    results = []
    for s in sh:
        Qs = np.ascontiguousarray(np.roll(qn, s, axis=0))
        for d in range(db.n_docs):
            a, b = db.offsets[d], db.offsets[d + 1]
            if b - a < M:
                continue
            try:
                res = _dtw.subsequence_dtw(Qs, db.features[:, a:b], metric="cosine", step_sizes=step_sizes,
                                           weights=weights)
            except ValueError as exc:
                if "cannot be aligned" in str(exc):  # document too short for these step sizes
                    continue
                raise
            delta = (np.asarray(res.Delta, np.float64) / M).astype(np.float32)
            better = delta < cost[a:b]
            cost[a:b][better] = delta[better]
            shift[a:b][better] = s
            best_res[a:b][better] = len(results)
            results.append((d, res))
    return MatchingCurve(cost, "end", np.full(db.n_frames, -1, np.int64), np.full(db.n_frames, np.nan),
                         shift, db, M, "dtw",
                         {"step_sizes": step_sizes, "weights": weights, "shifts": sh,
                          "results": results, "result_index": best_res})


# ---------------------------------------------------------------------------
# convenience
# ---------------------------------------------------------------------------

def matching_curve(query, db: Database, method: str = "diagonal", **kwargs) -> MatchingCurve:
    """Dispatch to :func:`diagonal_matching` (``"diagonal"``) or :func:`dtw_matching` (``"dtw"``)."""
    if method == "diagonal":
        return diagonal_matching(query, db, **kwargs)
    if method == "dtw":
        return dtw_matching(query, db, **kwargs)
    raise ValueError(f"method: expected 'diagonal' or 'dtw', got {method!r}")


# ---------------------------------------------------------------------------
# match selection
# ---------------------------------------------------------------------------

@dataclass
class Match:
    """One match: a passage of one document.

    ``start`` and ``end`` are seconds inside the document (``end`` exclusive:
    a passage of ``L`` frames lasts ``L / feature_rate`` seconds).
    """

    rank: int
    doc: int
    doc_id: str
    start: float
    end: float
    cost: float
    tempo: float = float("nan")
    shift: int = 0
    meta: dict = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        return {"rank": self.rank, "doc": self.doc, "doc_id": self.doc_id, "start": self.start,
                "end": self.end, "cost": self.cost, "tempo": self.tempo, "shift": self.shift}


def select_matches(curve: MatchingCurve, num: int | None = 10, threshold: float | None = None,
                   exclusion: float | None = None) -> list[Match]:
    """Pick matches from a matching curve, best first.

    Repeatedly takes the global minimum of the curve, reports it as a match
    and sets the curve to ``inf`` within ``exclusion`` seconds on both sides
    (inside the same document only), until ``num`` matches are found or the
    minimum exceeds ``threshold``.

    Parameters
    ----------
    curve : MatchingCurve
    num : int or None
        Maximum number of matches (None: no limit, then ``threshold`` is needed
        or every position with finite cost ends up as a match after exclusion).
    threshold : float or None
        Only costs ``<= threshold`` are matches.
    exclusion : float or None
        Half width of the excluded neighbourhood in seconds; default: half the
        query duration.

    Returns
    -------
    list of Match
    """
    if not isinstance(curve, MatchingCurve):
        raise TypeError(f"curve: expected a MatchingCurve, got {type(curve).__name__}")
    if num is not None and (int(num) != num or num < 0):
        raise ValueError(f"num: expected a non-negative integer or None, got {num!r}")
    if threshold is not None and not np.isfinite(threshold):
        raise ValueError(f"threshold: expected a finite number or None, got {threshold!r}")
    db = curve.db
    fr = db.feature_rate
    if exclusion is None:
        rho = max(1, int(round(curve.query_frames / 2)))
    else:
        if not np.isfinite(exclusion) or exclusion < 0:
            raise ValueError(f"exclusion: expected a non-negative number of seconds, got {exclusion!r}")
        rho = int(round(exclusion * fr))
    cost = curve.cost.astype(np.float64)
    limit = np.inf if threshold is None else float(threshold)
    maxn = len(cost) if num is None else int(num)
    # Taking the global minimum, blanking its neighbourhood and repeating is the same as visiting the
    # positions in order of increasing cost (stable: ties by position) and skipping blanked ones.
    n = len(cost)
    k = n if num is None else min(n, max(256, 4 * maxn * (2 * rho + 1)))
    if k < n:  # only the k cheapest positions can be needed, unless many are blanked: checked below
        part = np.argpartition(cost, k - 1)[:k]
        order = part[np.lexsort((part, cost[part]))]
    else:
        order = np.argsort(cost, kind="stable")
    out = _greedy_select(curve, cost, order, maxn, limit, rho, fr)
    if k < n and len(out) < maxn and (not out or np.isfinite(cost[order[-1]]) and cost[order[-1]] <= limit):
        out = _greedy_select(curve, cost, np.argsort(cost, kind="stable"), maxn, limit, rho, fr)
    return out


def _greedy_select(curve, cost, order, maxn, limit, rho, fr):
    db = curve.db
    blocked = np.zeros(len(cost), bool)
    out: list[Match] = []
    for i in order:
        if len(out) >= maxn:
            break
        i = int(i)
        c = cost[i]
        if not np.isfinite(c) or c > limit:
            break
        if blocked[i]:
            continue
        d = int(np.searchsorted(db.offsets, i, side="right") - 1)
        a, b = db.offsets[d], db.offsets[d + 1]
        blocked[max(a, i - rho):min(b, i + rho + 1)] = True
        if curve.anchor == "start":
            s, e = i, int(curve.other[i])
        else:
            e = i + 1
            s = int(curve.other[i]) if curve.other[i] >= 0 else _dtw_start(curve, i, d)
        tempo = float(curve.tempo[i]) if np.isfinite(curve.tempo[i]) else (e - s) / max(1, curve.query_frames)
        out.append(Match(rank=len(out) + 1, doc=d, doc_id=db.doc_ids[d], start=float((s - a) / fr),
                         end=float((e - a) / fr), cost=float(c), tempo=tempo, shift=int(curve.shift[i]),
                         meta=db.meta[d]))
    return out


def _dtw_start(curve, i, d):
    """Start frame (global) of the DTW match ending at global frame ``i``, by backtracking."""
    j = int(curve.details["result_index"][i])
    doc, res = curve.details["results"][j]
    a = int(curve.db.offsets[doc])
    start, _end = res.segment(i - a)
    return a + int(start)


#: Step weights of :func:`refine_matches` for the steps (1, 1), (2, 1), (1, 2): warping costs extra.
REFINE_WEIGHTS = (1.0, 3.0, 2.0)


def refine_matches(query, matches: Sequence[Match], db: Database, margin: float = 0.25, step_sizes=None,
                   weights=REFINE_WEIGHTS) -> list[Match]:
    """Re-estimate the start and end of diagonal matches with subsequence DTW.

    Diagonal matching fits one straight line (one tempo factor) through a
    passage. When the tempo drifts inside a long passage, the best straight
    line may start seconds away from the true beginning even though it finds
    the right passage. Here the query, scaled by the match's tempo factor
    and shifted by its chroma shift, is aligned with subsequence DTW
    (:func:`cmr.dtw.subsequence_dtw`, cosine cost) to the match extended by
    ``margin`` times its length on both sides; start and end become those of
    the best DTW path. The steps (1, 1), (2, 1), (1, 2) allow local tempo
    changes by up to a factor 2 around the scaled query; with the default
    weights (1, 3, 2) a warping step costs more per query frame than a
    diagonal one (1.5 and 2 instead of 1), so the path leaves the diagonal
    only where the tempo really changes (with (1, 2, 1) it moved the start
    of one development query of ``benchmarks/eval_matching_quality.py`` by
    2.4 s away from the truth; with (1, 3, 2) every development query kept
    or gained its place).

    Costs and order are kept (ranking stays the diagonal one); a match whose
    refined start lies within half its length of the start of a better match
    in the same document is dropped (two candidates that converge on one
    passage).

    Parameters
    ----------
    query : np.ndarray, shape (K, M), the query used for the matches
    matches : list of Match, from :func:`select_matches` on a diagonal curve
        (``tempo`` and ``shift`` are used)
    db : Database
    margin : float >= 0, search margin as a fraction of each match's length
    step_sizes, weights : DTW steps and weights (default
        ``cmr.dtw.STEPS_TEMPO`` with :data:`REFINE_WEIGHTS`)

    Returns
    -------
    list of Match, ranks renumbered from 1
    """
    from cmr import dtw as _dtw

    query = _check_query_db(query, db)
    if not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin: expected a non-negative fraction of the match length, got {margin!r}")
    steps = _dtw.STEPS_TEMPO if step_sizes is None else step_sizes
    qn = normalize_features(query)
    fr = db.feature_rate
    refined = []
    for m in matches:
        if not isinstance(m, Match):
            raise TypeError(f"matches: expected cmr.matching.Match items, got {type(m).__name__}")
        a0 = int(db.offsets[m.doc])
        n = int(db.offsets[m.doc + 1]) - a0
        s, e = int(round(m.start * fr)), int(round(m.end * fr))
        pad = int(round(margin * (e - s)))
        w0, w1 = max(0, s - pad), min(n, e + pad)
        r = float(m.tempo) if np.isfinite(m.tempo) and m.tempo > 0 else 1.0
        Q = np.roll(scale_tempo(qn, r), int(m.shift), axis=0)
        try:
            res = _dtw.subsequence_dtw(Q, db.features[:, a0 + w0:a0 + w1], metric="cosine", step_sizes=steps,
                                       weights=weights)
            st, en = res.segment(res.best_end)
        except ValueError:  # window too short for these steps: keep the diagonal boundaries
            refined.append(m)
            continue
        refined.append(Match(rank=m.rank, doc=m.doc, doc_id=m.doc_id, start=(w0 + st) / fr, end=(w0 + en + 1) / fr,
                             cost=m.cost, tempo=m.tempo, shift=m.shift, meta=m.meta))
    out: list[Match] = []
    for m in refined:
        if any(o.doc == m.doc and abs(o.start - m.start) < 0.5 * (m.end - m.start) for o in out):
            continue
        m.rank = len(out) + 1
        out.append(m)
    return out


def match(query, db: Database, method: str = "diagonal", num: int | None = 10, threshold: float | None = None,
          exclusion: float | None = None, refine: bool = False, **kwargs) -> tuple[MatchingCurve, list[Match]]:
    """Matching curve and selected matches in one call.

    See :func:`matching_curve` and :func:`select_matches`; ``refine=True``
    (diagonal matching only) passes the matches through :func:`refine_matches`.
    """
    curve = matching_curve(query, db, method=method, **kwargs)
    matches = select_matches(curve, num=num, threshold=threshold, exclusion=exclusion)
    if refine:
        if method != "diagonal":
            raise ValueError(f"refine: boundary refinement is for diagonal matches, got method={method!r}")
        matches = refine_matches(query, matches, db)
    return curve, matches


# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------

@dataclass
class MatchEvaluation:
    """Precision, recall and F-measure of a list of matches against ground truth."""

    precision: float
    recall: float
    f_measure: float
    n_matches: int
    n_relevant: int
    n_correct: int
    correct: np.ndarray  # (n_matches,) bool, in rank order
    found: np.ndarray    # (n_relevant,) bool, per occurrence


def _occurrence_list(occurrences, db: Database | None):
    occ = []
    for o in occurrences:
        if isinstance(o, dict):
            doc, s, e = o["doc"], o["start"], o["end"]
        else:
            doc, s, e = o
        if db is not None and not isinstance(doc, (int, np.integer)):
            doc = db.doc_index(doc)
        occ.append((doc, float(s), float(e)))
    return occ


def evaluate_matches(matches: Sequence[Match], occurrences, tolerance: float = 2.0,
                     db: Database | None = None) -> MatchEvaluation:
    """Compare matches with ground-truth occurrences.

    A match is *correct* if it lies in the same document as a not yet claimed
    occurrence and its start is within ``tolerance`` seconds of that
    occurrence's start (matches are processed in rank order; each occurrence
    can be claimed once, by the nearest start).

    Parameters
    ----------
    matches : list of Match
    occurrences : iterable of (doc, start s, end s) or dicts with those keys
        ``doc`` is a document index (or an id, when ``db`` is given).
    tolerance : float, seconds
    db : Database, optional
        Needed only when occurrences name documents by id.

    Returns
    -------
    MatchEvaluation
        Precision = correct / matches, recall = found / occurrences,
        F = harmonic mean (0 when both are 0). With no matches, precision is
        defined as 1 if there is nothing to find, else 0.
    """
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance: expected a non-negative number of seconds, got {tolerance!r}")
    occ = _occurrence_list(occurrences, db)
    claimed = np.zeros(len(occ), bool)
    correct = np.zeros(len(matches), bool)
    for j, m in enumerate(matches):
        best, best_dist = -1, np.inf
        for i, (doc, s, _e) in enumerate(occ):
            if claimed[i] or doc != m.doc:
                continue
            dist = abs(m.start - s)
            if dist <= tolerance and dist < best_dist:
                best, best_dist = i, dist
        if best >= 0:
            claimed[best] = True
            correct[j] = True
    n_c = int(correct.sum())
    n_m, n_r = len(matches), len(occ)
    precision = n_c / n_m if n_m else (1.0 if n_r == 0 else 0.0)
    recall = n_c / n_r if n_r else 1.0
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return MatchEvaluation(precision, recall, f, n_m, n_r, n_c, correct, claimed)


def true_occurrences(db: Database, truths: dict, doc, start: float, end: float, same_doc: bool = False,
                     max_repeats: int = 4) -> list:
    """Where the score passage played in ``[start, end]`` of ``doc`` is played in the other versions.

    Uses rendered ground truth (:class:`cmr.synth.GroundTruth`): the query
    times are mapped to score beats in their own version and back to audio
    times in every other document of the same piece, once per playing
    (repeats give several occurrences; omitted passages none).

    Parameters
    ----------
    db : Database, documents with ``meta["piece"]``
    truths : dict doc index -> GroundTruth (or anything with ``time_to_beat``
        and ``beat_to_time(beats, occurrence=k, missing="nan")``)
    doc : int or id, the query's document
    start, end : float, seconds in that document
    same_doc : bool, also report other playings inside the query's own document
    max_repeats : int, playings looked up per document

    Returns
    -------
    list of (doc, start s, end s)
    """
    d0 = db.doc_index(doc)
    piece = db.meta[d0].get("piece")
    b0, b1 = truths[d0].time_to_beat([start, end])
    out = []
    for d in range(db.n_docs):
        if db.meta[d].get("piece") != piece or (d == d0 and not same_doc) or d not in truths:
            continue
        for k in range(max_repeats):
            s, e = truths[d].beat_to_time([b0, b1], occurrence=k, missing="nan")
            if not (np.isfinite(s) and np.isfinite(e)):
                continue
            if d == d0 and abs(s - start) < 1e-6:
                continue
            out.append((d, float(s), float(e)))
    return out


def precision_at_r(matches: Sequence[Match], occurrences, tolerance: float = 2.0,
                   db: Database | None = None) -> float:
    """Precision of the top-R matches, R = number of ground-truth occurrences.

    Equals the recall within the top R: 1.0 means every occurrence is among
    the first R matches. Returns 1.0 if there are no occurrences.
    """
    occ = _occurrence_list(occurrences, db)
    r = len(occ)
    if r == 0:
        return 1.0
    ev = evaluate_matches(list(matches)[:r], occ, tolerance=tolerance)
    return ev.n_correct / r
