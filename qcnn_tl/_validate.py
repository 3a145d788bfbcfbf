"""Checks shared by the settings dataclasses: one wording for the same mistake everywhere."""

from __future__ import annotations


def is_positive_int(value: object) -> bool:
    """True for an ``int`` (not ``bool``) ≥ 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_settings(settings: object, *, positive_ints: tuple[str, ...] = (), positive: tuple[str, ...] = ()) -> None:
    """Checks the fields of a settings object.

    Raises:
        ValueError: Naming the first field that is not a positive integer (``positive_ints``) or not a
            positive number (``positive``).
    """
    for name in positive_ints:
        value = getattr(settings, name)
        if not is_positive_int(value):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    for name in positive:
        value = getattr(settings, name)
        if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
            raise ValueError(f"{name} must be positive; got {value!r}")
