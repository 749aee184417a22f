#!/usr/bin/env bash
# Run LeadDesk on the embedded SQLite database (in your user data folder).
#   ./run-app.sh                   open the app (the small demo is loaded the first time)
#   ./run-app.sh --demo large      first load the large demo (100,000 contacts), then open
#   ./run-app.sh --demo small      the same with the small demo (1,000 contacts)
#   ./run-app.sh --no-demo         open without demo data
#   ./run-app.sh --db URL          open another database (sqlite:///PATH or postgresql+psycopg://...)
#   ./run-app.sh --smoke [FILE.png]  open the window, wait until it is painted, print one line
#                                  and exit 0 (with FILE.png: a screenshot of the screen too)
#   ./run-app.sh --help            this text
# Any other arguments go to the `leaddesk` command. Before anything is loaded, it checks
# that Qt can open a window here and names the system packages to install if it cannot
# (installs them itself when run as root or with LEADDESK_INSTALL_DEPS=1).
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "run-app.sh: $*" >&2; echo "Try ./run-app.sh --help" >&2; exit 2; }
DEMO=small
ARGS=()
SMOKE=()
while [ $# -gt 0 ]; do
  case "$1" in
    --demo|--demo=*)
      if [ "$1" = --demo ]; then
        [ $# -ge 2 ] || die "--demo needs a size: small or large"
        DEMO="$2"; shift 2
      else
        DEMO="${1#--demo=}"; shift
      fi
      case "$DEMO" in small|large) ;; *) die "--demo takes small or large, not '$DEMO'" ;; esac ;;
    --no-demo) DEMO=""; shift ;;
    --db)
      [ $# -ge 2 ] || die "--db needs a database URL"
      ARGS+=(--db "$2"); shift 2 ;;
    --smoke)
      SMOKE=(gui --smoke); shift
      if [ $# -gt 0 ] && [[ "$1" == *.png ]]; then SMOKE+=("$1"); shift; fi ;;
    -h|--help) usage; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
. "$(dirname "$0")/scripts/_env.sh"
# Fail before the (possibly long) demo load, with the packages to install, not after it.
python -m leaddesk.ui.platform_deps --install-if-allowed || exit $?
leaddesk "${ARGS[@]}" init >/dev/null
if [ -n "$DEMO" ]; then
  contacts=$(leaddesk "${ARGS[@]}" info --json | python -c 'import json,sys; print(json.load(sys.stdin)["counts"]["contact"])')
  if [ "$contacts" = "0" ]; then
    echo "Loading the $DEMO demo data (once; ./run-app.sh --no-demo starts empty) ..." >&2
    leaddesk "${ARGS[@]}" demo --scale "$DEMO" >/dev/null
  fi
fi
exec leaddesk "${ARGS[@]}" "${SMOKE[@]}"
