"""Responses that carry personal data are never kept by a browser's cache or a proxy: a revealed
resident ID number and every Excel export answer ``Cache-Control: private, no-store`` (job input
and output files: tests/jobs/test_job_input.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenants import roles

from ..conftest import login
from ..tenants.test_api import token_client

pytestmark = pytest.mark.django_db


def _get(client, name: str, query: dict | None = None, **kwargs):
    return client.get(reverse(name, kwargs=kwargs or None), query or {})


@pytest.mark.parametrize(
    "name,query",
    [
        ("person-export", lambda w: {"unit": w.a.team.pk}),
        ("training:hours-export", lambda w: {"unit": w.a.team.pk}),
        ("training:certificate-expiring", lambda w: {"export": "xlsx"}),
        ("training:question-export", lambda w: {}),
        ("grading:certificate-list", lambda w: {"export": "xlsx"}),
        ("api:person-export-xlsx", lambda w: {"org_unit": w.a.team.pk}),
    ],
)
def test_excel_exports_are_not_stored(world, name, query):
    admin = world.a.users[roles.TENANT_ADMIN]
    client = token_client(admin.username) if name.startswith("api:") else login(admin)
    response = _get(client, name, query(world))
    assert response.status_code == 200, response.content[:300]
    assert "spreadsheetml" in response["Content-Type"]
    assert response["Cache-Control"] == "private, no-store"


def test_a_revealed_resident_id_is_not_stored(world):
    admin = world.a.users[roles.TENANT_ADMIN]
    person = world.a.worker_person
    page = login(admin).post(reverse("person-reveal", kwargs={"pk": person.pk}))
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    api = token_client(admin.username).post(
        reverse("api:person-reveal-resident-id", kwargs={"pk": person.pk})
    )
    assert api.status_code == 200 and api.json()["resident_id"]
    assert api["Cache-Control"] == "private, no-store"
