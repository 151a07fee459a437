"""The browser pages in web/, served as static files."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
VENDOR_DIR = WEB_DIR / "node_modules"  # npm packages of web/package.json (scripts/ install them)
SDK_DIR = Path(__file__).resolve().parents[2] / "sdk"  # the JavaScript SDK (spec §26)


class PageHandlers:
    def __init__(self, web_dir: Path = WEB_DIR):
        self._web_dir = web_dir

    def page(self, name: str):
        path = self._web_dir / name

        async def handler(request: web.Request) -> web.FileResponse:
            return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

        return handler
