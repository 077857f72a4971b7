"""What the import commands print about a batch: the same preview the batch page shows, as text."""

SHOWN = 200  # characters of an old or new value (finding texts run to kilobytes)


def _shown(value: str) -> str:
    if not value:
        return "（空欄）"
    return value if len(value) <= SHOWN else value[: SHOWN - 1] + "…"


def write_preview(command, batch) -> None:
    out = command.stdout
    out.write(f"{'種類':<24} 作成  変更  同一  削除")
    for label, s in batch.summary.items():
        out.write(f"{label:<24} {s['created']:>4}  {s['updated']:>4}  {s['unchanged']:>4}  {s['deleted']:>4}")
    current = None
    for label, key, field, old, new in batch.changes:
        if label != current:
            out.write(f"  {label}")
            current = label
        out.write(f"    {key} {field}: {_shown(old)} → {_shown(new)}")
    for notice in batch.notices:
        out.write(f"注記: {notice}")
    for place, field, message in batch.warnings:
        out.write(command.style.WARNING(" ".join(p for p in ("警告:", place, field, message) if p)))
    for place, field, message in batch.problems:
        command.stderr.write(" ".join(p for p in ("エラー:", place, field, message) if p))
