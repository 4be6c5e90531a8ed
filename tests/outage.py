"""Real PostgreSQL and Redis servers that a test owns, so it can stop and start them.

``outage_postgres`` is a throwaway PostgreSQL cluster (``initdb`` into a temporary
directory, on a free port) prepared like a deployment (``pulse pgsetup``: the app
connects as the RLS-bound app role) with the small demo seeded; ``outage_redis`` is a
throwaway ``redis-server``. Each test gets them running and may stop and start them;
the fixtures start them again after the test and remove them after the session, also
when a test fails. Under ``CI=true`` a missing binary fails the run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import missing_service, seed_small_demo


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, up: bool, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            answered = sock.connect_ex(("127.0.0.1", port)) == 0
        if answered == up:
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} is still {'down' if up else 'up'}")


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, run as the ``postgres`` OS user
    when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--no-instructions",
            "-E",
            "UTF8",
        )
        self.start()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(
            command, check=True, capture_output=True, timeout=60, cwd=self.root
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c fsync=off "
            "-c full_page_writes=off -c shared_buffers=32MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        """Stop at once, as a crash or an operator would: sessions are cut off."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        _wait_for_port(self.port, up=False)

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    """``redis-server`` on a free port; ``stop(keep_data=True)`` saves its data first
    (``SHUTDOWN SAVE``), as a Redis with persistence comes back after a restart."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pulse-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--dbfilename",
                "dump.rdb",
            ],
            stdout=(self.root / "server.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, up=True)

    def stop(self, *, keep_data: bool = False) -> None:
        if self.process is None:
            return
        if keep_data:
            # A bare command: the server closes the connection as it exits, which a
            # client library would answer by retrying.
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(b"SHUTDOWN SAVE\r\n")
                sock.recv(64)
        else:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None
        _wait_for_port(self.port, up=False)

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_connect_timeout=1)

    def destroy(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def postgres_bin_dir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(Path(path).parent.name.split(".")[0]),
    )
    return Path(found[-1]) if found and Path(found[-1], "initdb").exists() else None


@pytest.fixture(scope="session")
def _outage_postgres_server(seed_now):
    from commands.database import install_builtin_templates
    from core.pgsetup import setup

    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        missing_service(
            "initdb/pg_ctl not found under /usr/lib/postgresql/*/bin: install "
            "postgresql to run the outage tests"
        )
    server = ThrowawayPostgres(bin_dir)
    try:
        admin_url, app_url = setup(server.admin_url, "pulse", "pulse_app")
        install_builtin_templates(admin_url)
        seed_small_demo(admin_url, seed_now)
        yield server, {"admin": admin_url, "app": app_url, "engine": "postgresql"}
    finally:
        server.destroy()


@pytest.fixture
def outage_postgres(_outage_postgres_server):
    """``(server, {"admin": url, "app": url})``: a running throwaway PostgreSQL with
    the demo; running again after the test whatever the test did to it."""
    server, urls = _outage_postgres_server
    if not server.running:
        server.start()
    yield server, urls
    if not server.running:
        server.start()


@pytest.fixture
def outage_redis():
    """A running throwaway ``redis-server``, removed after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server not found: install redis to run the outage tests")
    server = ThrowawayRedis(binary)
    try:
        yield server
    finally:
        server.destroy()
