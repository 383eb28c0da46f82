"""A real `studygate serve` process on a free loopback port, stopped when the test ends."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def studygate_command() -> list[str]:
    """The installed console script when there is one (as a user runs it), else the module."""
    script = Path(sys.executable).parent / "studygate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def run_cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*studygate_command(), *args], env={**os.environ, **env}, capture_output=True,
        text=True, timeout=timeout, cwd=Path(__file__).resolve().parent.parent,
    )


@contextmanager
def live_server(env: dict[str, str], startup_timeout: float = 90):
    """Yields (base_url, process); the process's output goes to a log file shown on failure."""
    port = free_port()
    log_path = Path(env.get("STUDYGATE_TEST_LOG_DIR", "/tmp")) / f"studygate-serve-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*studygate_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()[-3000:]}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer: {log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        proc.log_path = log_path  # type: ignore[attr-defined]
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None
