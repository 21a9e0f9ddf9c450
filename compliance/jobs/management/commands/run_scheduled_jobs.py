"""Run every scheduled job once, now: the entries of CELERY_BEAT_SCHEDULE, in this process.

`./dev start` runs it before it starts the worker with its embedded beat, so the daily jobs a
laptop missed while it was off (certificate reminders at 06:30, lapses after midnight) catch up at
once instead of the next morning. Every scheduled task is idempotent (it may run twice, or from two
beats at once), so running them early or again changes nothing that was already done.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def scheduled_tasks() -> dict[str, object]:
    """The beat schedule's entries by name, each resolved to its registered task."""
    current_app.loader.import_default_modules()  # the tasks modules autodiscovery finds
    tasks = {}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        try:
            tasks[name] = current_app.tasks[entry["task"]]
        except KeyError:
            raise CommandError(f"scheduled job {name!r} names no registered task {entry['task']!r}") from None
    return tasks


class Command(BaseCommand):
    help = "Run every scheduled job (CELERY_BEAT_SCHEDULE) once, now, in this process."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="only these entries (default: all)")

    def handle(self, *names, **options):
        tasks = scheduled_tasks()
        unknown = set(names) - set(tasks)
        if unknown:
            raise CommandError(f"no such scheduled job: {', '.join(sorted(unknown))}")
        failed = []
        for name, task in tasks.items():
            if names and name not in names:
                continue
            # One job failing must not keep the others from running (each is independent).
            try:
                result = task.apply(args=settings.CELERY_BEAT_SCHEDULE[name].get("args", ()), throw=True)
            except Exception as exc:
                failed.append(name)
                self.stderr.write(f"{name}: failed: {exc!r}")
                continue
            if options["verbosity"] > 0:
                self.stdout.write(f"{name}: {result.result!r}")
        if failed:
            raise CommandError(f"scheduled jobs failed: {', '.join(failed)}")
