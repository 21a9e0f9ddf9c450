"""Resident ID numbers (居民身份证号, GB 11643): validated, encrypted at rest, found by keyed hash.

The database holds a Fernet ciphertext (keys from RESIDENT_ID_KEYS, newest first, so a rotation
can re-encrypt while old rows stay readable), an HMAC digest for exact lookup and uniqueness, and
the masked form shown everywhere. None of the three reveals the number without the keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

# GB/T 2260 province-level codes (incl. Hong Kong 81, Macao 82, Taiwan 71).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def normalize_resident_id(value: str) -> str:
    """Return the canonical 18-character form or raise a field-level ValidationError."""
    raw = (value or "").strip().upper()
    try:
        number = ric.compact(raw)
        if len(number) != 18:
            raise stdnum_exceptions.InvalidLength()
        if not number[:-1].isdigit():
            raise stdnum_exceptions.InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise stdnum_exceptions.InvalidChecksum()
        ric.get_birth_date(number)
        # Only the province is checked: python-stdnum's county table lags GB/T 2260 and would
        # refuse real people born in counties created or renumbered since.
        if number[:2] not in PROVINCES:
            raise stdnum_exceptions.InvalidComponent()
        return number
    except StdnumError as exc:
        raise ValidationError(
            _("Invalid resident ID number: %(reason)s"),
            code="invalid_resident_id",
            params={"reason": _reason(exc)},
        ) from exc


def _reason(exc: StdnumError) -> str:
    name = type(exc).__name__
    return {
        "InvalidLength": str(_("it must have 18 characters")),
        "InvalidFormat": str(_("only digits, and X as the last character, are allowed")),
        "InvalidChecksum": str(_("the check digit does not match")),
        "InvalidComponent": str(_("the birth date or region is not valid")),
    }.get(name, str(_("it is not a valid number")))


def mask(number: str) -> str:
    """5201**********1234 — region prefix and last four only."""
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


def mask_phone(number: str) -> str:
    """138****5678 — the first three and last four digits only (shorter numbers: the last two)."""
    digits = (number or "").strip()
    if len(digits) >= 11:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    if len(digits) > 2:
        return f"{'*' * (len(digits) - 2)}{digits[-2:]}"
    return digits


def _derive(label: bytes) -> bytes:
    return hashlib.sha256(label + settings.SECRET_KEY.encode()).digest()


def derived_key() -> str:
    """The key used while RESIDENT_ID_KEYS is unset (embedded default); list it after a new key
    to rotate away from it."""
    return base64.urlsafe_b64encode(_derive(b"resident-id-enc:")).decode()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys or (derived_key(),)])


def _cipher() -> MultiFernet:
    return _fernet(tuple(settings.RESIDENT_ID_KEYS))


def encrypt(number: str) -> str:
    return _cipher().encrypt(number.encode()).decode()


def decrypt(token: str) -> str:
    return _cipher().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same number, encrypted under the newest key."""
    return _cipher().rotate(token.encode()).decode()


def digest(number: str) -> str:
    key = settings.RESIDENT_ID_HASH_KEY.encode() or _derive(b"resident-id-hmac:")
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
