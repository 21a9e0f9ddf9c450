"""Demo data of duties (``seed_demo``): filled below."""


def build_posts(spec, *, scope, today, log):
    return None
