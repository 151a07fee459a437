"""SQL for meeting templates: create, list, read and delete, each within what a user sees
(their own, and their company's)."""

from __future__ import annotations

import orjson

COLUMNS = "id, owner_id, company_id, name, title, settings, created_at"
# A template the user sees: theirs, or their company's.
VISIBLE = "(owner_id = %s OR (%s::bigint IS NOT NULL AND company_id = %s))"


def _who(user: dict) -> tuple:
    return (user["id"], user["company_id"], user["company_id"])


async def insert(cur, user: dict, *, name: str, title: str | None, settings: dict) -> dict:
    await cur.execute(
        f"""
        INSERT INTO meeting_templates (owner_id, company_id, name, title, settings)
        VALUES (%s, %s, %s, %s, %s)
        RETURNING {COLUMNS}
        """,  # noqa: S608 (column names only)
        (user["id"], user["company_id"], name, title, orjson.dumps(settings).decode()),
    )
    return await cur.fetchone()


async def list_visible(cur, user: dict) -> list[dict]:
    await cur.execute(
        f"SELECT {COLUMNS} FROM meeting_templates WHERE {VISIBLE} ORDER BY id",  # noqa: S608
        _who(user),
    )
    return await cur.fetchall()


async def get_visible(cur, user: dict, template_id: int) -> dict | None:
    await cur.execute(
        f"SELECT {COLUMNS} FROM meeting_templates WHERE id = %s AND {VISIBLE}",  # noqa: S608
        (template_id, *_who(user)),
    )
    return await cur.fetchone()


async def delete_visible(cur, user: dict, template_id: int) -> bool:
    await cur.execute(
        f"DELETE FROM meeting_templates WHERE id = %s AND {VISIBLE}",  # noqa: S608
        (template_id, *_who(user)),
    )
    return cur.rowcount == 1
