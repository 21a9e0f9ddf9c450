"""JSON from a request body, refused when nested deeper than JSON_MAX_DEPTH.

No form of ours nests more than a few levels, while a body of a few kilobytes can nest a
thousand: Python's parser then runs out of stack (RecursionError, a 500), and any code that walks
the value afterwards (validation, the audit snapshot) recurses as deep. The depth is counted on the
text before it is parsed, at C speed: strings removed, then a running sum over the brackets.
"""

from __future__ import annotations

import re
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.utils import json

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ValueError):
    """The body nests arrays and objects deeper than the limit."""


def max_depth() -> int:
    return settings.JSON_MAX_DEPTH


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_depth(text: str) -> None:
    limit = max_depth()
    if nesting_depth(text) > limit:
        raise TooDeep(_("The JSON body is nested deeper than %(limit)d levels.") % {"limit": limit})


def loads(data: bytes | str, *, encoding: str = "utf-8", strict: bool = True):
    """``json.loads`` for untrusted input: a ValueError (TooDeep among them) for anything it refuses."""
    text = data.decode(encoding) if isinstance(data, bytes) else data
    check_depth(text)
    try:
        return json.loads(text, parse_constant=json.strict_constant if strict else None)
    except RecursionError as exc:  # cannot happen below the limit; a 400, never a 500, all the same
        raise TooDeep(_("The JSON body is nested too deeply.")) from exc
