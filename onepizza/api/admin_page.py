"""The /admin page: served to the platform admin only, by the same check as /admin/api."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from onepizza.api.auth import require_admin
from onepizza.api.pages import WEB_DIR
from onepizza.errors import Forbidden, Unauthorized

LOGIN_URL = "/login?next=%2Fadmin"

# Nothing of the console (not even its script names) reaches someone who is not the admin.
FORBIDDEN_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Not allowed — onepizza</title>
  <link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
  <main class="hero">
    <h1>onepizza</h1>
    <p>This page is for the platform administrator. Your account cannot open it.</p>
    <p class="links"><a href="/dashboard">Your dashboard</a> · <a href="/">Home</a></p>
  </main>
</body>
</html>
"""


class AdminPageHandlers:
    def __init__(self, web_dir: Path = WEB_DIR):
        self._page = web_dir / "admin.html"

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The console for the admin; /login without a session; a 403 page otherwise."""
        try:
            await require_admin(request)
        except Unauthorized:
            raise web.HTTPFound(LOGIN_URL) from None
        except Forbidden:
            return web.Response(
                status=403,
                text=FORBIDDEN_PAGE,
                content_type="text/html",
                headers={"Cache-Control": "no-store"},
            )
        return web.FileResponse(self._page, headers={"Cache-Control": "no-store"})
