"""cmr: the library behind the cross-modal music retrieval workbook.

Each submodule is the code that one notebook explains. Submodules are
imported lazily, so ``import cmr`` stays fast; ``cmr.chroma`` (for example)
loads on first use.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

__version__ = "0.1.0"


def _configure_numba_cache() -> None:
    """Point numba's on-disk cache somewhere writable.

    numba writes its cache next to the source files (``__pycache__``). That
    works for an editable install in a writable checkout; for a read-only
    checkout (a shared classroom install, a read-only Binder image) we fall
    back to a per-user cache folder. An explicit ``NUMBA_CACHE_DIR`` wins.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = Path(__file__).resolve().parent
    probe = here / "__pycache__"
    try:
        probe.mkdir(exist_ok=True)
        test = probe / f".write-test-{os.getpid()}"
        test.touch()
        test.unlink()
        return
    except OSError:
        pass
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    for candidate in (base / "cmr" / "numba", Path("/tmp") / f"cmr-numba-{os.getuid()}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            os.environ["NUMBA_CACHE_DIR"] = str(candidate)
            return
        except OSError:
            continue


_configure_numba_cache()

_SUBMODULES = {
    "audio", "synth", "symbolic", "chroma", "dtw", "sync", "matching",
    "versions", "shingles", "embedding", "themes", "separation",
    "evaluation", "plot", "widgets", "paths", "scoreviewer",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cmr' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
