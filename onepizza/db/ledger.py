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


# The account whose rows a history shows: a company's rows for a member, else the user's
# own (personal rows have company_id NULL). Column and table names come from this pair only.
_HISTORY = """
    SELECT a.balance, t.id, t.amount_usd, t.type, t.description, t.created_at
    FROM (SELECT balance FROM {table} WHERE id = %(account)s) a
    LEFT JOIN LATERAL (
        SELECT id, amount_usd, type, description, created_at
        FROM credit_transactions
        WHERE {column} = %(account)s AND (%(before)s::bigint IS NULL OR id < %(before)s)
        ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s
    ) t ON true
    ORDER BY t.id DESC
"""
_USER_HISTORY = _HISTORY.format(table="users", column="user_id")
_COMPANY_HISTORY = _HISTORY.format(table="companies", column="company_id")


async def history(
    cur,
    *,
    user_id: int,
    company_id: int | None,
    limit: int,
    offset: int,
    before: int | None,
) -> tuple[Decimal, list[dict]]:
    """The balance and a page of its ledger rows, newest first, read in one statement
    (one snapshot, so the two agree)."""
    query = _USER_HISTORY if company_id is None else _COMPANY_HISTORY
    account = user_id if company_id is None else company_id
    params = {"account": account, "before": before, "limit": limit, "offset": offset}
    await cur.execute(query, params)
    rows = await cur.fetchall()
    balance = rows[0]["balance"] if rows else Decimal(0)
    return balance, [row for row in rows if row["id"] is not None]


async def all_accounts(
    cur,
    *,
    user_id: int | None,
    company_id: int | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> list[dict]:
    """Ledger rows across accounts, newest first, each with the user's email or, for a
    company row, its owner's."""
    await cur.execute(
        """
        SELECT t.id, t.user_id, t.company_id, COALESCE(u.email, o.email) AS email,
               t.amount_usd, t.type, t.description, t.meeting_id, t.created_at
        FROM credit_transactions t
        LEFT JOIN users u ON u.id = t.user_id
        LEFT JOIN companies c ON c.id = t.company_id
        LEFT JOIN users o ON o.id = c.owner_id
        WHERE (%(user)s::bigint IS NULL OR t.user_id = %(user)s)
          AND (%(company)s::bigint IS NULL OR t.company_id = %(company)s)
          AND (%(kind)s::text IS NULL OR t.type = %(kind)s)
        ORDER BY t.id DESC LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            "user": user_id,
            "company": company_id,
            "kind": kind,
            "limit": limit,
            "offset": offset,
        },
    )
    return await cur.fetchall()


async def user_payer(cur, user_id: int) -> dict | None:
    """Who pays for a user: {user_id, company_id}, the company for a member. The row stays
    locked, so a company join in progress finishes first and its balance move is not lost."""
    await cur.execute(
        "SELECT id AS user_id, company_id FROM users WHERE id = %s FOR UPDATE", (user_id,)
    )
    return await cur.fetchone()


async def company_payer(cur, company_id: int) -> dict | None:
    await cur.execute(
        "SELECT NULL::bigint AS user_id, id AS company_id FROM companies WHERE id = %s",
        (company_id,),
    )
    return await cur.fetchone()


async def claim_stripe_session(
    cur, *, session_id: str, event_id: str, account: str, amount: Decimal
) -> bool:
    """Record a Checkout Session as credited; False when it already was. Run in the
    transaction that credits it: a concurrent retry waits here, then gets False."""
    await cur.execute(
        """
        INSERT INTO stripe_checkout_sessions (session_id, event_id, account, amount_usd)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (session_id) DO NOTHING
        """,
        (session_id, event_id, account, amount),
    )
    return cur.rowcount == 1
