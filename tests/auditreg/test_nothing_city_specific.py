"""Nothing Kanazawa-specific in code or templates: the city is data (fixtures, CitySettings).

Exempt: the fixtures and their notes (they are the city's data), the tests (they check that data),
bench/ (benchmarks run against the demo fixture by name), and a line that names the demo fixture's
folder (the REPORT_FIXTURE_DIR setting points the demo at it)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = re.compile(r"金沢|Kanazawa|kanazawa|KANAZAWA|3177|越田|近江町|兼六")
SCANNED = ["auditreg", "findings", "imports", "systems", "budgets", "templates", "static/css", "static/js", "scripts"]
SUFFIXES = {".py", ".html", ".txt", ".css", ".js", ".sh"}


def _lines():
    for top in SCANNED:
        base = ROOT / top
        if not base.exists():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
                yield path.relative_to(ROOT), number, line


def test_no_city_specific_word_in_code_or_templates():
    found = [
        f"{path}:{number}: {line.strip()}"
        for path, number, line in _lines()
        if WORDS.search(line) and "fixtures" not in line
    ]
    assert found == []


def test_the_scan_sees_the_code():
    # a guard against a scan that silently reads nothing
    files = {str(path) for path, _, _ in _lines()}
    assert "templates/base.html" in files and "findings/status_report.py" in files
