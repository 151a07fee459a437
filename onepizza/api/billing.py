"""§15 Billing over HTTP: history, Stripe checkout, the Stripe webhook and USDC deposit
addresses."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_user
from onepizza.api.format import iso, money
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, load_query
from onepizza.schemas.billing import CheckoutSchema, HistoryQuerySchema
from onepizza.services.registry import BILLING, USDC


def transaction_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "amount_usd": money(row["amount_usd"]),
        "type": row["type"],
        "description": row["description"],
        "created_at": iso(row["created_at"]),
    }


class BillingHandlers:
    async def history(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        query = load_query(request, HistoryQuerySchema())
        balance, rows = await request.app[BILLING].history(user, **query)
        return json_response(
            {"balance": money(balance), "transactions": [transaction_body(r) for r in rows]}
        )

    @rate_limited("api")
    async def stripe_checkout(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        body = await load_body(request, CheckoutSchema())
        url = await request.app[BILLING].stripe_checkout(user, body["amountUsd"])
        return json_response({"url": url})

    async def stripe_webhook(self, request: web.Request) -> web.Response:
        """Stripe calls this: no session, no origin check; the signature is the proof,
        computed over the raw body, so the body is never parsed before it is checked."""
        payload = await request.read()
        signature = request.headers.get("Stripe-Signature")
        result = await request.app[BILLING].stripe_webhook(payload, signature)
        return json_response({"received": True, "result": result})

    async def usdc_address(self, request: web.Request) -> web.Response:
        """The address whose USDC deposits credit the balance the user spends."""
        user = await require_user(request)
        address = await request.app[USDC].address_for(user)
        return json_response({"address": address})
