"""App servers for the sign-in and load-balancer browser tests: `streamlit run serve.py` (the shipped
entry point, with the cookie routes), with extra settings, and a real HAProxy in front of two of them."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.browser.conftest import ROOT, Server, free_port, wait_http

ENTRY = os.environ.get("DASHBOARD_ENTRY", "serve.py")  # the tests' entry point (app.py: no cookie routes)


def app_server(database_url: str, log_path: Path, env: dict | None = None, cookie_secret: str | None = None) -> Server:
    """An app server started the way the README starts it (serve.py: with the cookie routes)."""
    return Server(database_url, log_path, env=env, entry=ENTRY, cookie_secret=cookie_secret)


HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"


class Balancer:
    """HAProxy from Debian's package, run in the foreground with the shipped example configuration;
    the addresses come from the environment variables the example reads."""

    def __init__(self, servers: list[Server], log_path: Path):
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
