"""Courses, their sessions and who attended for how many hours."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.training import permissions as training_perms
from tenants.models import OrgUnit, Person, TenantOwned

from .rules import OperationType

# --- courses, sessions, attendance ------------------------------------------------------------


class Course(TenantOwned):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial training")
        ANNUAL = "annual", _("Annual retraining")
        NEW_WORKER = "new_worker", _("New worker training")
        SPECIAL_OPERATION = "special_operation", _("Special-operation training")
        SPECIAL_TOPIC = "special_topic", _("Special topic")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    operation_type = models.CharField(
        _("operation type"), max_length=24, choices=OperationType.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "org_unit__path"
    # The group's content for the units below it: a manager there reads it (never writes it).
    scope_ancestor_perm = training_perms.MANAGE_TRAINING

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "org_unit", "title"], name="course_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingSession(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    instructor = models.CharField(_("instructor"), max_length=64, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "org_unit__path"

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="session_dates"
            )
        ]


class Attendance(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attendances")
    hours = models.DecimalField(_("hours attended"), max_digits=5, decimal_places=1)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="attendance_once")]
