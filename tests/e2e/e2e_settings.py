"""Settings of the browser test, read from environment variables (see conftest.py)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = os.environ.get("CMR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def notebook_dir() -> Path:
    return Path(os.environ.get("CMR_E2E_NOTEBOOKS", ROOT / "notebooks")).resolve()


def notebook_timeout() -> float:
    return float(os.environ.get("CMR_E2E_TIMEOUT", "120"))


def artifacts_dir() -> Path:
    return Path(os.environ.get("CMR_E2E_ARTIFACTS", ROOT / "artifacts" / "e2e")).resolve()
