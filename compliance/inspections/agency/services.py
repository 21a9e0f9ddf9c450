"""Every write of an agency's own records. A regulator writes here, and only here
(``Scope.require_agency``): the records are agency-owned, the mine they concern is one of the
agency's region (read through the regulator's scope, so a mine outside it is a 404 like any
foreign object), and each write appends its audit event to the chain of the mine's tenant — the
tenant reads what a regulator recorded about its mine.

The one write on the tenant's side is the mine's own: registering an agency's hazard finding into
its register (``finding_register``), by a manager of the mine, like any hazard it registers."""

from __future__ import annotations

import datetime
import random

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from compliance.inspections import selectors as inspection_selectors
from compliance.inspections import services as inspection_services
from compliance.inspections.hazards import services as hazard_services
from compliance.inspections.hazards.models import Criterion, Hazard
from compliance.inspections.hazards.permissions import KEEP_AGENCY_RECORDS
from tenants.models import OrgUnit, RegulatorAgency
from tenants.scope import Scope
from tenants.services import snapshot

from . import selectors
from .models import AgencyFinding, AgencyInspection, AgencySpotCheck, SupervisionListing


def _agency(scope: Scope) -> RegulatorAgency:
    scope.require(KEEP_AGENCY_RECORDS)
    return RegulatorAgency.objects.get(pk=scope.require_agency())


def _audit(obj, action: str, before: dict | None, mine: OrgUnit) -> None:
    audit_record(action=action, obj=obj, before=before, after=snapshot(obj), org_path=mine.path)


def _not_future(day: datetime.date | None, field: str, errors: dict) -> None:
    if day is None:
        errors[field] = [_("Enter a date.")]
    elif day > timezone.localdate():
        errors[field] = [_("The date cannot be in the future.")]


@transaction.atomic
def inspection_record(
    *,
    scope: Scope,
    mine: OrgUnit,
    user,
    kind: str,
    inspected_on: datetime.date,
    inspectors: str,
    summary: str = "",
) -> AgencyInspection:
    """An agency's inspection of a mine of its region (``mine`` read through the caller's scope)."""
    agency = _agency(scope)
    errors: dict = {}
    if mine.kind != OrgUnit.Kind.MINE:
        errors["mine"] = [_("Choose a mine.")]
    if kind not in AgencyInspection.Kind.values:
        errors["kind"] = [_("Choose the kind of inspection.")]
    _not_future(inspected_on, "inspected_on", errors)
    inspectors = (inspectors or "").strip()
    if not inspectors:
        errors["inspectors"] = [_("Name the inspectors.")]
    if errors:
        raise ValidationError(errors)
    inspection = AgencyInspection.objects.create(
        agency=agency,
        tenant_id=mine.tenant_id,
        mine=mine,
        kind=kind,
        inspected_on=inspected_on,
        inspectors=inspectors[:200],
        summary=(summary or "").strip(),
        created_by=user,
    )
    _audit(inspection, "agency_inspect", None, mine)
    return inspection


@transaction.atomic
def finding_add(
    *,
    scope: Scope,
    inspection: AgencyInspection,
    kind: str,
    text: str,
    location: str = "",
    grade: str = "",
    criterion: Criterion | None = None,
    deadline: datetime.date | None = None,
) -> AgencyFinding:
    """A line of the agency's inspection record. A hazard finding has its class (a criterion in
    force at the mine makes it 重大, as in the mine's own register) and may order a deadline."""
    agency = _agency(scope)
    if inspection.agency_id != agency.pk:  # the manager already hides another agency's; belt and braces
        raise ValidationError({"inspection": _("Not an inspection of your agency.")})
    errors: dict = {}
    text = (text or "").strip()
    if kind not in AgencyFinding.Kind.values:
        errors["kind"] = [_("Choose what was found.")]
    if not text:
        errors["text"] = [_("Describe the finding.")]
    finding = AgencyFinding(
        agency=agency,
        tenant_id=inspection.tenant_id,
        inspection=inspection,
        kind=kind,
        text=text,
        location=(location or "").strip()[:200],
    )
    if kind == AgencyFinding.Kind.HAZARD:
        if not finding.location:
            errors["location"] = [_("Say where the hazard is.")]
        if criterion is not None:
            try:
                hazard_services.check_criterion(inspection.mine, inspection.inspected_on, criterion)
            except ValidationError as exc:
                errors.update(exc.message_dict)
            grade = Hazard.Grade.MAJOR
        if grade not in Hazard.Grade.values:
            errors["grade"] = [_("Choose the class of the hazard.")]
        if deadline is not None and deadline < inspection.inspected_on:
            errors["deadline"] = [_("The deadline cannot be before the inspection.")]
        finding.grade, finding.criterion, finding.deadline = grade, criterion, deadline
    if errors:
        raise ValidationError(errors)
    finding.save()
    _audit(finding, "agency_finding", None, inspection.mine)
    return finding


@transaction.atomic
def supervision_list(
    *,
    scope: Scope,
    hazard: Hazard,
    user,
    listed_on: datetime.date,
    deadline: datetime.date,
    document_no: str = "",
    authority: str = "",
) -> SupervisionListing:
    """挂牌督办: the agency lists a major hazard of a mine of its region (``hazard`` read through
    the caller's scope) for supervision until it closes the listing."""
    agency = _agency(scope)
    errors: dict = {}
    if not hazard.is_major:
        errors["hazard"] = [_("Only a major hazard is listed for supervision.")]
    elif hazard.status in (Hazard.Status.REPORTED, Hazard.Status.REJECTED, Hazard.Status.CLOSED):
        errors["hazard"] = [_("Only a registered hazard that is not closed is listed for supervision.")]
    _not_future(listed_on, "listed_on", errors)
    if deadline is None:
        errors["deadline"] = [_("Enter a date.")]
    elif listed_on is not None and deadline <= listed_on:
        errors["deadline"] = [_("The deadline must be after the day it is listed.")]
    if errors:
        raise ValidationError(errors)
    listing = SupervisionListing(
        agency=agency,
        tenant_id=hazard.tenant_id,
        hazard=hazard,
        mine=hazard.mine,
        authority=((authority or "").strip() or agency.name)[:200],
        document_no=(document_no or "").strip()[:100],
        listed_on=listed_on,
        deadline=deadline,
        created_by=user,
    )
    try:
        with transaction.atomic():
            listing.save()
    except IntegrityError as exc:
        raise ValidationError({"hazard": _("Your agency already supervises this hazard.")}) from exc
    _audit(listing, "supervise_list", None, hazard.mine)
    return listing


@transaction.atomic
def supervision_close(
    *, scope: Scope, listing: SupervisionListing, user, note: str = ""
) -> SupervisionListing:
    """摘牌: only after the mine's acceptance of the rectification has passed."""
    agency = _agency(scope)
    listing = (
        SupervisionListing.objects.select_for_update().select_related("hazard", "mine").get(pk=listing.pk)
    )
    if listing.agency_id != agency.pk:
        raise ValidationError({"listing": _("Not a listing of your agency.")})
    if listing.status == SupervisionListing.Status.CLOSED:
        raise ValidationError({"listing": _("This listing is already closed.")})
    if listing.hazard.status not in (Hazard.Status.ACCEPTED, Hazard.Status.CLOSED):
        raise ValidationError(
            {"listing": _("The hazard's rectification has not passed acceptance yet: the listing stays.")}
        )
    before = snapshot(listing)
    listing.status = SupervisionListing.Status.CLOSED
    listing.closed_on = timezone.localdate()
    listing.closed_by = user
    listing.closing_note = (note or "").strip()
    listing.save()
    _audit(listing, "supervise_close", before, listing.mine)
    return listing


# --- spot exams (逢查必考 by the regulator) --------------------------------------------------------------
def _own_inspection(agency, inspection: AgencyInspection) -> AgencyInspection:
    # Serialises draws in one inspection so two tablets never draw the same person.
    locked = AgencyInspection.objects.select_for_update().select_related("mine").get(pk=inspection.pk)
    if locked.agency_id != agency.pk:  # the manager already hides another agency's; belt and braces
        raise ValidationError({"inspection": _("Not an inspection of your agency.")})
    return locked


@transaction.atomic
def spot_draw(
    *, scope: Scope, inspection: AgencyInspection, paper, count: int, rng: random.Random | None = None
) -> list[AgencySpotCheck]:
    """Draw ``count`` people on post at the inspected mine to sit a spot-exam paper of the mine's
    group there and then: key posts first (as the group's own inspections draw), nobody twice in
    one inspection. The attempt each sits is training's; a failure suspends the person from post
    on the agency's order (``inspections.services.apply_attempt_result``)."""
    agency = _agency(scope)
    inspection = _own_inspection(agency, inspection)
    errors: dict = {}
    if paper is None or paper.pk not in {p.pk for p in inspection_selectors.spot_papers_for(inspection.mine)}:
        errors["paper"] = [_("Choose an active spot-exam paper of the mine's group.")]
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= inspection_selectors.MAX_DRAW:
        errors["count"] = [_("Draw between 1 and %(max)s people.") % {"max": inspection_selectors.MAX_DRAW}]
    if errors:
        raise ValidationError(errors)
    candidates = list(selectors.spot_candidates(inspection))
    if not candidates:
        raise ValidationError(_("Nobody on post at this mine is left to draw."))
    chosen = inspection_services.draw_order(candidates, rng or random.SystemRandom())[:count]
    checks = AgencySpotCheck.objects.bulk_create(
        [
            AgencySpotCheck(
                agency=agency, tenant_id=inspection.tenant_id, inspection=inspection, person=p, paper=paper
            )
            for p in chosen
        ]
    )
    audit_record_many(
        [
            PendingEvent(
                action="agency_spot_draw",
                obj=c,
                object_repr=f"{inspection.inspected_on} · {c.person.name}",
                org_path=inspection.mine.path,
                after={"inspection": str(inspection.pk), "person": str(c.person_id), "paper": str(paper.pk)},
            )
            for c in checks
        ]
    )
    return checks


@transaction.atomic
def spot_code_issue(*, scope: Scope, spot_check: AgencySpotCheck, now=None) -> str:
    """A new one-time code for the drawn person to type on their phone (the public spot-exam page,
    the same as for the group's own spot exams); any earlier one stops working. Returned once."""
    agency = _agency(scope)
    if spot_check.agency_id != agency.pk:
        raise ValidationError({"spot_check": _("Not a spot exam of your agency.")})
    if AgencySpotCheck.objects.filter(pk=spot_check.pk, attempt__isnull=False).exists():
        raise ValidationError(_("This spot exam has already been started."))
    now = now or timezone.now()
    code = inspection_services.new_code(now, exclude=spot_check.pk)
    spot_check.code_digest = inspection_services.code_digest(spot_check.pk, code)
    spot_check.code_expires_at = now + inspection_services.CODE_TTL
    spot_check.save(update_fields=["code_digest", "code_expires_at"])
    audit_record(
        action="issue_code",
        obj=spot_check,
        object_repr=spot_check.person.name,
        org_path=spot_check.inspection.mine.path,
        after={"expires_at": spot_check.code_expires_at},
    )
    return code


# --- the mine's side --------------------------------------------------------------------------------
@transaction.atomic
def finding_register(*, scope: Scope, finding: AgencyFinding, user) -> Hazard:
    """The mine registers an agency's hazard finding into its own register (source "regulator"),
    once: the hazard keeps the finding, its class and criterion."""
    if finding.kind != AgencyFinding.Kind.HAZARD:
        raise ValidationError({"finding": _("Only a hazard finding is registered as a hazard.")})
    if Hazard.dangerously_unscoped.filter(agency_finding=finding).exists():  # one finding, one hazard
        raise ValidationError({"finding": _("This finding is already in the hazard register.")})
    inspection = finding.inspection
    hazard = hazard_services.hazard_register(
        scope=scope,
        mine=inspection.mine,
        user=user,
        location=finding.location or str(inspection.mine),
        description=finding.text,
        source=Hazard.Source.REGULATOR,
        found_on=inspection.inspected_on,
        grade=finding.grade or Hazard.Grade.GENERAL,
        criterion=finding.criterion,
        found_by_name=str(finding.agency),
    )
    try:
        with transaction.atomic():
            Hazard.objects.filter(pk=hazard.pk).update(agency_finding=finding)
    except IntegrityError as exc:  # a concurrent registration of the same finding won
        raise ValidationError({"finding": _("This finding is already in the hazard register.")}) from exc
    hazard.agency_finding = finding
    return hazard
