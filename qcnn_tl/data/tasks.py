r"""Binary MNIST tasks: digit pairs, odd-even and greater-than-4 (docs/method.md, *Tasks*).

Label convention of the reference code: ``y = 1`` for the *first* class of a pair (``"0,1"``: digit 0
→ 1, digit 1 → 0); ``"odd-even"``: odd → 1; ``"gt4"``: digit > 4 → 1. The QCNN's :math:`P(|1\rangle)` on
the readout qubit is the probability of label 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class BinaryTask:
    """A binary classification task on digits.

    Attributes:
        name: ``"0,1"``-style pair, ``"odd-even"`` or ``"gt4"``.
        positive: Digits labelled 1.
        negative: Digits labelled 0.
    """

    name: str
    positive: tuple[int, ...]
    negative: tuple[int, ...]

    def select(self, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices of the task's samples and their binary labels (1 = ``positive``).

        Raises:
            ValueError: If no sample belongs to the task.
        """
        pos = torch.isin(labels, torch.tensor(self.positive))
        neg = torch.isin(labels, torch.tensor(self.negative))
        index = torch.nonzero(pos | neg).flatten()
        if len(index) == 0:
            raise ValueError(f"task {self.name!r} selects no samples")
        return index, pos[index].to(torch.int64)


_DIGITS = "0123456789"


def parse_task(name: str) -> BinaryTask:
    """Parses a task name.

    Args:
        name: ``"a,b"`` for two distinct ASCII digits 0–9, ``"odd-even"`` or ``"gt4"``.

    Returns:
        The task.

    Raises:
        ValueError: On anything else, listing the valid forms.

    >>> parse_task("2,3")
    BinaryTask(name='2,3', positive=(2,), negative=(3,))
    """
    if name == "odd-even":
        return BinaryTask(name, (1, 3, 5, 7, 9), (0, 2, 4, 6, 8))
    if name == "gt4":
        return BinaryTask(name, (5, 6, 7, 8, 9), (0, 1, 2, 3, 4))
    parts = [p.strip() for p in name.split(",")] if isinstance(name, str) else []
    if len(parts) == 2 and all(len(p) == 1 and p in _DIGITS for p in parts):
        first, second = (int(p) for p in parts)
        if first != second:
            return BinaryTask(f"{first},{second}", (first,), (second,))
    raise ValueError(
        f"unknown task {name!r}; expected two distinct digits 'a,b' written with ASCII 0-9 (e.g. '0,1'), "
        "'odd-even' or 'gt4'"
    )
