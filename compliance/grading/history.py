"""What the level rules need about a mine besides its scores: fatal accidents, setbacks
(downgrades and failed checks) and the preconditions of its standard version."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _

from compliance import registry
from tenants.models import MineProfile, OrgUnit, Person

from .models import Accident, GradeEvent
from .scoring import MineHistory, Precondition

# The look-back of the longest rule (特别重大: 3 years) with room to spare.
LOOKBACK_DAYS = 4 * 366

# 五职矿长 (DOMAIN.md): with no provider registered for "five_posts_staffed" (compliance.registry;
# duties registers its post roster), recognised by the job title on the person's record.
FIVE_POSTS = ("矿长", "总工程师", "安全副矿长", "生产副矿长", "机电副矿长")


def _licences_valid(profile: MineProfile | None, on_date: date) -> Precondition:
    if profile is None:
        return Precondition("licences_valid", False, _("the mine has no profile with its licences"))
    missing = [
        str(label)
        for label, number, expires in profile.licences()
        # No expiry date is a licence without a term (长期, usual for business licences).
        if not number or (expires is not None and expires < on_date)
    ]
    if missing:
        return Precondition(
            "licences_valid",
            False,
            _("licence missing or expired: %(list)s") % {"list": "、".join(missing)},
        )
    return Precondition("licences_valid", True, _("licences valid"))


def _five_posts(mine: OrgUnit) -> Precondition:
    held = set(
        Person.objects.filter(
            org_unit__path__startswith=mine.path,
            status=Person.Status.ON_POST,
            job_title__in=FIVE_POSTS,
        ).values_list("job_title", flat=True)
    )
    vacant = [post for post in FIVE_POSTS if post not in held]
    if vacant:
        return Precondition(
            "five_posts_staffed", False, _("posts not staffed: %(list)s") % {"list": "、".join(vacant)}
        )
    return Precondition("five_posts_staffed", True, _("the five manager posts are staffed"))


def preconditions(mine: OrgUnit, codes, on_date: date) -> tuple[Precondition, ...]:
    out = []
    for code in codes:
        if code == "licences_valid":
            out.append(_licences_valid(getattr(mine, "mine_profile", None), on_date))
        elif (provider := registry.mine_precondition(code)) is not None:
            # A capability that keeps the fact answers (duties: the post roster).
            answer = provider(mine, on_date)
            out.append(Precondition(code, answer.met, answer.message))
        elif code == "five_posts_staffed":
            # Fallback with no roster installed: job titles on the people's records.
            out.append(_five_posts(mine))
        else:
            # An unknown precondition cannot be checked, so it cannot be met: fail closed.
            out.append(Precondition(code, False, _("unknown precondition %(code)s") % {"code": code}))
    return tuple(out)


def mine_history(mine: OrgUnit, on_date: date, precondition_codes=()) -> MineHistory:
    """Accidents and setbacks of one mine within the look-back, in two queries (plus one per
    precondition that needs people)."""
    since = on_date - timedelta(days=LOOKBACK_DAYS)
    accidents = tuple(
        Accident.objects.filter(mine=mine, deaths__gt=0, occurred_on__gt=since, occurred_on__lte=on_date)
        .order_by("occurred_on")
        .values_list("occurred_on", "accident_class")
    )
    setbacks = tuple(
        GradeEvent.objects.filter(
            certificate__mine=mine,
            kind__in=[GradeEvent.Kind.DOWNGRADED, GradeEvent.Kind.CHECK_FAILED, GradeEvent.Kind.REVOKED],
            occurred_on__gt=since,
            occurred_on__lte=on_date,
        ).values_list("occurred_on", flat=True)
    )
    return MineHistory(accidents, setbacks, preconditions(mine, precondition_codes, on_date))
