"""One small registry type used for GSIMs, calculators, scaling relations, MFDs, exporters.

A registry maps a name to an object (usually a class or a function). Lookups of unknown names
raise :class:`toolkit.errors.UnknownName` with the closest known names, so a misspelled GSIM in a
logic tree gets a helpful message instead of a bare ``KeyError``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from toolkit.errors import UnknownName

T = TypeVar("T")

__all__ = ["Registry"]


class Registry(Generic[T]):
    """A name -> object mapping with decorator registration and helpful lookup errors.

    Parameters
    ----------
    kind : str
        What is registered, used in error messages (``"GSIM"``, ``"calculation mode"``).

    Examples
    --------
    >>> modes = Registry("calculation mode")
    >>> @modes.add("classical")
    ... def run_classical(job):
    ...     ...
    >>> modes.get("classical") is run_classical
    True
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, obj: T | None = None) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator."""
        if obj is not None:
            self._register(name, obj)
            return obj

        def decorator(target: T) -> T:
            self._register(name, target)
            return target

        return decorator

    def _register(self, name: str, obj: T) -> None:
        existing = self._items.get(name)
        if existing is not None and existing is not obj:
            raise ValueError(f"{self.kind} {name!r} is already registered to {existing!r}")
        self._items[name] = obj

    def get(self, name: str, *, where: str = "") -> T:
        """Return the object registered as ``name``.

        Raises
        ------
        UnknownName
            If no object is registered under that name; the message lists close matches.
        """
        try:
            return self._items[name]
        except KeyError:
            pass
        close = difflib.get_close_matches(name, list(self._items), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        place = f"{where}: " if where else ""
        raise UnknownName(
            f"{place}unknown {self.kind} {name!r}{hint} "
            f"({len(self._items)} known; see toolkit.{self._listing_hint()})"
        ) from None

    def _listing_hint(self) -> str:
        return "available_gsims()" if self.kind == "GSIM" else "registries"

    def names(self) -> list[str]:
        """Sorted list of the registered names."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"

