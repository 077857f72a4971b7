"""The structure gate (scripts/check_structure.py): no import cycle between first-party modules, no function
over 80 lines and no file over 600 lines in the apps. It reads the source with ast and imports nothing, so it
also runs without Django (python scripts/check_structure.py)."""

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_structure.py"

spec = importlib.util.spec_from_file_location("check_structure", SCRIPT)
check_structure = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_structure)


def test_the_apps_pass_the_structure_gate():
    run = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def _tree(tmp_path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_a_cycle_is_found_through_relative_and_lazy_imports_but_not_type_checking_ones(tmp_path):
    root = _tree(
        tmp_path,
        {
            "imports/__init__.py": "",
            "imports/pipeline.py": "from .plan import Plan\n\ndef handler_for(kind):\n    from .bundles import H\n",
            "imports/plan.py": "class Plan: ...\n",
            "imports/bundles.py": "from imports.pipeline import Plan\n",  # back to the pipeline: a cycle
            "imports/views.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .handler import X\n"
                "from . import pipeline\n"
            ),
            "imports/handler.py": "from .views import y\n",  # only a TYPE_CHECKING import back: no cycle
        },
    )
    graph = check_structure.import_graph(root)
    assert graph["imports.pipeline"] == {"imports.plan", "imports.bundles"}
    assert graph["imports.views"] == {"imports.pipeline"}
    assert check_structure.find_cycles(graph) == [["imports.bundles", "imports.pipeline"]]


def test_long_functions_and_files_are_reported(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(80))
    root = _tree(tmp_path, {"findings/__init__.py": "", "findings/big.py": f"def big():\n{body}\n" + "#\n" * 600})
    assert check_structure.long_functions(root) == ["findings/big.py:1 big has 81 lines"]
    assert check_structure.long_files(root) == [f"findings/big.py has {len(body.splitlines()) + 602} lines"]
    assert check_structure.problems(root, known=()) == [
        "function over 80 lines: findings/big.py:1 big has 81 lines",
        f"file over 600 lines: findings/big.py has {len(body.splitlines()) + 602} lines",
    ]
