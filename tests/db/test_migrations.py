"""yoyo migrations: applied once, idempotent, and safe when processes start together."""

import subprocess
import sys

import psycopg2

from onepizza.db.migrate import apply_migrations


def _tables(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in cur.fetchall()}


def test_apply_then_nothing_pending(fresh_database):
    applied = apply_migrations(fresh_database)
    assert "0001.platform-settings" in applied
    assert "platform_settings" in _tables(fresh_database)
    assert apply_migrations(fresh_database) == []


def test_seeded_platform_settings(fresh_database):
    apply_migrations(fresh_database)
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT key, value FROM platform_settings ORDER BY key")
        assert dict(cur.fetchall()) == {
            "low_balance_threshold": "2.0000",
            "rate_per_participant_minute": "0.0040",
            "welcome_credit_usd": "1.0000",
        }


def test_concurrent_processes_apply_once(fresh_database):
    code = (
        "import sys; from onepizza.db.migrate import apply_migrations; "
        "print(len(apply_migrations(sys.argv[1])))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, fresh_database],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, [err for _, err in results]
    counts = sorted(int(out.strip()) for out, _ in results)
    assert counts[-1] >= 1 and counts[:-1] == [0] * 3  # exactly one process applied them
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM platform_settings")
        assert cur.fetchone()[0] == 3
