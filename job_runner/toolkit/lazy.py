"""Modules imported when a run first uses them, not when their template is loaded.

The operator loads every installed template, for the catalogue and to check parameters,
but runs none of them. The database drivers the SQL and MongoDB templates use (psycopg,
pymongo, bson) cost it about 18 MiB of memory when imported with the templates
(benchmarks/README.md, P3); a runner loads only its own template and imports its
driver on the first call.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class _LazyModule(types.ModuleType):
    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attribute)


def lazy_module(name: str) -> types.ModuleType:
    """``name`` (a module's full dotted name), imported at its first attribute access."""
    return _LazyModule(name)
