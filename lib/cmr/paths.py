"""Where the workbook keeps things: the repository, audio, caches."""
from __future__ import annotations

import os
from pathlib import Path

#: Root of the repository (the folder that holds ``lib/``, ``audio/``, ``notebooks/``).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The committed example audio and its manifest.
AUDIO_DIR = REPO_ROOT / "audio"
#: Default location of the real evaluation data (outside the project).
SHARED_DATA_DIR = Path(os.environ.get("CMR_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def cache_dir(*parts: str) -> Path:
    """Return (and create) a cache folder for derived data.

    The cache lives under ``$CMR_CACHE_DIR`` if set, else ``<repo>/.cache``
    when the repository is writable, else ``~/.cache/cmr``. It is never next
    to user files.
    """
    env = os.environ.get("CMR_CACHE_DIR")
    candidates = [Path(env)] if env else [REPO_ROOT / ".cache",
                                           Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cmr"]
    last_error = None
    for base in candidates:
        path = base.joinpath(*parts)
        try:
            path.mkdir(parents=True, exist_ok=True)
            return path
        except OSError as exc:  # read-only checkout: try the next place
            last_error = exc
    raise OSError(f"no writable cache folder among {candidates}: {last_error}")
