"""Read-only name → entry mappings whose misses name the valid choices."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """An immutable mapping of names to entries; a failed lookup lists the valid names.

    Args:
        kind: What the entries are, for error messages (``"ansatz"``).
        entries: ``(name, entry)`` pairs in display order.
    """

    def __init__(self, kind: str, entries: Iterable[tuple[str, T]]) -> None:
        self._kind = kind
        self._entries = dict(entries)

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
