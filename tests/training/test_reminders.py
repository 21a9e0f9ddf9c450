"""Certificate reminders: 90, 30 and 7 days before expiry or review, to the person and the safety
managers above them, each once — over several days of the scheduled job (time travel)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from compliance.notifications.models import Notification
from compliance.training import reminders
from compliance.training.models import Reminder
from compliance.training.tasks import send_certificate_reminders
from tenants import roles, services
from tenants.scope import dangerously_platform_scope

from .test_certificates import make_cert

pytestmark = pytest.mark.django_db

D = datetime.date


def _on(day: datetime.date):
    """Travel to 10:00 Beijing time on ``day``."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 2, 0, tzinfo=datetime.UTC), tick=False
    )


def _notes(user):
    with dangerously_platform_scope():
        return list(Notification.objects.filter(user=user).order_by("created_at", "title"))


def _reminders():
    with dangerously_platform_scope():
        return sorted(Reminder.objects.values_list("due_kind", "due_on", "days_before"))


@pytest.fixture
def expiring_cert(world):
    """The worker's principal certificate, expiring on 2026-06-30 (issued 2023-06-30)."""
    return make_cert(world.a.worker_person, number="REM-1", kind="principal", issued_on=D(2023, 6, 30))


def test_each_threshold_once_over_the_days(world, expiring_cert):
    worker = world.a.users[roles.WORKER]
    manager = world.a.users[roles.SAFETY_MANAGER]
    sent_by_day = {}
    for day in [
        D(2026, 3, 1),  # 121 days: nothing yet
        D(2026, 4, 1),  # 90 days
        D(2026, 4, 2),  # 89: the 90-day reminder is already out
        D(2026, 5, 30),  # 31
        D(2026, 5, 31),  # 30
        D(2026, 6, 23),  # 7
        D(2026, 6, 23),  # the same day again
        D(2026, 6, 30),  # the day itself: the 7-day reminder is already out
        D(2026, 7, 1),  # past: no more reminders
    ]:
        with _on(day):
            sent_by_day.setdefault(day, []).append(send_certificate_reminders.delay().get())
    assert sent_by_day == {
        D(2026, 3, 1): [0],
        D(2026, 4, 1): [1],
        D(2026, 4, 2): [0],
        D(2026, 5, 30): [0],
        D(2026, 5, 31): [1],
        D(2026, 6, 23): [1, 0],
        D(2026, 6, 30): [0],
        D(2026, 7, 1): [0],
    }
    assert _reminders() == [
        ("expiry", D(2026, 6, 30), 7),
        ("expiry", D(2026, 6, 30), 30),
        ("expiry", D(2026, 6, 30), 90),
    ]
    for user in (worker, manager):
        notes = _notes(user)
        assert len(notes) == 3
        assert len({n.dedupe_key for n in notes}) == 3
    # The group admin (no safety-manager role) and tenant B hear nothing.
    assert _notes(world.a.users[roles.TENANT_ADMIN]) == []
    assert _notes(world.b.users[roles.SAFETY_MANAGER]) == []


def test_message_in_chinese_with_whom_what_when_and_link(world, expiring_cert):
    with _on(D(2026, 5, 31)):
        reminders.send_due_reminders()
    (note,) = _notes(world.a.users[roles.WORKER])
    name = world.a.worker_person.name
    assert name in note.title and "主要负责人" in note.title and "30" in note.title
    assert "2026-06-30" in note.body and "30天" in note.body and "REM-1" in note.body and "到期" in note.body
    assert note.link == f"/training/certificates/{expiring_cert.pk}/"
    assert note.tenant_id == world.a.tenant.pk and note.read_at is None
    # The link works for the person (their own certificate) and for the safety manager.
    from ..conftest import login

    for role in (roles.WORKER, roles.SAFETY_MANAGER):
        assert login(world.a.users[role]).get(note.link).status_code == 200


def test_review_reminders_for_special_operations(world):
    # Issued 2023-06-30: review due 2026-06-30, expiry 2029-06-30. Person has no login.
    make_cert(world.a.people[1], number="REV-1", issued_on=D(2023, 6, 30))
    with _on(D(2026, 6, 25)):
        assert reminders.send_due_reminders() == 1
    (note,) = _notes(world.a.users[roles.SAFETY_MANAGER])
    assert "复审" in note.title and "5" in note.title
    assert _reminders() == [("review", D(2026, 6, 30), 7)]


def test_a_late_first_run_sends_only_the_most_urgent(world, expiring_cert):
    with _on(D(2026, 6, 10)):  # 20 days left; the job never ran before
        assert reminders.send_due_reminders() == 1
    assert _reminders() == [("expiry", D(2026, 6, 30), 30)]


def test_safety_managers_only_above_the_person(world):
    # people[3] is at mine 2's team; the safety manager's role is at mine 1.
    make_cert(world.a.people[3], number="M2", kind="principal", issued_on=D(2023, 6, 30))
    with dangerously_platform_scope() as platform:
        services.membership_grant(
            scope=platform,
            user=world.a.users[roles.TEAM_LEADER],
            org_unit=world.a.subsidiary,
            role=roles.SAFETY_MANAGER,
        )
    with _on(D(2026, 6, 23)):
        reminders.send_due_reminders()
    assert _notes(world.a.users[roles.SAFETY_MANAGER]) == []
    assert len(_notes(world.a.users[roles.TEAM_LEADER])) == 1  # safety manager at the subsidiary


def test_revoked_certificates_are_not_reminded(world):
    make_cert(world.a.worker_person, number="X", kind="principal", issued_on=D(2023, 6, 30), status="revoked")
    with _on(D(2026, 6, 23)):
        assert reminders.send_due_reminders() == 0


def test_people_who_left_are_not_reminded(world):
    make_cert(world.a.people[2], number="LEFT", kind="principal", issued_on=D(2023, 6, 30))
    with dangerously_platform_scope():
        type(world.a.people[2]).objects.filter(pk=world.a.people[2].pk).update(status="left")
    with _on(D(2026, 6, 23)):
        assert reminders.send_due_reminders() == 0


def test_a_crash_half_way_sends_nothing_twice(world, expiring_cert, monkeypatch):
    from compliance.notifications import services as notifications

    real = notifications.notify
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second recipient: the run dies here
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(notifications, "notify", flaky)
    with _on(D(2026, 6, 23)):
        assert reminders.send_due_reminders() == 0
    # Everything of that reminder rolled back, the first recipient's notification included.
    assert _reminders() == [] and _notes(world.a.users[roles.WORKER]) == []
    monkeypatch.setattr(notifications, "notify", real)
    with _on(D(2026, 6, 23)):
        assert reminders.send_due_reminders() == 1
        assert reminders.send_due_reminders() == 0
    assert len(_notes(world.a.users[roles.WORKER])) == 1
    assert len(_notes(world.a.users[roles.SAFETY_MANAGER])) == 1


def test_email_to_those_with_an_address_and_failures_are_not_fatal(
    world, expiring_cert, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from compliance.notifications import services as notification_services

    worker = world.a.users[roles.WORKER]
    worker.email = "worker@example.cn"
    worker.save()
    settings.SITE_URL = "https://kuangan.example.cn"
    with _on(D(2026, 5, 31)), django_capture_on_commit_callbacks(execute=True):
        reminders.send_due_reminders()
    # The worker has an address; the safety manager has none and gets the in-app one only.
    (message,) = mail.outbox
    assert message.to == ["worker@example.cn"] and "30" in message.subject
    assert f"https://kuangan.example.cn/training/certificates/{expiring_cert.pk}/" in message.body

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(notification_services, "send_mail", broken)
    with _on(D(2026, 6, 23)), django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders() == 1  # logged, not fatal; the in-app one is there
    assert len(_notes(worker)) == 2


def test_beat_runs_it_daily():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from compliance.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["certificate-reminders"]
    assert entry["task"] == send_certificate_reminders.name == "training.tasks.send_certificate_reminders"
    DatabaseScheduler.Entry.from_entry(
        "certificate-reminders", app=app, **app.conf.beat_schedule["certificate-reminders"]
    )
    task = PeriodicTask.objects.get(name="certificate-reminders")
    assert task.task == "training.tasks.send_certificate_reminders" and task.enabled
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_month) == ("6", "30", "*")


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(120, None), (91, None), (90, 90), (31, 90), (30, 30), (8, 30), (7, 7), (0, 7), (-1, None)],
)
def test_threshold_for(days_left, expected):
    assert reminders.threshold_for(days_left, [90, 30, 7]) == expected
