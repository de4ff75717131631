"""Names a package imports on first use (PEP 562), so importing the package costs almost nothing.

>>> getattr_, dir_ = lazy_names("course_lib", {"ScenarioSettings": "run.settings"})
>>> getattr_("ScenarioSettings").__name__
'ScenarioSettings'
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_names(
    package: str, where: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``: each name of ``where`` (name ->
    module, relative to the package) is imported when first asked for, then kept."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
