"""Inspections and spot exams (逢查必考). (Being built.)"""


def apply_attempt_result(attempt) -> None:
    """Suspend on a failed spot exam; clear a suspension on passing its paper (to be implemented)."""
