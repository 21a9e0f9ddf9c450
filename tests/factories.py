"""Test data built through the services, so tests exercise the same rules as users."""

from __future__ import annotations

import itertools
import random

from stdnum.cn import ric, uscc

_counter = itertools.count(1)


def credit_code(seed: int | None = None) -> str:
    n = seed if seed is not None else next(_counter)
    body = f"91520000MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def resident_id(region: str = "520201", birth: str = "19880512", seq: int | None = None) -> str:
    n = seq if seq is not None else next(_counter) % 1000
    body = f"{region}{birth}{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def random_resident_id(rng: random.Random, region: str) -> str:
    birth = f"{rng.randint(1966, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return resident_id(region, birth, rng.randint(0, 999))
