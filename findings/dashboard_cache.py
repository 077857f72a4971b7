"""The audit office dashboard drawn once per state of its data, and kept between requests.

The page's figures, charts and tables (everything under its heading) are cached under a key made of:

- DashboardVersion, read in one query per request. Database triggers on every table the page reads
  (findings.models.DASHBOARD_TABLES) give it a fresh random value in the transaction of any write, by
  whatever path (services, admin, import, bulk load, raw SQL); so a page drawn before a commit is never
  shown after it, in any process, and a per-process cache (LocMem) is as correct as a shared one;
- today's date in Tokyo (overdue counts and ages move with it) and the city's 2019 fiscal-year label
  (CitySettings, in the dates it prints);
- the reports asked for (?report=…).

Reading the version before drawing is what makes it safe: a write that commits while the page is drawn
gives a new version, so the page stored under the old one is only ever shown to a request that read the old
one, i.e. started before that commit.

PostgreSQL: each writing statement marks its transaction (one DashboardChange row per transaction); a
deferred trigger changes the version at commit, so the version row is locked only while committing.
findings_dashboard_version() first fires this transaction's pending change, so a read inside the writing
transaction itself (a test) sees its own writes. SQLite: a row trigger per write sets it at once (SQLite
locks the whole database for a write anyway)."""

import hashlib
import secrets

from django import shortcuts
from django.core.cache import caches
from django.db import connection
from django.utils.safestring import mark_safe

from auditreg.models import CitySettings

from .models import DASHBOARD_TABLES, DASHBOARD_USER_COLUMNS

CACHE = "dashboard"  # settings.CACHES alias (a per-process LocMem)
# changes when the cached value's shape or the body template changes, so that a shared cache (if one is
# configured) never serves a body drawn by an older release
FORMAT = 3  # 2: the report choice as checkboxes; 3: the body kept as UTF-8 bytes
TIMEOUT = 24 * 60 * 60  # a day at most: the key holds the date anyway

# -- the triggers (migration 0015) -----------------------------------------------------------------

_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION findings_dashboard_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('auditreg.dashboard_touched', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('auditreg.dashboard_touched', 'on', true);
        INSERT INTO findings_dashboardchange DEFAULT VALUES;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION findings_dashboard_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM findings_dashboardchange WHERE id = NEW.id;
    PERFORM set_config('auditreg.dashboard_touched', 'off', true);
    INSERT INTO findings_dashboardversion (id, version)
        VALUES (1, md5(random()::text || clock_timestamp()::text || txid_current()::text))
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION findings_dashboard_version() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS findings_dashboard_bump IMMEDIATE;
    RETURN (SELECT version FROM findings_dashboardversion WHERE id = 1);
END $$;
CREATE CONSTRAINT TRIGGER findings_dashboard_bump AFTER INSERT ON findings_dashboardchange
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION findings_dashboard_bump();
"""
_SQLITE_BUMP = "INSERT OR REPLACE INTO findings_dashboardversion (id, version) VALUES (1, lower(hex(randomblob(16))));"


def create_triggers(schema_editor, tables=DASHBOARD_TABLES, user_columns=DASHBOARD_USER_COLUMNS) -> None:
    """The triggers on `tables` and on auditreg_user's `user_columns` (a migration passes its own lists)."""
    run = schema_editor.execute
    columns = ", ".join(user_columns)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        run(_PG_FUNCTIONS)
        for table in tables:
            run(
                f"CREATE TRIGGER findings_dashboard_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION findings_dashboard_touch()"
            )
        run(
            "CREATE TRIGGER findings_dashboard_touch AFTER INSERT OR DELETE OR TRUNCATE ON auditreg_user "
            "FOR EACH STATEMENT EXECUTE FUNCTION findings_dashboard_touch()"
        )
        run(
            f"CREATE TRIGGER findings_dashboard_touch_names AFTER UPDATE OF {columns} ON auditreg_user "
            "FOR EACH STATEMENT EXECUTE FUNCTION findings_dashboard_touch()"
        )
    elif vendor == "sqlite":
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                name = f"findings_dashboard_{table}_{op.lower()}"
                run(f"CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN {_SQLITE_BUMP} END")
        for op, name in (("INSERT", "insert"), ("DELETE", "delete"), (f"UPDATE OF {columns}", "update")):
            trigger = f"findings_dashboard_auditreg_user_{name}"
            run(f"CREATE TRIGGER {trigger} AFTER {op} ON auditreg_user BEGIN {_SQLITE_BUMP} END")
    # another database: no triggers, and current_version() is None (nothing cached)


def drop_triggers(schema_editor, tables=DASHBOARD_TABLES) -> None:
    run = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in (*tables, "auditreg_user"):
            run(f"DROP TRIGGER IF EXISTS findings_dashboard_touch ON {table}")
        run("DROP TRIGGER IF EXISTS findings_dashboard_touch_names ON auditreg_user")
        run("DROP TRIGGER IF EXISTS findings_dashboard_bump ON findings_dashboardchange")
        functions = ("findings_dashboard_version()", "findings_dashboard_bump()", "findings_dashboard_touch()")
        run(f"DROP FUNCTION IF EXISTS {', '.join(functions)}")
    elif vendor == "sqlite":
        for table in tables:
            for op in ("insert", "update", "delete"):
                run(f"DROP TRIGGER IF EXISTS findings_dashboard_{table}_{op}")
        for name in ("insert", "delete", "update"):
            run(f"DROP TRIGGER IF EXISTS findings_dashboard_auditreg_user_{name}")


# -- reading -----------------------------------------------------------------------------------------


def current_version() -> str | None:
    """The data's version (one query); None where there is none to trust (no row yet, another database)."""
    if connection.vendor == "postgresql":
        sql = "SELECT findings_dashboard_version()"
    elif connection.vendor == "sqlite":
        sql = "SELECT version FROM findings_dashboardversion WHERE id = 1"
    else:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0] if row else None


def key(*, version: str, today, wanted: list[str]) -> str:
    parts = "\x1f".join([str(FORMAT), version, today.isoformat(), CitySettings.current().fy2019_label, *wanted])
    return "dashboard:" + hashlib.sha256(parts.encode()).hexdigest()


# what is kept of a drawn page: its body (UTF-8 bytes) and the few figures its heading and tests read. The rest of the
# context it was drawn from (rows, charts: ~10x the unpickling time of the body) is only there when drawn.
KEPT = ("body", "today", "n_findings", "n_done", "n_overdue", "n_awaiting_review", "totals", "labels")


def page(*, today, wanted: list[str], build) -> dict:
    """The page's context: the kept part of the page drawn for this version, date and choice of reports,
    else build()'s whole context (and its kept part stored for the next request). `wanted`: the ?report=
    codes as asked, sorted and without repeats."""
    version = current_version()
    if version is None:
        return build()
    cache, k = caches[CACHE], key(version=version, today=today, wanted=wanted)
    kept = cache.get(k)
    if kept is not None:
        return kept
    context = build()
    cache.set(k, {name: context[name] for name in KEPT}, TIMEOUT)
    return context


# stands in the frame for the body (see render): random per process, so no text on a page can be taken for it
_BODY_MARK = f"\x00dashboard-body-{secrets.token_hex(16)}\x00"


def render(request, context: dict, *, title: str):
    """The response: the frame (base.html: menu, account, messages, this request's CSRF token) drawn for
    the request around the body, which goes in as the UTF-8 bytes kept: neither decoded from the cache
    nor encoded again (at 300 findings, 180 kB that took a tenth of the cached page's time). base.html is
    drawn itself, its title and content blocks filled from frame_title and frame_body: a template that
    {% extends %} it walks every node of base.html on each request to find the blocks (0.15 ms)."""
    frame = {**context, "frame_title": title, "frame_body": mark_safe(_BODY_MARK)}
    response = shortcuts.render(request, "base.html", frame)
    head, tail = response.content.split(_BODY_MARK.encode())  # exactly once, else a ValueError
    response.content = b"".join((head, context["body"], tail))
    return response


def forget() -> None:
    """Empty this process's cache (tests; never needed for correctness)."""
    caches[CACHE].clear()
