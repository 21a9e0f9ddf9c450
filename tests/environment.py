"""What the optional test groups need, and a one-line reason when it is missing."""

from __future__ import annotations

import os
import shutil
import socket
from functools import cache

from django.conf import settings


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@cache
def missing_requirements(marker: str) -> str:
    if marker == "postgres":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            return "needs PostgreSQL: set DATABASE_URL=postgres://… (the README's test command does on CI)"
    if marker == "redis":
        if not _port_open("127.0.0.1", 6379):
            return "needs a Redis server on 127.0.0.1:6379"
    if marker == "browser":
        if not shutil.which(os.environ.get("CHROMIUM", "chromium")) and not os.path.exists(
            "/usr/bin/chromium"
        ):
            return "needs Debian's chromium (apt-get install chromium)"
    return ""
