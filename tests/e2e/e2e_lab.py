"""Start and stop a throwaway JupyterLab server for the browser test.

The server runs from the interpreter that runs the tests (the project's
``.venv``), on a free localhost port, with a random token, in its own
process group, with its settings, workspaces and runtime files in a
temporary folder so a developer's own JupyterLab set-up neither leaks in nor
gets changed. Autosave is switched off: running a notebook in the browser
must never rewrite the committed ``.ipynb`` files.
"""
from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# JupyterLab settings for the test session (user settings dir is temporary).
LAB_SETTINGS = {
    # never write the notebook back to disk
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # keep every cell in the DOM so outputs far down the notebook can be checked
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no news / update pop-ups over the notebook (and no network use)
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server serving ``root_dir`` on 127.0.0.1.

    Use as a context manager, or call :meth:`start` / :meth:`stop`;
    :meth:`stop` is safe to call twice and kills the whole process group if
    the server does not exit on its own.
    """

    def __init__(self, root_dir: str | Path, log_path: str | Path | None = None,
                 startup_timeout: float = 90.0):
        self.root_dir = Path(root_dir).resolve()
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="cmr-e2e-lab-")
        self.log_path = Path(log_path) if log_path else Path(self._tmp.name) / "lab.log"
        self.proc: subprocess.Popen | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "LabServer":
        tmp = Path(self._tmp.name)
        settings = tmp / "settings"
        for rel, value in LAB_SETTINGS.items():
            f = settings / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(value))
        env = dict(os.environ)
        env.update({
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            # user-level kernelspecs must not shadow the venv's python3 kernel
            "JUPYTER_DATA_DIR": str(tmp / "data"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.allow_remote_access=False",
            "--LabApp.expose_app_in_browser=True",
            "--LabServerApp.user_settings_dir=" + str(settings),
            "--LabServerApp.workspaces_dir=" + str(tmp / "workspaces"),
            "--LabApp.extension_manager=readonly",
            "--ServerApp.terminals_enabled=False",
            # JupyterLab creates a checkpoint when it opens a file: keep it out of the repository
            "--FileCheckpoints.checkpoint_dir=" + str(tmp / "checkpoints"),
            "--ServerApp.shutdown_no_activity_timeout=3600",
            "--MappingKernelManager.cull_idle_timeout=0",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI runs as root
        (tmp / "config").mkdir(exist_ok=True)
        # no announcements feed (it would be fetched from the internet)
        (tmp / "config" / "jupyter_server_config.json").write_text(
            json.dumps({"LabApp": {"news_url": None}}))
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        atexit.register(self.stop)  # last resort if a finalizer never runs
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode} "
                                   f"before serving; log:\n{self.log_text()}")
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer on port {self.port} within "
                           f"{self.startup_timeout:.0f} s; log:\n{self.log_text()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None:
                try:  # polite first: shut the kernels down, then the server
                    self.shutdown_kernels()
                except Exception:
                    pass
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            try:  # whatever is left in the group, including a stuck server
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        finally:
            self._log.close()

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._tmp.cleanup()

    # -- helpers -----------------------------------------------------------
    def api(self, method: str, path: str, timeout: float = 10.0):
        req = urllib.request.Request(self.base + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> int:
        """Shut down every running kernel (between notebooks); return how many."""
        kernels = self.api("GET", "/api/kernels") or []
        for k in kernels:
            try:
                self.api("DELETE", f"/api/kernels/{k['id']}", timeout=30)
            except urllib.error.HTTPError:
                pass
        return len(kernels)

    def lab_url(self, relpath: str) -> str:
        return f"{self.base}/lab/tree/{relpath}?reset&token={self.token}"

    def log_text(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return "(no log)"
