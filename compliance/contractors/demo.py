"""Outsourcing demo (filled in below)."""


def build(spec, *, scope, today=None, log=print):
    return None
