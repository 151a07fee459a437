"""SQL for platform settings: the per-participant-minute rate, the low-balance threshold and the
welcome credit of a new account."""

from __future__ import annotations

from decimal import Decimal

# Used when a row is missing; migrations 0001 and 0010 seed them.
DEFAULTS = {
    "rate_per_participant_minute": Decimal("0.0040"),
    "low_balance_threshold": Decimal("2.0000"),
    "welcome_credit_usd": Decimal("1.0000"),
}


async def read(cur) -> dict[str, Decimal]:
    await cur.execute(
        "SELECT key, (value #>> '{}')::numeric AS value FROM platform_settings WHERE key = ANY(%s)",
        (list(DEFAULTS),),
    )
    stored = {row["key"]: row["value"] for row in await cur.fetchall()}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


async def welcome_credit(cur) -> Decimal:
    await cur.execute(
        "SELECT (value #>> '{}')::numeric AS v FROM platform_settings "
        "WHERE key = 'welcome_credit_usd'"
    )
    row = await cur.fetchone()
    return row["v"] if row else DEFAULTS["welcome_credit_usd"]


async def write(cur, changes: dict[str, Decimal]) -> None:
    """Store each value as a JSON string with four decimals ("0.0040"), as seeded."""
    keys = list(changes)
    values = [f"{changes[key]:.4f}" for key in keys]
    await cur.execute(
        """
        INSERT INTO platform_settings (key, value, updated_at)
        SELECT k, to_jsonb(v), now() FROM unnest(%s::text[], %s::text[]) AS s(k, v)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        """,
        (keys, values),
    )
