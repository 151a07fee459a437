"""§14 Company Accounts: join with an invite code, list and remove members."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_user
from onepizza.api.format import iso
from onepizza.api.request import json_response, load_body, path_id
from onepizza.schemas.accounts import JoinCompanySchema
from onepizza.services.registry import COMPANIES


class CompanyHandlers:
    async def join(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        body = await load_body(request, JoinCompanySchema())
        company = await request.app[COMPANIES].join(user["id"], body["inviteCode"].strip())
        return json_response(
            {
                "message": f"Joined {company['name']}",
                "companyId": company["id"],
                "companyName": company["name"],
            }
        )

    async def members(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        rows = await request.app[COMPANIES].members(user["id"])
        members = [
            {
                "id": r["id"],
                "email": r["email"],
                "role": r["role"],
                "joined_at": iso(r["joined_at"]),
            }
            for r in rows
        ]
        return json_response({"members": members})

    async def remove_member(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        await request.app[COMPANIES].remove_member(user["id"], path_id(request))
        return json_response({"message": "Member removed"})
