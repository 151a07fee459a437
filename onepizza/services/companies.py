"""Company workspaces: joining with an invite code, members, and the shared balance."""

from __future__ import annotations

from onepizza.db import companies as company_sql
from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import users as user_sql
from onepizza.errors import BadRequest, Conflict, Forbidden, NotFound
from onepizza.services.tokens import digest


class CompanyService:
    def __init__(self, pool):
        self._pool = pool

    async def join(self, user_id: int, invite_code: str) -> dict:
        """Make the user a member; their own balance moves into the company's, atomically."""
        async with transaction(self._pool) as cur:
            user = await user_sql.lock_for_company_change(cur, user_id)
            if user is None:
                raise NotFound("User not found")
            if user["company_id"] is not None:
                raise Conflict("Already a member of a company")
            company = await company_sql.by_invite_code(cur, digest(invite_code))
            if company is None:
                raise NotFound("Invalid invite code")
            if user["balance"] != 0:  # both sides of the move are in the ledger
                moved = user["balance"]
                await ledger_sql.apply(
                    cur,
                    user_id=user_id,
                    company_id=None,
                    amount=-moved,
                    kind="company_transfer",
                    description=f"Moved to {company['name']}",
                )
                await ledger_sql.apply(
                    cur,
                    user_id=user_id,
                    company_id=company["id"],
                    amount=moved,
                    kind="company_transfer",
                    description=f"Brought by a new member (user {user_id})",
                )
            await user_sql.join_company(cur, user_id, company["id"], "member")
        return company

    async def _owned_company(self, cur, user_id: int) -> int:
        profile = await user_sql.profile(cur, user_id)
        if profile is None or profile["company_role"] != "owner":
            raise Forbidden("Only the company owner can manage members")
        return profile["company_id"]

    async def members(self, user_id: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            company_id = await self._owned_company(cur, user_id)
            return await user_sql.company_members(cur, company_id)

    async def remove_member(self, owner_id: int, member_id: int) -> None:
        """Detach a member; what they brought stays with the company."""
        async with transaction(self._pool) as cur:
            company_id = await self._owned_company(cur, owner_id)
            if member_id == owner_id:
                raise BadRequest("The company owner cannot remove themself")
            if not await user_sql.leave_company(cur, member_id, company_id):
                raise NotFound("Member not found")
