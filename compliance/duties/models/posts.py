"""The mine-manager posts (五职矿长), their filings (报备), leaders on shift (带班下井).

DOMAIN.md, "Duties": a coal mine keeps 矿长, 总工程师 and the three deputy mine managers, plus
副总工程师 and six specialist technicians, each full-time; a vacancy there is a major-hazard
condition. Every appointment and departure is filed with the regulator by a deadline. Each shift
has a mine leader who goes down and comes up with the crew (coal 令第33号, non-coal 令第34号).

The thresholds (qualification, filing deadline, turnover, monthly minimum shifts) are rule data:
``PostRule`` rows with their source and verified flag, national defaults that a province or a
group may set more strictly.
"""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.duties.permissions import VIEW_POSTS
from compliance.rules.base import RuleSource
from tenants.models import OrgUnit, Person, Tenant, TenantOwned

__all__ = [
    "Post",
    "Education",
    "Shift",
    "PostRule",
    "PostAppointment",
    "PostFiling",
    "ShiftPlan",
    "ShiftRecord",
    "FIVE_POSTS",
    "COAL_EXTRA_POSTS",
    "LEADER_POSTS",
    "required_posts",
    "POST_NAMES_ZH",
]


class Post(models.TextChoices):
    MINE_MANAGER = "mine_manager", pgettext_lazy("mine post", "Mine manager")
    CHIEF_ENGINEER = "chief_engineer", pgettext_lazy("mine post", "Chief engineer")
    SAFETY_DEPUTY = "safety_deputy", pgettext_lazy("mine post", "Deputy manager for safety")
    PRODUCTION_DEPUTY = "production_deputy", pgettext_lazy("mine post", "Deputy manager for production")
    ELECTROMECHANICAL_DEPUTY = (
        "electromech_deputy",
        pgettext_lazy("mine post", "Deputy manager for electromechanics"),
    )
    DEPUTY_CHIEF_ENGINEER = "deputy_chief_engineer", pgettext_lazy("mine post", "Deputy chief engineer")
    TECH_COAL_MINING = "tech_coal_mining", pgettext_lazy("mine post", "Coal-mining technician")
    TECH_TUNNELLING = "tech_tunnelling", pgettext_lazy("mine post", "Tunnelling technician")
    TECH_TRANSPORT = "tech_transport", pgettext_lazy("mine post", "Electromechanics and transport technician")
    TECH_VENTILATION = "tech_ventilation", pgettext_lazy("mine post", "Ventilation technician")
    TECH_SURVEY = "tech_survey", pgettext_lazy("mine post", "Geology and survey technician")
    TECH_WATER = "tech_water", pgettext_lazy("mine post", "Water-control technician")


# The posts in the regulator's own words: a condition's description and a filing are in Chinese
# whatever the user's language.
POST_NAMES_ZH = {
    "mine_manager": "矿长",
    "chief_engineer": "总工程师",
    "safety_deputy": "安全副矿长",
    "production_deputy": "生产副矿长",
    "electromech_deputy": "机电副矿长",
    "deputy_chief_engineer": "副总工程师",
    "tech_coal_mining": "采煤专业技术人员",
    "tech_tunnelling": "掘进专业技术人员",
    "tech_transport": "机电运输专业技术人员",
    "tech_ventilation": "通风专业技术人员",
    "tech_survey": "地测专业技术人员",
    "tech_water": "防治水专业技术人员",
}

# 五职矿长: every mine. Coal mines also need the deputy chief engineer and the six technicians.
FIVE_POSTS = (
    Post.MINE_MANAGER,
    Post.CHIEF_ENGINEER,
    Post.SAFETY_DEPUTY,
    Post.PRODUCTION_DEPUTY,
    Post.ELECTROMECHANICAL_DEPUTY,
)
COAL_EXTRA_POSTS = (
    Post.DEPUTY_CHIEF_ENGINEER,
    Post.TECH_COAL_MINING,
    Post.TECH_TUNNELLING,
    Post.TECH_TRANSPORT,
    Post.TECH_VENTILATION,
    Post.TECH_SURVEY,
    Post.TECH_WATER,
)
# The mine leaders (矿领导) who lead shifts underground (令第33号: 矿长、副矿长、总工程师、副总工程师).
LEADER_POSTS = (*FIVE_POSTS, Post.DEPUTY_CHIEF_ENGINEER)


def required_posts(is_coal: bool, mine_type: str = "") -> tuple[str, ...]:
    """The posts a mine must fill. A tailings pond (尾矿库) is run by its manager (库长) and its own
    technical staff, not by the five mine-manager posts: only the manager's post is required."""
    if mine_type == "tailings_pond":
        return (Post.MINE_MANAGER,)
    return (*FIVE_POSTS, *COAL_EXTRA_POSTS) if is_coal else FIVE_POSTS


class Education(models.IntegerChoices):
    """Highest education, ranked (a rule names the lowest acceptable rank)."""

    SECONDARY = 1, _("Secondary or below")
    COLLEGE = 2, _("College diploma (大专)")
    BACHELOR = 3, _("Bachelor's degree")
    POSTGRADUATE = 4, _("Postgraduate")


class Shift(models.IntegerChoices):
    MORNING = 1, pgettext_lazy("shift", "Morning shift")
    MIDDLE = 2, pgettext_lazy("shift", "Middle shift")
    NIGHT = 3, pgettext_lazy("shift", "Night shift")


class PostRule(RuleSource):
    """One threshold of the posts and shifts rules, with its source and verified flag.

    National (no region, no group), provincial (``region_prefix``) or a group's own
    (``owner_tenant``); for a mine the group's row wins, then the longest matching region, then
    the national one (``duties.selectors.post_rules``). ``mine_group`` empty: any mine."""

    class Key(models.TextChoices):
        MIN_EDUCATION = "min_education", _("Lowest education of a post holder (rank)")
        MIN_YEARS = "min_years", _("Years of mine work a post holder needs")
        ASSESSMENT_MONTHS = "assessment_months", _("Statutory assessment within (months of taking the post)")
        FILING_DAYS = "filing_days", _("Filing deadline (days after the appointment or departure)")
        TURNOVER_CHANGES = "turnover_changes", _("Turnover warning: departures from one post in 12 months")
        SHIFT_MIN_PRINCIPAL = "shift_min_principal", _("Shifts a month the principal leads underground")
        SHIFT_MIN_LEADER = "shift_min_leader", _("Shifts a month each other mine leader leads underground")

    class MineGroup(models.TextChoices):
        ANY = "", _("Any mine")
        COAL = "coal", _("Coal")
        NON_COAL = "non_coal", _("Non-coal")

    key = models.CharField(_("rule"), max_length=24, choices=Key.choices)
    mine_group = models.CharField(
        _("mine group"), max_length=8, choices=MineGroup.choices, blank=True, default=""
    )
    region_prefix = models.CharField(
        _("region-code prefix"),
        max_length=6,
        blank=True,
        default="",
        validators=[RegexValidator(r"^[0-9]*$", _("Only digits."), code="invalid_region_prefix")],
    )
    owner_tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("group")
    )
    value = models.PositiveSmallIntegerField(_("value"))

    class Meta:
        verbose_name = _("posts rule")
        verbose_name_plural = _("posts rules")
        ordering = ["key", "mine_group", "region_prefix"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "mine_group", "region_prefix", "owner_tenant"],
                name="postrule_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value}"


class PostAppointment(TenantOwned):
    """One person holding one post at one mine, from ``started_on`` to ``ended_on`` (open: in post)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="post_appointments")
    post = models.CharField(_("post"), max_length=24, choices=Post.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="post_appointments", verbose_name=_("person")
    )
    started_on = models.DateField(_("appointed on"))
    ended_on = models.DateField(_("left on"), null=True, blank=True)
    departure_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    full_time = models.BooleanField(_("full-time"), default=True)
    education = models.PositiveSmallIntegerField(_("education"), choices=Education.choices)
    mining_field = models.BooleanField(_("education in a mining field"), default=False)
    years_experience = models.PositiveSmallIntegerField(_("years of mine work"))
    assessment_passed_on = models.DateField(_("statutory assessment passed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_POSTS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("post appointment")
        verbose_name_plural = _("post appointments")
        ordering = ["mine__path", "post", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "mine", "post"],
                condition=models.Q(ended_on__isnull=True),
                name="postappointment_one_holder",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="postappointment_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "mine", "post"], name="postappt_mine_post"),
            models.Index(fields=["tenant", "person"], name="postappt_person"),
        ]

    @property
    def org_path(self) -> str:
        """Where the audit trail files events about this row: its mine."""
        return self.mine.path

    def __str__(self) -> str:
        return f"{self.get_post_display()} · {self.person_id}"


class PostFiling(TenantOwned):
    """A filing (报备) of an appointment or a departure with the regulator, due by ``due_on``."""

    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", pgettext_lazy("filing", "Appointment")
        DEPARTURE = "departure", pgettext_lazy("filing", "Departure")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.ForeignKey(PostAppointment, on_delete=models.PROTECT, related_name="filings")
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="post_filings")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    event_on = models.DateField(_("date of the change"))
    due_on = models.DateField(_("file by"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    reference = models.CharField(_("filing reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_POSTS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("post filing")
        verbose_name_plural = _("post filings")
        ordering = ["-event_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "appointment", "kind"], name="postfiling_once"),
        ]
        indexes = [models.Index(fields=["tenant", "mine", "due_on"], name="postfiling_mine_due")]

    @property
    def org_path(self) -> str:
        """Where the audit trail files events about this row: its mine."""
        return self.mine.path

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_on}"

    def is_late(self, today) -> bool:
        if self.filed_on is not None:
            return self.filed_on > self.due_on
        return today > self.due_on


class ShiftPlan(TenantOwned):
    """The monthly plan of leaders on shift (带班下井计划): one leader for one shift of one day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="shift_plans")
    on_date = models.DateField(_("date"))
    shift = models.PositiveSmallIntegerField(_("shift"), choices=Shift.choices)
    leader = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("leader"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_POSTS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("shift plan entry")
        verbose_name_plural = _("shift plan entries")
        ordering = ["on_date", "shift"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "mine", "on_date", "shift"], name="shiftplan_once"),
        ]

    @property
    def org_path(self) -> str:
        """Where the audit trail files events about this row: its mine."""
        return self.mine.path

    def __str__(self) -> str:
        return f"{self.on_date} {self.get_shift_display()}"


class ShiftRecord(TenantOwned):
    """What happened on one shift: when the crew went down and came up, and the leader who went
    with them (none: a shift without a leader). From the form or the personnel-location export."""

    class Source(models.TextChoices):
        FORM = "form", _("Form")
        IMPORT = "import", _("Personnel-location import")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="shift_records")
    on_date = models.DateField(_("date"))
    shift = models.PositiveSmallIntegerField(_("shift"), choices=Shift.choices)
    crew_down_at = models.DateTimeField(_("crew went down at"))
    crew_up_at = models.DateTimeField(_("crew came up at"))
    leader = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("leader")
    )
    leader_down_at = models.DateTimeField(_("leader went down at"), null=True, blank=True)
    leader_up_at = models.DateTimeField(_("leader came up at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.FORM)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_POSTS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("shift record")
        verbose_name_plural = _("shift records")
        ordering = ["-on_date", "-shift"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "mine", "on_date", "shift"], name="shiftrecord_once"),
        ]
        indexes = [models.Index(fields=["tenant", "mine", "on_date"], name="shiftrecord_mine_date")]

    @property
    def org_path(self) -> str:
        """Where the audit trail files events about this row: its mine."""
        return self.mine.path

    def __str__(self) -> str:
        return f"{self.on_date} {self.get_shift_display()}"

    @property
    def leader_up_early(self) -> bool:
        """The leader came up before the crew (令第33号: down and up with the crew)."""
        return bool(self.leader_id and self.leader_up_at and self.leader_up_at < self.crew_up_at)
