"""Where the folders shipped beside the code are: the pages (web/), the JavaScript SDK (sdk/)
and the migrations (migrations/)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The repository's top-level folder `name`. A wheel carries it inside the package as
    `onepizza/_<name>` (setup.cfg maps it there); a checkout or an editable install uses the
    source tree's own folder."""
    packaged = PACKAGE_DIR / f"_{name}"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name
