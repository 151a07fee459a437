"""The browser pages in web/, the JavaScript SDK in sdk/ and the pages' npm packages, served
as files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from aiohttp import web

from onepizza.assets import shipped_dir
from onepizza.config import Settings

log = logging.getLogger(__name__)

WEB_DIR = shipped_dir("web")
SDK_DIR = shipped_dir("sdk")  # the JavaScript SDK (spec §26)
# Where a deploy run from its checkout (a Procfile's web process: Heroku, Railway) has the
# pages' npm packages when the code itself is installed from a wheel.
CHECKOUT_MODULES = Path("web", "node_modules")


class PageHandlers:
    def __init__(self, web_dir: Path = WEB_DIR):
        self._web_dir = web_dir

    def page(self, name: str):
        path = self._web_dir / name

        async def handler(request: web.Request) -> web.FileResponse:
            return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

        return handler


def vendor_dir(settings: Settings) -> Path:
    """The folder of the pages' npm packages (web/package.json), served at /vendor/:
    WEB_NODE_MODULES, else web/node_modules beside the pages (a checkout, an editable
    install), else web/node_modules under the current folder (a wheel run from its checkout)."""
    if settings.web_node_modules is not None:
        return settings.web_node_modules.resolve()
    beside = WEB_DIR / "node_modules"
    return beside if beside.is_dir() else CHECKOUT_MODULES.resolve()


def page_assets_problem(settings: Settings) -> str | None:
    """What the pages need and cannot find, in one line, or None: the pages themselves, or an
    npm package of web/package.json in vendor_dir(settings)."""
    manifest = WEB_DIR / "package.json"
    if not (WEB_DIR / "index.html").is_file() or not manifest.is_file():
        return f"the pages cannot load: {WEB_DIR} has no index.html or package.json"
    packages = json.loads(manifest.read_text(encoding="utf-8")).get("dependencies", {})
    modules = vendor_dir(settings)
    missing = [name for name in packages if not (modules / name / "package.json").is_file()]
    if not missing:
        return None
    return (
        f"the pages cannot load: their npm packages {', '.join(missing)} are missing from "
        f"{modules} (run npm ci --prefix web, or set WEB_NODE_MODULES to their folder)"
    )


def add_static_routes(app: web.Application, settings: Settings) -> None:
    """/sdk/, /static/ (web/) and /vendor/ (the npm packages); a warning when the pages
    cannot load (`onepizza serve` refuses to start then in production)."""
    app.router.add_static("/sdk/", SDK_DIR, name="sdk", follow_symlinks=False)
    app.router.add_static("/static/", WEB_DIR, name="static", follow_symlinks=False)
    modules = vendor_dir(settings)
    if modules.is_dir():
        app.router.add_static("/vendor/", modules, name="vendor", follow_symlinks=False)
    problem = page_assets_problem(settings)
    if problem:
        log.warning("%s", problem)
