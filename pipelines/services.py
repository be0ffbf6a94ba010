"""Start and stop the local UIs in the background, with pid files and logs under the data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipelines.instance import ensure_dagster_home
from pipelines.settings import REPO_ROOT, Settings, get_settings


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    health_path: str
    command: list[str]
    env: dict[str, str] | None = None


def dagster_service(host: str = "127.0.0.1", port: int = 3000) -> Service:
    return Service(
        name="dagster",
        url=f"http://{host}:{port}",
        health_path="/server_info",
        command=[sys.executable, "-m", "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
                 "-h", host, "-p", str(port)],
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a service started on the side (tests, benchmarks)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _run_dir(settings: Settings) -> Path:
    folder = settings.data_dir / "run"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except OSError:
        return False


def start(service: Service, timeout_s: float = 180) -> None:
    """Start ``service`` in its own process group unless it already runs; wait until it answers.
    A start-up entry point: it reads the settings (pid files and logs go under the data dir)."""
    settings = get_settings()
    ensure_dagster_home(settings)
    pid_file = _run_dir(settings) / f"{service.name}.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text())) and _answers(service.url + service.health_path):
        print(f"{service.name} already running at {service.url}")
        return
    log_path = settings.data_dir / "logs" / f"{service.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(service.command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, env=service.env)
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with code {process.returncode}; see {log_path}")
        if _answers(service.url + service.health_path):
            print(f"{service.name} is serving at {service.url} (log: {log_path})")
            return
        time.sleep(1)
    stop(service.name)
    raise RuntimeError(f"{service.name} did not answer within {timeout_s:.0f} s; see {log_path}")


def stop(name: str) -> bool:
    """Stop a background service and its children; return whether one was running."""
    pid_file = _run_dir(get_settings()) / f"{name}.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    if not _alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(40):
        if not _alive(pid):
            break
        time.sleep(0.25)
    else:
        os.killpg(pid, signal.SIGKILL)
    return True
