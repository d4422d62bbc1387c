"""Fixtures for the browser test: a JupyterLab server and a headless Chromium.

These tests run only under ``make e2e`` (which sets ``CMR_E2E=1``); a plain
``pytest tests`` (``make test``) skips collecting this folder, because the
run takes minutes and needs Debian's ``chromium``.

Settings (environment variables):

``CMR_E2E_NOTEBOOKS``  folder of notebooks to test (default: ``notebooks/``);
                       the server is rooted at its parent so ``../audio``
                       paths resolve as in the repository.
``CMR_E2E_TIMEOUT``    seconds allowed per notebook to open and run all
                       cells (default 120).
``CMR_E2E_ARTIFACTS``  where screenshots go (default ``artifacts/e2e``).
``CMR_CHROMIUM``       the browser executable (default ``/usr/bin/chromium``).
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# pytest (prepend import mode) puts this folder on the import path, so the
# e2e_* helper modules next to this file import directly.

ENABLED = os.environ.get("CMR_E2E") == "1"
collect_ignore_glob = [] if ENABLED else ["test_*.py"]

from e2e_settings import CHROMIUM, CHROMIUM_ARGS, artifacts_dir  # noqa: E402


def pytest_configure(config):
    if not ENABLED:
        return

    # `timeout` (make e2e) sends SIGTERM: turn it into KeyboardInterrupt so
    # pytest tears the session fixtures down and the server is stopped.
    def _terminate(signum, frame):
        raise KeyboardInterrupt(f"received signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)


class LabServers:
    """One JupyterLab server per root folder, started on first use."""

    def __init__(self, log_dir: Path):
        from e2e_lab import LabServer

        self._cls = LabServer
        self._servers: dict[Path, object] = {}
        self._log_dir = log_dir

    def __call__(self, root: Path):
        root = Path(root).resolve()
        if root not in self._servers:
            log = self._log_dir / f"jupyterlab-{len(self._servers)}.log"
            self._servers[root] = self._cls(root, log_path=log).start()
        return self._servers[root]

    def stop_all(self):
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


@pytest.fixture(scope="session")
def lab_servers():
    artifacts_dir().mkdir(parents=True, exist_ok=True)
    servers = LabServers(artifacts_dir())
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium with a fresh profile (Playwright drives it)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser test needs Debian's chromium at {CHROMIUM}: "
                    f"run `apt-get install -y chromium` (as root) or set CMR_CHROMIUM", pytrace=False)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cmr-e2e-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900}, accept_downloads=False)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        page.close()
