"""The public verification page (what the QR code opens): no login, found only by its token,
showing validity, kind, a masked name and the dates — and nothing else."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from tenants import roles

from ..conftest import login
from .test_certificates import make_cert

pytestmark = pytest.mark.django_db


def _verify(token, client=None):
    return (client or Client()).get(f"/training/verify/{token}/")


def test_shows_only_public_fields_without_login(world):
    person = world.a.people[1]
    cert = make_cert(person, number="SECRET-NUMBER-77", issuer="贵州省应急管理厅")
    response = _verify(cert.verify_token)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    masked = person.name[0] + "*" * (len(person.name) - 2) + person.name[-1]
    assert masked in page and person.name not in page
    assert "有效" in page and "特种作业" in page
    assert cert.issued_on.isoformat() in page and cert.expires_on.isoformat() in page
    # Nothing else: no number, ID number, employer, unit, group, issuer, person id or review date.
    for secret in (
        "SECRET-NUMBER-77",
        person.resident_id_masked,
        person.employee_no,
        world.a.team.name,
        world.a.mine.name,
        world.a.tenant.name,
        "贵州省应急管理厅",
        str(person.pk),
        str(cert.pk),
        cert.review_due_on.isoformat(),
    ):
        assert secret not in page, secret


def test_expired_and_revoked(world):
    expired = make_cert(
        world.a.people[2], number="OLD", kind="principal", issued_on=datetime.date(2020, 1, 1)
    )
    revoked = make_cert(world.b.people[2], number="REV", kind="safety_management", status="revoked")
    assert "已过期" in _verify(expired.verify_token).content.decode()
    page = _verify(revoked.verify_token).content.decode()
    assert "已撤销" in page and "安全生产管理人员" in page  # tenant B's certificate: found across tenants


def test_unknown_token_is_a_plain_404(world):
    make_cert(world.a.people[1], number="X")
    for token in ("nope", "a" * 32, "%27%20OR%201=1", "x" * 80):
        response = _verify(token)
        assert response.status_code == 404
        assert "有效" not in response.content.decode()


def test_logged_in_users_see_the_same_page(world):
    cert = make_cert(world.a.people[1], number="SAME")
    page = _verify(cert.verify_token, login(world.b.users[roles.TENANT_ADMIN])).content.decode()
    assert "SAME" not in page and world.a.people[1].name not in page


def test_tokens_are_unguessable(world):
    a = make_cert(world.a.people[1], number="T1")
    b = make_cert(world.a.people[2], number="T2", kind="principal")
    assert a.verify_token != b.verify_token and len(a.verify_token) >= 32
