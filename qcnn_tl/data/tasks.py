r"""Tasks by class: binary pairs, one-vs-rest, groups, the digit tasks, and k-class tasks (docs/method.md, *Tasks*).

A binary task names two groups of a dataset's classes, ``"A,B"``; the first group is label 1, the reference
code's convention (``"0,1"``: digit 0 → 1, digit 1 → 0). The QCNN's :math:`P(|1\rangle)` on the readout qubit is the
probability of label 1. A class is its index or its name (case-insensitive, spaces and underscores alike:
``"ankle_boot"`` is Fashion-MNIST's ``"Ankle boot"``):

* ``"A,B"``: class A against class B (``"0,1"``, ``"sandal,ankle boot"``);
* ``"A,rest"``: one against every other class;
* ``"A+B,C+D"``: groups of classes;
* ``"odd-even"`` (odd → 1) and ``"gt4"`` (digit > 4 → 1): on datasets of the ten digits.

A task of :math:`k > 2` groups, ``"A,B,C,…"`` (or ``"all"``: every class of the dataset), is a
:class:`ClassTask`: group :math:`i` is label :math:`i`, read out by the k-class readout
(docs/explanation/multiclass.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

__all__ = ["DIGITS", "BinaryTask", "ClassTask", "Task", "parse_task"]

DIGITS: tuple[str, ...] = tuple(str(d) for d in range(10))
"""The classes of a digit dataset as tasks name them (MNIST's own names are ``"0 - zero"``, …)."""


@dataclass(frozen=True)
class BinaryTask:
    """A binary classification task on a dataset's classes.

    Attributes:
        name: The task as written (``"0,1"``, ``"sandal,rest"``).
        positive: Class indices labelled 1.
        negative: Class indices labelled 0.
    """

    name: str
    positive: tuple[int, ...]
    negative: tuple[int, ...]

    @property
    def num_classes(self) -> int:
        """2."""
        return 2

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

    def describe(self, classes: Sequence[str]) -> str:
        """The task in class names: ``"Sandal (1) vs Ankle boot (0)"``."""

        def group(indices: tuple[int, ...]) -> str:
            return " + ".join(classes[i] for i in indices)

        return f"{group(self.positive)} (1) vs {group(self.negative)} (0)"


@dataclass(frozen=True)
class ClassTask:
    """A classification task of :math:`k > 2` groups of a dataset's classes; group ``i`` is label ``i``.

    Attributes:
        name: The task as written (``"0,1,2,3"``, ``"all"``).
        groups: Class indices of each label, in label order.
    """

    name: str
    groups: tuple[tuple[int, ...], ...]

    @property
    def num_classes(self) -> int:
        """Number of labels :math:`k`."""
        return len(self.groups)

    def select(self, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices of the task's samples and their labels (``i`` for a class of ``groups[i]``).

        Raises:
            ValueError: If no sample belongs to the task.
        """
        lookup = torch.full((int(labels.max()) + 1 if len(labels) else 1,), -1, dtype=torch.int64)
        for label, group in enumerate(self.groups):
            for c in group:
                if c < len(lookup):
                    lookup[c] = label
        mapped = lookup[labels.to(torch.int64)] if len(labels) else labels.to(torch.int64)
        index = torch.nonzero(mapped >= 0).flatten()
        if len(index) == 0:
            raise ValueError(f"task {self.name!r} selects no samples")
        return index, mapped[index]

    def describe(self, classes: Sequence[str]) -> str:
        """The task in class names: ``"0 - zero (0) vs 1 - one (1) vs 2 - two (2)"``."""
        return " vs ".join(
            f"{' + '.join(classes[i] for i in group)} ({label})" for label, group in enumerate(self.groups)
        )


Task = BinaryTask | ClassTask
"""A task of two groups (:class:`BinaryTask`) or more (:class:`ClassTask`)."""


def _normal(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _is_digit_dataset(classes: Sequence[str]) -> bool:
    return len(classes) == 10 and all(c.split(" ")[0] == str(i) for i, c in enumerate(classes))


def parse_task(name: str, classes: Sequence[str] | None = None) -> Task:
    """Parses a task against a dataset's classes.

    Args:
        name: ``"A,B"``, ``"A,rest"`` or ``"A+B,C+D"`` by class index or name, or ``"odd-even"`` / ``"gt4"``
            on a digit dataset: a :class:`BinaryTask`; ``"A,B,C,…"`` (three or more groups, ``+`` joins
            classes within one) or ``"all"`` (every class of the dataset): a :class:`ClassTask`.
        classes: The dataset's class names by index; ``None``: the ten digits (MNIST).

    Returns:
        The task, its groups as class indices.

    Raises:
        ValueError: On a malformed task, a class the dataset does not have (listing its classes), a class
            named twice, or ``rest`` in a task of more than two groups.

    >>> parse_task("2,3")
    BinaryTask(name='2,3', positive=(2,), negative=(3,))
    >>> parse_task("sandal, ankle_boot", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
    ...                                    "Shirt", "Sneaker", "Bag", "Ankle boot"])
    BinaryTask(name='sandal,ankle_boot', positive=(5,), negative=(9,))
    >>> parse_task("0,1,2,3")
    ClassTask(name='0,1,2,3', groups=((0,), (1,), (2,), (3,)))
    """
    classes = DIGITS if classes is None else tuple(classes)
    if not isinstance(name, str):
        raise ValueError(f"task must be a string such as '0,1'; got {name!r}")
    digits = _is_digit_dataset(classes)
    if name in ("odd-even", "gt4"):
        if not digits:
            raise ValueError(f"task {name!r} needs a dataset of the ten digits; this one has classes {list(classes)}")
        odd, high = (1, 3, 5, 7, 9), (5, 6, 7, 8, 9)
        positive: tuple[int, ...] = odd if name == "odd-even" else high
        return BinaryTask(name, positive, tuple(d for d in range(10) if d not in positive))
    if name.strip().casefold() == "all":
        if len(classes) < 2:
            raise ValueError(f"task 'all' needs a dataset of two or more classes; this one has {list(classes)}")
        if len(classes) == 2:
            return BinaryTask("all", (0,), (1,))
        return ClassTask("all", tuple((i,) for i in range(len(classes))))
    groups = [part.strip() for part in name.split(",")]
    form = "'A,B', 'A,rest' or 'A+B,C+D' by class index or name" + (", 'odd-even' or 'gt4'" if digits else "")
    form += ", 'A,B,C,…' or 'all'"
    if len(groups) < 2 or not all(groups) or groups[0].casefold() == "rest":
        raise ValueError(f"unknown task {name!r}; expected {form}")
    if len(groups) > 2 and any(g.casefold() == "rest" for g in groups):
        raise ValueError(f"task {name!r}: 'rest' is for binary tasks ('A,rest'); name every class of a k-class task")
    lookup = {_normal(c): i for i, c in enumerate(classes)}
    if digits:
        lookup |= {_normal(c.split(" - ")[-1]): i for i, c in enumerate(classes)}

    def resolve(token: str) -> int:
        token = token.strip()
        if token.isascii() and token.isdigit() and not (len(token) > 1 and token.startswith("0")):
            if int(token) < len(classes):
                return int(token)
        elif _normal(token) in lookup:
            return lookup[_normal(token)]
        raise ValueError(f"task {name!r}: no class {token!r}; the dataset's classes are: {', '.join(classes)}")

    canonical = ",".join("+".join(token.strip() for token in group.split("+")) for group in groups)
    if len(groups) > 2:
        resolved = tuple(tuple(resolve(t) for t in group.split("+")) for group in groups)
        chosen = [c for group in resolved for c in group]
        if len(set(chosen)) != len(chosen):
            twice = sorted({classes[c] for c in chosen if chosen.count(c) > 1})
            raise ValueError(f"task {name!r} names a class twice: {', '.join(twice)}")
        return ClassTask(canonical, resolved)
    positive = tuple(resolve(t) for t in groups[0].split("+"))
    if groups[1].casefold() == "rest":
        negative = tuple(i for i in range(len(classes)) if i not in positive)
    else:
        negative = tuple(resolve(t) for t in groups[1].split("+"))
    chosen_pair = positive + negative
    if len(set(chosen_pair)) != len(chosen_pair) or not negative:
        raise ValueError(
            f"unknown task {name!r}: it names a class twice (or leaves no class for label 0); expected {form}"
        )
    return BinaryTask(canonical, positive, negative)
