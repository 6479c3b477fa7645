"""The operator loads every template but imports no database driver until a run uses it."""

from __future__ import annotations

import subprocess
import sys

from job_runner.toolkit.lazy import lazy_module

DRIVERS = ("psycopg", "pymongo", "bson")


def test_loading_every_template_imports_no_database_driver() -> None:
    """In a fresh interpreter: this test's own process has imported them already."""
    found = subprocess.run(
        [sys.executable, "-c",
         "import sys\n"
         "from job_runner.registry import installed_templates\n"
         "assert len(installed_templates()) >= 8\n"
         f"print(sorted(m for m in {DRIVERS!r} if m in sys.modules))"],
        capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]", found.stdout


def test_a_lazy_module_is_imported_at_its_first_attribute() -> None:
    code = ("import sys\n"
            "from job_runner.toolkit.lazy import lazy_module\n"
            "colorsys = lazy_module('colorsys')\n"
            "assert 'colorsys' not in sys.modules\n"
            "assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)\n"
            "assert 'colorsys' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert lazy_module("json").dumps({"a": 1}) == '{"a": 1}'
