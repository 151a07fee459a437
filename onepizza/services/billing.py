"""Balances and credits: operator credits now; Stripe and USDC top-ups join here later."""

from __future__ import annotations

from decimal import Decimal

from onepizza.db import ledger as ledger_sql
from onepizza.db import transaction
from onepizza.db import users as user_sql
from onepizza.errors import NotFound


class BillingService:
    def __init__(self, pool):
        self._pool = pool

    async def admin_credit(
        self, *, email: str | None, user_id: int | None, amount: Decimal, reason: str, admin_id: int
    ) -> dict:
        """Add `amount` to the account's balance (its company's, for a member) with an
        admin_credit ledger row, in one transaction."""
        async with transaction(self._pool) as cur:
            target = await user_sql.find(cur, email=email, user_id=user_id)
            if target is None:
                raise NotFound("User not found")
            balance = await ledger_sql.apply(
                cur,
                user_id=target["id"],
                company_id=target["company_id"],
                amount=amount,
                kind="admin_credit",
                description=f"Admin credit: {reason}",
            )
        return {
            "userId": target["id"],
            "email": target["email"],
            "companyId": target["company_id"],
            "balance": balance,
        }
