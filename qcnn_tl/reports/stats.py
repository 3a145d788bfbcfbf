r"""The statistics every report shows: mean and sample standard deviation of accuracies over repetitions.

For values :math:`a_1, \dots, a_n`

.. math::

    \bar a = \frac1n \sum_i a_i, \qquad s = \Big(\frac{1}{n-1} \sum_i (a_i - \bar a)^2\Big)^{1/2}

(Bessel's correction, ``ddof=1``, as :func:`statistics.stdev`), with :math:`s = 0` for a single value. Tables
show both in percent as ``"92.00 ± 2.83"``.

>>> MeanStd.of([0.90, 0.94]).percent()
'92.00 ± 2.83'
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MeanStd:
    """The mean and spread of a sample (see the module docstring).

    Attributes:
        mean: The arithmetic mean.
        std: The sample standard deviation (``ddof=1``); 0 for a single value.
        n: How many values.
    """

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> MeanStd:
        """The statistics of ``values``.

        Raises:
            ValueError: If ``values`` is empty.
        """
        sample = tuple(values)
        if not sample:
            raise ValueError("values must hold at least one number; got none")
        std = statistics.stdev(sample) if len(sample) > 1 else 0.0
        return cls(statistics.fmean(sample), std, len(sample))

    def percent(self, *, signed: bool = False) -> str:
        """``"92.00 ± 2.83"``: both in percent with two decimals; ``signed`` puts a sign on the mean."""
        return f"{100 * self.mean:{'+' if signed else ''}.2f} ± {100 * self.std:.2f}"


def pooled_std(samples: Iterable[Sequence[float]]) -> float:
    r"""The pooled standard deviation of equally weighted samples, :math:`(\frac1k \sum_j s_j^2)^{1/2}`.

    Each :math:`s_j^2` is a sample variance (``ddof=1``), so every sample needs two values or more.

    Raises:
        ValueError: If there are no samples, or a sample has fewer than two values.
    """
    groups = [tuple(sample) for sample in samples]
    if not groups or any(len(sample) < 2 for sample in groups):
        raise ValueError(f"samples must be one or more of two values or more; got sizes {[len(s) for s in groups]}")
    return statistics.fmean(statistics.variance(sample) for sample in groups) ** 0.5
