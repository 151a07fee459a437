"""Platform-admin endpoints under /admin/api (admin session only)."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_admin
from onepizza.api.format import money
from onepizza.api.request import json_response, load_body
from onepizza.schemas.accounts import AdminCreditSchema
from onepizza.services.registry import BILLING


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
