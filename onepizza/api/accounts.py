"""§1 Account & Authentication: register, login, logout, me, password reset and change."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import check_same_origin, require_api_key, require_user
from onepizza.api.format import iso, money
from onepizza.api.ratelimit import enforce, rate_limited
from onepizza.api.request import client_ip, json_response, load_body
from onepizza.api.sessions import current_session_hash, end_session, start_user_session
from onepizza.errors import BadRequest
from onepizza.schemas.accounts import (
    ChangePasswordSchema,
    ForgotPasswordSchema,
    LoginSchema,
    RegisterSchema,
    ResetPasswordSchema,
)
from onepizza.services.registry import ACCOUNTS


def profile_body(profile: dict) -> dict:
    return {
        "id": profile["id"],
        "email": profile["email"],
        "accountType": profile["account_type"],
        "balance": money(profile["balance"]),
        "company_id": profile["company_id"],
        "is_admin": profile["is_admin"],
        "created_at": iso(profile["created_at"]),
    }


class AccountHandlers:
    @rate_limited("auth")
    async def register(self, request: web.Request) -> web.Response:
        check_same_origin(request)
        body = await load_body(request, RegisterSchema())
        result = await request.app[ACCOUNTS].register(
            email=body["email"],
            password=body["password"],
            account_type=body["accountType"],
            company_name=body["companyName"],
            ip=client_ip(request),
        )
        await start_user_session(request, result["user"]["id"])
        payload = {
            "message": "Account created",
            "email": result["user"]["email"],
            "apiKey": result["api_key"],
            "accountType": result["user"]["account_type"],
        }
        if result["invite_code"]:
            payload["inviteCode"] = result["invite_code"]
        return json_response(payload, status=201)

    @rate_limited("auth")
    async def login(self, request: web.Request) -> web.Response:
        check_same_origin(request)
        body = await load_body(request, LoginSchema())
        accounts = request.app[ACCOUNTS]
        user_id = await accounts.login(
            email=body["email"], password=body["password"], ip=client_ip(request)
        )
        await start_user_session(request, user_id)
        profile = await accounts.profile(user_id)
        return json_response({"message": "Logged in", **profile_body(profile)})

    async def logout(self, request: web.Request) -> web.Response:
        check_same_origin(request)
        await end_session(request)
        return json_response({"message": "Logged out"})

    async def me(self, request: web.Request) -> web.Response:
        """The session user's profile; with an x-api-key, the key owner's (for bots)."""
        if "x-api-key" in request.headers:
            owner = await require_api_key(request)
            profile = await request.app[ACCOUNTS].profile(owner["id"])
        else:
            profile = await require_user(request)
        return json_response(profile_body(profile))

    @rate_limited("password")
    async def forgot_password(self, request: web.Request) -> web.Response:
        body = await load_body(request, ForgotPasswordSchema())
        await request.app[ACCOUNTS].forgot_password(body["email"])
        return json_response(
            {"message": "If an account exists for that email, a reset link has been sent"}
        )

    @rate_limited("password")
    async def check_reset_token(self, request: web.Request) -> web.Response:
        token = request.query.get("token", "")
        if not token or len(token) > 200:
            raise BadRequest("token is required")
        if not await request.app[ACCOUNTS].reset_token_valid(token):
            raise BadRequest("Invalid or expired reset token")
        return json_response({"valid": True})

    @rate_limited("password")
    async def reset_password(self, request: web.Request) -> web.Response:
        body = await load_body(request, ResetPasswordSchema())
        await request.app[ACCOUNTS].reset_password(
            token=body["token"], password=body["password"], ip=client_ip(request)
        )
        return json_response({"message": "Password has been reset; please log in"})

    async def change_password(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        body = await load_body(request, ChangePasswordSchema())
        # Each check of the current password is bcrypt work and a guess: a few per user.
        await enforce(request, "password_change", key=f"user:{user['id']}")
        await request.app[ACCOUNTS].change_password(
            user_id=user["id"],
            current=body["currentPassword"],
            new=body["newPassword"],
            keep_session=await current_session_hash(request),
            ip=client_ip(request),
        )
        return json_response({"message": "Password changed"})
