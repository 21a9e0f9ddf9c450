"""Responsibility lists (全员安全生产责任制) and duty assessments (履职考核).

The Work Safety Law (2021, Art. 4 and 22) asks every post to have its written responsibilities:
the responsible person, the scope and the assessment criteria. There is no national template, so
every figure here (the posts, the items, the acknowledgement window, the pass mark, the cycle) is
the group's own data.

- A ``DutyPost`` (岗位) is a post of the group's catalogue: 董事长 … 班组长, each worker post.
  People hold posts through ``PostHolder`` rows; that is how a list reaches a person.
- A ``ListTemplate`` is the list of one post at one org unit: the group's (at HQ), or a
  subsidiary's or mine's adaptation of the nearest template above it (``base``). It has numbered,
  immutable ``ListVersion``s of ``ListItem``s (duty, scope, 考核标准, evidence expected).
- An adaptation adds items and never drops one: every item of the base's current version is in
  each of its versions (the same ``key``), enforced by ``duties.services_lists`` when a version is
  published; and when the base publishes, every adaptation is republished on top of it in the same
  transaction, so no moment exists in which an adaptation lacks a base item.
- An ``Acknowledgement`` (签字确认) records who signed which version, when. A new version asks
  everyone holding the post to sign again; an unsigned current version past the group's window is
  overdue.
- A ``DutyAssessment`` (履职考核) scores one person's list for one period (a month or a quarter, the
  group's setting), item by item (``AssessmentScore``), by a superior; a mine's principal (一把手)
  is assessed from above the mine (group HQ or the subsidiary).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.duties import permissions_lists as perms
from tenants.models import OrgUnit, Person, TenantOwned

__all__ = [
    "DutyListSettings",
    "DutyPost",
    "ListTemplate",
    "ListVersion",
    "ListItem",
    "PostHolder",
    "Acknowledgement",
    "DutyAssessment",
    "AssessmentScore",
]


class DutyListSettings(TenantOwned):
    """The group's own figures for lists and assessments (no national number exists)."""

    class Cycle(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")  # the group HQ
    assessment_cycle = models.CharField(
        _("assessment cycle"), max_length=12, choices=Cycle.choices, default=Cycle.MONTHLY
    )
    acknowledge_within_days = models.PositiveSmallIntegerField(
        _("days to acknowledge a list"),
        default=14,
        help_text=_("From the version's publication or the post's start."),
    )
    pass_score = models.PositiveSmallIntegerField(_("pass mark (percent)"), default=60)
    # Off by default: a failed assessment shows as a warning; on, it also places a hold on the
    # person (tenants.holds), lifted by the next passed assessment.
    hold_on_failed_assessment = models.BooleanField(
        _("a failed assessment suspends from post"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = None  # the group's settings: every member of the group with the permission reads them

    class Meta:
        verbose_name = _("responsibility list settings")
        verbose_name_plural = _("responsibility list settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="duty_list_settings_once")]

    def __str__(self) -> str:
        return str(_("Responsibility list settings"))


class DutyPost(TenantOwned):
    """A post (岗位) of the group's catalogue."""

    class Level(models.TextChoices):
        GROUP = "group", _("Group leadership")  # 董事长, 总经理, 实际控制人
        MINE = "mine", _("Mine leadership")  # 矿长, 总工程师, 副矿长
        DEPARTMENT = "department", _("Department head")  # 部门负责人
        TEAM = "team", _("Team leader")  # 班组长
        WORKER = "worker", _("Worker post")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")  # the group HQ
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("post"), max_length=64)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    # The mine's principal (一把手, 矿长): assessed from above the mine, never by the mine itself.
    is_mine_principal = models.BooleanField(_("principal of the mine"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = None  # the group's catalogue: readable group-wide

    class Meta:
        verbose_name = _("duty post")
        verbose_name_plural = _("duty posts")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="duty_post_unique_code"),
            models.UniqueConstraint(fields=["tenant", "name"], name="duty_post_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ListTemplate(TenantOwned):
    """The list of one post at one org unit: the group's, or an adaptation of ``base``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(DutyPost, on_delete=models.PROTECT, related_name="templates")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    base = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="adaptations"
    )
    # The version in force (the highest published); set by the service that publishes.
    current_version = models.ForeignKey(
        "ListVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    # Lists are the group's written system, posted on the walls: every member with the permission
    # reads all of them (a mine reads the group's template it adapts). Writes check the unit.
    scope_path = None

    class Meta:
        verbose_name = _("responsibility list")
        verbose_name_plural = _("responsibility lists")
        ordering = ["post__position", "org_unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "post", "org_unit"], name="list_template_once_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post.name} · {self.org_unit.name}"


class ListVersion(TenantOwned):
    """A published, immutable version of a list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(ListTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    # The base version this one was built on (an adaptation), to show which group version it follows.
    base_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = None

    class Meta:
        verbose_name = _("responsibility list version")
        verbose_name_plural = _("responsibility list versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "template", "number"], name="list_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class ListItem(TenantOwned):
    """One responsibility: the duty, its scope, the assessment criterion and the evidence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="items")
    # The same item across versions and adaptations: what "never drops an item" compares.
    key = models.UUIDField(default=uuid.uuid4)
    position = models.PositiveSmallIntegerField()
    duty = models.TextField(_("duty"))
    scope = models.CharField(_("scope"), max_length=300, blank=True)
    criterion = models.TextField(_("assessment criterion"))
    evidence = models.CharField(_("evidence expected"), max_length=300, blank=True)
    max_score = models.PositiveSmallIntegerField(_("points"), default=10)
    # Carried from the base list (an adaptation may not change or drop it).
    inherited = models.BooleanField(_("from the group's list"), default=False)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = None

    class Meta:
        verbose_name = _("responsibility item")
        verbose_name_plural = _("responsibility items")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version", "key"], name="list_item_key_once"),
            models.UniqueConstraint(fields=["tenant", "version", "position"], name="list_item_position_once"),
            models.CheckConstraint(condition=models.Q(max_score__gte=1), name="list_item_max_score_positive"),
        ]

    def __str__(self) -> str:
        return self.duty[:60]


class PostHolder(TenantOwned):
    """A person holds a post: the person's list is that post's list nearest above their unit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="duty_posts")
    post = models.ForeignKey(DutyPost, on_delete=models.PROTECT, related_name="holders")
    since = models.DateField(_("on the post since"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("post holder")
        verbose_name_plural = _("post holders")
        ordering = ["post__position", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "person", "post"], name="post_holder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.post.name}"


class Acknowledgement(TenantOwned):
    """签字确认: the person read and signed this version of their list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="list_acknowledgements")
    version = models.ForeignKey(ListVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    signed_name = models.CharField(_("signature"), max_length=64)
    acknowledged_at = models.DateTimeField(_("signed at"))
    # The login that signed (the person's own), or the manager who recorded a signature on paper.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_paper = models.BooleanField(_("signed on paper"), default=False)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("list acknowledgement")
        verbose_name_plural = _("list acknowledgements")
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "person", "version"], name="acknowledgement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.version}"


class DutyAssessment(TenantOwned):
    """履职考核 of one person's list for one period."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="duty_assessments")
    version = models.ForeignKey(ListVersion, on_delete=models.PROTECT, related_name="assessments")
    template = models.ForeignKey(ListTemplate, on_delete=models.PROTECT, related_name="assessments")
    cycle = models.CharField(_("cycle"), max_length=12, choices=DutyListSettings.Cycle.choices)
    period_start = models.DateField(_("period"))
    score = models.DecimalField(_("score (percent)"), max_digits=5, decimal_places=1)
    passed = models.BooleanField(pgettext_lazy("assessment result", "passed"))
    comment = models.TextField(_("comment"), blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessor_name = models.CharField(_("assessed by"), max_length=150)
    assessed_at = models.DateTimeField(_("assessed at"))

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("duty assessment")
        verbose_name_plural = _("duty assessments")
        ordering = ["-period_start", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "person", "template", "period_start"],
                name="duty_assessment_once_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="duty_assessment_score_range"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "period_start"], name="duty_assessment_period")]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.period_start:%Y-%m}"


class AssessmentScore(TenantOwned):
    """The score of one item in an assessment, with the assessor's comment and evidence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(DutyAssessment, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(ListItem, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    evidence = models.CharField(_("evidence seen"), max_length=300, blank=True)

    scope_view_perm = perms.VIEW_DUTY_LISTS
    scope_path = "assessment__person__org_unit__path"
    scope_owner = "assessment__person_id"

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        ordering = ["assessment", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "assessment", "item"], name="assessment_score_once"),
            models.CheckConstraint(condition=models.Q(score__gte=0), name="assessment_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} = {self.score}"
