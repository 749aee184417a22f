#!/usr/bin/env bash
# Run LeadDesk on the embedded SQLite database (in your user data folder).
#   ./run-app.sh                 open the app (demo data is added the first time)
#   ./run-app.sh --demo large    first load the large demo (100,000 contacts), then open
#   ./run-app.sh --no-demo       open without demo data
# Any other arguments go to the `leaddesk` command (e.g. ./run-app.sh --db URL).
. "$(dirname "$0")/scripts/_env.sh"
DEMO=small
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) DEMO="$2"; shift 2 ;;
    --no-demo) DEMO=""; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
leaddesk "${ARGS[@]}" init >/dev/null
if [ -n "$DEMO" ]; then
  contacts=$(leaddesk "${ARGS[@]}" info --json | python -c 'import json,sys; print(json.load(sys.stdin)["counts"]["contact"])')
  if [ "$contacts" = "0" ]; then
    leaddesk "${ARGS[@]}" demo --scale "$DEMO"
  fi
fi
exec leaddesk "${ARGS[@]}"
