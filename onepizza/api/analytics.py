"""Admin analytics over HTTP (§18, admin session only) and the browser's error reports."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_admin
from onepizza.api.format import iso, money
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, load_query
from onepizza.schemas.analytics import (
    ClientErrorSchema,
    DaysQuerySchema,
    PeakHoursQuerySchema,
)
from onepizza.schemas.query import PageQuerySchema
from onepizza.services.registry import ANALYTICS, ANALYTICS_REPORTS


def user_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "email": row["email"],
        "accountType": row["account_type"],
        "balance": money(row["balance"]),
        "company_id": row["company_id"],
        "is_admin": row["is_admin"],
        "created_at": iso(row["created_at"]),
        "meetings": row["meetings"],
    }


class AnalyticsHandlers:
    @rate_limited("client_errors")
    async def client_error(self, request: web.Request) -> web.Response:
        """No account needed: a browser reports what failed (e.g. an ICE connection)."""
        body = await load_body(request, ClientErrorSchema())
        request.app[ANALYTICS].track(
            f"error.{body['type']}",
            meeting_id=body["meetingId"],
            route=body["route"],
            message=body["message"],
            meta={"userAgent": request.headers.get("User-Agent", "")[:200]},
        )
        return json_response({"accepted": True}, status=202)

    async def features(self, request: web.Request) -> web.Response:
        await require_admin(request)
        days = load_query(request, DaysQuerySchema())["days"]
        rows = await request.app[ANALYTICS_REPORTS].features(days)
        features = [
            {
                "feature": r["feature"],
                "total_uses": r["total_uses"],
                "unique_users": r["unique_users"],
                "active_days": r["active_days"],
            }
            for r in rows
        ]
        return json_response({"features": features, "days": days})

    async def errors(self, request: web.Request) -> web.Response:
        await require_admin(request)
        days = load_query(request, DaysQuerySchema())["days"]
        rows = await request.app[ANALYTICS_REPORTS].errors(days)
        errors = [
            {
                "event_type": r["event_type"],
                "route": r["route"],
                "message": r["message"],
                "count": r["count"],
                "last_seen": iso(r["last_seen"]),
            }
            for r in rows
        ]
        return json_response({"errors": errors, "days": days})

    async def realtime(self, request: web.Request) -> web.Response:
        await require_admin(request)
        return json_response(await request.app[ANALYTICS_REPORTS].realtime())

    async def retention(self, request: web.Request) -> web.Response:
        await require_admin(request)
        rows = await request.app[ANALYTICS_REPORTS].retention()
        weeks = [
            {"week": r["week"].isoformat(), "users": r["users"], "retained": r["retained"]}
            for r in rows
        ]
        return json_response({"retention": weeks})

    async def health(self, request: web.Request) -> web.Response:
        await require_admin(request)
        return json_response(await request.app[ANALYTICS_REPORTS].health())

    async def peak_hours(self, request: web.Request) -> web.Response:
        await require_admin(request)
        days = load_query(request, PeakHoursQuerySchema())["days"]
        rows = await request.app[ANALYTICS_REPORTS].peak_hours(days)
        hours = [{"dow": r["dow"], "hour": r["hour"], "count": r["count"]} for r in rows]
        return json_response({"peakHours": hours, "days": days})

    async def overview(self, request: web.Request) -> web.Response:
        await require_admin(request)
        row = await request.app[ANALYTICS_REPORTS].overview()
        return json_response(
            {
                "users": row["users"],
                "companies": row["companies"],
                "meetings": {
                    "active": row["active"],
                    "scheduled": row["scheduled"],
                    "ended": row["ended"],
                },
                "revenue": money(row["revenue"]),
                "charges": money(row["charges"]),
            }
        )

    async def users(self, request: web.Request) -> web.Response:
        await require_admin(request)
        query = load_query(request, PageQuerySchema())
        total, rows = await request.app[ANALYTICS_REPORTS].users(**query)
        return json_response(
            {
                "users": [user_body(r) for r in rows],
                "total": total,
                "limit": query["limit"],
                "offset": query["offset"],
            }
        )

    async def trends(self, request: web.Request) -> web.Response:
        await require_admin(request)
        days = load_query(request, DaysQuerySchema())["days"]
        rows = await request.app[ANALYTICS_REPORTS].trends(days)
        trends = [
            {
                "date": r["day"].isoformat(),
                "meetings": r["meetings"],
                "participants": int(r["participants"]),
                "revenue": money(r["revenue"]),
            }
            for r in rows
        ]
        return json_response({"trends": trends, "days": days})
