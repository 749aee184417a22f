# Shared by run-app.sh and test.sh: make .venv (once) and install LeadDesk into it.
# Usage: LEADDESK_EXTRAS=test . scripts/_env.sh     (extras from pyproject.toml, optional)
# The extras come from a variable, never from positional arguments: a script that sources
# this file without arguments hands it its own ("./run-app.sh --no-demo"), and pip would
# then be asked for "leaddesk[--no-demo]".
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
  "$PY" -m venv "$VENV" || {
    echo "Could not create $VENV. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
fi
EXTRAS="${LEADDESK_EXTRAS:-}"
case "$EXTRAS" in
  *[!a-z0-9,_-]*) echo "scripts/_env.sh: LEADDESK_EXTRAS='$EXTRAS' is not a list of extras" >&2; exit 1 ;;
esac
SPEC="$ROOT"
[ -n "$EXTRAS" ] && SPEC="$ROOT[$EXTRAS]"
STAMP="$VENV/.leaddesk-installed-$EXTRAS"
_leaddesk_installed() {
  # Up to date when the stamp is newer than pyproject.toml; with no extras, any stamp will
  # do (an install with extras installed LeadDesk itself too).
  local s stamps=("$STAMP")
  [ -z "$EXTRAS" ] && stamps+=("$VENV"/.leaddesk-installed-*)
  for s in "${stamps[@]}"; do
    [ -f "$s" ] && [ ! "$ROOT/pyproject.toml" -nt "$s" ] && return 0
  done
  return 1
}
if ! _leaddesk_installed; then
  echo "Installing LeadDesk and its dependencies into $VENV ..." >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$SPEC" >&2
  touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
