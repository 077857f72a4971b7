"""Querysets the list pages run on every request, built and compiled once per process and key.

Building a queryset (filter, annotate, values_list, union) and compiling it to SQL costs more CPU than
running it for these small queries (the list's option lists and the page's sections and subjects: about
3 ms of ~20 ms per request at 300 findings). `rows(key, build, ids)` builds `build(ids)` once per `key`
with placeholder ids, remembers its SQL and where the placeholders sit among its parameters, and runs
that SQL with the page's ids put in their place. The key must hold everything else the queryset depends
on (the database, and for a scoped queryset the user's scope: access.scope reads the role, section and
局). The rows are the database's values as they come (the columns must need no converter: integers
and text)."""

from collections import OrderedDict

from django.db import connections

# placeholder ids: negative, so that none equals a real id or any other parameter of these queries
_BASE = -(10**15)
MAX_KEYS = 512  # per process; one entry per scope at most, a few kB each


class _Compiled:
    __slots__ = ("alias", "columns", "params", "positions", "sql")

    def __init__(self, alias, sql, params, positions, columns):
        self.alias, self.sql, self.params, self.positions = alias, sql, params, positions
        self.columns = columns  # None, or the values_list columns of rows that carry extra ones


_cache: OrderedDict = OrderedDict()


def user_key(user) -> tuple:
    """The user and what access.scope reads of them (role, section, 局, active): a key for a scoped
    query, so that a user moved to another section or role gets their new scope's SQL."""
    return tuple(getattr(user, a, None) for a in ("pk", "role", "section_id", "bureau_id", "is_active", "deputy_title"))


def _compile(queryset, slots: int) -> _Compiled | None:
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    params = list(params)
    placeholders = {_BASE - i: i for i in range(slots)}
    positions = [(n, placeholders[p]) for n, p in enumerate(params) if isinstance(p, int) and p in placeholders]
    if {i for _, i in positions} != set(placeholders.values()):
        return None  # a placeholder did not come through as a parameter: not reusable
    # SELECT DISTINCT … ORDER BY a related column selects that column too: the ORM drops it, so do we
    return _Compiled(queryset.db, sql, params, positions, compiler.col_count if compiler.has_extra_select else None)


def rows(key, build, ids, *, slots: int) -> list[tuple]:
    """The rows of `build(ids)` (a queryset of values_list rows), from SQL compiled once per `key` for
    up to `slots` ids; more ids than that, or a query whose placeholders cannot be found, are built
    and run as usual. No ids (slots > 0): no rows, no query. slots=0: a query without ids."""
    ids = list(ids)
    if slots and not ids:
        return []
    if len(ids) > slots:
        return list(build(ids))
    compiled = _cache.get(key)
    if compiled is None:
        compiled = _compile(build([_BASE - i for i in range(slots)]), slots)
        if compiled is None:
            return list(build(ids))
        _cache[key] = compiled
        if len(_cache) > MAX_KEYS:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    # fewer ids than slots: the last one repeated (IN (…, 7, 7, 7) selects the same rows)
    padded = ids + ids[-1:] * (slots - len(ids))
    params = list(compiled.params)
    for n, i in compiled.positions:
        params[n] = padded[i]
    with connections[compiled.alias].cursor() as cursor:
        cursor.execute(compiled.sql, params)
        found = cursor.fetchall()
    return found if compiled.columns is None else [r[: compiled.columns] for r in found]


def clear() -> None:
    _cache.clear()
