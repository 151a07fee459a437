"""aiohttp-session storage in PostgreSQL: the cookie carries only a random id."""

from __future__ import annotations

import secrets
import time

from aiohttp import web
from aiohttp_session import AbstractStorage, Session, get_session, new_session

from onepizza.db import DB_POOL, cursor
from onepizza.db import sessions as session_sql
from onepizza.services.tokens import digest

COOKIE_NAME = "onepizza_session"
USER_ID = "uid"
TOUCHED = "touched"
# Set on a request once it is counted against the user's session limit.
SESSION_COUNTED = web.RequestKey("session_counted", bool)
# A used session is saved again (cookie and row expiry pushed forward) at most this often.
TOUCH_INTERVAL = 300


class PostgresSessionStorage(AbstractStorage):
    def __init__(self, app: web.Application, *, max_age: int, secure: bool):
        super().__init__(
            cookie_name=COOKIE_NAME,
            max_age=max_age,
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
        self._app = app

    async def load_session(self, request: web.Request) -> Session:
        cookie = self.load_cookie(request)
        if cookie and len(cookie) <= 128:
            async with cursor(self._app[DB_POOL]) as cur:
                row = await session_sql.load(cur, digest(cookie))
            if row is not None:
                data = {"created": row["updated"], "session": row["data"]}
                return Session(cookie, data=data, new=False, max_age=self.max_age)
        return Session(None, data=None, new=True, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        async with cursor(self._app[DB_POOL]) as cur:
            if session.empty:
                if session.identity:
                    await session_sql.delete(cur, digest(session.identity))
                self.save_cookie(response, "", max_age=session.max_age)
                return
            identity = session.identity
            if identity is None:
                identity = secrets.token_urlsafe(32)
                session.set_new_identity(identity)
            await session_sql.save(
                cur,
                digest(identity),
                user_id=session.get(USER_ID),
                data=dict(session),
                max_age=self.max_age,
            )
        self.save_cookie(response, identity, max_age=self.max_age)


async def start_user_session(request: web.Request, user_id: int) -> None:
    """Log the user in under a fresh session id (the old one, if any, is deleted)."""
    old = await get_session(request)
    if old.identity:
        async with cursor(request.app[DB_POOL]) as cur:
            await session_sql.delete(cur, digest(old.identity))
    session = await new_session(request)
    session[USER_ID] = user_id
    session[TOUCHED] = int(time.time())


async def session_user_id(request: web.Request) -> int | None:
    """The logged-in user's id, sliding the session's expiry forward when it is used. Each
    request on a session counts once against the user's `session` rate limit (429 past it)."""
    session = await get_session(request)
    user_id = session.get(USER_ID)
    if user_id is None:
        return None
    if not request.get(SESSION_COUNTED):
        from onepizza.api.ratelimit import enforce  # (api.request imports this module)

        request[SESSION_COUNTED] = True
        await enforce(request, "session", key=f"user:{user_id}")
    now = int(time.time())
    if now - session.get(TOUCHED, 0) > TOUCH_INTERVAL:
        session[TOUCHED] = now
    return user_id


async def current_session_hash(request: web.Request) -> bytes | None:
    session = await get_session(request)
    return digest(session.identity) if session.identity else None


async def end_session(request: web.Request) -> None:
    session = await get_session(request)
    session.invalidate()
