"""What an API function's cold start imports: never SQLAlchemy's ORM, which costs about a sixth of the fixed
stack's import (and as much again to map and configure the classes), while every function's usual first answer runs
Core statements only. The ORM loads where a route uses it (`models.Book`, `db.transaction()`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devtools import template

ROOT = template.TEMPLATE.parent
API_FUNCTIONS = sorted({route.function for route in template.load().routes})
# Lists the modules an import leaves behind that the cold start should not pay for.
PROBE = """
import sys
module_name = sys.argv[1]
__import__(module_name)
print(" ".join(sorted(name for name in ("sqlalchemy.orm", "library_common.models.mapped") if name in sys.modules)))
"""


@pytest.mark.parametrize("logical_id", API_FUNCTIONS)
def test_an_api_function_imports_without_the_orm(logical_id):
    function = template.load().functions[logical_id]
    module_name = function.handler.rsplit(".", 1)[0]
    paths = [str(function.code_dir), str(ROOT / "layers" / "common"), *sys.path]
    completed = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path[:0] = {paths!r}\n{PROBE}", module_name],
        capture_output=True,
        text=True,
        check=True,
        env={**function.environment, "DATABASE_URL": "postgresql+pg8000://nobody@127.0.0.1/none"},
    )
    assert completed.stdout.split() == [], f"{logical_id} imports {completed.stdout.strip()} at its cold start"
