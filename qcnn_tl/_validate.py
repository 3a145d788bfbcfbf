"""Checks shared by the settings dataclasses: one wording for the same mistake everywhere."""

from __future__ import annotations

import math

SEED_LIMIT = 2**63
"""Seeds are integers in ``[0, SEED_LIMIT)``: what torch and NumPy accept as one signed 64-bit seed."""


def is_positive_int(value: object) -> bool:
    """True for an ``int`` (not ``bool``) ≥ 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def is_number(value: object) -> bool:
    """True for a finite ``int`` or ``float`` (not ``bool``, NaN or ±inf)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_seed(name: str, value: object) -> None:
    """Checks that ``value`` is a seed: an ``int`` (not ``bool``) in ``[0, 2**63)``.

    Raises:
        ValueError: Naming ``name``, the valid range and the value given.
    """
    if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < SEED_LIMIT):
        raise ValueError(f"{name} must be an integer in [0, 2**63); got {value!r}")


def check_settings(
    settings: object,
    *,
    positive_ints: tuple[str, ...] = (),
    positive: tuple[str, ...] = (),
    numbers: tuple[str, ...] = (),
    seeds: tuple[str, ...] = (),
) -> None:
    """Checks the fields of a settings object.

    Args:
        settings: Any object with the named attributes.
        positive_ints: Fields that must be integers ≥ 1.
        positive: Fields that must be finite numbers > 0.
        numbers: Fields that must be finite numbers (range checks are the caller's).
        seeds: Fields that must be integers in ``[0, 2**63)``.

    Raises:
        ValueError: Naming the first field that fails its check, what it must be and the value given.

    >>> from types import SimpleNamespace
    >>> check_settings(SimpleNamespace(lr=float("inf")), positive=("lr",))
    Traceback (most recent call last):
    ...
    ValueError: lr must be positive and finite; got inf
    """
    for name in positive_ints:
        value = getattr(settings, name)
        if not is_positive_int(value):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    for name in positive:
        value = getattr(settings, name)
        if not (is_number(value) and value > 0):  # type: ignore[operator]
            raise ValueError(f"{name} must be positive and finite; got {value!r}")
    for name in numbers:
        value = getattr(settings, name)
        if not is_number(value):
            raise ValueError(f"{name} must be a finite number; got {value!r}")
    for name in seeds:
        check_seed(name, getattr(settings, name))
