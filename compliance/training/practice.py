"""Supervised practice of new underground coal workers (师带徒, issue 14 point 11).

煤矿安全培训规定 (原国家安全监管总局令第92号): a new underground worker of a coal mine, once
trained, practises under an experienced worker for 4 months (the pack's
``supervised_practice_months``) before working alone. Until the practice is over the worker is
**not counted as qualified to work alone**: the training panel of the person page and the API say
so, with the mentor and the end date.

Decisions where the issue is silent:

* **Who needs it**: people of an underground coal mine (``coal_underground``) who are not
  managers (ordinary and special-operation workers) and took their post within the practice
  period before today. Before a practice is recorded for them they show as "supervised practice
  not recorded" — not qualified alone either.
* **The mentor**: a person of the same group, in the caller's scope, on post, not the worker,
  and not in supervised practice themselves.
* **The end date**: ``starts_on`` plus the months of the pack that applies at the worker's mine
  on ``starts_on`` (day clamped to the month's end). Binding as the pack is verified; the
  national pack's 4 months is.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.access import first_or_404
from compliance.audit.services import audit_record
from tenants.models import MineProfile, Person
from tenants.scope import Scope

from . import packs
from . import permissions as perms
from .models import SupervisedPractice

MANAGERS = (Person.PostCategory.PRINCIPAL, Person.PostCategory.SAFETY_MANAGEMENT)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(scope: Scope, person: Person, day: datetime.date) -> tuple[int, bool]:
    pack = packs.pack_for_unit(scope=scope, unit=person.org_unit, day=day)
    if pack is None:
        return 4, False
    return pack.supervised_practice_months, pack.verified


def _is_underground_coal(person: Person) -> bool:
    profile = packs.mine_of(person.org_unit)
    return profile is not None and profile.mine_type == MineProfile.MineType.COAL_UNDERGROUND


@dataclass(frozen=True)
class PracticeState:
    """Whether a person counts as qualified to work alone, as far as 师带徒 goes."""

    required: bool  # a new underground coal worker
    practice: SupervisedPractice | None  # the latest recorded practice
    today: datetime.date
    verified: bool = True

    @property
    def in_practice(self) -> bool:
        return self.practice is not None and self.practice.starts_on <= self.today < self.practice.ends_on

    @property
    def missing(self) -> bool:
        return self.required and self.practice is None

    @property
    def qualified_alone(self) -> bool:
        return not (self.in_practice or self.missing)


def practice_state(*, scope: Scope, person: Person, today: datetime.date | None = None) -> PracticeState:
    """Three or four queries (the mine, the latest practice, the pack when one is needed)."""
    today = today or timezone.localdate()
    practice = (
        scope.filter_queryset(SupervisedPractice.objects.filter(person_id=person.pk))
        .select_related("mentor")
        .order_by("-starts_on")
        .first()
    )
    required, verified = False, True
    if (
        practice is None
        and person.post_started_on
        and person.post_category not in MANAGERS
        and person.status != Person.Status.LEFT
        and _is_underground_coal(person)
    ):
        months, verified = _months(scope, person, person.post_started_on)
        required = today < add_months(person.post_started_on, months)
    elif practice is not None:
        required = True
    return PracticeState(required=required, practice=practice, today=today, verified=verified)


def in_practice_ids(*, scope: Scope, person_ids, today: datetime.date | None = None) -> set:
    """Of ``person_ids``, those in a recorded supervised practice today (one query; for lists)."""
    today = today or timezone.localdate()
    return set(
        scope.filter_queryset(
            SupervisedPractice.objects.filter(
                person_id__in=list(person_ids), starts_on__lte=today, ends_on__gt=today
            )
        ).values_list("person_id", flat=True)
    )


def practice_list(*, scope: Scope) -> QuerySet[SupervisedPractice]:
    return scope.filter_queryset(SupervisedPractice.objects.all()).select_related(
        "person", "mentor", "person__org_unit"
    )


def access_practice(scope: Scope, pk) -> SupervisedPractice:
    return first_or_404(practice_list(scope=scope), pk=pk)


@transaction.atomic
def practice_record(
    *, scope: Scope, person: Person, mentor: Person, starts_on: datetime.date, note: str = ""
) -> SupervisedPractice:
    """Record a new underground coal worker's supervised practice with their mentor. Bad input is
    refused field by field and changes nothing."""
    scope.require(perms.MANAGE_TRAINING, person.org_unit)
    errors: dict = {}
    if not _is_underground_coal(person):
        errors["person"] = [_("Supervised practice (师带徒) is for workers of underground coal mines.")]
    elif person.post_category in MANAGERS:
        errors["person"] = [_("Supervised practice (师带徒) is for workers, not managers.")]
    if mentor.pk == person.pk:
        errors["mentor"] = [_("A worker cannot mentor themselves.")]
    elif mentor.tenant_id != person.tenant_id:
        errors["mentor"] = [_("The mentor must be of the same group.")]
    elif mentor.status != Person.Status.ON_POST:
        errors["mentor"] = [_("The mentor must be on post.")]
    elif in_practice_ids(scope=scope, person_ids=[mentor.pk], today=starts_on or timezone.localdate()):
        errors["mentor"] = [_("The mentor is in supervised practice themselves.")]
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = [_("Enter the date the practice starts.")]
    if errors:
        raise ValidationError(errors)
    months, _verified = _months(scope, person, starts_on)
    practice = SupervisedPractice(
        tenant_id=person.tenant_id,
        person=person,
        mentor=mentor,
        starts_on=starts_on,
        ends_on=add_months(starts_on, months),
        note=(note or "").strip()[:200],
    )
    practice.full_clean(exclude=["tenant"])
    practice.save()
    audit_record(
        action="create",
        obj=practice,
        object_repr=f"{person.name} · {mentor.name}",
        org_path=person.org_unit.path,
        after={
            "person": str(person.pk),
            "mentor": str(mentor.pk),
            "starts_on": str(practice.starts_on),
            "ends_on": str(practice.ends_on),
            "months": months,
        },
    )
    return practice
