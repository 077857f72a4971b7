"""The import service: read, check, then load — nothing is written unless every check passes."""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError

from .checks import check_bundle
from .loader import LoadRefused, LoadResult, load_bundle
from .reader import Problem, read_bundle


class BundleInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} 件の問題があります")


@dataclass
class ImportOutcome:
    load: LoadResult
    warnings: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def import_report_bundle(path: Path | str, *, dry_run: bool = False) -> ImportOutcome:
    bundle = read_bundle(path)
    if bundle.problems:
        raise BundleInvalid(bundle.problems)
    checks = check_bundle(bundle)
    if checks.errors:
        raise BundleInvalid(checks.errors)
    try:
        result = load_bundle(bundle, dry_run=dry_run)
    except LoadRefused as exc:
        raise BundleInvalid(exc.problems) from exc
    except DatabaseError as exc:  # a rule only the database knows (a constraint); all was rolled back
        raise BundleInvalid(
            [Problem("", "", "", f"データベースの制約に反するため、何も取り込みませんでした: {exc}")]
        ) from exc
    return ImportOutcome(load=result, warnings=bundle.warnings, notices=checks.notices)
