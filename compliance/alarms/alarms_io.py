"""Import of a monitoring system's alarm export (.xlsx, or .csv turned into a workbook first)
through the shared importer (``compliance.imports``): one mine per file, one row per alarm.

Every row is checked (the same checks as the intake API: ``services.check_incoming``) and one
bad row means nothing is imported, each problem listed with its row and column. Rows whose
system alarm id is already stored for the mine are not errors: the export of a system overlaps
the alarms its feed already posted, and they are stored once (the intake's idempotency).
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.audit.services import audit_record
from compliance.imports import writer
from compliance.imports.columns import CHOICE, DECIMAL, Column, cell_text
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import Problems, nothing_to_import, parse_cells, report_progress
from compliance.imports.rows import numbered as numbered_rows
from compliance.imports.template import template_workbook
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from tenants.models import OrgUnit
from tenants.scope import Scope, current_scope

from . import services
from .models import Alarm, Kind, System
from .permissions import INGEST_ALARMS

IMPORT_KIND = "alarms_import"
MAX_ROWS = 5000

# The words systems' exports use (the labels' own words are accepted anyway).
KIND_ALIASES = {
    "瓦斯": Kind.GAS, "甲烷": Kind.GAS, "CH4": Kind.GAS, "一氧化碳": Kind.CO, "CO": Kind.CO,
    "风速": Kind.WIND_SPEED, "断电": Kind.FAN_POWER, "风机停电": Kind.FAN_POWER, "水位": Kind.WATER_LEVEL,
    "坝体位移": Kind.DAM_DISPLACEMENT, "边坡位移": Kind.SLOPE_DISPLACEMENT,
    "浸润线": Kind.SATURATION_LINE, "超员": Kind.OVERCROWDING, "断线": Kind.SENSOR_FAULT,
    "故障": Kind.SENSOR_FAULT,
}  # fmt: skip
SYSTEM_ALIASES = {"安全监控": System.SAFETY_MONITORING, "监控": System.SAFETY_MONITORING,
                  "人员定位": System.PERSONNEL_POSITIONING, "水害": System.WATER_HAZARD,
                  "尾矿库": System.TAILINGS, "边坡": System.SLOPE}  # fmt: skip

COLUMNS = [
    Column("source_id", gettext_lazy("System's alarm id"), True, 18, max_length=64,
           example="20260301-000123",
           help=gettext_lazy("The id the system gave the alarm; one already stored for the mine is skipped")),
    Column("system", gettext_lazy("System"), True, 14, kind=CHOICE, choices=System, aliases=SYSTEM_ALIASES),
    Column("kind", gettext_lazy("Alarm kind"), True, 16, kind=CHOICE, choices=Kind, aliases=KIND_ALIASES),
    Column("point_code", gettext_lazy("Point code"), True, 12, max_length=64, example="T0101"),
    Column("location", gettext_lazy("Location"), False, 20, max_length=200, example="1301 回风巷"),
    Column("value", gettext_lazy("Value"), False, 10, kind=DECIMAL, example="1.25"),
    Column("unit", gettext_lazy("Unit"), False, 8, max_length=16, example="%CH4"),
    Column("limit", gettext_lazy("Limit"), False, 10, kind=DECIMAL, example="1.00"),
    Column("occurred_at", gettext_lazy("Occurred at"), True, 18, example="2026-03-01 08:15",
           help=gettext_lazy("Date and time, China time: 2026-03-01 08:15 or 2026-03-01 08:15:30.")),
    Column("ended_at", gettext_lazy("Ended at"), False, 18, example="2026-03-01 08:40"),
]  # fmt: skip

TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
)


def parse_time(raw) -> datetime.datetime | None:
    """A cell's date and time (an Excel date cell, or text), in China time when it has no zone."""
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime.datetime):
        value = raw
    else:
        text = cell_text(raw)
        for fmt in TIME_FORMATS:
            try:
                value = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(text)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def template() -> bytes:
    return template_workbook(title=_("Alarms"), columns=COLUMNS)


def csv_as_workbook(upload) -> SimpleUploadedFile:
    """A CSV export (UTF-8, with or without BOM, or GB18030 as Chinese systems write it) as a
    workbook, so the one importer reads it. Every cell stays text (never a formula)."""
    raw = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": _("The CSV file is not UTF-8 or GB18030 text.")})
    rows = list(csv.reader(io.StringIO(text)))[: MAX_ROWS + 2]
    content = _workbook(rows)
    return SimpleUploadedFile(upload.name.rsplit(".", 1)[0] + ".xlsx", content, content_type=writer.XLSX)


def _workbook(rows) -> bytes:
    wb = writer.new_workbook()
    ws = wb.active
    for row in rows:
        # As text, like every sheet written here: a leading "=" never becomes a formula.
        ws.append([writer.as_text(c) for c in row])
    return writer.workbook_bytes(wb)


def _decimal(value) -> Decimal | None:
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value))


def import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(INGEST_ALARMS, org_unit)
    if org_unit.kind != OrgUnit.Kind.MINE:
        raise ValidationError({"org_unit": _("Choose a mine.")})
    if (upload.name or "").lower().endswith(".csv"):
        upload = csv_as_workbook(upload)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


def import_prepare(job: Job, progress) -> list[tuple[int, services.Incoming]]:
    scope = current_scope()
    mine = OrgUnit.objects.filter(pk=job.org_unit_id, kind=OrgUnit.Kind.MINE).first()
    if mine is None or not scope.has_perm(INGEST_ALARMS, mine.path, mine.tenant_id):
        raise JobRejected(_("You may no longer import into this mine."), {"errors": []})
    lookups = {c.key: c.lookup() for c in COLUMNS if c.kind == CHOICE}
    rows, index = read_rows(job, COLUMNS)
    rows = list(numbered_rows(rows))
    if not rows:
        raise nothing_to_import()
    if len(rows) > MAX_ROWS:
        raise JobRejected(_("At most %(n)d rows per file.") % {"n": MAX_ROWS}, {"errors": []})
    errors = Problems(COLUMNS)
    plan = []
    for done, (row_no, row) in enumerate(rows, start=1):
        values, problems = parse_cells(COLUMNS, row, index, lookups)
        errors.extend(row_no, problems)
        times, bad_times = {}, set()
        for key in ("occurred_at", "ended_at"):
            position = index.get(key)
            try:
                times[key] = parse_time(
                    row[position] if position is not None and position < len(row) else None
                )
            except ValueError:
                errors.add(row_no, key, _("Not a date and time such as 2026-03-01 08:15."))
                times[key], bad_times = None, bad_times | {key}
        if problems:
            continue
        item = services.Incoming(
            source_id=values["source_id"],
            system=values["system"],
            kind=values["kind"],
            point_code=values["point_code"],
            location=values["location"],
            value=_decimal(values["value"]),
            unit=values["unit"],
            limit=_decimal(values["limit"]),
            occurred_at=times["occurred_at"],
            ended_at=times["ended_at"],
        )
        for key, message in services.check_incoming(item).items():
            if key not in bad_times:
                errors.add(row_no, key, message)
        plan.append((row_no, item))
        report_progress(progress, done, len(rows))
    if errors:
        raise errors.rejected(imported=0)
    return plan


def import_apply(job: Job, plan: list[tuple[int, services.Incoming]]) -> dict:
    scope = current_scope()
    mine = OrgUnit.objects.get(pk=job.org_unit_id)
    stored = 0
    for start in range(0, len(plan), services.MAX_BATCH):
        chunk = [item for _row, item in plan[start : start + services.MAX_BATCH]]
        results = services.alarms_ingest(scope=scope, mine=mine, items=chunk, source=Alarm.Source.IMPORT)
        stored += sum(1 for _a, created in results if created)
    audit_record(
        action="import",
        obj=mine,
        object_type="alarms.Alarm",
        object_repr=job.params.get("filename", ""),
        org_path=mine.path,
        after={"rows": len(plan), "stored": stored},
    )
    return {"imported": stored, "already_stored": len(plan) - stored}


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=INGEST_ALARMS,
        start=import_start,
        prepare=import_prepare,
        apply=import_apply,
        template=template,
        template_filename="alarms-template.xlsx",
        form="compliance.alarms.forms.ImportForm",
        page_template="alarms/import.html",
        page_url_name="alarms:alarm-import",
        result_template="alarms/_import_result.html",
        input_perm=INGEST_ALARMS,
        label=gettext_lazy("Import of monitoring alarms"),
    )
)
