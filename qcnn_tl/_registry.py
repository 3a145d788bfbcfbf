"""Name → entry mappings that ship built-ins, take users' own entries, and whose misses name the valid choices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]*")


class Registry(Mapping[str, T], Generic[T]):
    """A mapping of names to entries: the built-ins, then what users register; a failed lookup lists the names.

    Built-in entries cannot be replaced, and a registered name keeps its entry for the life of the process.

    Args:
        kind: What the entries are, for error messages (``"ansatz"``).
        entries: The built-in ``(name, entry)`` pairs in display order.
    """

    def __init__(self, kind: str, entries: Iterable[tuple[str, T]]) -> None:
        self._kind = kind
        self._entries = dict(entries)
        self._builtins = frozenset(self._entries)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(self._entries)
            raise ValueError(f"unknown {self._kind} {name!r}; expected one of: {valid}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def is_builtin(self, name: str) -> bool:
        """Whether ``name`` is one of the entries the package ships."""
        return name in self._builtins

    def register(self, name: str, entry: T) -> T:
        """Adds ``entry`` under ``name``; registering an equal entry again is a no-op.

        Returns:
            The registered entry (the earlier one when an equal entry was registered before).

        Raises:
            ValueError: If ``name`` is not a plain name (a letter, then letters, digits, ``_.+-``), is a
                built-in's, or is already registered with a different entry.
        """
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(
                f"{self._kind} name must start with a letter and hold only letters, digits and _.+-; got {name!r}"
            )
        if name in self._builtins:
            raise ValueError(f"{self._kind} name must not be a built-in's; got {name!r} (choose another name)")
        existing = self._entries.get(name)
        if existing is None:
            self._entries[name] = entry
            return entry
        if existing != entry:
            raise ValueError(
                f"{self._kind} {name!r} is already registered with a different definition; choose another name"
            )
        return existing
