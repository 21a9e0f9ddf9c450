"""Production settings pass Django's deployment checklist, and every page carries the
Content-Security-Policy and the other security headers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tenants import roles

from ..conftest import login

BASE_DIR = Path(settings.BASE_DIR)
SECRET = "kuangan-deploy-check-9c2f7b1e5a8d4f6e0b3a7c9d1e2f4a6b8c0d2e4f6a8b0c2d4e6f"


def _check_deploy(tmp_path, **env) -> subprocess.CompletedProcess:
    # A deployment's environment: no database URL (the embedded default), none of the test run's.
    unset = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(KUANGAN_VAR_DIR=str(tmp_path), **env)
    for name in [k for k, v in env.items() if v is None]:
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


PRODUCTION = {
    "HTTPS": "true",
    "DEBUG": "false",
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "kuangan.example.cn",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_a_missing_https_setup(tmp_path):
    """The check above is not vacuous: without HTTPS=true the secure-cookie and HSTS warnings fire."""
    result = _check_deploy(tmp_path, **{**PRODUCTION, "HTTPS": None})
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in result.stderr, result.stderr


CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/", "/people/", "/account/tokens/", "/api/v1/me/", "/api/docs/"]
)
def test_every_response_carries_the_policy_and_security_headers(world, url):
    client = Client() if url == "/accounts/login/" else login(world.a.users[roles.TENANT_ADMIN])
    response = client.get(url)
    assert response.status_code == 200
    assert _policy(response) == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_have_no_inline_script_or_style(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    assert "<style" not in Client().get("/accounts/login/").content.decode()
    for url in ["/", "/people/", f"/people/{world.a.people[1].pk}/", "/account/tokens/", "/audit/"]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
    assert 'name="htmx-config"' in client.get("/").content.decode()


@pytest.mark.django_db  # a request opens its scope, which writes the connection's settings
def test_swagger_ui_loads_its_start_up_script_as_a_file():
    client = Client()
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script_url = (
        re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html).group(1).replace("&amp;", "&")
    )
    script = client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
