"""Writes of responsibility lists and duty assessments: each validates, saves and appends its audit
event in one transaction, and takes a scope and plain values.

Invariants kept here:
- versions are immutable: a change of a list is a new version, numbered under a lock of the template;
- an adaptation never drops an item of the list it adapts (by item ``key``) nor changes one; when
  the base publishes, each adaptation is republished on the new base in the same transaction;
- a signature names the version it signs, and only the person's own list in force can be signed;
- an assessment scores every item of the list in force once, within its points; a mine's principal
  is assessed only by a grant above the mine (group HQ or subsidiary), nobody assesses themself.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from tenants import holds
from tenants.models import OrgUnit, Person, PersonHold
from tenants.scope import Scope
from tenants.services import snapshot

from . import selectors_lists as sel
from .models.lists import (
    Acknowledgement,
    AssessmentScore,
    DutyAssessment,
    DutyListSettings,
    DutyPost,
    ListItem,
    ListTemplate,
    ListVersion,
    PostHolder,
)
from .permissions_lists import ACKNOWLEDGE_DUTY_LIST, ASSESS_DUTIES, MANAGE_DUTY_LISTS

ITEM_FIELDS = ("duty", "scope", "criterion", "evidence", "max_score")
MAX_ITEMS = 200


def _hq(tenant_id) -> OrgUnit:
    # The group's root: by tenant id, which the caller's scope already named.
    return OrgUnit.dangerously_unscoped.get(tenant_id=tenant_id, parent__isnull=True)


def _tenant_of(scope: Scope):
    tenant_id = scope.tenant_id
    if tenant_id is None:
        raise PermissionDenied(MANAGE_DUTY_LISTS)
    return tenant_id


# --- settings and catalogue -------------------------------------------------------------------------
@transaction.atomic
def duty_settings_update(
    *,
    scope: Scope,
    assessment_cycle: str,
    acknowledge_within_days: int,
    pass_score: int,
    hold_on_failed_assessment: bool,
) -> DutyListSettings:
    tenant_id = _tenant_of(scope)
    hq = _hq(tenant_id)
    scope.require(MANAGE_DUTY_LISTS, hq)
    settings = DutyListSettings.dangerously_unscoped.select_for_update().filter(tenant_id=tenant_id).first()
    before = snapshot(settings) if settings else None
    settings = settings or DutyListSettings(tenant_id=tenant_id, org_unit=hq)
    settings.assessment_cycle = assessment_cycle
    settings.acknowledge_within_days = acknowledge_within_days
    settings.pass_score = pass_score
    settings.hold_on_failed_assessment = hold_on_failed_assessment
    errors = {}
    if not 1 <= int(acknowledge_within_days or 0) <= 365:
        errors["acknowledge_within_days"] = _("Between 1 and 365 days.")
    if not 1 <= int(pass_score or 0) <= 100:
        errors["pass_score"] = _("Between 1 and 100.")
    if errors:
        raise ValidationError(errors)
    settings.full_clean(exclude=["tenant"])
    settings.save()
    audit_record(
        action="duty_settings", obj=settings, org_path=hq.path, before=before, after=snapshot(settings)
    )
    return settings


@transaction.atomic
def duty_post_create(
    *, scope: Scope, code: str, name: str, level: str, is_mine_principal: bool = False, position: int = 0
) -> DutyPost:
    tenant_id = _tenant_of(scope)
    hq = _hq(tenant_id)
    scope.require(MANAGE_DUTY_LISTS, hq)
    post = DutyPost(
        tenant_id=tenant_id,
        org_unit=hq,
        code=(code or "").strip(),
        name=(name or "").strip(),
        level=level,
        is_mine_principal=is_mine_principal,
        position=position,
    )
    post.full_clean(exclude=["tenant"], validate_unique=False)
    errors = {}
    existing = DutyPost.dangerously_unscoped.filter(tenant_id=tenant_id)
    if existing.filter(code=post.code).exists():
        errors["code"] = _("A post with this code already exists.")
    if existing.filter(name=post.name).exists():
        errors["name"] = _("A post with this name already exists.")
    if errors:
        raise ValidationError(errors)
    post.save()
    audit_record(action="create", obj=post, org_path=hq.path, after=snapshot(post))
    return post


# --- publishing a list ----------------------------------------------------------------------------------
def _clean_items(items: list[dict]) -> list[dict]:
    """Field-by-field check of the items as given, numbered as the user sees them (第 n 条)."""
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": [_("A list needs at least one item.")]})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": [_("At most %(n)d items.") % {"n": MAX_ITEMS}]})
    errors: list[str] = []
    cleaned = []
    for n, raw in enumerate(items, start=1):
        raw = raw if isinstance(raw, dict) else {}
        item = {name: str(raw.get(name) or "").strip() for name in ("duty", "scope", "criterion", "evidence")}
        where = _("Item %(n)d") % {"n": n}
        if not item["duty"]:
            errors.append(_("%(where)s: the duty is required.") % {"where": where})
        if not item["criterion"]:
            errors.append(_("%(where)s: the assessment criterion is required.") % {"where": where})
        if len(item["duty"]) > 2000 or len(item["criterion"]) > 2000:
            errors.append(_("%(where)s: at most 2000 characters.") % {"where": where})
        if len(item["scope"]) > 300 or len(item["evidence"]) > 300:
            errors.append(_("%(where)s: scope and evidence at most 300 characters.") % {"where": where})
        try:
            given = raw.get("max_score")
            item["max_score"] = 10 if given in (None, "") else int(given)
            if not 1 <= item["max_score"] <= 100:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(_("%(where)s: points between 1 and 100.") % {"where": where})
            item["max_score"] = 10
        key = raw.get("key")
        try:
            item["key"] = uuid.UUID(str(key)) if key else None
        except ValueError:
            errors.append(_("%(where)s: unknown item key.") % {"where": where})
            item["key"] = None
        cleaned.append(item)
    if errors:
        raise ValidationError({"items": errors})
    keys = [i["key"] for i in cleaned if i["key"]]
    if len(keys) != len(set(keys)):
        raise ValidationError({"items": [_("An item appears twice.")]})
    return cleaned


def _check_keeps_base(items: list[dict], base_items: list[ListItem]) -> None:
    """An adaptation adds and never drops: every base item is there, word for word."""
    given = {i["key"]: i for i in items if i["key"]}
    errors = []
    for base in base_items:
        mine = given.get(base.key)
        if mine is None:
            errors.append(
                _("The item “%(duty)s” of the list above cannot be dropped.") % {"duty": base.duty[:40]}
            )
        elif any(str(mine[f]) != str(getattr(base, f)) for f in ITEM_FIELDS):
            errors.append(
                _("The item “%(duty)s” of the list above cannot be changed.") % {"duty": base.duty[:40]}
            )
    if errors:
        raise ValidationError({"items": errors})


def _write_version(
    scope: Scope,
    template: ListTemplate,
    items: list[dict],
    note: str,
    base_items: list[ListItem] | None,
    *,
    published_at: datetime.datetime | None = None,
) -> ListVersion:
    locked = ListTemplate.dangerously_unscoped.select_for_update().get(pk=template.pk)
    last = (
        ListVersion.dangerously_unscoped.filter(tenant_id=template.tenant_id, template=locked)
        .order_by("-number")
        .first()
    )
    base_keys = {b.key for b in base_items or []}
    version = ListVersion.objects.create(
        tenant_id=template.tenant_id,
        template=locked,
        number=(last.number + 1) if last else 1,
        note=(note or "")[:300],
        base_version=locked.base.current_version if locked.base_id else None,
        # A list adopted on paper before the platform keeps the day it was issued.
        published_at=published_at or timezone.now(),
        published_by_id=scope.user_id,
    )
    ListItem.objects.bulk_create(
        [
            ListItem(
                tenant_id=template.tenant_id,
                version=version,
                key=item["key"] or uuid.uuid4(),
                position=n,
                duty=item["duty"],
                scope=item["scope"],
                criterion=item["criterion"],
                evidence=item["evidence"],
                max_score=item["max_score"],
                inherited=item["key"] in base_keys,
            )
            for n, item in enumerate(items, start=1)
        ]
    )
    locked.current_version = version
    locked.save(update_fields=["current_version"])
    template.current_version = version
    audit_record(
        action="list_publish",
        obj=locked,
        object_repr=f"{locked} v{version.number}",
        org_path=locked.org_unit.path,
        after={
            "version": version.number,
            "items": len(items),
            "note": version.note,
            "base": str(locked.base_id or ""),
        },
    )
    _republish_adaptations(scope, locked, published_at=published_at)
    return version


def _item_dict(item: ListItem) -> dict:
    return {"key": item.key, **{f: getattr(item, f) for f in ITEM_FIELDS}}


def _republish_adaptations(
    scope: Scope, template: ListTemplate, *, published_at: datetime.datetime | None = None
) -> None:
    """The base changed: every adaptation gets a new version = the new base items + its own items."""
    base_items = sel.version_items(template.current_version)
    base_keys = {b.key for b in base_items}
    for adaptation in ListTemplate.dangerously_unscoped.filter(
        tenant_id=template.tenant_id, base=template
    ).select_related("org_unit", "base", "post"):
        own = [
            i
            for i in sel.version_items(adaptation.current_version)
            if not i.inherited and i.key not in base_keys
        ]
        items = [_item_dict(b) for b in base_items] + [_item_dict(i) for i in own]
        adaptation.base = template
        _write_version(
            scope,
            adaptation,
            items,
            _("Follows version %(n)d of the list above.") % {"n": template.current_version.number},
            base_items,
            published_at=published_at,
        )


@transaction.atomic
def list_publish(
    *,
    scope: Scope,
    post: DutyPost,
    org_unit: OrgUnit,
    items: list[dict],
    note: str = "",
    published_at: datetime.datetime | None = None,
) -> ListVersion:
    """Publish a new version of ``post``'s list at ``org_unit`` (creating the list, or the
    adaptation of the nearest list above, the first time). ``items`` is the whole list in order;
    an item of the list above keeps its ``key`` and its words."""
    scope.require(MANAGE_DUTY_LISTS, org_unit)
    if org_unit.tenant_id != post.tenant_id:
        raise PermissionDenied(MANAGE_DUTY_LISTS)
    if org_unit.kind == OrgUnit.Kind.TEAM:
        raise ValidationError(
            {"org_unit": [_("Lists are kept by the group, a subsidiary or a mine, not a team.")]}
        )
    cleaned = _clean_items(items)
    template = (
        ListTemplate.dangerously_unscoped.filter(tenant_id=post.tenant_id, post=post, org_unit=org_unit)
        .select_related("org_unit", "base__current_version")
        .first()
    )
    if template is None:
        base = sel.base_template_for(tenant_id=post.tenant_id, post=post, org_unit=org_unit)
        try:
            with transaction.atomic():
                template = ListTemplate.objects.create(
                    tenant_id=post.tenant_id, post=post, org_unit=org_unit, base=base
                )
        except IntegrityError as exc:  # published by someone else a moment ago: theirs is the list
            raise ValidationError(
                {"org_unit": [_("This list was just created by someone else; reload.")]}
            ) from exc
    base_items = sel.version_items(template.base.current_version) if template.base_id else []
    if template.base_id:
        _check_keeps_base(cleaned, base_items)
    if published_at is not None and published_at > timezone.now():
        raise ValidationError({"published_at": [_("A list cannot be published in the future.")]})
    return _write_version(scope, template, cleaned, note, base_items, published_at=published_at)


def adaptation_start_items(*, template: ListTemplate | None, base: ListTemplate | None) -> list[dict]:
    """The items a new version of ``template`` (or a first adaptation of ``base``) starts from."""
    if template is not None and template.current_version_id:
        return [
            _item_dict(i) | {"inherited": i.inherited} for i in sel.version_items(template.current_version)
        ]
    if base is not None and base.current_version_id:
        return [_item_dict(i) | {"inherited": True} for i in sel.version_items(base.current_version)]
    return []


# --- holders -------------------------------------------------------------------------------------------
@transaction.atomic
def post_holder_assign(
    *, scope: Scope, person: Person, post: DutyPost, since: datetime.date | None = None
) -> PostHolder:
    scope.require(MANAGE_DUTY_LISTS, person.org_unit)
    if person.tenant_id != post.tenant_id:
        raise PermissionDenied(MANAGE_DUTY_LISTS)
    if PostHolder.dangerously_unscoped.filter(tenant_id=person.tenant_id, person=person, post=post).exists():
        raise ValidationError({"post": [_("%(name)s already holds this post.") % {"name": person.name}]})
    holder = PostHolder.objects.create(
        tenant_id=person.tenant_id, person=person, post=post, since=since or timezone.localdate()
    )
    audit_record(
        action="post_assign",
        obj=holder,
        object_repr=str(holder),
        org_path=person.org_unit.path,
        after={"person": str(person.pk), "post": post.code, "since": holder.since},
    )
    return holder


@transaction.atomic
def post_holder_remove(*, scope: Scope, holder: PostHolder) -> None:
    scope.require(MANAGE_DUTY_LISTS, holder.person.org_unit)
    audit_record(
        action="delete",
        obj=holder,
        object_repr=str(holder),
        org_path=holder.person.org_unit.path,
        before={"person": str(holder.person_id), "post": holder.post.code, "since": holder.since},
    )
    holder.delete()


# --- signing ---------------------------------------------------------------------------------------------
@transaction.atomic
def list_acknowledge(*, scope: Scope, version: ListVersion, signed_name: str) -> Acknowledgement:
    """签字确认 by the login's own person of a list in force for them."""
    if scope.person_id is None or scope.read_only:
        raise PermissionDenied(ACKNOWLEDGE_DUTY_LIST)
    person = Person.dangerously_unscoped.select_related("org_unit").get(pk=scope.person_id)
    scope.require(ACKNOWLEDGE_DUTY_LIST, person.org_unit)
    dues = [d for d in sel.my_lists(scope) if d.version is not None and d.version.pk == version.pk]
    if not dues:
        raise ValidationError({"version": [_("This is not a list in force for you.")]})
    if (signed_name or "").strip() != person.name:
        raise ValidationError(
            {
                "signed_name": [
                    _("Sign with your full name as on the books: %(name)s.") % {"name": person.name}
                ]
            }
        )
    if dues[0].acknowledgement is not None:
        raise ValidationError({"version": [_("You have already signed this version.")]})
    ack = Acknowledgement.objects.create(
        tenant_id=person.tenant_id,
        person=person,
        version=version,
        signed_name=person.name,
        acknowledged_at=timezone.now(),
        user_id=scope.user_id,
    )
    audit_record(
        action="list_ack",
        obj=ack,
        object_repr=f"{person.name} · {dues[0].template} v{version.number}",
        org_path=person.org_unit.path,
        after={"person": str(person.pk), "version": str(version.pk), "number": version.number},
    )
    return ack


@transaction.atomic
def list_acknowledge_recorded(
    *, scope: Scope, holder: PostHolder, signed_at: datetime.datetime | None = None
) -> Acknowledgement:
    """Record a signature made on the printed list (a worker without a phone): the safety manager
    enters it for the version in force, marked as signed on paper."""
    person = holder.person
    scope.require(MANAGE_DUTY_LISTS, person.org_unit)
    due = sel._dues([person.tenant_id], [holder], today=timezone.localdate())[0]
    if due.version is None:
        raise ValidationError({"holder": [_("There is no list in force for this post.")]})
    if due.acknowledgement is not None:
        raise ValidationError({"holder": [_("This version has already been signed.")]})
    signed_at = signed_at or timezone.now()
    if signed_at < due.version.published_at or signed_at > timezone.now():
        raise ValidationError({"signed_at": [_("The signature must fall between the publication and now.")]})
    ack = Acknowledgement.objects.create(
        tenant_id=person.tenant_id,
        person=person,
        version=due.version,
        signed_name=person.name,
        acknowledged_at=signed_at,
        user_id=scope.user_id,
        on_paper=True,
    )
    audit_record(
        action="list_ack",
        obj=ack,
        object_repr=f"{person.name} · {due.template} v{due.version.number}",
        org_path=person.org_unit.path,
        after={
            "person": str(person.pk),
            "version": str(due.version.pk),
            "on_paper": True,
            "signed_at": signed_at,
        },
    )
    return ack


# --- assessing ---------------------------------------------------------------------------------------------
def _mine_of(person: Person) -> OrgUnit | None:
    paths = sel._ancestor_paths(person.org_unit.path)
    return OrgUnit.dangerously_unscoped.filter(
        tenant_id=person.tenant_id, path__in=paths, kind=OrgUnit.Kind.MINE
    ).first()


def check_may_assess(scope: Scope, person: Person, post: DutyPost) -> None:
    if scope.person_id is not None and scope.person_id == person.pk:
        raise PermissionDenied(_("Nobody assesses their own duties."))
    principal = post.is_mine_principal or person.post_category == Person.PostCategory.PRINCIPAL
    mine = _mine_of(person) if principal else None
    if mine is not None:
        # 一把手: group HQ (or the subsidiary above) assesses the mine's principal, not the mine itself.
        above = "/".join(mine.path.split("/")[:-2]) + "/"
        if not scope.has_perm(ASSESS_DUTIES, above, person.tenant_id):
            raise PermissionDenied(
                _("A mine's principal is assessed from above the mine (group or subsidiary).")
            )
        return
    scope.require(ASSESS_DUTIES, person.org_unit)


@transaction.atomic
def duty_assess(
    *,
    scope: Scope,
    holder: PostHolder,
    day: datetime.date,
    scores: list[dict],
    comment: str = "",
) -> DutyAssessment:
    """Score the holder's list in force for the period containing ``day``. ``scores``: one
    ``{"item": <item id>, "score": n, "comment": "", "evidence": ""}`` per item of the list."""
    person = holder.person
    check_may_assess(scope, person, holder.post)
    due = sel._dues([person.tenant_id], [holder], today=timezone.localdate())[0]
    if due.version is None:
        raise ValidationError({"holder": [_("There is no list in force for this post.")]})
    settings = sel.settings_for(person.tenant_id)
    start = sel.period_start(day, settings.assessment_cycle)
    if start > timezone.localdate():
        raise ValidationError({"day": [_("A period that has not begun cannot be assessed.")]})
    items = sel.version_items(due.version)
    given = {}
    errors: list[str] = []
    for raw in scores if isinstance(scores, list) else []:
        raw = raw if isinstance(raw, dict) else {}
        given[str(raw.get("item") or "")] = raw
    total = Decimal(0)
    maximum = Decimal(0)
    rows = []
    for item in items:
        where = _("Item %(n)d") % {"n": item.position}
        raw = given.pop(str(item.pk), None)
        if raw is None:
            errors.append(_("%(where)s: give a score.") % {"where": where})
            continue
        try:
            score = Decimal(str(raw.get("score"))).quantize(Decimal("0.1"))
            if not (0 <= score <= item.max_score):
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            errors.append(
                _("%(where)s: a score from 0 to %(max)d.") % {"where": where, "max": item.max_score}
            )
            continue
        item_comment = str(raw.get("comment") or "").strip()
        if score < item.max_score and not item_comment:
            errors.append(_("%(where)s: say why points were taken off.") % {"where": where})
        rows.append((item, score, item_comment[:300], str(raw.get("evidence") or "").strip()[:300]))
        total += score
        maximum += item.max_score
    if given:
        errors.append(_("Scores were given for items that are not on this list."))
    if errors:
        raise ValidationError({"scores": errors})
    percent = (Decimal(100) * total / maximum).quantize(Decimal("0.1")) if maximum else Decimal(0)
    if DutyAssessment.dangerously_unscoped.filter(
        tenant_id=person.tenant_id, person=person, template=due.template, period_start=start
    ).exists():
        raise ValidationError(
            {
                "day": [
                    _("This person's list has already been assessed for %(period)s.")
                    % {"period": sel.period_label(start, settings.assessment_cycle)}
                ]
            }
        )
    assessment = DutyAssessment.objects.create(
        tenant_id=person.tenant_id,
        person=person,
        version=due.version,
        template=due.template,
        cycle=settings.assessment_cycle,
        period_start=start,
        score=percent,
        passed=percent >= settings.pass_score,
        comment=(comment or "").strip()[:2000],
        assessor_id=scope.user_id,
        assessor_name=_assessor_name(scope),
        assessed_at=timezone.now(),
    )
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(
                tenant_id=person.tenant_id,
                assessment=assessment,
                item=item,
                score=score,
                comment=c,
                evidence=e,
            )
            for item, score, c, e in rows
        ]
    )
    audit_record_many(
        [
            PendingEvent(
                action="duty_assess",
                obj=assessment,
                org_path=person.org_unit.path,
                after={
                    "person": str(person.pk),
                    "period": start,
                    "version": str(due.version.pk),
                    "score": percent,
                    "passed": assessment.passed,
                    "items": {str(i.pk): s for i, s, _c, _e in rows},
                },
            )
        ]
    )
    _apply_result(scope, assessment, settings)
    return assessment


def _assessor_name(scope: Scope) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=scope.user_id).first()
    if user is None:
        return ""
    person = Person.dangerously_unscoped.filter(user=user).first()
    return (person.name if person else user.get_username())[:150]


def _apply_result(scope: Scope, assessment: DutyAssessment, settings: DutyListSettings) -> None:
    """A failure places a hold only where the group switched it on (off: a warning on the result);
    the next pass lifts the holds earlier failures placed."""
    person = assessment.person
    if not assessment.passed:
        if settings.hold_on_failed_assessment:
            holds.place_hold(
                scope=scope,
                person=person,
                source=sel.HOLD_SOURCE,
                reason=_("Failed the duty assessment of %(period)s (%(score)s%%).")
                % {
                    "period": sel.period_label(assessment.period_start, assessment.cycle),
                    "score": assessment.score,
                },
                reference=assessment,
            )
        return
    for hold in PersonHold.dangerously_unscoped.filter(
        tenant_id=person.tenant_id, person=person, source=sel.HOLD_SOURCE, lifted_at__isnull=True
    ):
        holds.lift_hold(
            scope=scope,
            person=person,
            source=sel.HOLD_SOURCE,
            reference=(hold.reference_type, hold.reference_id),
            lift_reason=_("Passed a later duty assessment."),
        )
