"""The generic part of loading a bundle: synchronise one model's rows by natural key (create, update, delete),
counting what changed for the preview. findings.bundle.loader runs it once per entity."""

from collections import defaultdict
from dataclasses import dataclass, field

from ..models import Finding
from .reader import Bundle, Problem


@dataclass
class ModelStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)  # "key: field old → new"
    # the same, structured for a preview: (key, field, old, new) as display text; and the keys made / removed
    details: list[tuple[str, str, str, str]] = field(default_factory=list)
    created_keys: list[str] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)

    @property
    def touched(self):
        return self.created + self.updated + self.deleted


@dataclass
class LoadResult:
    stats: dict[str, ModelStats] = field(default_factory=lambda: defaultdict(ModelStats))

    @property
    def changed(self) -> bool:
        return any(s.touched for s in self.stats.values())


class LoadRefused(Exception):
    """A rule the loader can only check against the database (the master's order, a finding with
    measures that the bundle drops): nothing is written, the problems say why in Japanese."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _protected_problem(label, obj, exc) -> Problem:
    if isinstance(obj, Finding):
        return Problem(
            "findings.yaml",
            f"{obj.report.code} / {obj.code}",
            "key",
            f"指摘・意見「{obj.code}」（内部キー {obj.key}）には措置が登録されているため削除できません。"
            "番号を付け直すときは key を変えずに code だけを変えてください。",
        )
    return Problem("", str(obj), "", f"{label}「{obj}」はほかのデータから参照されているため削除できません。")


class Syncer:
    """Holds the bundle and the running result; `sync` one model at a time."""

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.result = LoadResult()
        self._deletions: list[tuple[str, list]] = []

    # -- generic sync ---------------------------------------------------------------------
    def sync(self, model, existing_qs, key_of, rows, *, delete=True):
        """rows: list of (key, values) where values use attnames (`section_id`) for FKs.
        Returns {key: instance} for every row."""
        label = model._meta.verbose_name
        stats = self.result.stats[label]
        existing = {key_of(obj): obj for obj in existing_qs}
        out, to_create, to_update, update_fields = {}, [], [], set()
        for key, values in rows:
            obj = existing.pop(key, None)
            if obj is None:
                obj = model(**values)
                to_create.append(obj)
                stats.created += 1
                stats.created_keys.append(_key_text(key))
            else:
                diffs = {
                    name: (getattr(obj, name), value) for name, value in values.items() if getattr(obj, name) != value
                }
                if diffs:
                    for name, (old, new) in diffs.items():
                        setattr(obj, name, new)
                        update_fields.add(name)
                        stats.changes.append(f"{key}: {name} {_short(old)} → {_short(new)}")
                        if _shown(model, name):
                            stats.details.append((_key_text(key), *_field_change(model, name, old, new)))
                    to_update.append(obj)
                    stats.updated += 1
                else:
                    stats.unchanged += 1
            out[key] = obj
        if to_create:
            model.objects.bulk_create(to_create)
        if to_update:
            model.objects.bulk_update(to_update, sorted(update_fields))
        if delete and existing:
            stats.deleted += len(existing)
            stats.deleted_keys.extend(_key_text(k) for k in existing)
            self._deletions.append((label, list(existing.values())))
        return out


def _plain(value):
    """Records (dict subclasses with `where`) to plain JSON-able values for JSONFields."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _pairs(mapping):
    """Printed label → value rows, kept as [label, value] pairs: PostgreSQL's jsonb would reorder a dict."""
    return [
        [str(k), v if isinstance(v, (str, int, float, bool, type(None))) else str(v)]
        for k, v in (mapping or {}).items()
    ]


def _current(units, report):
    day = report.published_on
    return [
        u
        for u in units
        if day is None or ((u.valid_from is None or u.valid_from <= day) and (u.valid_to is None or u.valid_to > day))
    ]


def _current_by_name(units, report):
    return {u.name: u for u in _current(units, report)}


def _key_text(key) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return " / ".join(str(p) for p in parts if p is not None)


def _shown(model, attname) -> bool:
    """Derived columns (the search text) change with the fields they come from: not shown twice."""
    return all(f.editable for f in model._meta.concrete_fields if f.attname == attname)


def _field_change(model, attname, old, new) -> tuple[str, str, str]:
    """(field label, old, new) for people: the verbose name, and a foreign key as the object it names."""
    try:
        field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    except StopIteration:
        return attname, _full(old), _full(new)
    label = str(field.verbose_name)
    if field.is_relation:
        names = {o.pk: str(o) for o in field.related_model._default_manager.filter(pk__in=[old, new])}
        return label, names.get(old, _full(old)), names.get(new, _full(new))
    return label, _full(old), _full(new)


def _full(value, limit=5000) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value, limit=40):
    text = "空" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
