"""Helpers for the meeting tests: funded users, meetings, live participants, SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import psycopg2

from onepizza.services.registry import MEETINGS

PASSWORD = "correct horse battery"
# Room in the rate-limit groups for the many requests one test makes.
API_ENV = {"RATE_LIMIT_API": "1000/minute", "RATE_LIMIT_AUTH": "1000/minute"}

MEETING_ID = re.compile(r"^[a-z]{3}-[a-z]{4}-[a-z]{3}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DEFAULT_SETTINGS = {
    "muteOnJoin": False,
    "videoOffOnJoin": False,
    "maxParticipants": 50,
    "locked": False,
    "waitingRoom": False,
}
CREATE_KEYS = {"meetingId", "adminToken", "joinUrl", "title", "status", "settings"}
# A started_at this far back ends as "30.00" minutes if the end comes within 0.45 s.
THIRTY_MINUTES_AGO = "now() - interval '30 minutes' + interval '150 milliseconds'"


@dataclass
class User:
    email: str
    id: int
    api_key: str
    company_id: int | None
    invite_code: str | None = None  # a company owner's, from registration

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}

    def admin(self, token: str) -> dict[str, str]:
        return {"x-api-key": self.api_key, "x-admin-token": token}


def db_rows(database_url: str, query: str, params=()) -> list[tuple]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


def db_one(database_url: str, query: str, params=()):
    rows = db_rows(database_url, query, params)
    assert len(rows) == 1, rows
    return rows[0]


async def register(client, database_url: str, *, balance=None, **extra) -> User:
    """A new account (logged in on `client`), with `balance` set in SQL when given."""
    email = f"meet-{uuid4().hex[:12]}@example.com"
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, **extra}
    )
    assert resp.status == 201, await resp.text()
    account = await resp.json()
    if balance is not None:
        db_rows(database_url, "UPDATE users SET balance = %s WHERE email = %s", (balance, email))
    user_id, company_id = db_one(
        database_url, "SELECT id, company_id FROM users WHERE email = %s", (email,)
    )
    return User(
        email=email,
        id=user_id,
        api_key=account["apiKey"],
        company_id=company_id,
        invite_code=account.get("inviteCode"),
    )


async def create_meeting(client, user: User, **body) -> dict:
    resp = await client.post("/api/meetings", json=body, headers=user.headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def get_meeting(client, user: User, meeting_id: str):
    return await client.get(f"/api/meetings/{meeting_id}", headers=user.headers)


async def list_meetings(client, user: User, path: str = "/api/meetings") -> list[dict]:
    resp = await client.get(path, headers=user.headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["meetings"]


async def history(client, user: User) -> list[dict]:
    return await list_meetings(client, user, "/api/meetings/history")


async def assert_error(resp, status: int) -> dict:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert isinstance(body["error"], str) and body["error"]
    return body


async def add_participants(
    app, meeting_id: str, count: int, *, start: int = 1, admin_token: str | None = None
) -> list[str]:
    """Join participants P<n> (socket s<n>) to the live meeting through the meeting service,
    as a socket's join does (attendance rows and peak included); their participant ids."""
    ids = []
    for n in range(start, start + count):
        joined = await app[MEETINGS].join(
            meeting_id, sid=f"s{n}", name=f"P{n}", admin_token=admin_token, invite_token=None
        )
        ids.append(joined.participant.participant_id)
    return ids


def started_thirty_minutes_ago(database_url: str, meeting_id: str) -> None:
    db_rows(
        database_url,
        f"UPDATE meetings SET started_at = {THIRTY_MINUTES_AGO} WHERE id = %s",  # noqa: S608
        (meeting_id,),
    )


def user_balance(database_url: str, user: User) -> Decimal:
    return db_one(database_url, "SELECT balance FROM users WHERE id = %s", (user.id,))[0]


def charges(database_url: str, meeting_id: str) -> list[tuple]:
    """(user_id, company_id, amount_usd, type, description) of the meeting's ledger rows."""
    return db_rows(
        database_url,
        """
        SELECT user_id, company_id, amount_usd, type, description
        FROM credit_transactions WHERE meeting_id = %s ORDER BY id
        """,
        (meeting_id,),
    )


def in_future(seconds: float) -> str:
    """An ISO-8601 UTC time `seconds` from now, with milliseconds."""
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
