"""SQL for balances and the credit ledger: every balance change writes its ledger row."""

from __future__ import annotations

from decimal import Decimal


async def balance(cur, *, user_id: int, company_id: int | None) -> Decimal:
    if company_id is not None:
        await cur.execute("SELECT balance FROM companies WHERE id = %s", (company_id,))
    else:
        await cur.execute("SELECT balance FROM users WHERE id = %s", (user_id,))
    row = await cur.fetchone()
    return row["balance"] if row else Decimal(0)


async def apply(
    cur,
    *,
    user_id: int,
    company_id: int | None,
    amount: Decimal,
    kind: str,
    description: str,
    meeting_id: str | None = None,
) -> Decimal:
    """Add `amount` (negative to charge) to the company's balance for a member, else the
    user's, with its ledger row; return the new balance. Run inside a transaction."""
    if company_id is not None:
        await cur.execute(
            "UPDATE companies SET balance = balance + %s WHERE id = %s RETURNING balance",
            (amount, company_id),
        )
    else:
        await cur.execute(
            "UPDATE users SET balance = balance + %s WHERE id = %s RETURNING balance",
            (amount, user_id),
        )
    new_balance = (await cur.fetchone())["balance"]
    await cur.execute(
        """
        INSERT INTO credit_transactions (user_id, company_id, amount_usd, type, description,
                                         meeting_id)
        VALUES (%s, %s, %s, %s, %s, %s)
        """,
        (
            None if company_id is not None else user_id,
            company_id,
            amount,
            kind,
            description,
            meeting_id,
        ),
    )
    return new_balance


async def low_balance_threshold(cur) -> Decimal:
    await cur.execute(
        "SELECT (value #>> '{}')::numeric AS v FROM platform_settings "
        "WHERE key = 'low_balance_threshold'"
    )
    row = await cur.fetchone()
    return row["v"] if row else Decimal("2.00")


async def billing_contact(cur, *, user_id: int, company_id: int | None) -> str | None:
    """Who hears about a balance: the user, or the owner of their company."""
    if company_id is not None:
        await cur.execute(
            "SELECT u.email FROM companies c JOIN users u ON u.id = c.owner_id WHERE c.id = %s",
            (company_id,),
        )
    else:
        await cur.execute("SELECT email FROM users WHERE id = %s", (user_id,))
    row = await cur.fetchone()
    return row["email"] if row else None
