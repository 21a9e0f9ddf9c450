"""The audit trail of a scope, as filtered on its page, to Excel: the same sentences as the page
(names, labels, masks), one event a row; the export is itself audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance.imports.writer import new_workbook, workbook_bytes
from tenants import roles
from tenants.scope import Scope, dangerously_platform_scope

from .display import event_rows
from .services import audit_record

# A workbook of the trail is built in the request, like the other exports (tenants.people_io):
# past this many events the page asks for a narrower filter instead.
MAX_ROWS = 20_000
CHUNK = 500  # events named per batch of queries (event_rows)

COLUMNS = (
    gettext_lazy("Time"),
    gettext_lazy("Actor"),
    gettext_lazy("Role"),
    gettext_lazy("Unit of the actor"),
    gettext_lazy("Action"),
    gettext_lazy("Object kind"),
    gettext_lazy("Object"),
    gettext_lazy("Where"),
    gettext_lazy("Changes"),
    gettext_lazy("Request"),
    pgettext_lazy("audit field", "IP address"),
    gettext_lazy("Sequence number"),
)


def audit_events_export(*, scope: Scope, events, filters: dict) -> bytes:
    """``events`` (already filtered inside ``scope``) as a workbook; audited as an export."""
    scope.require(roles.VIEW_AUDIT)
    total = events.count()
    if total > MAX_ROWS:
        raise ValidationError(
            _("%(n)d events match; narrow the filter to at most %(max)d to export them.")
            % {"n": total, "max": MAX_ROWS},
            code="too_many",
        )
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(_("Audit trail"))
    ws.append([str(c) for c in COLUMNS])
    count = 0
    for start in range(0, total, CHUNK):
        for row in event_rows(scope=scope, events=events[start : start + CHUNK]):
            e = row.event
            ws.append(
                [
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    row.actor_name,
                    row.actor_role,
                    row.actor_unit,
                    row.action_label,
                    row.kind_label,
                    row.object_name,
                    row.place,
                    "\n".join(f"{c.label}: {c.before or '—'} → {c.after or '—'}" for c in row.changes),
                    e.request_id,
                    e.ip or "",
                    e.seq,
                ]
            )
            count += 1
    content = workbook_bytes(wb)
    _audit_export(scope, rows=count, filters=filters)
    return content


def _reads_audit(grant) -> bool:
    return roles.VIEW_AUDIT in roles.perms_of(grant.role)


def _audit_export(scope: Scope, *, rows: int, filters: dict) -> None:
    tenant_id = scope.tenant_id
    paths = [g.path for g in scope.grants if g.tenant_id == tenant_id and _reads_audit(g)]

    def record():
        # A regulator's export goes to the platform chain, as its other own actions do (tokens,
        # passwords): it spans groups, and no group's chain is its to extend.
        with dangerously_platform_scope():
            audit_record(
                action="export",
                tenant_id=tenant_id,
                object_type="audit.AuditEvent",
                object_repr=_("Audit trail"),
                org_path=min(paths, key=len) if tenant_id and paths else "",
                after={"rows": rows, "filters": {k: str(v) for k, v in filters.items() if v}},
            )

    if scope.read_only:
        # A regulator's request is one read-only transaction on PostgreSQL (tenants.middleware):
        # the event is written the moment it ends, before the response leaves; if it cannot be
        # written, the request fails and the file is not sent.
        transaction.on_commit(record)
    else:
        record()
