"""Balances and the ledger: history, platform rate and threshold, admin credits, Stripe top-ups."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from onepizza.db import audit as audit_sql
from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import platform_settings as settings_sql
from onepizza.db import users as user_sql
from onepizza.errors import NotFound
from onepizza.services.payments.stripe import CheckoutPayment, StripePayments

log = logging.getLogger(__name__)

# What our server puts into a Checkout Session to name the account it credits.
ACCOUNT_REFERENCE = re.compile(r"(user|company):([1-9][0-9]{0,17})")


def account_reference(user: dict) -> str:
    """The account a user's top-up credits: their company's for a member, else their own."""
    if user["company_id"] is not None:
        return f"company:{user['company_id']}"
    return f"user:{user['id']}"


def dollars(amount: Decimal) -> str:
    """$20 for whole dollars, $20.50 otherwise."""
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


class BillingService:
    def __init__(self, pool, stripe: StripePayments):
        self._pool = pool
        self._stripe = stripe

    async def close(self) -> None:
        await self._stripe.close()

    # --- balances and history ---------------------------------------------------------

    async def history(
        self, user: dict, *, limit: int, offset: int, before: int | None
    ) -> tuple[Decimal, list[dict]]:
        """The balance the user spends and its ledger rows (the company's for a member)."""
        async with cursor(self._pool) as cur:
            return await ledger_sql.history(
                cur,
                user_id=user["id"],
                company_id=user["company_id"],
                limit=limit,
                offset=offset,
                before=before,
            )

    async def all_transactions(self, **filters) -> list[dict]:
        """Ledger rows across accounts for the admin view (user_id, company_id, kind,
        limit, offset)."""
        async with cursor(self._pool) as cur:
            return await ledger_sql.all_accounts(cur, **filters)

    # --- platform settings ------------------------------------------------------------

    async def platform_settings(self) -> dict[str, Decimal]:
        async with cursor(self._pool) as cur:
            return await settings_sql.read(cur)

    async def update_platform_settings(
        self, changes: dict[str, Decimal], *, admin_id: int, ip: str | None
    ) -> dict[str, Decimal]:
        """Change the rate or threshold; meetings that end from now on use the new rate."""
        async with transaction(self._pool) as cur:
            await settings_sql.write(cur, changes)
            meta = {key: f"{value:.4f}" for key, value in changes.items()}
            await audit_sql.record(cur, "settings.updated", user_id=admin_id, ip=ip, meta=meta)
            return await settings_sql.read(cur)

    # --- credits ----------------------------------------------------------------------

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

    # --- Stripe -----------------------------------------------------------------------

    async def stripe_checkout(self, user: dict, amount: Decimal) -> str:
        """The Stripe Checkout page where the user pays `amount` USD into the balance
        they spend."""
        return await self._stripe.checkout_url(
            reference=account_reference(user), amount=amount, email=user["email"]
        )

    async def stripe_webhook(self, payload: bytes, signature: str | None) -> str:
        """Verify a Stripe event and credit a paid Checkout Session once, to the account
        our server named in it. Returns "credited", "duplicate" or "ignored"."""
        payment = self._stripe.paid_checkout(payload, signature)
        if payment is None:
            return "ignored"
        match = _our_reference(payment)
        if match is None:
            log.warning("Stripe session %s names no account of ours", payment.session_id)
            return "ignored"
        return await self._credit_topup(payment, *match)

    async def _credit_topup(self, payment: CheckoutPayment, kind: str, account_id: int) -> str:
        # The session is claimed first: a concurrent retry waits on the claim and holds no
        # account lock meanwhile, so the two cannot deadlock.
        amount = Decimal(payment.amount_cents) / 100
        async with transaction(self._pool) as cur:
            claimed = await ledger_sql.claim_stripe_session(
                cur,
                session_id=payment.session_id,
                event_id=payment.event_id,
                account=payment.reference,
                amount=amount,
            )
            if not claimed:
                return "duplicate"
            if kind == "user":
                payer = await ledger_sql.user_payer(cur, account_id)
            else:
                payer = await ledger_sql.company_payer(cur, account_id)
            if payer is None:  # deleted since it paid: recorded, and left to an operator
                log.error("Stripe session %s: account %s is gone", payment.session_id, kind)
                return "ignored"
            await ledger_sql.apply(
                cur,
                **payer,
                amount=amount,
                kind="stripe_topup",
                description=f"Stripe top-up ${dollars(amount)}",
            )
        log.info("Stripe session %s credited %s to %s", payment.session_id, amount, kind)
        return "credited"


def _our_reference(payment: CheckoutPayment) -> tuple[str, int] | None:
    """The account a paid session credits: only as our server named it, in both
    client_reference_id and metadata, and only for a positive amount in USD."""
    reference = payment.reference
    if not isinstance(reference, str) or payment.metadata_account != reference:
        return None
    match = ACCOUNT_REFERENCE.fullmatch(reference)
    if match is None or payment.currency != "usd" or payment.amount_cents <= 0:
        return None
    return match.group(1), int(match.group(2))
