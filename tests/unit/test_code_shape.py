"""The code's shape as the team guide asks for it: functions short enough to read, and a README that maps the
tree as it is."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 40
SHIPPED = ("functions", "layers")
# Benchmark and local-tooling functions over the limit, with their length today: none may appear or grow.
TOOLING_OVER_THE_LIMIT = {
    "bench/bench_auth.py:run": 75,
    "bench/bench_books.py:run": 48,
    "bench/bench_chat.py:run": 43,
    "bench/bench_chat.py:seed_catalogue": 48,
    "bench/bench_loans.py:_contention": 63,
    "bench/bench_loans.py:_handler_and_replay": 42,
    "bench/bench_loans.py:_markdown": 76,
    "bench/bench_reminders.py:run": 58,
    "devtools/run.py:main": 43,
    "devtools/template.py:load": 88,
}


def _tracked(*folders: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", *folders], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split()]


def _long_functions(paths: list[Path]) -> dict[str, int]:
    found = {}
    for path in paths:
        if path.suffix != ".py" or "migrations" in path.parts or not path.is_file():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > LIMIT:
                    found[f"{path.relative_to(ROOT)}:{node.name}"] = length
    return found


def test_no_shipped_function_is_longer_than_the_limit():
    assert _long_functions(_tracked(*SHIPPED)) == {}


def test_no_tooling_function_grows_past_the_limit():
    found = _long_functions(_tracked("bench", "devtools"))
    grown = {name: length for name, length in found.items() if length > TOOLING_OVER_THE_LIMIT.get(name, LIMIT)}
    assert grown == {}


def _layout_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_top_level_folder_and_every_function():
    layout = _layout_section()
    top_level = {path.relative_to(ROOT).parts[0] for path in _tracked(".") if len(path.relative_to(ROOT).parts) > 1}
    folders = {name for name in top_level if not name.startswith(".")}
    functions = {path.relative_to(ROOT).parts[1] for path in _tracked("functions")}
    missing = sorted(f"{name}/" for name in folders if f"{name}/" not in layout)
    missing += sorted(f"functions/{name}/" for name in functions if f"functions/{name}/" not in layout)
    assert missing == []
