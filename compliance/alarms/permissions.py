"""The permissions of monitoring alarms, added to the role bundles from ``AlarmsConfig.ready()``."""

from tenants import roles

# Read the alarm queue, an alarm's handling record and the statistics. Regulators read them for
# the mines of their region (read-only), as they read the hazard register.
VIEW_ALARMS = "view_alarms"
# Handle an alarm: acknowledge, record the on-site check, close with cause and measures.
HANDLE_ALARMS = "handle_alarms"
# Bring alarms in: the Excel/CSV import of a system's export; an alarm feed (the monitoring
# system's key) acts with this permission at its one mine only.
INGEST_ALARMS = "ingest_alarms"
# Make and revoke the keys of the mine's monitoring systems (alarm feeds).
MANAGE_ALARM_FEEDS = "manage_alarm_feeds"
# Set the group's own handling deadlines (stricter than the national ones), at group HQ.
MANAGE_ALARM_RULES = "manage_alarm_rules"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_ALARMS, HANDLE_ALARMS, INGEST_ALARMS, MANAGE_ALARM_FEEDS, MANAGE_ALARM_RULES},
    roles.HQ_AUDITOR: {VIEW_ALARMS},
    roles.SAFETY_MANAGER: {VIEW_ALARMS, HANDLE_ALARMS, INGEST_ALARMS, MANAGE_ALARM_FEEDS},
    roles.REGULATOR: {VIEW_ALARMS},
    roles.GUEST_AUDITOR: {VIEW_ALARMS},
}


def register() -> None:
    roles.register_permissions(
        BUNDLES, write={HANDLE_ALARMS, INGEST_ALARMS, MANAGE_ALARM_FEEDS, MANAGE_ALARM_RULES}
    )
