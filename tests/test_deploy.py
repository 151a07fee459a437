"""A Procfile deploy (README "Deploy"): the Node.js buildpack installs the pages' npm packages
through the root package.json, the Python buildpack installs this project from
requirements.txt with the Python of .python-version, and the Procfile's commands are the
package's console script (tests/test_wheel.py runs them installed from a wheel)."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from onepizza.cli import main
from tests.test_wheel import copy_source

ROOT = Path(__file__).resolve().parent.parent
SETUP = configparser.ConfigParser()
SETUP.read(ROOT / "setup.cfg")
NPM = shutil.which("npm")


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_the_procfile_serves_and_migrates_in_the_release_phase():
    assert _procfile() == {"web": "onepizza serve", "release": "onepizza migrate"}


@pytest.mark.parametrize("process", ["web", "release"])
def test_each_procfile_command_is_the_console_script(process, capsys):
    program, *args = _procfile()[process].split()
    scripts = SETUP["options.entry_points"]["console_scripts"].strip().splitlines()
    assert f"{program} = onepizza.cli:main" in [s.strip() for s in scripts]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: onepizza {args[0]}")


def test_python_version_file_is_one_the_project_supports():
    version = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version)
    assert f"{version}.0" in SpecifierSet(SETUP["options"]["python_requires"])


def test_requirements_txt_installs_this_project(tmp_path):
    """What the Python buildpack runs (pip install -r requirements.txt), resolved without
    installing anything."""
    source = copy_source(tmp_path / "app")
    assert (source / "requirements.txt").read_text().split() == ["."]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "install", "--dry-run"]
    options = ["--no-deps", "--no-index", "--no-build-isolation", "--ignore-installed"]
    result = subprocess.run(
        [*pip, *options, "--quiet", "--report", "-", "-r", "requirements.txt"],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [install] = json.loads(result.stdout)["install"]
    assert install["metadata"]["name"] == "onepizza"
    assert install["download_info"]["url"] == source.as_uri()


@pytest.mark.skipif(NPM is None, reason="needs npm (Node.js)")
def test_the_node_build_installs_the_pages_packages_without_dev_dependencies(tmp_path):
    """The Node.js buildpack runs npm ci in the root, then its heroku-postbuild script. Run
    both offline; the script's own npm ci as a dry run, which lists what it would add (so
    that no registry is needed)."""
    (tmp_path / "web").mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
        shutil.copy(ROOT / "web" / name, tmp_path / "web" / name)
    offline = {"npm_config_offline": "true", "npm_config_audit": "false"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("npm_")}
    npm = [NPM, "--no-fund", "--loglevel=error"]
    subprocess.run([*npm, "ci"], cwd=tmp_path, env={**env, **offline}, check=True, timeout=120)
    result = subprocess.run(
        [*npm, "run", "heroku-postbuild"],
        cwd=tmp_path,
        env={**env, **offline, "npm_config_dry_run": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    added = set(re.findall(r"^add (\S+) \S+$", result.stdout, re.M))
    web = json.loads((ROOT / "web" / "package.json").read_text())
    assert set(web["dependencies"]) <= added, result.stdout
    assert not set(web.get("devDependencies", {})) & added
