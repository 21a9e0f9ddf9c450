"""Who a report names, and the sign-off block every printed report ends with.

A printed report names people as a reader knows them — by name and post (姓名、职务), never by
login name — and ends with the block a paper record carries: 编制 (prepared by), 审核 (reviewed by),
批准 (approved by), each with a space to sign and a date, and the space for the unit's seal (盖章).
Every report template includes ``reports/_signoff.html`` with ``signoff`` (``SignOff``); the
lines a report does not know yet are printed empty, to be filled in by hand.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import pgettext

from tenants import roles
from tenants.models import Membership, Person


@dataclass(frozen=True)
class Named:
    """A person as a report names them. ``name`` is "" when the login carries no name (the line
    is then left blank to be written in, rather than showing the login name)."""

    name: str
    post: str

    def __bool__(self) -> bool:
        return bool(self.name or self.post)

    def __str__(self) -> str:
        if self.name and self.post:
            return f"{self.name}（{self.post}）"
        return self.name or self.post


def person_named(person: Person | None) -> Named:
    if person is None:
        return Named("", "")
    post = person.job_title or str(person.get_post_category_display())
    return Named(person.name, post)


def user_named(user, *, tenant_id=None) -> Named:
    """The name and post of a login: the person it belongs to (name, job title), else its full
    name and its role at its unit (e.g. "安全管理人员 · 大河边煤矿"). Two queries at most."""
    if user is None:
        return Named("", "")
    # The login's own person, and its roles, within the group whose record is being printed: the
    # report's reader already reads that record, and only a name and a post leave this function.
    person = (
        Person.dangerously_unscoped.filter(user_id=user.pk).only("name", "job_title", "post_category").first()
    )
    if person is not None:
        return person_named(person)
    memberships = Membership.dangerously_unscoped.filter(user_id=user.pk).select_related("org_unit")
    if tenant_id is not None:
        memberships = memberships.filter(tenant_id=tenant_id)
    membership = memberships.order_by("org_unit__path").first()
    post = ""
    if membership is not None:
        post = f"{roles.ROLE_LABELS.get(membership.role, membership.role)} · {membership.org_unit.name}"
    return Named(user.get_full_name().strip(), post)


@dataclass(frozen=True)
class SignLine:
    duty: str  # 编制 / 审核 / 批准
    person: Named = field(default_factory=lambda: Named("", ""))
    date: datetime.date | None = None


@dataclass(frozen=True)
class SignOff:
    """The sign-off block: its lines and the unit whose seal the report carries."""

    lines: tuple[SignLine, ...]
    seal_unit: str = ""


def sign_off(
    *,
    prepared: Named | None = None,
    prepared_on: datetime.date | None = None,
    reviewed: Named | None = None,
    reviewed_on: datetime.date | None = None,
    approved: Named | None = None,
    approved_on: datetime.date | None = None,
    seal_unit: str = "",
) -> SignOff:
    """The three lines every report carries, with what is known of each; the rest is left blank."""
    empty = Named("", "")
    return SignOff(
        lines=(
            SignLine(pgettext("sign-off", "Prepared by"), prepared or empty, prepared_on),
            SignLine(pgettext("sign-off", "Reviewed by"), reviewed or empty, reviewed_on),
            SignLine(pgettext("sign-off", "Approved by"), approved or empty, approved_on),
        ),
        seal_unit=seal_unit,
    )
