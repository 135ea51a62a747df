"""App servers for the sign-in and load-balancer browser tests: `streamlit run serve.py` (the shipped
entry point, with the cookie routes), with extra settings, and a real HAProxy in front of two of them."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser.conftest import ROOT

ENTRY = os.environ.get("DASHBOARD_ENTRY", "serve.py")  # the tests' entry point (app.py: no cookie routes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen | None, seconds: float = 60) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return True
        except Exception:
            if process is not None and process.poll() is not None:
                return False
            time.sleep(0.3)
    return False


class AppServer:
    """One app server on a loopback port. `env` adds settings (e.g. a shorter idle time)."""

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None, cookie_secret: str | None = None,
                 root: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log_path = log_path
        environment = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_DEMO": "1",
                       "DASHBOARD_LOG": str(log_path.with_suffix(".app.log")), **(env or {})}
        args = [sys.executable, "-m", "streamlit", "run", str(root / ENTRY), "--server.headless", "true",
                "--server.port", str(self.port), "--server.address", "127.0.0.1",
                "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
        if cookie_secret:
            environment["STREAMLIT_SERVER_COOKIE_SECRET"] = cookie_secret
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(args, cwd=root, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_http(self.url + "/_stcore/health", self.process):
            self.stop()
            raise RuntimeError(f"streamlit did not start; see {log_path}")

    def kill(self) -> None:
        """As a crash would: no goodbye to the browsers."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if not self.log.closed:
            self.log.close()


HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"


class Balancer:
    """HAProxy from Debian's package, run in the foreground with the shipped example configuration;
    the addresses come from the environment variables the example reads."""

    def __init__(self, servers: list[AppServer], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DASHBOARD_LISTEN": f"127.0.0.1:{self.port}",
               "DASHBOARD_APP_A": f"127.0.0.1:{servers[0].port}", "DASHBOARD_APP_B": f"127.0.0.1:{servers[1].port}"}
        self.log = open(log_path, "w")
        check = subprocess.run([HAPROXY, "-c", "-f", str(HAPROXY_CONFIG)], env=env, capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refuses {HAPROXY_CONFIG}: {check.stdout}{check.stderr}")
        self.process = subprocess.Popen([HAPROXY, "-db", "-f", str(HAPROXY_CONFIG)], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_http(self.url + "/_stcore/health", self.process, 30):
            self.stop()
            raise RuntimeError(f"haproxy did not start; see {log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if not self.log.closed:
            self.log.close()
