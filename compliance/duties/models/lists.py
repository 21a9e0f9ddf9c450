"""Responsibility lists (全员安全生产责任制) and duty assessments (履职考核)."""
