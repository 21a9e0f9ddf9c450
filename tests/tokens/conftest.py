from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ..conftest import PASSWORD


def issue(username: str, **extra) -> tuple[str, dict]:
    """POST /api/v1/auth/token/ as a script would: (key, whole answer)."""
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    return body["token"], body


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def issue_token():
    return issue


@pytest.fixture
def key_client():
    return with_key
