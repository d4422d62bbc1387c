"""Loading audio, and the workbook's example set in ``audio/``.

All audio in the workbook passes through :func:`load`: mono, float32, at a
requested sample rate (22050 Hz by default), with an error that names the
file when it is missing, unreadable, empty or corrupt. The example set
(rendered from music21 scores by ``make audio``, see ``audio/README.md``)
is listed by :func:`examples` and loaded by :func:`load_example`.

Notebook: ``00_Music_Representations.ipynb``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Sample rate of every signal in the workbook (Hz).
DEFAULT_SR = 22050


def load(path, sr: int | None = DEFAULT_SR, offset: float = 0.0, duration: float | None = None) -> np.ndarray:
    """Read an audio file as a mono float32 signal.

    Parameters
    ----------
    path : str or Path
        Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, MP3, AIFF, ...).
    sr : int or None
        Target sample rate in Hz (resampled with soxr, high quality);
        ``None`` keeps the file's rate.
    offset : float, seconds to skip at the start
    duration : float or None, seconds to read (``None``: to the end)

    Returns
    -------
    y : np.ndarray, shape (n,), float32
        Channels averaged; values as stored (no normalisation).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is a folder, is empty, cannot be decoded (corrupt or not
        audio), holds no samples in the requested range, or holds NaN/inf.
    """
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no such audio file: {path}")
    if path.is_dir():
        raise ValueError(f"load: {path} is a folder, expected an audio file")
    if path.stat().st_size == 0:
        raise ValueError(f"load: audio file {path} is empty (0 bytes)")
    if sr is not None and not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"load: sr must be a positive int or None, got {sr!r}")
    if offset < 0 or (duration is not None and duration <= 0):
        raise ValueError(f"load: offset must be >= 0 and duration > 0, got offset={offset}, duration={duration}")
    try:
        with sf.SoundFile(str(path)) as f:
            native = f.samplerate
            start = int(round(offset * native))
            if start > 0:
                f.seek(min(start, f.frames))
            frames = -1 if duration is None else int(round(duration * native))
            y = f.read(frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise ValueError(f"load: cannot decode audio file {path} (corrupt or unsupported format): {exc}") from exc
    if y.shape[0] == 0:
        raise ValueError(f"load: audio file {path} contains no samples"
                         + (f" after offset {offset} s" if offset else ""))
    y = y.mean(axis=1, dtype=np.float32) if y.shape[1] > 1 else y[:, 0]
    if not np.all(np.isfinite(y)):
        raise ValueError(f"load: audio file {path} contains NaN or infinite samples")
    if sr is not None and sr != native:
        import soxr

        y = soxr.resample(y, native, sr, quality="HQ").astype(np.float32)
    return np.ascontiguousarray(y, dtype=np.float32)


def _manifest_path() -> Path:
    from .paths import AUDIO_DIR

    return AUDIO_DIR / "manifest.json"


def manifest() -> dict:
    """The parsed ``audio/manifest.json`` (pieces, versions, parameters, licences)."""
    path = _manifest_path()
    if not path.is_file():
        raise FileNotFoundError(f"examples: {path} not found; run `make audio` to render the example set")
    return json.loads(path.read_text())


def examples():
    """The example set as a table: one row per (piece, version).

    Returns
    -------
    pd.DataFrame with columns ``piece``, ``version``, ``title``, ``composer``,
    ``score`` (music21 corpus name), ``measures``, ``duration`` (s),
    ``audio_file``, ``truth_file`` (relative to ``audio/``), ``licence``, and
    the version's parameters (``tempo_factor``, ``transpose``,
    ``tuning_cents``, ``programs``, ``reverb``, ``snr_db``...).
    """
    import pandas as pd

    rows = []
    for piece in manifest()["pieces"]:
        for v in piece["versions"]:
            row = {"piece": piece["id"], "version": v["name"], "title": piece["title"],
                   "composer": piece["composer"], "score": piece["score"], "measures": piece["measures"],
                   "duration": v["duration"], "audio_file": v["audio_file"], "truth_file": v["truth_file"],
                   "licence": piece["licence"], "description": v.get("description", "")}
            row.update({k: val for k, val in v["parameters"].items() if k != "name"})
            rows.append(row)
    return pd.DataFrame(rows)


def example_row(piece: str, version: str) -> dict:
    """The manifest entry of one example version (raises ValueError listing the choices)."""
    ex = examples()
    hit = ex[(ex["piece"] == piece) & (ex["version"] == version)]
    if hit.empty:
        if piece not in set(ex["piece"]):
            raise ValueError(f"example: unknown piece {piece!r}; choose one of {sorted(set(ex['piece']))}")
        raise ValueError(f"example: piece {piece!r} has no version {version!r}; choose one of "
                         f"{ex.loc[ex['piece'] == piece, 'version'].tolist()}")
    return hit.iloc[0].to_dict()


def load_example(piece: str, version: str, sr: int = DEFAULT_SR) -> np.ndarray:
    """Audio of one example version (see :func:`examples`), mono float32 at ``sr``."""
    from .paths import AUDIO_DIR

    return load(AUDIO_DIR / example_row(piece, version)["audio_file"], sr=sr)


def write(path, y, sr: int, quality: float = 0.4) -> Path:
    """Write mono audio so that the same samples always give the same bytes.

    The format follows the suffix: ``.wav`` (16-bit PCM), ``.flac``
    (16-bit), ``.ogg`` (Vorbis at ``quality`` in [0, 1]). libsndfile gives
    every Ogg stream a random serial number; we replace it by one derived
    from the file name and recompute the page checksums, so ``make audio``
    reproduces identical files.

    Parameters
    ----------
    path : str or Path
    y : np.ndarray, shape (n,), float, values in [-1, 1]
    sr : int, Hz
    quality : float, Vorbis quality (0 smallest .. 1 best); ignored otherwise
    """
    import io
    import zlib

    import soundfile as sf

    path = Path(path)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"write: y must be non-empty mono audio of shape (n,), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"write: y contains NaN or infinity (writing {path})")
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".wav", ".flac"):
        sf.write(str(path), y, int(sr), subtype="PCM_16", format=suffix[1:].upper())
        return path
    if suffix != ".ogg":
        raise ValueError(f"write: unsupported suffix {suffix!r} of {path}; use .wav, .flac or .ogg")
    if not 0.0 <= quality <= 1.0:
        raise ValueError(f"write: quality must be in [0, 1], got {quality}")
    buf = io.BytesIO()
    sf.write(buf, y, int(sr), format="OGG", subtype="VORBIS", compression_level=1.0 - quality)
    serial = zlib.crc32(path.name.encode()) & 0x7FFFFFFF
    path.write_bytes(_ogg_set_serial(buf.getvalue(), serial))
    return path


def _ogg_crc_table():
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table[i] = r & 0xFFFFFFFF
    return [int(v) for v in table]


_OGG_CRC = None


def _ogg_crc(data: bytes) -> int:
    global _OGG_CRC
    if _OGG_CRC is None:
        _OGG_CRC = _ogg_crc_table()
    t = _OGG_CRC
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ t[((crc >> 24) & 0xFF) ^ b]
    return crc


def _ogg_set_serial(data: bytes, serial: int) -> bytes:
    """Set the stream serial number of every page of a single-stream Ogg file (and fix CRCs)."""
    import struct

    out = bytearray(data)
    pos = 0
    while pos < len(out):
        if out[pos:pos + 4] != b"OggS":
            raise ValueError("write: unexpected Ogg page structure")
        nseg = out[pos + 26]
        body = sum(out[pos + 27:pos + 27 + nseg])
        end = pos + 27 + nseg + body
        struct.pack_into("<I", out, pos + 14, serial)
        struct.pack_into("<I", out, pos + 22, 0)
        struct.pack_into("<I", out, pos + 22, _ogg_crc(bytes(out[pos:end])))
        pos = end
    return bytes(out)
