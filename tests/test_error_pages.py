"""403, 404 and 500 answer pages in the product's look: translated, with the navigation of the
user's role and a way back; the API keeps answering JSON."""

import pytest
from django.test import Client

from tenants import roles

from .conftest import login

pytestmark = pytest.mark.django_db


def test_404_has_the_navigation_and_a_way_home(world):
    client = login(world.a.users[roles.HQ_AUDITOR])
    response = client.get(
        "/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_REFERER="http://testserver/audit/"
    )
    body = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in body and 'data-testid="error-home"' in body
    assert 'data-testid="nav-audit"' in body or 'class="mainnav"' in body  # the role's navigation
    assert 'href="http://testserver/audit/"' in body  # back where the user came from


def test_a_foreign_object_is_the_same_404_page(world):
    client = login(world.a.users[roles.HQ_AUDITOR])
    response = client.get(f"/people/{world.b.people[0].pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_the_way_back_never_leads_to_another_site(world):
    client = login(world.a.users[roles.HQ_AUDITOR])
    body = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/x").content.decode()
    assert "evil.example" not in body and 'data-testid="error-back"' not in body


def test_403_says_why_in_english_too(world):
    response = login(world.a.users[roles.WORKER]).get("/audit/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 403
    assert "Not permitted" in body and "group admin" in body and 'data-testid="error-home"' in body


def test_500_is_a_calm_page(world, monkeypatch):
    from compliance.audit import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.AuditEventListView, "get_context_data", broken)
    client = login(world.a.users[roles.HQ_AUDITOR])
    client.raise_request_exception = False
    response = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 500
    assert "出错了" in body and "boom" not in body and 'data-testid="error-home"' in body


def test_anonymous_404_offers_the_login(db):
    body = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "页面不存在" in body and "/accounts/login/" in body


def test_the_api_keeps_answering_json(world):
    response = login(world.a.users[roles.HQ_AUDITOR]).get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
