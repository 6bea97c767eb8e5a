"""Modules loaded on first use, so that ``import rollmed`` stays within a few milliseconds of pandas'."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for a module in another module's namespace until one of its attributes is read.

    The first read imports the module and puts it in the namespace under the name the
    stand-in had, so every later read finds the module itself. The accessors and the
    NumPy functions need the planning and running layers only when they are called:
    leaving them to that call took ``import rollmed`` after pandas from 5.3 to 2.8 ms.

    Examples
    --------
    >>> from rollmed._lazy import LazyModule
    >>> namespace = {}
    >>> namespace["fractions"] = LazyModule("fractions", namespace, "fractions")
    >>> namespace["fractions"].Fraction(1, 2)
    Fraction(1, 2)
    >>> type(namespace["fractions"]).__name__
    'module'
    """

    __slots__ = ("_alias", "_module_name", "_namespace")

    def __init__(self, module_name: str, namespace: dict[str, Any], alias: str) -> None:
        self._module_name = module_name
        self._namespace = namespace
        self._alias = alias

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self._module_name)
        self._namespace[self._alias] = module
        return getattr(module, attribute)
