"""SQL for USDC deposits: derived deposit addresses, seen transfers and the chain cursor."""

from __future__ import annotations

from decimal import Decimal


async def address_of(cur, *, user_id: int | None, company_id: int | None) -> str | None:
    """The deposit address of a company (when company_id is given) or of a user."""
    if company_id is not None:
        await cur.execute(
            "SELECT address FROM deposit_addresses WHERE company_id = %s", (company_id,)
        )
    else:
        await cur.execute("SELECT address FROM deposit_addresses WHERE user_id = %s", (user_id,))
    row = await cur.fetchone()
    return row["address"] if row else None


async def next_index(cur) -> int:
    """A derivation index no other address has or will get (sequences never hand one out
    twice, even when the transaction that drew it rolls back)."""
    await cur.execute(
        "SELECT nextval(pg_get_serial_sequence('deposit_addresses', 'derivation_index')) AS i"
    )
    return (await cur.fetchone())["i"]


_ADD_USER_ADDRESS = """
    INSERT INTO deposit_addresses (derivation_index, address, user_id) VALUES (%s, %s, %s)
    ON CONFLICT (user_id) DO NOTHING RETURNING address
"""
_ADD_COMPANY_ADDRESS = """
    INSERT INTO deposit_addresses (derivation_index, address, company_id) VALUES (%s, %s, %s)
    ON CONFLICT (company_id) DO NOTHING RETURNING address
"""


async def add_address(
    cur, *, index: int, address: str, user_id: int | None, company_id: int | None
) -> str:
    """Store the address derived at `index` for a company (when company_id is given) or a
    user, unless another request gave it one meanwhile; return its address either way."""
    if company_id is not None:
        await cur.execute(_ADD_COMPANY_ADDRESS, (index, address, company_id))
    else:
        await cur.execute(_ADD_USER_ADDRESS, (index, address, user_id))
    row = await cur.fetchone()
    if row is not None:
        return row["address"]
    return await address_of(cur, user_id=user_id, company_id=company_id)


async def all_addresses(cur) -> set[str]:
    await cur.execute("SELECT address FROM deposit_addresses")
    return {row["address"] for row in await cur.fetchall()}


async def first_address_time(cur):
    """When the first deposit address was handed out (None before any was)."""
    await cur.execute("SELECT created_at FROM deposit_addresses ORDER BY derivation_index LIMIT 1")
    row = await cur.fetchone()
    return row["created_at"] if row else None


async def owner_of(cur, address: str) -> dict | None:
    await cur.execute(
        "SELECT user_id, company_id FROM deposit_addresses WHERE address = %s", (address,)
    )
    return await cur.fetchone()


async def record_deposit(
    cur,
    *,
    tx_hash: str,
    log_index: int,
    chain_id: int,
    block_number: int,
    address: str,
    from_address: str,
    amount_units: int,
    amount_usd: Decimal | None,
    note: str | None,
) -> int | None:
    """Claim a transfer as seen, not yet credited; its id, or None when it already was.
    Run in the transaction that credits it: a concurrent watcher waits here, then gets None."""
    await cur.execute(
        """
        INSERT INTO usdc_deposits (tx_hash, log_index, chain_id, block_number, address,
                                   from_address, amount_units, amount_usd, note)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (tx_hash, log_index) DO NOTHING
        RETURNING id
        """,
        (
            tx_hash,
            log_index,
            chain_id,
            block_number,
            address,
            from_address,
            amount_units,
            amount_usd,
            note,
        ),
    )
    row = await cur.fetchone()
    return row["id"] if row else None


async def mark_credited(cur, deposit_id: int, *, user_id: int | None, company_id: int | None):
    await cur.execute(
        "UPDATE usdc_deposits SET credited = true, user_id = %s, company_id = %s, note = NULL "
        "WHERE id = %s",
        (user_id, company_id, deposit_id),
    )


async def set_note(cur, deposit_id: int, note: str) -> None:
    await cur.execute("UPDATE usdc_deposits SET note = %s WHERE id = %s", (note, deposit_id))


async def last_block(cur, *, chain_id: int, contract: str) -> int | None:
    await cur.execute(
        "SELECT last_block FROM usdc_chain_cursor WHERE chain_id = %s AND contract = %s",
        (chain_id, contract),
    )
    row = await cur.fetchone()
    return row["last_block"] if row else None


async def save_last_block(cur, *, chain_id: int, contract: str, block: int) -> None:
    """Move the cursor forward (never back: another process may have scanned further)."""
    await cur.execute(
        """
        INSERT INTO usdc_chain_cursor (chain_id, contract, last_block) VALUES (%s, %s, %s)
        ON CONFLICT (chain_id, contract) DO UPDATE
        SET last_block = GREATEST(usdc_chain_cursor.last_block, EXCLUDED.last_block),
            updated_at = now()
        """,
        (chain_id, contract, block),
    )
