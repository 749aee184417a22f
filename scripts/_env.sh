# Shared by run-app.sh and test.sh: make .venv (once) and install LeadDesk into it.
# Usage: . scripts/_env.sh [extras]   e.g. ". scripts/_env.sh test"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LEADDESK_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null; then
  echo "LeadDesk needs Python 3.11 or newer (python3 not found)." >&2; exit 1
fi
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "LeadDesk needs Python 3.11 or newer; $("$PY" --version) found." >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating $VENV ..." >&2
  "$PY" -m venv "$VENV"
fi
EXTRAS="${1:-}"
SPEC="$ROOT"
[ -n "$EXTRAS" ] && SPEC="$ROOT[$EXTRAS]"
STAMP="$VENV/.leaddesk-installed-$EXTRAS"
# Reinstall when pyproject.toml changed since the last install.
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "Installing LeadDesk and its dependencies into $VENV ..." >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$SPEC" >&2
  touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
