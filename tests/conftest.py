"""Shared test fixtures."""
from __future__ import annotations

import pytest
from script_loader import ROOT, load_module


@pytest.fixture
def script():
    """``script("eval_themes")`` imports ``scripts/eval_themes.py``."""
    return lambda name: load_module(name, ROOT / "scripts" / f"{name}.py")
