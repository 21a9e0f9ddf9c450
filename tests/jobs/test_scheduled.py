"""Scheduled jobs on the embedded default: `./dev start` runs them as production does.

Production runs `celery beat` (django-celery-beat's DatabaseScheduler, CELERY_BEAT_SCHEDULE) beside
workers on Redis. The embedded default has no Redis: `./dev start` runs `manage.py
run_scheduled_jobs` once (the daily jobs a laptop missed while it was off), then one worker with
an embedded beat on kombu's filesystem broker (CELERY_BROKER_URL=filesystem://, no server).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from compliance.jobs.management.commands.run_scheduled_jobs import scheduled_tasks
from compliance.notifications.models import Notification
from tenants.scope import dangerously_platform_scope

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_every_scheduled_entry_names_a_registered_task():
    tasks = scheduled_tasks()
    assert set(tasks) == set(settings.CELERY_BEAT_SCHEDULE)
    assert {"certificate-reminders", "jobs-sweep", "training-close-expired-attempts"} <= set(tasks)
    for name, task in tasks.items():
        assert task.name == settings.CELERY_BEAT_SCHEDULE[name]["task"]


def test_dev_start_runs_the_catch_up_and_a_worker_with_beat_on_the_filesystem_broker():
    dev = (ROOT / "dev").read_text()
    assert "manage.py run_scheduled_jobs" in dev
    assert "CELERY_BROKER_URL=filesystem://" in dev and "worker -B" in dev


@pytest.mark.no_world
def test_the_demo_gets_certificate_reminders_in_the_app_and_by_email(
    seeded_demo, django_capture_on_commit_callbacks
):
    with dangerously_platform_scope():
        # The demo itself may notify (an alarm it escalates): what the scheduled jobs add is new.
        before = set(Notification.objects.values_list("pk", flat=True))
        # One demo login with an address: the reminders reach it by email too.
        manager = get_user_model().objects.get(username="qn-manager")
        manager.email = "qn-manager@example.cn"
        manager.save()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled_jobs", stdout=out)
    assert "certificate-reminders:" in out.getvalue()
    with dangerously_platform_scope():
        notes = Notification.objects.filter(user=manager).exclude(pk__in=before)
        titles = list(notes.values_list("title", flat=True))
        certificates = list(notes.filter(dedupe_key__startswith="cert:").values_list("title", flat=True))
    # The other scheduled jobs speak to the manager too (overdue hazards escalate): the reminders
    # are the ones keyed by a certificate.
    assert certificates, titles
    assert all("证书" in t for t in certificates)
    assert {m.subject for m in mail.outbox} == set(titles)
    assert all(m.to == ["qn-manager@example.cn"] for m in mail.outbox)
    # Run again (beat the next day, or a second start): nothing twice.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled_jobs", stdout=StringIO())
    with dangerously_platform_scope():
        assert Notification.objects.filter(user=manager).exclude(pk__in=before).count() == len(titles)
    assert mail.outbox == []


def test_a_worker_with_embedded_beat_runs_the_schedule_on_the_embedded_broker(tmp_path):
    """The real processes, on a fresh SQLite database: beat (DatabaseScheduler) sends the due
    entries through the filesystem broker and the worker runs them."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "DATABASE_URL"}},
        "KUANGAN_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "filesystem://",
        "JOB_SWEEP_INTERVAL": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "compliance", "worker", "-B", "--pool", "solo", "--loglevel", "info"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None:
            text = log.read_text()
            if "compliance.jobs.tasks.sweep_jobs" in text and "succeeded" in text:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    text = log.read_text()
    assert "Scheduler: Sending due task jobs-sweep" in text, text[-3000:]
    assert "sweep_jobs" in text and "succeeded" in text, text[-3000:]
    names = list(settings.CELERY_BEAT_SCHEDULE)
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django_celery_beat.models import PeriodicTask as P; "
            "print(P.objects.get(name='jobs-sweep').total_run_count, "
            f"P.objects.filter(name__in={names!r}).count())",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "compliance.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Every entry of CELERY_BEAT_SCHEDULE was copied into the scheduler's table, and the sweeper ran.
    assert int(count[0]) >= 1 and int(count[1]) == len(settings.CELERY_BEAT_SCHEDULE)
