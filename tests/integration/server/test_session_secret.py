"""The key that signs session cookies, on an app built with the default settings.

Without ``PULSE_SECRET_KEY`` the app generates a random secret on first start, keeps it
in the secret file (mode 0600) and reads it back on every later start, so a cookie
signed with the development key that used to be in the repository opens nothing.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from flask import Flask

from app import create_app
from core.settings import DEV_SECRET, Settings
from tests.conftest import ROOT, login


def forged_session(secret: str, payload: dict) -> str:
    """A Flask session cookie carrying ``payload``, signed with ``secret``."""
    signer = Flask("forger")
    signer.secret_key = secret
    serializer = signer.session_interface.get_signing_serializer(signer)
    assert serializer is not None
    return serializer.dumps(payload)


@pytest.fixture
def default_settings(demo_sqlite, tmp_path, monkeypatch) -> Settings:
    """Settings as ``make run`` has them: no secret and no snapshot key configured;
    only the files they are generated into are moved out of the project's ``var/``."""
    monkeypatch.delenv("PULSE_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PULSE_SNAPSHOT_KEYS", raising=False)
    return Settings(
        database_url=demo_sqlite["app"],
        secret_key_file=tmp_path / "var" / "secret_key",
        snapshot_keys_file=tmp_path / "var" / "snapshot_keys",
        cache_type="simple",
    )


def signed_in_session(app) -> dict:
    """The session an admin's real sign-in leaves in the cookie (user and token)."""
    client = app.server.test_client()
    assert login(client).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    return serializer.loads(cookie.value)


def test_a_cookie_signed_with_the_old_development_key_is_refused(default_settings):
    app = create_app(default_settings)
    try:
        payload = signed_in_session(app)
        client = app.server.test_client()
        client.set_cookie("session", forged_session(DEV_SECRET, payload))
        forged = client.get("/api/v1/campaigns")
        assert forged.status_code == 401
        page = client.get("/")
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        # The same cookie signed with the app's own (generated) secret is accepted:
        # the refusal above is about the key, not a malformed cookie.
        secret = default_settings.secret_key_file.read_text().strip()
        client.set_cookie("session", forged_session(secret, payload))
        assert client.get("/api/v1/campaigns").status_code == 200
    finally:
        app.server.extensions["pulse"].db.dispose()


def test_the_generated_secret_is_private_and_shared_by_every_app(default_settings):
    path = default_settings.secret_key_file
    assert not path.exists()
    first = create_app(default_settings)
    second = create_app(default_settings)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secret = path.read_text().strip()
        assert len(secret) >= 60 and secret != DEV_SECRET
        assert first.server.secret_key == second.server.secret_key == secret
        # A session made by one instance (one web worker) is valid on the other.
        signing_in = first.server.test_client()
        response = login(signing_in)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        cookie = signing_in.get_cookie("session")
        assert cookie is not None
        other_worker = second.server.test_client()
        other_worker.set_cookie("session", cookie.value)
        assert other_worker.get("/api/v1/campaigns").status_code == 200
    finally:
        for app in (first, second):
            app.server.extensions["pulse"].db.dispose()


@pytest.mark.parametrize(
    "secret,expected",
    [
        ("change-me", "PULSE_SECRET_KEY is a known example value"),
        (DEV_SECRET, "PULSE_SECRET_KEY is a known example value"),
        ("short-but-not-known", "PULSE_SECRET_KEY is too short (19 characters"),
    ],
)
def test_app_py_refuses_a_weak_secret_in_development(secret, expected):
    env = {**os.environ, "PULSE_SECRET_KEY": secret, "PULSE_ENV": "development"}
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
