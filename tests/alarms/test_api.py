"""The intake API (a mine's feed key, idempotent, its own mine only) and the queue's API."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.alarms import services
from compliance.alarms.models import Alarm
from compliance.tokens.services import api_token_issue
from tenants import roles
from tenants.scope import activate

from ..conftest import login
from .helpers import feed, handle, incoming, ingest, platform

pytestmark = pytest.mark.django_db
URL = "/api/v1/alarms/ingest/"


def _alarm(**overrides) -> dict:
    body = {
        "source_id": "KJ-20260301-0001",
        "system": "safety_monitoring",
        "kind": "gas",
        "point_code": "T0101",
        "location": "1301 回风巷",
        "value": "1.25",
        "unit": "%",
        "limit": "1.00",
        "occurred_at": (timezone.now() - datetime.timedelta(minutes=3)).isoformat(),
    }
    body.update(overrides)
    return body


def _post(key, body):
    return Client().post(
        URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )


def _stored(tw) -> int:
    with platform():
        return Alarm.objects.filter(tenant=tw.tenant).count()


def test_a_retry_answers_200_with_the_same_body(world):
    _feed, key = feed(world.a)
    first = _post(key, _alarm())
    assert first.status_code == 201, first.content
    again = _post(key, _alarm())
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["mine"] == str(world.a.mine.pk) and first.json()["status"] == "open"
    assert _stored(world.a) == 1


def test_a_batch(world):
    _feed, key = feed(world.a)
    body = {"alarms": [_alarm(source_id=f"B-{i}") for i in range(3)]}
    response = _post(key, body)
    assert response.status_code == 201 and len(response.json()["alarms"]) == 3
    body["alarms"].append(_alarm(source_id="B-3"))
    response = _post(key, body)
    assert response.status_code == 201 and _stored(world.a) == 4  # one new in the batch
    assert _post(key, body).status_code == 200
    bad = {"alarms": [_alarm(source_id="C-1"), _alarm(source_id="C-2", kind="volcano")]}
    response = _post(key, bad)
    assert response.status_code == 400 and _stored(world.a) == 4  # all or nothing


def test_the_key_posts_for_its_own_mine_only(world):
    _feed, key = feed(world.a)
    for other in (world.a.other_mine, world.b.mine):
        response = _post(key, _alarm(mine=str(other.pk)))
        assert response.status_code == 403
        response = _post(key, {"alarms": [_alarm(source_id="ok"), _alarm(source_id="x", mine=str(other.pk))]})
        assert response.status_code == 403
    assert _stored(world.a) == 0 and _stored(world.b) == 0
    assert _post(key, _alarm(mine=str(world.a.mine.pk))).status_code == 201


def test_who_may_post(world):
    _feed, key = feed(world.a)
    assert _post("kaf_not-a-key", _alarm()).status_code == 401
    assert Client().post(URL, _alarm(), content_type="application/json").status_code == 401
    # A login's own API token is not a system's key; a logged-in person is refused too.
    _token, token_key = api_token_issue(user=world.a.users[roles.SAFETY_MANAGER])
    assert _post(token_key, _alarm()).status_code == 401
    client = login(world.a.users[roles.SAFETY_MANAGER])
    assert client.post(URL, _alarm(), content_type="application/json").status_code == 403
    # A revoked key stops at once.
    feed_obj, key2 = feed(world.a)
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        services.alarm_feed_revoke(scope=scope, feed=feed_obj)
    assert _post(key2, _alarm()).status_code == 401
    assert _stored(world.a) == 0


def test_field_errors(world):
    _feed, key = feed(world.a)
    response = _post(key, _alarm(kind="x", occurred_at="yesterday", point_code=""))
    assert response.status_code == 400
    assert {"kind", "occurred_at", "point_code"} <= set(response.json())


def test_the_intake_is_in_the_schema(world):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/alarms/ingest/"]["post"]
    assert {"200", "201", "400", "401", "403"} <= set(operation["responses"])
    assert "alarmFeedAuth" in schema["components"]["securitySchemes"]
    assert "/api/v1/alarms/{id}/close/" in schema["paths"]


def test_handling_through_the_api(world):
    alarm = ingest(world.a, incoming())[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    base = f"/api/v1/alarms/{alarm.pk}/"
    assert (
        client.post(
            base + "close/", {"cause": "x", "measures": "y"}, content_type="application/json"
        ).status_code
        == 409
    )
    assert client.post(base + "acknowledge/", {}, content_type="application/json").status_code == 200
    response = client.post(base + "check/", {"findings": ""}, content_type="application/json")
    assert response.status_code == 400 and "findings" in response.json()
    assert (
        client.post(base + "check/", {"findings": "正常"}, content_type="application/json").status_code == 200
    )
    response = client.post(
        base + "close/", {"cause": "传感器漂移", "measures": "校准"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert [e["action"] for e in client.get(base).json()["events"]] == ["acknowledge", "check", "close"]
    # Another tenant's alarm is not there; a regulator reads but never writes.
    assert login(world.b.users[roles.TENANT_ADMIN]).get(base).status_code == 404
    regulator = login(world.regulator_in)
    assert regulator.get(base).status_code == 200
    assert regulator.post(base + "acknowledge/", {}, content_type="application/json").status_code == 403


def test_filters_and_stats(world):
    ingest(
        world.a,
        incoming(kind="co"),
        incoming(kind="gas", occurred_at=timezone.now() - datetime.timedelta(hours=2)),
    )
    handle(world.a, ingest(world.a, incoming())[0])
    client = login(world.a.users[roles.HQ_AUDITOR])
    assert client.get("/api/v1/alarms/", {"kind": "co"}).json()["count"] == 1
    assert client.get("/api/v1/alarms/", {"status": "open"}).json()["count"] == 2
    assert client.get("/api/v1/alarms/", {"status": "unclosed"}).json()["count"] == 2
    assert client.get("/api/v1/alarms/", {"overdue": "true"}).json()["count"] == 1
    assert client.get("/api/v1/alarms/", {"mine": str(world.a.mine.pk)}).json()["count"] == 3
    assert client.get("/api/v1/alarms/", {"mine": str(world.b.mine.pk)}).status_code == 404
    stats = client.get("/api/v1/alarms/stats/").json()
    assert sum(r["count"] for r in stats) == 3 and sum(r["on_time"] for r in stats) == 1


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_lists_have_constant_queries(world):
    ingest(world.a, incoming(), incoming())
    client = login(world.a.users[roles.TENANT_ADMIN])
    urls = [
        reverse("api:alarm-list"),
        reverse("api:alarm-stats"),
        reverse("alarms:alarm-list"),
        reverse("alarms:stats"),
        reverse("alarms:feed-list"),
    ]
    few = [_queries(client, url) for url in urls]
    for i in range(48):
        ingest(world.a, incoming(point_code=f"P{i % 5}"), role=roles.TENANT_ADMIN,
               mine=world.a.other_mine if i % 2 else world.a.mine)  # fmt: skip
    feed(world.a)
    assert [_queries(client, url) for url in urls] == few


def test_readings_with_more_decimals_are_rounded_not_refused(world):
    _feed, key = feed(world.a)
    response = _post(key, _alarm(value="1.123456", limit="1.00005"))
    assert response.status_code == 201, response.content
    assert (response.json()["value"], response.json()["limit"]) == ("1.1235", "1.0001")
    assert _post(key, _alarm(source_id="big", value="1e12")).status_code == 400
    assert _post(key, _alarm(source_id="nan", value="NaN")).status_code == 400


def test_a_feed_key_opens_nothing_but_the_intake(world):
    alarm = ingest(world.a, incoming())[0]
    _feed, key = feed(world.a)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert Client().get("/api/v1/alarms/", **auth).status_code == 401
    assert Client().get(f"/api/v1/alarms/{alarm.pk}/", **auth).status_code == 401
    assert Client().post(f"/api/v1/alarms/{alarm.pk}/acknowledge/", {}, content_type="application/json",
                         **auth).status_code == 401  # fmt: skip
    assert Client().get("/api/v1/me/", **auth).status_code == 401
