"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Tests point ``SMTP_URL`` at it and read the messages back as
:class:`email.message.EmailMessage`. ``hold_at_recipient`` lets a test stop a client
in the middle of a session (before the message is accepted), to kill the process
sending it at a known point.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Inbox:
    """aiosmtpd's handler: every accepted message, parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self._lock = threading.Lock()
        self.recipient_count = 0
        # When set: the n-th RCPT (1-based) waits until ``release`` is set, after
        # setting ``held``.
        self.hold_at_recipient: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self._lock:
            self.recipient_count += 1
            number = self.recipient_count
        if number == self.hold_at_recipient:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 60.0) -> list[EmailMessage]:
        """The messages once there are at least ``count`` (fails after
        ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} messages, expected {count}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """The running server: ``url`` for ``SMTP_URL``, ``inbox`` for what came.

    With ``login=(user, password)`` the server requires that login (AUTH PLAIN, over
    the unencrypted loopback session) before it takes a message.
    """

    def __init__(
        self,
        login: tuple[str, str] | None = None,
        tls: Literal["starttls", "smtps"] | None = None,
        certificate: Path | None = None,
    ) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        options: dict = {}
        if login is not None:

            def authenticator(server, session, envelope, mechanism, auth_data):
                given = (auth_data.login.decode(), auth_data.password.decode())
                return AuthResult(success=given == login, handled=False)

            options = {
                "authenticator": authenticator,
                "auth_required": True,
                "auth_require_tls": False,
                # smtplib's AUTH LOGIN with an initial response stalls aiosmtpd
                # after a refused password; PLAIN is what servers offer first.
                "auth_exclude_mechanism": ["LOGIN"],
            }
        scheme = "smtp"
        if tls is not None:
            assert certificate is not None, "TLS needs self_signed_certificate()"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificate, certificate.with_suffix(".key"))
            if tls == "starttls":
                options |= {"tls_context": context, "require_starttls": True}
            else:
                options["ssl_context"] = context
                scheme = "smtps"
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **options
        )
        query = "?starttls=1" if tls == "starttls" else ""
        self.url = f"{scheme}://127.0.0.1:{self.port}{query}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.inbox.release.set()
        self.controller.stop()


def self_signed_certificate(directory: Path) -> Path | None:
    """A certificate for 127.0.0.1 (``<dir>/server.pem``, its key beside it) made
    with the ``openssl`` command, or ``None`` when there is none. A client trusts it
    with ``SSL_CERT_FILE`` pointing at it."""
    if shutil.which("openssl") is None:
        return None
    certificate = directory / "server.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(certificate.with_suffix(".key")),
            "-out",
            str(certificate),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return certificate
