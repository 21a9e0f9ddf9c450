"""Monitoring alarms handled to the end (有警必查、闭环处置): alarms from a mine's safety monitoring
systems, their handling record, deadlines by alarm kind, overdue escalation and statistics.
See docs/alarms.md."""
