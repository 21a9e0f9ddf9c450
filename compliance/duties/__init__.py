"""Duties (DOMAIN.md, "Duties"): responsibility lists for every post (全员安全生产责任制) and their
assessment, the five mine-manager posts (五职矿长) with their filings, leaders going underground
on shift (带班下井)."""
