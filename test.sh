#!/usr/bin/env bash
# Run the whole LeadDesk test suite: layer contracts, then unit, database (SQLite and
# PostgreSQL), migration and UI tests. PostgreSQL comes from LEADDESK_TEST_PG_URL
# (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Under CI=true a missing
# PostgreSQL is a failure, never a skip. Extra arguments go to pytest.
LEADDESK_EXTRAS=test . "$(dirname "$0")/scripts/_env.sh"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
PG_URL="${LEADDESK_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
if ! python - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg
from sqlalchemy import make_url
u = make_url(sys.argv[1])
psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, connect_timeout=3).close()
PY
then
  # The local server may simply be stopped: start it the way this machine documents.
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is not answering; trying to start the local cluster ..." >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
    sleep 2
  fi
fi
echo "== import contracts (ui -> services -> sync/capture -> models; Qt only in ui)"
lint-imports
echo "== lint (pyflakes)"
ruff check leaddesk tests benchmarks
echo "== tests"
python -m pytest -p no:cacheprovider "$@"
