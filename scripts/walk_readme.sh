#!/usr/bin/env bash
# Walk the README's first command as a newcomer would, on a real X server (Xvfb, the xcb
# platform: not offscreen), and fail loudly at the first step that does not work.
#
#   scripts/walk_readme.sh [--out DIR] [--docs]
#
# 1. Installs Xvfb, xauth and xdotool when missing (as root, with apt-get; otherwise it
#    says what to install and stops).
# 2. If Qt's xcb libraries are missing, checks that ./run-app.sh refuses with the exact
#    install command (and loads nothing), then installs them the way run-app.sh does.
# 3. On a 1366x768 virtual screen, each in its own LEADDESK_DATA_DIR:
#    a. ./run-app.sh --no-demo: a window named LeadDesk appears (xdotool), Ctrl+3 opens the
#       board, Ctrl+Q quits with status 0, and the UI state file lands beside the data;
#    b. ./run-app.sh --no-demo --smoke: the first-start panel on the empty database;
#    c. ./run-app.sh --demo small --smoke in (a)'s folder: the demo is loaded and the app
#       reopens on the board, where (a) left it;
#    d. ./run-app.sh --demo large --db sqlite:///(c's file) --smoke: both arguments reach
#       the app (the database already holds contacts, so no demo is loaded);
#    each --smoke run saves a screenshot of the screen into DIR.
# With --docs, the first start and the board at 1366x768 are copied to docs/.
# Uses the existing .venv when there is one (./run-app.sh makes it otherwise).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT=""
DOCS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --docs) DOCS=1; shift ;;
    -h|--help) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "walk_readme.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
fail() { echo "WALK FAILED: $*" >&2; exit 1; }
step() { echo "== walk: $*"; }
is_root() { [ "$(id -u)" = 0 ]; }

if [ -z "${_LEADDESK_WALK_INNER:-}" ]; then
  need=()
  command -v xvfb-run >/dev/null || need+=(xvfb)
  command -v xauth >/dev/null || need+=(xauth)
  command -v xdotool >/dev/null || need+=(xdotool)
  if [ ${#need[@]} -gt 0 ]; then
    is_root && command -v apt-get >/dev/null ||
      fail "needs ${need[*]} (Debian/Ubuntu: sudo apt-get install ${need[*]})"
    step "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  OUT="${OUT:-$(mktemp -d /tmp/leaddesk-walk.XXXXXX)}"
  mkdir -p "$OUT"
  export _LEADDESK_WALK_INNER=1
  exec xvfb-run -a -s "-screen 0 1366x768x24 -nolisten tcp" "$0" --out "$OUT" $([ $DOCS = 1 ] && echo --docs)
fi

# --- inside the virtual screen ------------------------------------------------------------
cd "$ROOT"
unset QT_QPA_PLATFORM WAYLAND_DISPLAY  # the real xcb platform, as on a desktop
export XDG_SESSION_TYPE=x11
[ -n "${DISPLAY:-}" ] || fail "xvfb-run gave no DISPLAY"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3
started=$(date +%s)

step "Qt's platform libraries"
if ! out=$("$PY" -m leaddesk.ui.platform_deps 2>&1); then
  # The newcomer's first start on this machine: the app must refuse with the exact command.
  set +e
  refusal=$(LEADDESK_DATA_DIR="$OUT/refused" LEADDESK_INSTALL_DEPS=0 ./run-app.sh --no-demo 2>&1)
  rc=$?
  set -e
  [ $rc = 3 ] || fail "./run-app.sh with missing Qt libraries exited $rc, not 3: $refusal"
  grep -q "apt-get install" <<<"$refusal" || fail "the refusal names no install command: $refusal"
  [ ! -e "$OUT/refused/leaddesk.sqlite3" ] || fail "run-app.sh made a database before refusing"
  echo "$refusal" | sed 's/^/   | /'
  is_root || fail "Qt's libraries are missing and this is not root: $out"
  "$PY" -m leaddesk.ui.platform_deps --install || fail "installing Qt's libraries failed"
fi
"$PY" -m leaddesk.ui.platform_deps || fail "Qt's libraries are still missing"

smoke() {  # smoke NAME EXPECT ARGS... : run ./run-app.sh ARGS --smoke OUT/NAME.png, check its line
  local name="$1" expect="$2"; shift 2
  local log="$OUT/$name.log"
  step "./run-app.sh $* --smoke"
  if ! timeout 120 ./run-app.sh "$@" --smoke "$OUT/$name.png" >"$log" 2>&1; then
    cat "$log" >&2; fail "./run-app.sh $* --smoke did not exit 0"
  fi
  grep -q "^LeadDesk smoke: .* on xcb " "$log" || { cat "$log" >&2; fail "no smoke line on xcb for $name"; }
  grep -q "$expect" "$log" || { cat "$log" >&2; fail "$name: expected '$expect'"; }
  [ -s "$OUT/$name.png" ] || fail "$name: no screenshot"
  grep "^LeadDesk smoke:" "$log" | sed 's/^/   | /'
}

# a. The README's command as typed, on a fresh data folder: a real window appears.
A="$OUT/a"
step "./run-app.sh --no-demo (a real window, closed with Ctrl+Q)"
LEADDESK_DATA_DIR="$A" ./run-app.sh --no-demo >"$OUT/a.log" 2>&1 &
app=$!
wid=$(timeout 60 xdotool search --sync --onlyvisible --name '^LeadDesk$' | head -1) ||
  { kill "$app" 2>/dev/null || true; cat "$OUT/a.log" >&2; fail "no LeadDesk window appeared within 60 s"; }
echo "   | window $wid: $(xdotool getwindowgeometry "$wid" | tr '\n' ' ')"
sleep 1
xdotool windowfocus --sync "$wid"
xdotool key --clearmodifiers ctrl+3   # to the board: the next start must reopen there
sleep 0.5
xdotool key --clearmodifiers ctrl+q
for _ in $(seq 1 60); do kill -0 "$app" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$app" 2>/dev/null; then kill "$app"; cat "$OUT/a.log" >&2; fail "Ctrl+Q did not quit the app"; fi
wait "$app" || { cat "$OUT/a.log" >&2; fail "./run-app.sh --no-demo exited $?"; }
grep -q "page=pipeline" "$A/ui-state.ini" 2>/dev/null ||
  fail "the UI state is not beside the data ($A/ui-state.ini), or does not name the board"
[ ! -e "$HOME/.config/LeadDesk/LeadDesk.ini" ] || [ "$HOME/.config/LeadDesk/LeadDesk.ini" -ot "$OUT/a.log" ] ||
  fail "UI state was written to ~/.config although LEADDESK_DATA_DIR was set"

# b. The first start on an empty database.
LEADDESK_DATA_DIR="$OUT/b" smoke first-start "first-start panel" --no-demo
# c. The documented demo, in (a)'s folder: loaded once, and the app reopens where (a) left.
LEADDESK_DATA_DIR="$A" smoke board-1366 "page pipeline" --demo small
# d. --demo large and --db reach the app (the file already holds contacts: no demo load).
LEADDESK_DATA_DIR="$OUT/d" smoke db-arg "page accounts" --demo large --db "sqlite:///$A/leaddesk.sqlite3"
[ ! -e "$OUT/d/leaddesk.sqlite3" ] || fail "--db was ignored: a database was made in the data folder"

if [ $DOCS = 1 ]; then
  cp "$OUT/first-start.png" "$ROOT/docs/first-start.png"
  cp "$OUT/board-1366.png" "$ROOT/docs/board-1366.png"
  step "copied first-start.png and board-1366.png to docs/"
fi
echo "== walk: the README's first command works on xcb ($(( $(date +%s) - started )) s); screenshots in $OUT"
