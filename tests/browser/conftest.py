"""Browser fixtures: a real Pulse server process and headless Chromium via Selenium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import (
    OUTPUT_DIR,
    ROOT,
    TEST_SECRET,
    TEST_SNAPSHOT_KEY,
    missing_service,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PulseServer:
    """``python app.py`` (embedded) or gunicorn (scaled) on a free loopback port."""

    def __init__(
        self, env: dict[str, str], *, gunicorn: bool = False, log: Path
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            **env,
            "PULSE_PORT": str(self.port),
            "PULSE_HOST": "127.0.0.1",
            "PULSE_SECRET_KEY": TEST_SECRET,
            "PULSE_SNAPSHOT_KEYS": TEST_SNAPSHOT_KEY,
            "PULSE_SCHEDULER": "off",
        }
        if gunicorn:
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{self.port}",
                "app:server",
            ]
        else:
            command = [sys.executable, "app.py"]
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not answer /healthz: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        missing_service(
            "headless Chromium is needed: apt-get install chromium chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1400,1100",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def _blank_page_between_tests(request):
    """Each test starts from a blank page, signed out, with an empty console: a page a
    previous test left open (a live dashboard polling its version, a kiosk ticking)
    would go on asking a server that test has stopped, and its errors would be this
    test's. Cookies are cleared for every site (the sign-in helpers' own
    ``delete_all_cookies`` only reaches the site of the page they are on)."""
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").get_log("browser")
    yield
    if "browser" in request.fixturenames:
        driver = request.getfixturevalue("browser")
        driver.get("about:blank")
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.get_log("browser")


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


def console_errors(driver) -> list[dict]:
    """Browser console entries of level SEVERE since the last call."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
