"""Training's panels on the person page (一人一档): hours this year, certificates, exam attempts.

Each provider checks the viewer's permission at the person's unit and reads in a constant number of
queries; ``None`` means this viewer does not see the panel.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from compliance.registry import PersonPanel, register_person_panel
from tenants.models import Person

from . import assessments, certificates, hours, practice, prejob, reviews
from . import permissions as perms
from .certificate_rules import RuleBook
from .models import Attempt

RECENT_ATTEMPTS = 10


def _may_view(scope, person) -> bool:
    return scope.has_perm(perms.VIEW_TRAINING, person.org_unit.path, person.tenant_id)


def hours_context(scope, person) -> dict | None:
    """This year's hours against the rules, the retraining flags and the pre-job gate (岗前) (at
    most 4 queries: the rule packs, their rules, the annotated person, the pre-job hours)."""
    if not _may_view(scope, person):
        return None
    year = hours.today().year
    rules = hours.rules_for_year(year, scope=scope)
    row = hours.people_hours(scope=scope, year=year, people=Person.objects.filter(pk=person.pk), rules=rules)
    row = row.first()
    pre_job = prejob.pre_job(scope=scope, person=person, rules=rules, row=row) if row is not None else None
    return {
        "year": year,
        "row": row,
        "rule": hours.deciding_rule(rules, row) if row is not None else None,
        "unverified": hours.unverified_note(rules, row) if row is not None else "",
        "pre_job": pre_job,
        "retraining": hours.retraining_labels(row) if row is not None else [],
    }


def practice_context(scope, person) -> dict | None:
    """Supervised practice (师带徒): whether the person counts as qualified to work alone (at most
    4 queries), with the action to record a practice when permitted."""
    if not _may_view(scope, person):
        return None
    state = practice.practice_state(scope=scope, person=person)
    if not state.required:
        return None
    return {
        "state": state,
        "can_record": scope.has_perm(perms.MANAGE_TRAINING, person.org_unit.path, person.tenant_id),
    }


def certificates_context(scope, person) -> dict | None:
    """The person's certificates with their flags (a review's practical re-exam, a manager's
    assessment), a manager's statutory assessment sittings with where they stand and the
    deadline, and the actions to record either when permitted (seven queries)."""
    if not _may_view(scope, person):
        return None
    rows = certificates.person_certificates(scope=scope, person=person)
    book = RuleBook.load()
    sittings = assessments.person_sittings(scope=scope, person=person)
    return {
        "certificates": rows,
        "flags": reviews.person_flags(scope=scope, person=person, certs=rows, sittings=sittings, book=book),
        "assessment": assessments.summary(person=person, sittings=sittings, book=book),
        "can_record_certificate": scope.has_perm(
            perms.MANAGE_TRAINING, person.org_unit.path, person.tenant_id
        ),
    }


def attempts_context(scope, person) -> dict | None:
    """The person's latest exam attempts with their results (one query)."""
    if not _may_view(scope, person):
        return None
    rows = list(
        scope.filter_queryset(Attempt.objects.filter(person=person))
        .select_related("paper")
        .order_by("-started_at")[: RECENT_ATTEMPTS + 1]
    )
    return {
        "attempts": rows[:RECENT_ATTEMPTS],
        "more": len(rows) > RECENT_ATTEMPTS,
        # The paper's page lists the questions with their answers: only for those who may read them.
        "can_open_paper": scope.has_perm(perms.VIEW_QUESTION_BANK, person.org_unit.path, person.tenant_id),
    }


def register() -> None:
    register_person_panel(
        PersonPanel(
            "training-hours", _("Training hours"), "training/panels/hours.html", hours_context, order=10
        )
    )
    register_person_panel(
        PersonPanel(
            "supervised-practice",
            _("Supervised practice"),
            "training/panels/practice.html",
            practice_context,
            order=15,
        )
    )
    register_person_panel(
        PersonPanel(
            "certificates",
            _("Certificates"),
            "training/panels/certificates.html",
            certificates_context,
            order=20,
        )
    )
    register_person_panel(
        PersonPanel(
            "exam-attempts", _("Exam attempts"), "training/panels/attempts.html", attempts_context, order=30
        )
    )
