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
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError


def normalize_resident_id(value: str) -> str:
    """Return the canonical 18-character form or raise a field-level ValidationError."""
    raw = (value or "").strip().upper()
    try:
        return ric.validate(raw)
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


def _derive(label: bytes) -> bytes:
    return hashlib.sha256(label + settings.SECRET_KEY.encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        keys = (base64.urlsafe_b64encode(_derive(b"resident-id-enc:")).decode(),)
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _cipher() -> MultiFernet:
    return _fernet(tuple(settings.RESIDENT_ID_KEYS))


def encrypt(number: str) -> str:
    return _cipher().encrypt(number.encode()).decode()


def decrypt(token: str) -> str:
    return _cipher().decrypt(token.encode()).decode()


def digest(number: str) -> str:
    key = settings.RESIDENT_ID_HASH_KEY.encode() or _derive(b"resident-id-hmac:")
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
