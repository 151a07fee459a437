"""Applies the yoyo migrations (migrations/, shipped in the package), one process at a time."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg2
import yoyo

from onepizza.assets import shipped_dir

log = logging.getLogger(__name__)

MIGRATIONS_DIR = shipped_dir("migrations")

# Key of the PostgreSQL advisory lock that serialises migration runs across processes
# (yoyo's own lock table can itself race when two fresh processes create it at once).
ADVISORY_LOCK_KEY = 0x6F6E6570  # "onep"


def apply_migrations(dsn: str, migrations_dir: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; return the ids applied. Blocking (psycopg2)."""
    lock_conn = psycopg2.connect(dsn)
    try:
        lock_conn.autocommit = True
        with lock_conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        backend = yoyo.get_backend(dsn)
        try:
            migrations = yoyo.read_migrations(str(migrations_dir))
            with backend.lock():
                pending = backend.to_apply(migrations)
                backend.apply_migrations(pending)
        finally:
            backend.connection.close()
        applied = [m.id for m in pending]
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        else:
            log.info("database schema is up to date")
        return applied
    finally:
        lock_conn.close()  # closing the session releases the advisory lock
