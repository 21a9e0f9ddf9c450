"""A scratch PostgreSQL database for a benchmark, with an ordinary login role for the app (no
superuser, no BYPASSRLS) so that row-level security is in force as in production.

The server is BENCH_PG (default postgres://postgres@127.0.0.1:5432); the benchmark migrates and
builds its data set as the server's user (the owner), then connects as the app role to measure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


@dataclass(frozen=True)
class BenchDatabase:
    name: str
    app_role: str

    def _admin_connect(self):
        import psycopg

        url = urlparse(PG)
        return psycopg.connect(
            host=url.hostname,
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            dbname="postgres",
            autocommit=True,
        )

    def create(self) -> None:
        """A fresh, empty database (an old one of the same name is dropped) and the app role."""
        with self._admin_connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {self.name}")
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [self.app_role]).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {self.app_role} LOGIN NOSUPERUSER NOBYPASSRLS")

    def drop(self) -> None:
        with self._admin_connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {self.app_role}")

    def url(self, user: str | None = None) -> str:
        """The database's URL, as the server's user (the owner) unless ``user`` is given."""
        url = urlparse(PG)
        user = user or url.username or "postgres"
        auth = f"{user}:{url.password}@" if url.password and user == url.username else f"{user}@"
        return f"postgres://{auth}{url.hostname}:{url.port or 5432}/{self.name}"
