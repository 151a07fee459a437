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

# The browser pages' client libraries (web/package.json, locked), served from web/node_modules.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "==> installing web/ packages (npm ci)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "warning: npm not found: the browser pages need web/node_modules (install Node.js)" >&2
  fi
fi

# The JavaScript SDK's test dependencies (sdk/package.json, locked): socket.io-client for its bots.
if [ ! -d sdk/node_modules ] || [ sdk/package-lock.json -nt sdk/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "==> installing sdk/ packages (npm ci)"
    (cd sdk && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "warning: npm not found: the JavaScript SDK's tests need sdk/node_modules (install Node.js)" >&2
  fi
fi
