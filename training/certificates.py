"""Certificates: issue, record, verify, remind. (Being built.)"""


def issue_for_passed_attempt(attempt) -> None:
    """Issue the certificate a passed paper is configured to issue (to be implemented)."""
