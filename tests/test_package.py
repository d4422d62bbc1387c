"""The package imports quickly, has a version, and its numba cache finds a writable place."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cmr

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_a_string():
    assert isinstance(cmr.__version__, str) and cmr.__version__.count(".") == 2


def test_import_is_lazy():
    """`import cmr` must not pull in numba, librosa or music21 (they take seconds)."""
    code = "import sys, cmr; print(sorted(m for m in ('numba', 'librosa', 'music21', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_sys_path_manipulation():
    offenders = []
    files = [p for pattern in ("lib/**/*.py", "notebooks/*.ipynb", "tests/**/*.py", "scripts/*.py", "benchmarks/*.py")
             for p in ROOT.glob(pattern)]
    for path in files:
        text = path.read_text()
        if "sys.path.insert" in text or "sys.path.append" in text:
            if path.name != Path(__file__).name:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_numba_cache_falls_back_when_package_dir_is_read_only(tmp_path):
    """Copy the package to a read-only folder: importing it sets NUMBA_CACHE_DIR elsewhere."""
    import shutil

    if os.geteuid() == 0:
        # root ignores permission bits; simulate the read-only case by
        # making the probe fail instead.
        code = textwrap.dedent(
            """
            import os, pathlib
            orig = pathlib.Path.touch
            def deny(self, *a, **k):
                raise PermissionError('read-only')
            pathlib.Path.touch = deny
            os.environ.pop('NUMBA_CACHE_DIR', None)
            import cmr
            pathlib.Path.touch = orig
            print(os.environ.get('NUMBA_CACHE_DIR', ''))
            """
        )
        env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
        env.pop("NUMBA_CACHE_DIR", None)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.strip()
        assert out == str(tmp_path / "xdg" / "cmr" / "numba")
        return
    pkg = tmp_path / "ro" / "cmr"
    shutil.copytree(ROOT / "lib" / "cmr", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for p in [pkg, *pkg.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    env = dict(os.environ, PYTHONPATH=str(pkg.parent), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", "import os, cmr; print(os.environ['NUMBA_CACHE_DIR'])"],
                         capture_output=True, text=True, check=True, env=env).stdout.strip()
    assert out == str(tmp_path / "xdg" / "cmr" / "numba")
