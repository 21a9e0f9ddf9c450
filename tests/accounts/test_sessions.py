"""Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS after the
login; an expired session is a logged-out one (pages redirect to the login, the API answers 401/403)."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tenants import roles

from ..conftest import login

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def _at(minutes: float):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def test_an_idle_session_expires(world):
    with _at(0):
        client = login(world.a.users[roles.SAFETY_MANAGER])
    with _at(29):
        assert client.get("/people/").status_code == 200
    with _at(29 + 31):
        response = client.get("/people/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    with _at(61):  # logged out for good, not only for that request
        assert client.get("/people/").status_code == 302
        assert client.get("/api/v1/me/").status_code in (401, 403)


def test_an_idle_session_is_refused_by_the_api_too(world):
    with _at(0):
        client = login(world.a.users[roles.SAFETY_MANAGER])
        assert client.get("/api/v1/me/").status_code == 200
    with _at(31):
        assert client.get("/api/v1/me/").status_code in (401, 403)


def test_the_idle_limit_comes_from_the_settings(world, settings):
    settings.SESSION_IDLE_MINUTES = 5
    with _at(0):
        client = login(world.a.users[roles.WORKER])
    with _at(6):
        assert client.get("/").status_code == 302


def test_activity_keeps_a_session_alive_until_the_absolute_limit(world):
    with _at(0):
        client = login(world.a.users[roles.SAFETY_MANAGER])
    for minutes in range(20, 12 * 60, 20):  # a request every 20 minutes, all day
        with _at(minutes):
            assert client.get("/api/v1/me/").status_code == 200, minutes
    with _at(12 * 60 + 1):
        response = client.get("/people/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_worker_saving_answers_through_a_long_exam_stays_logged_in(world):
    """The exam page saves each answer through the API as it is chosen (static/js/exam.js): those
    requests are activity, so a 120-minute exam answered every few minutes is never cut off."""
    with _at(0):
        client = login(world.a.users[roles.WORKER])
    for minutes in range(0, 121, 7):
        with _at(minutes):
            # Any session request counts the same; /api/v1/me/ stands for the answer PUTs.
            assert client.get("/api/v1/me/").status_code == 200, minutes
    with _at(121):
        assert client.get("/").status_code == 200
