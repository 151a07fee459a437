"""SQL for users: accounts, passwords, balances and the admin flag."""

from __future__ import annotations


async def insert(cur, *, email: str, password_hash: str, account_type: str) -> dict | None:
    """The new user, or None when the email is taken."""
    await cur.execute(
        """
        INSERT INTO users (email, password_hash, account_type) VALUES (%s, %s, %s)
        ON CONFLICT (email) DO NOTHING
        RETURNING id, email, account_type, created_at
        """,
        (email, password_hash, account_type),
    )
    return await cur.fetchone()


async def credentials(cur, email: str) -> dict | None:
    await cur.execute("SELECT id, password_hash FROM users WHERE email = %s", (email,))
    return await cur.fetchone()


async def password_hash(cur, user_id: int) -> str | None:
    await cur.execute("SELECT password_hash FROM users WHERE id = %s", (user_id,))
    row = await cur.fetchone()
    return row["password_hash"] if row else None


async def profile(cur, user_id: int) -> dict | None:
    # The balance shown is the one the user spends: the company's for a member of one.
    await cur.execute(
        """
        SELECT u.id, u.email, u.account_type, u.company_id, u.company_role, u.is_admin,
               u.created_at, c.name AS company_name,
               CASE WHEN u.company_id IS NULL THEN u.balance ELSE c.balance END AS balance
        FROM users u LEFT JOIN companies c ON c.id = u.company_id
        WHERE u.id = %s
        """,
        (user_id,),
    )
    return await cur.fetchone()


async def set_password(cur, user_id: int, new_hash: str) -> None:
    await cur.execute("UPDATE users SET password_hash = %s WHERE id = %s", (new_hash, user_id))


async def upsert_admin(cur, email: str, new_hash: str) -> int:
    await cur.execute(
        """
        INSERT INTO users (email, password_hash, is_admin) VALUES (%s, %s, true)
        ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, is_admin = true
        RETURNING id
        """,
        (email, new_hash),
    )
    return (await cur.fetchone())["id"]


async def lock_for_company_change(cur, user_id: int) -> dict | None:
    await cur.execute(
        "SELECT id, balance, company_id FROM users WHERE id = %s FOR UPDATE", (user_id,)
    )
    return await cur.fetchone()


async def join_company(cur, user_id: int, company_id: int, role: str) -> None:
    """Make the user a member and zero their own balance (the caller moved it)."""
    await cur.execute(
        """
        UPDATE users SET company_id = %s, company_role = %s, company_joined_at = now(),
                         balance = 0
        WHERE id = %s
        """,
        (company_id, role, user_id),
    )


async def leave_company(cur, user_id: int, company_id: int) -> bool:
    """Detach a member (never the owner) from the company; False if not a member."""
    await cur.execute(
        """
        UPDATE users SET company_id = NULL, company_role = NULL, company_joined_at = NULL
        WHERE id = %s AND company_id = %s AND company_role = 'member'
        """,
        (user_id, company_id),
    )
    return cur.rowcount == 1


async def company_members(cur, company_id: int) -> list[dict]:
    await cur.execute(
        """
        SELECT id, email, company_role AS role, company_joined_at AS joined_at
        FROM users WHERE company_id = %s
        ORDER BY company_role = 'owner' DESC, company_joined_at, id
        """,
        (company_id,),
    )
    return await cur.fetchall()


async def find(cur, *, email: str | None, user_id: int | None) -> dict | None:
    if user_id is not None:
        await cur.execute("SELECT id, email, company_id FROM users WHERE id = %s", (user_id,))
    else:
        await cur.execute("SELECT id, email, company_id FROM users WHERE email = %s", (email,))
    return await cur.fetchone()
