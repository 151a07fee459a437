"""Platform-admin endpoints under /admin/api (admin session only)."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_admin
from onepizza.api.format import iso, money
from onepizza.api.request import client_ip, json_response, load_body, load_query
from onepizza.schemas.accounts import AdminCreditSchema
from onepizza.schemas.billing import AdminTransactionsQuerySchema, PlatformSettingsSchema
from onepizza.services.registry import BILLING


def settings_body(values: dict) -> dict:
    return {key: money(value) for key, value in values.items()}


def ledger_row_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "company_id": row["company_id"],
        "email": row["email"],
        "amount_usd": money(row["amount_usd"]),
        "type": row["type"],
        "description": row["description"],
        "meeting_id": row["meeting_id"],
        "created_at": iso(row["created_at"]),
    }


class AdminHandlers:
    async def credit(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        body = await load_body(request, AdminCreditSchema())
        result = await request.app[BILLING].admin_credit(
            email=body["email"],
            user_id=body["userId"],
            amount=body["amountUsd"],
            reason=body["reason"].strip(),
            admin_id=admin["id"],
        )
        return json_response({**result, "balance": money(result["balance"])})

    async def settings(self, request: web.Request) -> web.Response:
        await require_admin(request)
        return json_response(settings_body(await request.app[BILLING].platform_settings()))

    async def update_settings(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        changes = await load_body(request, PlatformSettingsSchema())
        values = await request.app[BILLING].update_platform_settings(
            changes, admin_id=admin["id"], ip=client_ip(request)
        )
        return json_response(settings_body(values))

    async def transactions(self, request: web.Request) -> web.Response:
        await require_admin(request)
        query = load_query(request, AdminTransactionsQuerySchema())
        rows = await request.app[BILLING].all_transactions(
            user_id=query["userId"],
            company_id=query["companyId"],
            kind=query["type"],
            limit=query["limit"],
            offset=query["offset"],
        )
        return json_response(
            {
                "transactions": [ledger_row_body(r) for r in rows],
                "limit": query["limit"],
                "offset": query["offset"],
            }
        )
