"""Meeting templates: reusable titles and settings of an account (or its company), and how
one applies to a new meeting (the caller's explicit fields win)."""

from __future__ import annotations

from onepizza.db import cursor
from onepizza.db import templates as template_sql
from onepizza.errors import NotFound

TEMPLATE_NOT_FOUND = "Template not found"


class TemplateService:
    def __init__(self, pool):
        self._pool = pool

    async def create(self, user: dict, *, name: str, title: str | None, settings: dict) -> dict:
        async with cursor(self._pool) as cur:
            return await template_sql.insert(cur, user, name=name, title=title, settings=settings)

    async def list(self, user: dict) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await template_sql.list_visible(cur, user)

    async def get(self, user: dict, template_id: int) -> dict:
        """A template the user sees (theirs or their company's); 404 otherwise."""
        async with cursor(self._pool) as cur:
            row = await template_sql.get_visible(cur, user, template_id)
        if row is None:
            raise NotFound(TEMPLATE_NOT_FOUND)
        return row

    async def delete(self, user: dict, template_id: int) -> None:
        """Meetings and recurring rules made from it keep what it gave them."""
        async with cursor(self._pool) as cur:
            if not await template_sql.delete_visible(cur, user, template_id):
                raise NotFound(TEMPLATE_NOT_FOUND)

    async def apply(
        self, user: dict, template_id: int | None, *, title: str | None, settings: dict
    ) -> tuple[str | None, dict]:
        """The title and settings of a new meeting: the template's (when `template_id`
        names one the user sees; 404 otherwise), with the caller's own fields over them."""
        if template_id is None:
            return title, dict(settings)
        template = await self.get(user, template_id)
        return title or template["title"], {**template["settings"], **settings}
