"""Team safety points (班组安全积分): an append-only ledger, rules and thresholds as tenant data."""
