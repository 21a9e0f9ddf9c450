"""A person's mine-manager posts on their page (一人一档, panel "岗位任职"): each appointment with its
filings (报备) and the roster's warnings that concern this person.

The warnings are the roster's own (``selectors.rosters``), read for the mines where the person holds
a post now, so the panel and the roster page can never disagree. Appointments and filings come
through the scoped managers: a viewer sees the posts held at mines whose roster it may read
(``VIEW_POSTS`` there: a regulator those of its region, read-only), never the others.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import Person
from tenants.scope import Scope

from . import selectors
from .models import Post, PostAppointment, PostFiling
from .permissions import VIEW_POSTS

# The roster's warnings shown on an appointment's row: about the holder, not the post's history.
_HOLDER_KINDS = ("qualification", "not_full_time")
MAX_APPOINTMENTS = 20


@dataclass
class FilingRow:
    filing: PostFiling
    late: bool


@dataclass
class AppointmentRow:
    appointment: PostAppointment
    filings: list[FilingRow] = field(default_factory=list)
    warnings: list[selectors.PostWarning] = field(default_factory=list)
    # Held at a mine other than the one the person is on the books of.
    other_mine: bool = False

    @property
    def current(self) -> bool:
        return self.appointment.ended_on is None


@dataclass
class PersonPosts:
    rows: list[AppointmentRow]
    warnings: list[selectors.PostWarning]  # about the person: several posts at once, another mine
    more: bool  # more appointments than shown


def _own_mine(person: Person, mine) -> bool:
    return person.org_unit.path.startswith(mine.path)


def person_posts(scope: Scope, person: Person, *, today: datetime.date) -> PersonPosts:
    """The posts ``person`` holds or held that this scope sees, newest first, with their filings
    and warnings. Constant queries: the appointments, their filings, then (when one is held now)
    the rosters of those mines (``selectors.rosters``: four)."""
    appointments = list(
        scope.filter_queryset(
            PostAppointment.objects.filter(person_id=person.pk).select_related(
                "mine", "mine__mine_profile", "person"
            )
        )
        # Posts held now first, then the latest departures.
        .order_by(F("ended_on").desc(nulls_first=True), "-started_on", "post")[: MAX_APPOINTMENTS + 1]
    )
    more = len(appointments) > MAX_APPOINTMENTS
    appointments = appointments[:MAX_APPOINTMENTS]
    if not appointments:
        return PersonPosts(rows=[], warnings=[], more=False)
    by_appointment: dict = {}
    for filing in scope.filter_queryset(
        PostFiling.objects.filter(appointment_id__in=[a.pk for a in appointments])
    ).order_by("event_on", "kind"):
        by_appointment.setdefault(filing.appointment_id, []).append(FilingRow(filing, filing.is_late(today)))
    rows = [
        AppointmentRow(
            appointment=a,
            filings=by_appointment.get(a.pk, []),
            other_mine=a.ended_on is None and not _own_mine(person, a.mine),
        )
        for a in appointments
    ]
    current = [r for r in rows if r.current]
    warnings: list[selectors.PostWarning] = []
    if current:
        mines = list({r.appointment.mine_id: r.appointment.mine for r in current}.values())
        rosters = {roster.mine.pk: roster for roster in selectors.rosters(scope, mines, today=today)}
        posts_held = 0
        for row in current:
            appt = row.appointment
            roster = rosters[appt.mine_id]
            holder = roster.holders.get(appt.post)
            if holder is None or holder.pk != appt.pk:
                continue
            posts_held = max(posts_held, holder.posts_held)
            row.warnings = [w for w in roster.warnings if w.kind in _HOLDER_KINDS and w.post == appt.post]
        if posts_held > 1:
            # The roster counts the posts held across the group, also at mines this viewer does
            # not see; the panel lists only those it sees, so it says how many are hidden.
            message = _("%(name)s holds %(n)d posts at once") % {"name": person.name, "n": posts_held}
            hidden = posts_held - len(current)
            if hidden > 0:
                message += _(" (%(n)d of them at mines you do not see)") % {"n": hidden}
            warnings.append(selectors.PostWarning("dual_post", None, "", message))
        for row in current:
            if row.other_mine:
                appt = row.appointment
                warnings.append(
                    selectors.PostWarning(
                        "other_mine",
                        appt.mine_id,
                        appt.post,
                        _("%(post)s at %(mine)s, a mine other than the person's own unit (%(unit)s)")
                        % {
                            "post": Post(appt.post).label,
                            "mine": appt.mine.name,
                            "unit": person.org_unit.name,
                        },
                    )
                )
    return PersonPosts(rows=rows, warnings=warnings, more=more)


def panel_context(scope: Scope, person: Person) -> dict | None:
    """The "Posts held" panel: ``None`` (no panel) for a viewer who reads no roster, or when the
    person holds no post this viewer sees — most people hold none, and a panel saying so on every
    worker's page would be noise (as the contractor panel)."""
    if scope.self_only or not scope.has_perm(VIEW_POSTS):
        return None
    posts = person_posts(scope, person, today=timezone.localdate())
    if not posts.rows:
        return None
    return {"posts": posts, "today": timezone.localdate()}
