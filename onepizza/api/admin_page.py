"""The /admin page: served to the platform admin only, by the same check as /admin/api."""

from __future__ import annotations

from pathlib import Path

from aiohttp import hdrs, web

from onepizza.api.auth import require_admin
from onepizza.api.pages import WEB_DIR
from onepizza.errors import Forbidden, Unauthorized

LOGIN_URL = "/login?next=/admin"

# Nothing of the console (not even its script names) reaches someone who is not the admin.
FORBIDDEN_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Not allowed — onepizza</title>
  <link rel="stylesheet" href="/static/css/site.css">
</head>
<body class="home">
  <main class="hero not-found">
    <p class="brand"><a href="/">onepizza</a></p>
    <h1>Not allowed</h1>
    <p class="tagline">This page is for the platform administrator, and your account is not one.</p>
    <p class="links">
      <a class="button primary" href="/dashboard">Go to your dashboard</a>
      <a href="/">Home page</a>
    </p>
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
            # Returned, not raised, so it gets the security headers like any page.
            return web.Response(status=302, headers={hdrs.LOCATION: LOGIN_URL})
        except Forbidden:
            return web.Response(
                status=403,
                text=FORBIDDEN_PAGE,
                content_type="text/html",
                headers={"Cache-Control": "no-store"},
            )
        return web.FileResponse(self._page, headers={"Cache-Control": "no-store"})
