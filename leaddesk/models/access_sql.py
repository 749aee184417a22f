"""The PostgreSQL side of the access rules: :data:`~leaddesk.models.access.RULES` as SQL.

The row-level-security policies of the data tables (:func:`policy_sql`) and of the sync
tables (:func:`sync_policies`), and the SECURITY DEFINER functions they call (``ld_me()``,
``ld_role()``, ``ld_team()``, the change log's write check and trim), as text that the
migrations (0005, 0006, 0008) and ``team init`` install on the hub. Apart from
:mod:`leaddesk.models.access` because only the hub's PostgreSQL runs it: the app's own
checks and read filter never need it, and the SQL reads (and diffs) on its own.

No Qt, no services, no connection: strings compiled from the one rule table.
"""

from __future__ import annotations

from collections.abc import Collection

from leaddesk.models.access import PAIR_TARGETS, RULES, Child, Pair, Private, Reference, TeamShared


# --- PostgreSQL policies ------------------------------------------------------------------

_ME = "(SELECT public.ld_me())"
_ROLE = "(SELECT public.ld_role())"
_TEAM = "(SELECT public.ld_team())"
#: Every rule requires a known, active LeadDesk user of THIS database: a login that is
#: nobody here (another team database's, a disabled user's) sees and changes nothing,
#: unassigned rows included (issue #9).
_KNOWN = f"{_ME} IS NOT NULL"


def pg_read(entity: str, alias: str | None = None) -> str:
    """The SELECT predicate of ``entity`` as SQL (columns qualified by ``alias``)."""
    r = RULES[entity]
    q = f"{alias}." if alias else ""
    admin = f"{_ROLE} = 'admin'"
    if isinstance(r, Reference):
        # ld_me() reads app_user as its definer (row-level security does not apply to
        # it), so app_user's own policy may call it.
        return _KNOWN
    if isinstance(r, TeamShared):
        return f"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL OR {q}{r.owner} IN {_TEAM}))"
    if isinstance(r, Private):
        return (f"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL OR {q}{r.owner} = {_ME} "
                f"OR ({_ROLE} = 'manager' AND {q}{r.owner} IN {_TEAM})))")
    if isinstance(r, Child):
        p = f"p_{entity}"
        return (f"EXISTS (SELECT 1 FROM public.{r.parent} {p} WHERE {p}.id = {q}{r.fk} "
                f"AND {pg_read(r.parent, p)})")
    if isinstance(r, Pair):
        parts = []
        for target in PAIR_TARGETS:
            checks = " AND ".join(
                f"EXISTS (SELECT 1 FROM public.{target} t{i} WHERE t{i}.id = {q}{col} "
                f"AND {pg_read(target, f't{i}')})"
                for i, col in enumerate(r.ids))
            parts.append(f"({q}{r.entity_col} = '{target}' AND {checks})")
        return "(" + " OR ".join(parts) + ")"
    raise KeyError(entity)


def pg_write(entity: str, alias: str | None = None) -> str:
    """The INSERT/UPDATE predicate of ``entity`` as SQL."""
    r = RULES[entity]
    q = f"{alias}." if alias else ""
    admin = f"{_ROLE} = 'admin'"
    if isinstance(r, Reference):
        roles = ", ".join(f"'{w}'" for w in sorted(r.writers))
        return f"{_ROLE} IN ({roles})"
    if isinstance(r, (TeamShared, Private)):
        return (f"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL OR {q}{r.owner} = {_ME} "
                f"OR ({_ROLE} = 'manager' AND {q}{r.owner} IN {_TEAM})))")
    if isinstance(r, Child):
        p = f"p_{entity}"
        return (f"EXISTS (SELECT 1 FROM public.{r.parent} {p} WHERE {p}.id = {q}{r.fk} "
                f"AND {pg_write(r.parent, p)})")
    if isinstance(r, Pair):
        return pg_read(entity, alias)
    raise KeyError(entity)


def pg_row_visible(entity_col: str = "entity", id_col: str = "row_id",
                   existing: Collection[str] | None = None) -> str:
    """SQL: is the data row that a sync-table row describes visible? (One CASE over every
    synced table, each branch an EXISTS that the table's own policy filters.) ``existing``:
    the tables that exist at a migration's revision (a policy may only name those)."""
    branches = " ".join(
        f"WHEN '{name}' THEN EXISTS (SELECT 1 FROM public.{name} v WHERE v.id = {id_col})" for name in RULES
        if existing is None or name in existing)
    return f"(CASE {entity_col} {branches} ELSE false END)"


#: The search path of every SECURITY DEFINER function: pg_catalog, then the session's
#: temporary schema LAST. PostgreSQL searches ``pg_temp`` FIRST for tables unless it is
#: listed, and any login may create temporary tables: a rep's ``CREATE TEMP TABLE
#: app_user`` would otherwise stand in for the real one inside these functions (issue
#: #9). Every table they name is schema-qualified as well.
DEFINER_PATH = "SET search_path = pg_catalog, pg_temp"
#: For the older trigger functions (search index, NOTIFY: revisions 0002/0003), whose
#: bodies name their tables and ``ld_fold`` unqualified: ``public`` is writable by no
#: LeadDesk login (``team init`` revokes CREATE from PUBLIC), and ``pg_temp`` comes last.
TRIGGER_PATH = "SET search_path = pg_catalog, public, pg_temp"

FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION public.ld_me() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT id FROM public.app_user WHERE db_role = session_user AND active AND NOT deleted LIMIT 1 $$;

CREATE OR REPLACE FUNCTION public.ld_role() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT role FROM public.app_user WHERE id = public.ld_me() $$;

-- The newest seq in the change log, whoever may see it (a number only): a replica's
-- first download starts pulling after it. Pushes commit in seq order (advisory lock), so
-- every seq up to it is in the snapshot of the transaction that asks.
CREATE OR REPLACE FUNCTION public.ld_max_seq() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT coalesce(max(seq), 0) FROM public.change_log $$;

CREATE OR REPLACE FUNCTION public.ld_team() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT u.id FROM public.app_user u, public.app_user me
   WHERE me.id = public.ld_me() AND (u.id = me.id OR (me.team_id IS NOT NULL AND u.team_id = me.team_id)) $$;
"""

#: The change log's trim (sync notes 3.7, horizon): installed by revision 0006.
HISTORY_SQL = f"""
CREATE OR REPLACE FUNCTION public.ld_history_horizon() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT coalesce(max(through_seq), 0) FROM public.history_purge $$;

-- (0005's, now never below the horizon: a trim may leave the change log empty.)
CREATE OR REPLACE FUNCTION public.ld_max_seq() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT greatest(coalesce(max(seq), 0), public.ld_history_horizon()) FROM public.change_log $$;

-- Remove the changes received more than ``keep`` ago (an administrator, or the server's
-- superuser). Under the push lock, so no push commits meanwhile. Returns how many went.
CREATE OR REPLACE FUNCTION public.ld_purge_history(keep interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER {DEFINER_PATH} AS
$$
DECLARE
  through bigint;
  n bigint;
BEGIN
  IF coalesce(public.ld_role(), '') <> 'admin'
     AND NOT coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user), false) THEN
    RAISE EXCEPTION 'Only an administrator may trim the team''s sync history.' USING ERRCODE = '42501';
  END IF;
  IF keep < interval '0' THEN
    RAISE EXCEPTION 'The history to keep cannot be negative.' USING ERRCODE = '22023';
  END IF;
  PERFORM pg_catalog.pg_advisory_xact_lock({0x4C4453594E433031});
  SELECT max(seq) INTO through FROM public.change_log WHERE received_at < now() - keep;
  IF through IS NULL OR through <= public.ld_history_horizon() THEN
    RETURN 0;
  END IF;
  DELETE FROM public.change_log WHERE seq <= through;
  GET DIAGNOSTICS n = ROW_COUNT;
  INSERT INTO public.history_purge (through_seq, cutoff, purged_at, purged_by, changes)
  VALUES (through, now() - keep, now(), session_user, n);
  RETURN n;
END
$$;
"""  # the lock = leaddesk.sync.server.PUSH_LOCK ("LDSYNC01")


def _writable_case() -> str:
    """plpgsql: is row ``rid`` of table ``ent`` absent, or writable by the session's user?
    (Evaluated as the definer, so a row the caller cannot see still counts as present.)"""
    parts = []
    for i, name in enumerate(RULES):
        kw = "IF" if i == 0 else "ELSIF"
        parts.append(f"  {kw} ent = '{name}' THEN\n"
                     f"    SELECT {pg_write(name, 't')} INTO ok FROM public.{name} t WHERE t.id = rid;")
    return "\n".join(parts) + "\n  ELSE\n    RETURN false;\n  END IF;"


def _unwritable_union() -> str:
    """SQL: the logged changes (transition table ``new_rows``) naming an existing row that
    the session's user may not change, one branch per ruled table."""
    return "\n    UNION ALL\n".join(
        f"    SELECT n.entity, n.row_id FROM new_rows n JOIN public.{name} t ON t.id = n.row_id "
        f"WHERE n.entity = '{name}' AND NOT n.rejected AND NOT coalesce({pg_write(name, 't')}, false)"
        for name in RULES)


#: The change log's statement-level check (revision 0008).
LOG_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS ld_check_logged ON public.change_log;
CREATE TRIGGER ld_check_logged AFTER INSERT ON public.change_log REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.ld_check_logged();
"""


def sync_check_sql() -> str:
    """Functions the sync tables' policies call (revision 0008): what a login may write
    into the change log, the hub's field clocks and the conflict inbox."""
    return f"""
-- A change may name a row that does not exist yet (its creation is in the same push and
-- the data table's own policy checks it) or one its author may change; a row that exists
-- but is hidden from the caller counts as existing (this runs as the definer).
CREATE OR REPLACE FUNCTION public.ld_row_writable(ent text, rid uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$
DECLARE
  ok boolean;
BEGIN
{_writable_case()}
  RETURN coalesce(ok, true);
END
$$;

-- The change log's write check, once per statement (a push logs 2,000 changes in one):
-- every change that is not a refusal names a row that does not exist yet or one its
-- author may change as it stands. As the definer, so a row hidden from the caller still
-- counts; the server's superuser (and roles that bypass RLS) are not checked.
CREATE OR REPLACE FUNCTION public.ld_check_logged() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER {DEFINER_PATH} AS
$$
DECLARE
  bad record;
BEGIN
  IF coalesce((SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = session_user),
              false) THEN
    RETURN NULL;
  END IF;
  FOR bad IN
{_unwritable_union()}
    LIMIT 1
  LOOP
    RAISE EXCEPTION 'permission denied: this login may not change % % (LeadDesk change log)', bad.entity,
      bad.row_id USING ERRCODE = '42501';
  END LOOP;
  RETURN NULL;
END
$$;

-- A conflict's side names a real change of the log: same clock and node, the same author
-- when one is named (none: "unknown", impersonating nobody), and, for a colleague's side
-- (not a change of this push), the value that change carried when it set this very field.
-- A change trimmed from the log (below the history horizon) has no author any more.
-- Runs as the definer: the other side of a refused change may be hidden from the caller.
CREATE OR REPLACE FUNCTION public.ld_conflict_side_ok(cid uuid, fld text, s bigint, h bigint, n uuid,
                                                      who uuid, val text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$
DECLARE
  c record;
BEGIN
  IF cid IS NULL THEN
    RETURN true;
  END IF;
  SELECT * INTO c FROM public.change_log l WHERE l.change_id = cid;
  IF NOT FOUND THEN
    RETURN who IS NULL AND s <= public.ld_history_horizon();
  END IF;
  IF c.hlc <> h OR c.node <> n OR (who IS NOT NULL AND c.author IS DISTINCT FROM who) THEN
    RETURN false;
  END IF;
  IF c.field <> fld OR val IS NULL OR c.value IS NULL OR c.value = val
     OR (c.pushed_by = session_user AND c.received_at >= now()) THEN
    RETURN true;
  END IF;
  BEGIN
    RETURN c.value::jsonb = val::jsonb;
  EXCEPTION WHEN others THEN
    RETURN false;
  END;
END
$$;

-- Did this transaction's push log change ``cid``? (The pushing login, received now.)
CREATE OR REPLACE FUNCTION public.ld_pushed_now(cid uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER {DEFINER_PATH} AS
$$ SELECT EXISTS (SELECT 1 FROM public.change_log c WHERE c.change_id = cid
                  AND c.pushed_by = session_user AND c.received_at >= now()) $$;
"""


#: How far ahead of the server's clock a pushed change's clock may be (ms); the same
#: window as the push check (leaddesk.sync.protocol.MAX_SKEW_MS).
SKEW_MS = 300_000
_SERVER_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint"


#: Sync and helper tables and their policies: (table, [(name, command, using, check)]).
#: Everything the data tables hide, these hide too (sync notes 6.1).
def sync_policies(existing: Collection[str] | None = None) -> dict[str, list[tuple[str, str, str | None, str | None]]]:
    """What each login may do to the sync tables (issue #9). The hub's push writes them as
    the pushing user; these checks pin every row to that push, so a login used with psql
    cannot forge another user's change, a clock from the future, a field clock that points
    at nothing, or a conflict "by" a colleague."""
    visible = pg_row_visible(existing=existing)
    log_check = (
        f"pushed_by = session_user AND author = {_ME} "
        "AND received_at >= now() AND received_at <= clock_timestamp() "
        f"AND (hlc >> 16) <= {_SERVER_MS} + {SKEW_MS} "
        f"AND at <= clock_timestamp() + interval '{SKEW_MS // 1000} seconds'")
    # and, once per statement, the right to change each row: ld_check_logged()
    clock_check = (
        f"{visible} AND EXISTS (SELECT 1 FROM public.change_log c WHERE c.change_id = hub_field_version.change_id "
        "AND c.seq = hub_field_version.seq AND c.hlc = hub_field_version.hlc AND c.node = hub_field_version.node "
        "AND c.entity = hub_field_version.entity AND c.row_id = hub_field_version.row_id "
        "AND (c.field = hub_field_version.field OR c.field = '*') AND NOT c.rejected "
        "AND c.pushed_by = session_user AND c.received_at >= now())")
    conflict_check = (
        f"{_ME} IS NOT NULL AND created_at >= now() AND NOT resolved "
        "AND (public.ld_pushed_now(kept_change_id) OR public.ld_pushed_now(lost_change_id)) "
        "AND public.ld_conflict_side_ok(kept_change_id, field, kept_seq, kept_hlc, kept_node, kept_author, kept_value) "
        "AND public.ld_conflict_side_ok(lost_change_id, field, lost_seq, lost_hlc, lost_node, lost_author, lost_value)")
    return {
        "change_log": [
            ("ld_read", "SELECT", f"{_KNOWN} AND ({visible} OR author = {_ME})", None),
            ("ld_insert", "INSERT", None, log_check),
        ],
        "hub_field_version": [
            ("ld_read", "SELECT", f"{_KNOWN} AND {visible}", None),
            ("ld_insert", "INSERT", None, clock_check),
            ("ld_update", "UPDATE", visible, clock_check),
        ],
        "sync_batch": [
            ("ld_read", "SELECT", "pushed_by = session_user", None),
            ("ld_insert", "INSERT", None, f"pushed_by = session_user AND {_KNOWN}"),
        ],
        # Resolving is the only change a login makes to a conflict (column privileges:
        # the resolution columns alone), in its own name.
        "sync_conflict": [
            ("ld_read", "SELECT", f"{_KNOWN} AND ({visible} OR lost_author = {_ME} OR kept_author = {_ME})", None),
            ("ld_insert", "INSERT", None, conflict_check),
            ("ld_update", "UPDATE", f"{visible} OR lost_author = {_ME}",
             f"{_KNOWN} AND (NOT resolved OR resolved_by = {_ME})"),
        ],
        # Ids only: whoever lost sight of a row must still learn that it changed hands.
        "access_change": [("ld_read", "SELECT", _KNOWN, None)],
        # When the change log was trimmed (numbers only); written by ld_purge_history().
        "history_purge": [("ld_read", "SELECT", _KNOWN, None)],
        "search_doc": [("ld_read", "SELECT", pg_row_visible("entity", "row_id", existing), None)],
        # Replica-side tables: nobody on the hub uses them but its superuser.
        "outbox": [], "field_version": [], "sync_state": [], "outbox_base": [],
    }


def policy_sql(tables: Collection[str] | None = None, existing: Collection[str] | None = None) -> list[str]:
    """Every statement that (re)installs the row-level security of a hub database (of
    ``tables`` only, when given). The sync tables' policies name every synced table in
    ``existing`` (default: ``tables``, or all of today's)."""
    out = []
    for table in RULES:
        if tables is not None and table not in tables:
            continue
        read, write = pg_read(table), pg_write(table)
        out += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY ld_read ON {table} FOR SELECT USING ({read})",
            f"CREATE POLICY ld_insert ON {table} FOR INSERT WITH CHECK ({write})",
            f"CREATE POLICY ld_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        ]
    for table, policies in sync_policies(existing if existing is not None else tables).items():
        if tables is not None and table not in tables:
            continue
        out += [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
                f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"]
        for name, command, using, check in policies:
            stmt = f"CREATE POLICY {name} ON {table} FOR {command}"
            if using:
                stmt += f" USING ({using})"
            if check:
                stmt += f" WITH CHECK ({check})"
            out.append(stmt)
    return out


def drop_policy_sql(tables: Collection[str] | None = None) -> list[str]:
    out = []
    for table in [*RULES, *sync_policies()]:
        if tables is not None and table not in tables:
            continue
        for name in ("ld_read", "ld_insert", "ld_update"):
            out.append(f"DROP POLICY IF EXISTS {name} ON {table}")
        out += [f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
                f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]
    return out


#: Tables whose owner column decides visibility: the hub logs changes of it to access_change.
OWNER_TABLES = tuple(name for name, r in RULES.items() if isinstance(r, (TeamShared, Private)))
