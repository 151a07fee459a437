"""`pip install .` as users do it: the wheel carries the pages, the JavaScript SDK and the
migrations, and its `onepizza` serves and migrates from any folder.

The wheel is built from a copy of the working tree (so the build leaves nothing in it) and
installed with --no-deps into a fresh venv whose only view of the dependencies is a .pth file
naming this venv's site-packages: a .pth line adds a folder to sys.path without running the
.pth files in it, so the editable install of the checkout is not seen there."""

from __future__ import annotations

import json
import logging
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import psycopg2
import pytest

from onepizza.app import create_app
from tests.conftest import TEST_ENV, free_port
from tests.served import http_get, server_environ, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "web" / "node_modules"
# Not part of what `pip install .` reads; node_modules is linked back in below, so that the
# wheel's lack of it shows MANIFEST.in's prune at work.
NOT_COPIED = {".venv", ".git", "node_modules", "tests", "build", "__pycache__", ".ruff_cache"}
# The pages' npm packages, as the server names them when they are missing.
NPM_PACKAGES = ", ".join(json.loads((ROOT / "web" / "package.json").read_text())["dependencies"])
PRODUCTION_ENV = {
    "NODE_ENV": "production",
    "SESSION_SECRET": "wheel-test-secret-" + "x" * 40,
    "ADMIN_EMAIL": "admin@example.com",
    "ADMIN_PASSWORD": "wheel-test-admin-password",
    "BCRYPT_ROUNDS": "4",
    "LOG_LEVEL": "WARNING",
}


def _run(*command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{command}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in NOT_COPIED or n.endswith((".egg-info", ".pyc"))}


def copy_source(dest: Path) -> Path:
    """The working tree as `pip install .` reads it, copied to `dest` (so that building
    leaves nothing in the tree), with web/node_modules linked back in."""
    shutil.copytree(ROOT, dest, ignore=_ignore, symlinks=True)
    if NODE_MODULES.is_dir():
        (dest / "web" / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = copy_source(work / "source")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", work, source)
    (built,) = work.glob("onepizza-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    venv_site = _run(python, "-c", "import site; print(site.getsitepackages()[0])").stdout
    (Path(venv_site.strip()) / "dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", python]
    _run(*pip, "install", "--no-deps", "--no-index", "--ignore-installed", wheel)
    return venv / "bin"


def test_the_wheel_carries_every_package_the_pages_the_sdk_and_the_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {str(p.relative_to(ROOT)) for p in (ROOT / "onepizza").rglob("__init__.py")}
    assert packages - names == set(), "add the package to setup.cfg [options] packages"
    migrations = {p.name for p in (ROOT / "migrations").glob("*.sql")}
    assert {f"onepizza/_migrations/{m}" for m in migrations} <= names
    for page in ("index.html", "meeting.html", "package.json", "js/home.js", "css/site.css"):
        assert f"onepizza/_web/{page}" in names
    sdk_js = {p.relative_to(ROOT / "sdk") for p in (ROOT / "sdk").glob("*.js")}
    assert {f"onepizza/_sdk/{p}" for p in sdk_js} <= names
    assert not [n for n in names if "node_modules" in n or n.startswith("onepizza/_sdk/test/")]


@pytest.mark.skipif(
    not NODE_MODULES.is_dir(), reason="needs web/node_modules (npm ci in web/, as scripts/test)"
)
def test_installed_onepizza_migrates_and_serves_from_another_folder(
    installed, fresh_database, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = server_environ(**TEST_ENV, DATABASE_URL=fresh_database, LOG_LEVEL="WARNING")
    _run(installed / "onepizza", "migrate", cwd=elsewhere, env=env)
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT migration_id FROM _yoyo_migration")
        applied = {row[0] for row in cur.fetchall()}
    source = {p.name.removesuffix(".sql") for p in (ROOT / "migrations").glob("*.sql")}
    assert applied == {m for m in source if not m.endswith(".rollback")}

    # Production, run from a folder laid out as a Procfile deploy's (Heroku's /app): the
    # pages' npm packages in web/node_modules under it, where the server looks by default.
    app_dir = tmp_path / "app"
    (app_dir / "web").mkdir(parents=True)
    (app_dir / "web" / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = server_environ(
        **PRODUCTION_ENV, DATABASE_URL=fresh_database, APP_URL=base, ALLOWED_ORIGINS=base
    )
    command = [installed / "onepizza", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as sink:
        server = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(server, base, log)
        status, kind, body = http_get(base + "/")
        assert (status, kind.split(";")[0]) == (200, "text/html"), body[:300]
        assert body == (ROOT / "web" / "index.html").read_bytes()
        status, kind, body = http_get(base + "/static/js/home.js")
        assert status == 200
        assert kind.split(";")[0] in ("text/javascript", "application/javascript")
        assert body == (ROOT / "web" / "js" / "home.js").read_bytes()
        if (ROOT / "sdk" / "onepizza.js").is_file():
            status, _, body = http_get(base + "/sdk/onepizza.js")
            assert status == 200
            assert body == (ROOT / "sdk" / "onepizza.js").read_bytes()
        status, _, body = http_get(base + "/vendor/socket.io-client/package.json")
        assert status == 200
        assert json.loads(body)["name"] == "socket.io-client"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def test_installed_onepizza_refuses_to_start_in_production_without_the_npm_packages(
    installed, tmp_path
):
    env = server_environ(**PRODUCTION_ENV, DATABASE_URL="postgresql://nobody@127.0.0.1:9/none")
    result = subprocess.run(
        [installed / "onepizza", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    missing = tmp_path.resolve() / "web" / "node_modules"
    assert result.stderr.splitlines() == [
        f"onepizza: the pages cannot load: their npm packages {NPM_PACKAGES} are missing "
        f"from {missing} (run npm ci --prefix web, or set WEB_NODE_MODULES to their folder)"
    ]


async def test_outside_production_missing_npm_packages_are_a_warning(make_settings, caplog):
    caplog.set_level(logging.WARNING, "onepizza.api.pages")
    create_app(make_settings({"WEB_NODE_MODULES": "/nonexistent/node_modules"}))
    assert [r.getMessage() for r in caplog.records] == [
        f"the pages cannot load: their npm packages {NPM_PACKAGES} are missing from "
        "/nonexistent/node_modules (run npm ci --prefix web, or set WEB_NODE_MODULES to their "
        "folder)"
    ]


@pytest.mark.skipif(
    not NODE_MODULES.is_dir(), reason="needs web/node_modules (npm ci in web/, as scripts/test)"
)
async def test_web_node_modules_names_the_folder_of_the_npm_packages(
    serve, make_settings, tmp_path, caplog
):
    modules = tmp_path / "modules"
    modules.symlink_to(NODE_MODULES, target_is_directory=True)
    caplog.set_level(logging.WARNING, "onepizza.api.pages")
    client = await serve(create_app(make_settings({"WEB_NODE_MODULES": str(modules)})))
    assert caplog.records == []
    resp = await client.get("/vendor/socket.io-client/package.json")
    assert resp.status == 200
    assert json.loads(await resp.read())["name"] == "socket.io-client"
