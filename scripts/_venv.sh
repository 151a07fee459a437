# Sourced by scripts/run and scripts/test: make .venv (Python >= 3.11) and install the
# project with the extras in $ONEPIZZA_EXTRAS, again only when setup.cfg has changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "onepizza needs Python 3.11 or newer (set PYTHON=/path/to/python3)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$(find_python)" -m venv .venv
fi

extras="${ONEPIZZA_EXTRAS:-}"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
stamp=".venv/.onepizza-installed-${extras:-base}"
want="$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing onepizza ($spec) into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
  echo "$want" > "$stamp"
fi

npm_ci() { # folder, what needs it: npm ci in the folder when its lockfile is newer than node_modules
  if [ -d "$1/node_modules" ] && [ ! "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    return 0
  fi
  if command -v npm >/dev/null 2>&1; then
    echo "==> installing $1/ packages (npm ci)"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "warning: npm not found: $2 need $1/node_modules (install Node.js)" >&2
  fi
}

# The browser pages' client libraries (web/package.json, locked), served from web/node_modules.
npm_ci web "the browser pages"
# The JavaScript SDK's test dependencies (sdk/package.json, locked): socket.io-client for its bots.
npm_ci sdk "the JavaScript SDK's tests"
