"""Duties: writes of the post rosters, filings and shifts (the lists keep theirs apart).

Each write takes the scope first, checks ``MANAGE_POSTS`` at the mine, validates (Chinese
messages field by field, nothing changed on bad input), saves and audits in one transaction.

An appointment or a departure files itself (报备): a ``PostFiling`` due after the filing
deadline in force for the mine (``PostRule`` ``filing_days``). At a coal mine every change of a
required post reports the post's state to the condition sinks (``compliance.registry``): vacant
(or held part-time) is present, filled full-time is gone — the hidden-danger register takes it up.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import registry
from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from tenants.models import OrgUnit, Person
from tenants.scope import Scope
from tenants.services import snapshot

from .models import (
    POST_NAMES_ZH,
    Education,
    Post,
    PostAppointment,
    PostFiling,
    PostRule,
    Shift,
    ShiftPlan,
    ShiftRecord,
    required_posts,
)
from .permissions import MANAGE_POSTS
from .selectors import MineRules, held_on, rule_rows

# When no rule row gives a filing deadline (no national number found: DOMAIN.md).
FALLBACK_FILING_DAYS = 15
VACANCY_KIND = "duties.post_vacant"
# DOMAIN.md, "Duties": a missing one is a major-hazard condition under the coal criteria
# (应急管理部令第4号, "other major hidden dangers": 未配备专职矿长、总工程师和分管安全、生产、机电的
# 副矿长以及负责采煤、掘进、机电运输、通风、地测、防治水工作的专业技术人员). The article number is
# not given here: it was not checked against the text.
VACANCY_SOURCE = "应急管理部令第4号《煤矿重大事故隐患判定标准》（其他重大事故隐患）"


def _require_mine(scope: Scope, mine: OrgUnit) -> None:
    scope.require(MANAGE_POSTS, mine)
    if mine.kind != OrgUnit.Kind.MINE:
        raise ValidationError({"mine": [_("Choose a mine.")]})


def _check_person(mine: OrgUnit, person: Person | None, field: str) -> None:
    if person is not None and person.tenant_id != mine.tenant_id:
        raise ValidationError({field: [_("Choose a person of this group.")]})
    if person is not None and person.status == Person.Status.LEFT:
        raise ValidationError({field: [_("This person has left.")]})


def filing_days(scope: Scope, mine: OrgUnit) -> int:
    rule = MineRules(rule_rows(scope), mine).get(PostRule.Key.FILING_DAYS)
    return rule.value if rule is not None else FALLBACK_FILING_DAYS


def _file(scope: Scope, appt: PostAppointment, kind: str, on: datetime.date) -> PostFiling:
    filing = PostFiling(
        tenant_id=appt.tenant_id,
        appointment=appt,
        mine=appt.mine,
        kind=kind,
        event_on=on,
        due_on=on + datetime.timedelta(days=filing_days(scope, appt.mine)),
    )
    filing.save()
    return filing


def sync_vacancy_conditions(scope: Scope, mine: OrgUnit, *, on: datetime.date | None = None) -> list[str]:
    """Report each required post of a coal mine to the condition sinks: present when no full-time
    holder, gone otherwise (idempotent by key). Returns the posts reported present."""
    profile = getattr(mine, "mine_profile", None)
    if profile is None or not profile.is_coal:
        return []
    on = on or timezone.localdate()
    held = dict(held_on(PostAppointment.objects.filter(mine=mine), on).values_list("post", "full_time"))
    present = []
    for post in required_posts(True):
        vacant = not held.get(post, False)
        label = POST_NAMES_ZH[post]
        registry.report_condition(
            scope,
            registry.Condition(
                key=f"{VACANCY_KIND}:{mine.pk}:{post}",
                kind=VACANCY_KIND,
                tenant_id=mine.tenant_id,
                mine_id=mine.pk,
                description=f"{mine.name}未配备专职{label}",
                major=True,
                source=VACANCY_SOURCE,
            ),
            present=vacant,
        )
        if vacant:
            present.append(post)
    return present


# --- appointments --------------------------------------------------------------------------------------
APPOINTMENT_FIELDS = ("full_time", "education", "mining_field", "years_experience", "assessment_passed_on")


@transaction.atomic
def appointment_create(
    *,
    scope: Scope,
    mine: OrgUnit,
    post: str,
    person: Person,
    started_on: datetime.date,
    education: int,
    years_experience: int,
    full_time: bool = True,
    mining_field: bool = False,
    assessment_passed_on: datetime.date | None = None,
) -> PostAppointment:
    """Appoint ``person`` to ``post`` at ``mine`` and file the appointment."""
    _require_mine(scope, mine)
    _check_person(mine, person, "person")
    errors: dict[str, list] = {}
    if post not in Post.values:
        errors["post"] = [_("Choose a post.")]
    if education not in Education.values:
        errors["education"] = [_("Choose an education level.")]
    if not errors and PostAppointment.objects.filter(mine=mine, post=post, ended_on__isnull=True).exists():
        errors["post"] = [_("This post has a holder: record their departure first.")]
    if assessment_passed_on and started_on and assessment_passed_on > timezone.localdate():
        errors["assessment_passed_on"] = [_("The date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    appt = PostAppointment(
        tenant_id=mine.tenant_id,
        mine=mine,
        post=post,
        person=person,
        started_on=started_on,
        full_time=full_time,
        education=education,
        mining_field=mining_field,
        years_experience=years_experience,
        assessment_passed_on=assessment_passed_on,
    )
    appt.full_clean(exclude=["tenant"])
    appt.save()
    filing = _file(scope, appt, PostFiling.Kind.APPOINTMENT, started_on)
    audit_record(action="post_appoint", obj=appt, after=snapshot(appt) | {"filing_due": str(filing.due_on)})
    sync_vacancy_conditions(scope, mine)
    return appt


@transaction.atomic
def appointment_update(*, scope: Scope, appointment: PostAppointment, **fields) -> PostAppointment:
    """Correct the qualification facts of an appointment (no filing: nothing changed hands)."""
    _require_mine(scope, appointment.mine)
    appt = PostAppointment.objects.select_for_update().get(pk=appointment.pk)
    before = snapshot(appt)
    for name, value in fields.items():
        if name in APPOINTMENT_FIELDS:
            setattr(appt, name, value)
    appt.full_clean(exclude=["tenant"])
    appt.save()
    audit_record(action="post_update", obj=appt, before=before, after=snapshot(appt))
    sync_vacancy_conditions(scope, appt.mine)
    return appt


@transaction.atomic
def appointment_end(
    *, scope: Scope, appointment: PostAppointment, ended_on: datetime.date, reason: str = ""
) -> PostAppointment:
    """The holder leaves the post: the departure is filed, and a coal mine's vacancy reported."""
    _require_mine(scope, appointment.mine)
    appt = PostAppointment.objects.select_for_update().get(pk=appointment.pk)
    if appt.ended_on is not None:
        raise ValidationError({"ended_on": [_("This appointment has already ended.")]})
    if ended_on is None:
        raise ValidationError({"ended_on": [_("Give the date of leaving.")]})
    if ended_on < appt.started_on:
        raise ValidationError({"ended_on": [_("The date of leaving cannot be before the appointment.")]})
    before = snapshot(appt)
    appt.ended_on = ended_on
    appt.departure_reason = (reason or "").strip()[:200]
    appt.save(update_fields=["ended_on", "departure_reason"])
    filing = _file(scope, appt, PostFiling.Kind.DEPARTURE, ended_on)
    audit_record(
        action="post_depart",
        obj=appt,
        before=before,
        after=snapshot(appt) | {"filing_due": str(filing.due_on)},
    )
    sync_vacancy_conditions(scope, appt.mine)
    return appt


@transaction.atomic
def filing_record(
    *, scope: Scope, filing: PostFiling, filed_on: datetime.date, reference: str = ""
) -> PostFiling:
    """The filing was made with the regulator on ``filed_on``."""
    _require_mine(scope, filing.mine)
    row = PostFiling.objects.select_for_update().get(pk=filing.pk)
    if filed_on is None:
        raise ValidationError({"filed_on": [_("Give the date of filing.")]})
    if filed_on < row.event_on:
        raise ValidationError({"filed_on": [_("A filing cannot be made before the change it reports.")]})
    if filed_on > timezone.localdate():
        raise ValidationError({"filed_on": [_("The date cannot be in the future.")]})
    before = snapshot(row)
    row.filed_on = filed_on
    row.reference = (reference or "").strip()[:100]
    row.save(update_fields=["filed_on", "reference"])
    audit_record(action="post_filed", obj=row, before=before, after=snapshot(row))
    return row


# --- shifts ------------------------------------------------------------------------------------------
@transaction.atomic
def shift_plan_set(
    *, scope: Scope, mine: OrgUnit, on_date: datetime.date, shift: int, leader: Person
) -> ShiftPlan:
    """Plan ``leader`` for one shift (replacing whoever was planned)."""
    _require_mine(scope, mine)
    _check_person(mine, leader, "leader")
    if shift not in Shift.values:
        raise ValidationError({"shift": [_("Choose a shift.")]})
    plan = ShiftPlan.objects.filter(mine=mine, on_date=on_date, shift=shift).first()
    before = snapshot(plan) if plan else None
    if plan is None:
        plan = ShiftPlan(tenant_id=mine.tenant_id, mine=mine, on_date=on_date, shift=shift, leader=leader)
    else:
        plan.leader = leader
    plan.full_clean(exclude=["tenant"], validate_constraints=False)
    plan.save()
    audit_record(action="shift_plan", obj=plan, before=before, after=snapshot(plan))
    return plan


@transaction.atomic
def shift_plan_delete(*, scope: Scope, plan: ShiftPlan) -> None:
    _require_mine(scope, plan.mine)
    audit_record(action="shift_plan_del", obj=plan, before=snapshot(plan))
    plan.delete()


RECORD_FIELDS = ("crew_down_at", "crew_up_at", "leader", "leader_down_at", "leader_up_at")


def _clean_record(record: ShiftRecord) -> None:
    errors: dict[str, list] = {}
    if record.shift not in Shift.values:
        errors["shift"] = [_("Choose a shift.")]
    if record.crew_down_at and record.crew_up_at and record.crew_up_at <= record.crew_down_at:
        errors["crew_up_at"] = [_("The crew must come up after going down.")]
    if record.leader_id:
        if record.leader_down_at is None:
            errors["leader_down_at"] = [_("Give when the leader went down.")]
        if record.leader_up_at is None:
            errors["leader_up_at"] = [_("Give when the leader came up.")]
        if record.leader_down_at and record.leader_up_at and record.leader_up_at <= record.leader_down_at:
            errors["leader_up_at"] = [_("The leader must come up after going down.")]
    elif record.leader_down_at or record.leader_up_at:
        errors["leader"] = [_("Name the leader whose times these are.")]
    if errors:
        raise ValidationError(errors)
    record.full_clean(exclude=["tenant"], validate_constraints=False)


@transaction.atomic
def shift_record_save(
    *,
    scope: Scope,
    mine: OrgUnit,
    on_date: datetime.date,
    shift: int,
    crew_down_at: datetime.datetime,
    crew_up_at: datetime.datetime,
    leader: Person | None = None,
    leader_down_at: datetime.datetime | None = None,
    leader_up_at: datetime.datetime | None = None,
    source: str = ShiftRecord.Source.FORM,
) -> ShiftRecord:
    """Record (or correct) what happened on one shift."""
    _require_mine(scope, mine)
    _check_person(mine, leader, "leader")
    record = ShiftRecord.objects.filter(mine=mine, on_date=on_date, shift=shift).first()
    before = snapshot(record) if record else None
    if record is None:
        record = ShiftRecord(tenant_id=mine.tenant_id, mine=mine, on_date=on_date, shift=shift)
    record.crew_down_at, record.crew_up_at = crew_down_at, crew_up_at
    record.leader = leader
    record.leader_down_at, record.leader_up_at = leader_down_at, leader_up_at
    record.source = source
    _clean_record(record)
    record.save()
    audit_record(action="shift_record", obj=record, before=before, after=snapshot(record))
    return record


@transaction.atomic
def shift_records_import(*, scope: Scope, mine: OrgUnit, rows: list[dict]) -> list[ShiftRecord]:
    """All rows or none: each row is {on_date, shift, crew_down_at, crew_up_at, leader,
    leader_down_at, leader_up_at} already parsed; a bad row raises ValidationError listing every
    row's problems ({"rows": ["第 n 行：…", …]}) and nothing is saved."""
    _require_mine(scope, mine)
    problems = []
    records = []
    existing = {
        (r.on_date, r.shift): r
        for r in ShiftRecord.objects.filter(mine=mine, on_date__in={r["on_date"] for r in rows})
    }
    seen = set()
    for row in rows:
        number = row.get("row")
        key = (row["on_date"], row["shift"])
        if key in seen:
            problems.append(_("Row %(row)s: the same shift twice in the file.") % {"row": number})
            continue
        seen.add(key)
        record = existing.get(key) or ShiftRecord(
            tenant_id=mine.tenant_id, mine=mine, on_date=row["on_date"], shift=row["shift"]
        )
        for name in RECORD_FIELDS:
            setattr(record, name, row.get(name))
        record.source = ShiftRecord.Source.IMPORT
        try:
            _check_person(mine, record.leader, "leader")
            _clean_record(record)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    problems.append(
                        _("Row %(row)s, %(field)s: %(message)s")
                        % {"row": number, "field": field, "message": message}
                    )
            continue
        records.append(record)
    if problems:
        raise ValidationError({"rows": problems})
    for record in records:
        record.save()
    audit_record_many(
        [PendingEvent(action="shift_import", obj=record, after=snapshot(record)) for record in records]
    )
    return records


# --- the personnel-location export (人员定位系统): Excel or CSV --------------------------------------------
# Headers as the export names them (MT/T 1201.3 systems let the user pick columns; these are the
# usual names), in Chinese or English. The leader is named by employee number.
IMPORT_COLUMNS = {
    "on_date": ("日期", "date"),
    "shift": ("班次", "shift"),
    "crew_down_at": ("人员下井时间", "crew down"),
    "crew_up_at": ("人员升井时间", "crew up"),
    "leader": ("带班领导工号", "leader employee number"),
    "leader_down_at": ("领导下井时间", "leader down"),
    "leader_up_at": ("领导升井时间", "leader up"),
}
SHIFT_NAMES = {"早班": 1, "中班": 2, "夜班": 3, "1": 1, "2": 2, "3": 3, "morning": 1, "middle": 2, "night": 3}
MAX_IMPORT_ROWS = 5000


def _table(content: bytes, filename: str) -> list[list]:
    """The rows of an .xlsx (through the shared reader) or a .csv (UTF-8 or GBK, as exports are)."""
    if filename.lower().endswith(".csv"):
        import csv
        import io

        for encoding in ("utf-8-sig", "gbk"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError({"file": [_("The file is neither UTF-8 nor GBK text.")]})
        return list(csv.reader(io.StringIO(text)))
    from compliance.imports.reader import SheetTooLarge, open_workbook, sheet_rows

    try:
        wb = open_workbook(content)
        return [list(r) for r in sheet_rows(wb.worksheets[0])]
    except SheetTooLarge as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    except Exception as exc:  # a damaged or foreign file: one message, never a server error
        raise ValidationError(
            {"file": [_("The file cannot be read as an Excel workbook (.xlsx) or CSV.")]}
        ) from exc


def _when(value, tz):
    from compliance.imports.columns import cell_text

    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    text = cell_text(value)
    if not text:
        return None
    for fmt in (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(text)


def shift_records_parse(*, scope: Scope, mine: OrgUnit, content: bytes, filename: str) -> list[dict]:
    """The export's rows as values for ``shift_records_import``; every bad row is reported with
    its row number (ValidationError {"rows": [...]}), nothing is imported."""
    from zoneinfo import ZoneInfo

    from compliance.imports.columns import cell_text, parse_date

    tz = ZoneInfo("Asia/Shanghai")
    table = _table(content, filename)
    if not table:
        raise ValidationError({"file": [_("The file has no rows to import.")]})
    header = [cell_text(h).strip().lower() for h in table[0]]
    index = {}
    for key, names in IMPORT_COLUMNS.items():
        for name in names:
            if name.lower() in header:
                index[key] = header.index(name.lower())
    missing = [
        IMPORT_COLUMNS[k][0] for k in ("on_date", "shift", "crew_down_at", "crew_up_at") if k not in index
    ]
    if missing:
        raise ValidationError({"file": [_("Columns missing: %(list)s") % {"list": "、".join(missing)}]})
    body = table[1 : MAX_IMPORT_ROWS + 2]
    if len(body) > MAX_IMPORT_ROWS:
        raise ValidationError({"file": [_("At most %(n)d rows at a time.") % {"n": MAX_IMPORT_ROWS}]})
    leaders = {
        p.employee_no: p
        for p in Person.objects.filter(tenant_id=mine.tenant_id, org_unit__path__startswith=mine.path)
    }
    rows, problems = [], []
    for offset, raw in enumerate(body):
        number = offset + 2
        if not any(cell_text(v) for v in raw):
            continue

        def cell(key, raw=raw):
            i = index.get(key)
            return raw[i] if i is not None and i < len(raw) else None

        row = {"row": number}
        try:
            row["on_date"] = parse_date(cell("on_date"))
            if row["on_date"] is None:
                raise ValueError
        except (ValueError, TypeError):
            problems.append(_("Row %(row)s, %(field)s: not a date") % {"row": number, "field": "日期"})
            continue
        shift = SHIFT_NAMES.get(cell_text(cell("shift")).strip().lower())
        if shift is None:
            problems.append(
                _("Row %(row)s, %(field)s: 早班, 中班 or 夜班") % {"row": number, "field": "班次"}
            )
            continue
        row["shift"] = shift
        bad = False
        for key in ("crew_down_at", "crew_up_at", "leader_down_at", "leader_up_at"):
            try:
                row[key] = _when(cell(key), tz)
            except ValueError:
                problems.append(
                    _("Row %(row)s, %(field)s: not a date and time (2026-03-02 07:30)")
                    % {"row": number, "field": IMPORT_COLUMNS[key][0]}
                )
                bad = True
        for key in ("crew_down_at", "crew_up_at"):
            if not bad and row[key] is None:
                problems.append(
                    _("Row %(row)s, %(field)s: required") % {"row": number, "field": IMPORT_COLUMNS[key][0]}
                )
                bad = True
        employee_no = cell_text(cell("leader")).strip()
        row["leader"] = leaders.get(employee_no) if employee_no else None
        if employee_no and row["leader"] is None:
            problems.append(
                _("Row %(row)s, %(field)s: no one with employee number %(no)s at this mine")
                % {"row": number, "field": IMPORT_COLUMNS["leader"][0], "no": employee_no}
            )
            bad = True
        if not bad:
            rows.append(row)
    if problems:
        raise ValidationError({"rows": problems})
    if not rows:
        raise ValidationError({"file": [_("The file has no rows to import.")]})
    return rows
