"""ICE server configuration of spec §13 (no authentication)."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.keys import SETTINGS
from onepizza.api.request import json_response
from onepizza.services.ice import ice_servers


class IceHandlers:
    async def ice_servers(self, request: web.Request) -> web.Response:
        # TURN credentials may be short-lived: never let a cache hand out stale ones.
        servers = ice_servers(request.app[SETTINGS])
        return json_response({"iceServers": servers}, headers={"Cache-Control": "no-store"})
