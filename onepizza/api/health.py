"""Health probes of spec §21: full check, liveness and readiness."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.keys import SETTINGS
from onepizza.api.request import json_response
from onepizza.db import DB_POOL
from onepizza.db.pool import ping


class HealthHandlers:
    async def _database_up(self, request: web.Request) -> bool:
        return await ping(request.app[DB_POOL], request.app[SETTINGS].health_db_timeout)

    async def health(self, request: web.Request) -> web.Response:
        if await self._database_up(request):
            return json_response({"status": "ok", "db": "connected"})
        return json_response({"status": "error", "db": "unavailable"}, status=503)

    async def liveness(self, request: web.Request) -> web.Response:
        return json_response({"status": "alive"})

    async def readiness(self, request: web.Request) -> web.Response:
        if await self._database_up(request):
            return json_response({"status": "ready", "db": "connected"})
        return json_response({"status": "not ready", "db": "unavailable"}, status=503)
