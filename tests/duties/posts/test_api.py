"""The posts and shifts API: appoint, end, file, plan and record; regulators read only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from compliance.duties.models import Post
from tenants import roles

from ...conftest import login
from .helpers import D, appoint, full_roster, make_people

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, data=json.dumps(body, default=str), content_type="application/json")


def test_appoint_end_and_file_through_the_api(world):
    tw = world.a
    [person] = make_people(tw, 1)
    client = login(tw.users[roles.SAFETY_MANAGER])
    url = reverse("api:duties-appointment-list")
    bad = _post(client, url, {"mine": tw.mine.pk, "post": "nope", "person": person.pk})
    assert bad.status_code == 400 and {"post", "started_on", "education"} <= set(bad.json())
    ok = _post(
        client,
        url,
        {"mine": tw.mine.pk, "post": Post.MINE_MANAGER, "person": person.pk, "started_on": "2026-01-05",
         "education": 3, "years_experience": 9, "mining_field": True},
    )  # fmt: skip
    assert ok.status_code == 201, ok.content
    appt_id = ok.json()["id"]
    again = _post(
        client,
        url,
        {"mine": tw.mine.pk, "post": Post.MINE_MANAGER, "person": person.pk, "started_on": "2026-01-06",
         "education": 3, "years_experience": 9},
    )  # fmt: skip
    assert again.status_code == 400 and "post" in again.json()
    filings = client.get(reverse("api:duties-filing-list")).json()["results"]
    assert [f["kind"] for f in filings] == ["appointment"] and filings[0]["due_on"] == "2026-01-20"
    end = _post(
        client, reverse("api:duties-appointment-end", kwargs={"pk": appt_id}), {"ended_on": "2026-02-01"}
    )
    assert end.status_code == 200 and end.json()["ended_on"] == "2026-02-01"
    filing_id = filings[0]["id"]
    filed = _post(
        client, reverse("api:duties-filing-file", kwargs={"pk": filing_id}), {"filed_on": "2026-01-10"}
    )
    assert filed.status_code == 200 and filed.json()["late"] is False
    roster = client.get(reverse("api:duties-roster-detail", kwargs={"pk": tw.mine.pk})).json()
    assert Post.MINE_MANAGER in roster["vacancies"] and roster["coal"] is True


def test_regulator_reads_rosters_and_coverage_never_writes(world):
    full_roster(world.a, seq=700)
    reg = login(world.regulator_in)
    rosters = reg.get(reverse("api:duties-roster-list")).json()["results"]
    names = {r["mine_name"] for r in rosters}
    assert world.a.mine.name in names and world.a.other_mine.name not in names
    assert reg.get(reverse("api:duties-shift-coverage-list") + "?month=2026-03").status_code == 200
    assert reg.get(reverse("api:duties-shift-coverage-list") + "?month=13-2026").status_code == 400
    [person] = make_people(world.a, 1, seq=760)
    body = {"mine": world.a.mine.pk, "on_date": "2026-03-02", "shift": 1, "leader": person.pk}
    assert _post(reg, reverse("api:duties-shift-plan-list"), body).status_code == 403
    assert login(world.a.users[roles.WORKER]).get(reverse("api:duties-roster-list")).status_code == 403


def test_plan_and_record_shift_through_the_api(world):
    tw = world.a
    [manager] = make_people(tw, 1)
    appoint(tw, tw.mine, Post.MINE_MANAGER, manager, on=D(2025, 1, 1))
    client = login(tw.users[roles.SAFETY_MANAGER])
    plan = _post(
        client,
        reverse("api:duties-shift-plan-list"),
        {"mine": tw.mine.pk, "on_date": "2026-03-02", "shift": 1, "leader": manager.pk},
    )
    assert plan.status_code == 201
    record = _post(
        client,
        reverse("api:duties-shift-record-list"),
        {"mine": tw.mine.pk, "on_date": "2026-03-02", "shift": 1, "crew_down_at": "2026-03-02T07:00:00+08:00",
         "crew_up_at": "2026-03-02T15:00:00+08:00", "leader": manager.pk,
         "leader_down_at": "2026-03-02T07:00:00+08:00", "leader_up_at": "2026-03-02T13:00:00+08:00"},
    )  # fmt: skip
    assert record.status_code == 201 and record.json()["leader_up_early"] is True
    [row] = client.get(reverse("api:duties-shift-coverage-list") + "?month=2026-03").json()["results"][:1]
    assert row["shifts"] == 1 and row["up_early"] == 1 and row["planned"] == 1 and row["plan_missed"] == 0
    plan_id = plan.json()["id"]
    assert client.delete(reverse("api:duties-shift-plan-detail", kwargs={"pk": plan_id})).status_code == 204
