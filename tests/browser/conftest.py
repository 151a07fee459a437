"""Browser tests: the real server (`python -m onepizza serve`) driven by Debian's Chromium
through Playwright, with fake camera and microphone.

Without /usr/bin/chromium, or when Playwright cannot launch it, every test here is skipped
with a message naming what is missing; with ONEPIZZA_REQUIRE_BROWSER=1 (CI) they fail
instead. When a test fails, a screenshot of every page it opened (and the pages' console
output) is saved under the artifacts folder, whose path is printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, new_database

CHROMIUM = os.environ.get("ONEPIZZA_CHROMIUM", "/usr/bin/chromium")  # Debian's Chromium
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get("ONEPIZZA_ARTIFACTS_DIR") or Path(tempfile.gettempdir()) / "artifacts"
)
REQUIRE_BROWSER = os.environ.get("ONEPIZZA_REQUIRE_BROWSER") == "1"


def unavailable(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"ONEPIZZA_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is missing (pip install playwright)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        unavailable(f"Playwright cannot launch {CHROMIUM}: {str(exc).splitlines()[0]}")
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def api(self, method: str, path: str, body: dict | None = None, headers=None) -> dict:
        """A JSON request to the server (as a script or curl would make it)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={**(headers or {})}
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def guest_meeting(self, title: str = "Browser test") -> dict:
        return self.api("POST", "/api/meetings/guest", {"title": title})


@pytest.fixture(scope="module")
def server(browser, database_url, tmp_path_factory):
    """`python -m onepizza serve` on a free port, with a database of its own: new and empty,
    on the session's PostgreSQL server (the server migrates it as it starts)."""
    with new_database(database_url, "onepizza_browser") as own_database:
        yield from _serve(own_database, tmp_path_factory.mktemp("browser-server"))


def _serve(database_url: str, folder: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_URL"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "NODE_ENV": "test",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "APP_URL": url,
            "ALLOWED_ORIGINS": url,
            "ONEPIZZA_DATA_DIR": str(folder / "data"),
            "RATE_LIMIT_GUEST": "1000/minute",
            "RATE_LIMIT_API": "10000/minute",
            "BCRYPT_ROUNDS": "4",
        }
    )
    log = folder / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "onepizza", "serve"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail("the server exited:\n" + log.read_text(), pytrace=False)
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server was not healthy in 60 s:\n" + log.read_text())
            time.sleep(0.2)
        yield Server(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def new_page(browser, request):
    """new_page() → a Page in a fresh browser context (its own storage, like another person).
    On a failure every page is screenshotted into the artifacts folder."""
    contexts = []
    pages = []
    console: dict[int, list[str]] = {}

    def open_page(width: int = 960, height: int = 640):
        context = browser.new_context(
            viewport={"width": width, "height": height}, permissions=["camera", "microphone"]
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        log = console.setdefault(id(page), [])
        page.on("console", lambda msg: log.append(f"[{msg.type}] {msg.text}"))
        page.on("pageerror", lambda exc: log.append(f"[pageerror] {exc}"))
        return page

    yield open_page

    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages, 1):
            try:
                page.screenshot(path=str(folder / f"page{index}.png"), full_page=True)
            except Exception as exc:
                (folder / f"page{index}.error.txt").write_text(str(exc))
            (folder / f"page{index}.console.txt").write_text("\n".join(console[id(page)]))
        print(f"\nbrowser artifacts (screenshots, console logs): {folder}")
    for context in contexts:
        context.close()
