"""SQL for company workspaces and their shared balance."""

from __future__ import annotations


async def insert(cur, *, name: str, invite_code_hash: bytes) -> int:
    await cur.execute(
        "INSERT INTO companies (name, invite_code_hash) VALUES (%s, %s) RETURNING id",
        (name, invite_code_hash),
    )
    return (await cur.fetchone())["id"]


async def set_owner(cur, company_id: int, owner_id: int) -> None:
    await cur.execute("UPDATE companies SET owner_id = %s WHERE id = %s", (owner_id, company_id))


async def by_invite_code(cur, invite_code_hash: bytes) -> dict | None:
    await cur.execute(
        "SELECT id, name FROM companies WHERE invite_code_hash = %s FOR UPDATE",
        (invite_code_hash,),
    )
    return await cur.fetchone()
