"""The demo's alarms (``seed_demo``): filled in below."""


def build(spec, *, scope, today, log):
    return None
