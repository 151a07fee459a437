"""Accounts: registration, login, password reset and change, and the seeded admin."""

from __future__ import annotations

import logging

from onepizza.config import Settings
from onepizza.db import audit as audit_sql
from onepizza.db import companies as company_sql
from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import password_resets as reset_sql
from onepizza.db import platform_settings as settings_sql
from onepizza.db import sessions as session_sql
from onepizza.db import users as user_sql
from onepizza.errors import BadRequest, Conflict, Unauthorized
from onepizza.services.api_keys import issue_key
from onepizza.services.billing import dollars
from onepizza.services.passwords import PasswordHasher, check_new_password
from onepizza.services.tokens import digest, new_invite_code, new_token

log = logging.getLogger(__name__)

RESET_TOKEN_TTL = 3600  # seconds


def normalise_email(email: str) -> str:
    return email.strip().lower()


class AccountService:
    def __init__(self, pool, settings: Settings, mailer):
        self._pool = pool
        self._settings = settings
        self._mailer = mailer
        self._hasher = PasswordHasher(settings.bcrypt_rounds)

    async def register(
        self,
        *,
        email: str,
        password: str,
        account_type: str,
        company_name: str | None,
        ip: str,
    ) -> dict:
        """Create the user (and their company), with a first API key and the welcome credit,
        in one transaction."""
        email = normalise_email(email)
        check_new_password(password)
        password_hash = await self._hasher.hash(password)
        async with transaction(self._pool) as cur:
            user = await user_sql.insert(
                cur, email=email, password_hash=password_hash, account_type=account_type
            )
            if user is None:
                raise Conflict("Email already in use")
            result = {"user": user, "invite_code": None}
            company_id = None
            if account_type == "company":
                result["invite_code"] = new_invite_code()
                company_id = await company_sql.insert(
                    cur, name=company_name, invite_code_hash=digest(result["invite_code"])
                )
                await company_sql.set_owner(cur, company_id, user["id"])
                await user_sql.join_company(cur, user["id"], company_id, "owner")
            await _welcome_credit(cur, user_id=user["id"], company_id=company_id)
            result["api_key"] = (await issue_key(cur, user["id"], "Default"))["key"]
            await audit_sql.record(cur, "user.register", user_id=user["id"], ip=ip)
        self._mailer.send_welcome(email, account_type=account_type)
        return result

    async def login(self, *, email: str, password: str, ip: str) -> int:
        """The user id for good credentials; the same 401, in about the same time, for an
        unknown email and a wrong password."""
        async with cursor(self._pool) as cur:
            user = await user_sql.credentials(cur, normalise_email(email))
        hashed = user["password_hash"] if user else None
        if not await self._hasher.verify(password, hashed) or user is None:
            raise Unauthorized("Invalid email or password")
        async with cursor(self._pool) as cur:
            await audit_sql.record(cur, "user.login", user_id=user["id"], ip=ip)
        return user["id"]

    async def profile(self, user_id: int) -> dict | None:
        async with cursor(self._pool) as cur:
            return await user_sql.profile(cur, user_id)

    async def forgot_password(self, email: str) -> None:
        """Email a reset link if the account exists; say nothing either way."""
        email = normalise_email(email)
        token = new_token()
        async with transaction(self._pool) as cur:
            user = await user_sql.credentials(cur, email)
            if user is None:
                return
            await reset_sql.insert(
                cur, token_hash=digest(token), user_id=user["id"], ttl_seconds=RESET_TOKEN_TTL
            )
        self._mailer.send_password_reset(
            email, reset_url=f"{self._settings.app_url}/reset?token={token}"
        )

    async def reset_token_valid(self, token: str) -> bool:
        async with cursor(self._pool) as cur:
            return await reset_sql.is_valid(cur, digest(token))

    async def reset_password(self, *, token: str, password: str, ip: str) -> None:
        """Set a new password with a single-use token; every session of the user ends."""
        check_new_password(password)
        new_hash = await self._hasher.hash(password)
        async with transaction(self._pool) as cur:
            user_id = await reset_sql.consume(cur, digest(token))
            if user_id is None:
                raise BadRequest("Invalid or expired reset token")
            await user_sql.set_password(cur, user_id, new_hash)
            await session_sql.delete_for_user(cur, user_id)
            await audit_sql.record(
                cur, "user.password_changed", user_id=user_id, ip=ip, meta={"via": "reset"}
            )
            profile = await user_sql.profile(cur, user_id)
        self._mailer.send_password_changed(profile["email"])

    async def change_password(
        self, *, user_id: int, current: str, new: str, keep_session: bytes | None, ip: str
    ) -> None:
        """Change a password knowing the current one; the user's other sessions end."""
        check_new_password(new, "newPassword")
        async with cursor(self._pool) as cur:
            hashed = await user_sql.password_hash(cur, user_id)
        if not await self._hasher.verify(current, hashed):
            raise BadRequest("Current password is incorrect")
        new_hash = await self._hasher.hash(new)
        async with transaction(self._pool) as cur:
            await user_sql.set_password(cur, user_id, new_hash)
            await session_sql.delete_for_user(cur, user_id, keep=keep_session)
            await audit_sql.record(
                cur, "user.password_changed", user_id=user_id, ip=ip, meta={"via": "change"}
            )
            profile = await user_sql.profile(cur, user_id)
        self._mailer.send_password_changed(profile["email"])

    async def seed_admin(self) -> None:
        """Create the ADMIN_EMAIL account, or give it ADMIN_PASSWORD and the admin flag."""
        email, password = self._settings.admin_email, self._settings.admin_password
        if not email or not password:
            return
        async with cursor(self._pool) as cur:
            existing = await user_sql.credentials(cur, email)
        if existing and await self._hasher.verify(password, existing["password_hash"]):
            new_hash = existing["password_hash"]  # unchanged: skip a needless re-hash
        else:
            new_hash = await self._hasher.hash(password)
        async with cursor(self._pool) as cur:
            await user_sql.upsert_admin(cur, email, new_hash)
        log.info("admin account ready")


async def _welcome_credit(cur, *, user_id: int, company_id: int | None) -> None:
    """The platform's welcome credit (welcome_credit_usd; 0 gives none) for a new account,
    the company's balance for a company account."""
    amount = await settings_sql.welcome_credit(cur)
    if amount > 0:
        await ledger_sql.apply(
            cur,
            user_id=user_id,
            company_id=company_id,
            amount=amount,
            kind="welcome_credit",
            description=f"Welcome credit ${dollars(amount)}",
        )
