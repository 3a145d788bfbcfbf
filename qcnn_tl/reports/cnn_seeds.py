r"""The variance a CNN draw adds, and C2Q against C2C paired on the same CNN (a sweep with ``cnn_seeds``).

The paper pre-trains one CNN and repeats only the QCNN's initialisation. With runs on :math:`C` CNNs
(seeds :math:`c`) and :math:`R` repetitions on each, a cell's accuracies :math:`a_{cr}` split as

.. math::

    \bar a_c = \frac1R \sum_r a_{cr}, \qquad
    s_\text{between} = \operatorname{std}_c \bar a_c, \qquad
    s_\text{within} = \Big(\frac1C \sum_c \operatorname{var}_r a_{cr}\Big)^{1/2},

the spread of the per-CNN means (the CNN draw) and the pooled spread over repetitions on one CNN (what the
paper reports). The paired verdict compares the best C2Q model with the stronger C2C head on each CNN,
:math:`d_c = \bar a_c^\text{C2Q} - \bar a_c^\text{C2C}`, and reports the mean and spread of :math:`d_c`
and on how many CNNs C2Q wins: the C2Q-vs-C2C claim with the CNN draw's variance in it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qcnn_tl.reports.paper import PAPER_C2C
from qcnn_tl.reports.stats import MeanStd, pooled_std

if TYPE_CHECKING:
    from qcnn_tl.reports.summary import Cell


def per_cnn(cell: Cell) -> dict[int, tuple[float, ...]]:
    """The cell's accuracies per CNN seed, in seed order."""
    out: dict[int, list[float]] = defaultdict(list)
    for seed, accuracy in zip(cell.cnn_seeds, cell.accuracies, strict=True):
        out[seed].append(accuracy)
    return {seed: tuple(out[seed]) for seed in sorted(out)}


def cnn_means(cell: Cell) -> dict[int, float]:
    """Mean accuracy per CNN seed."""
    return {seed: MeanStd.of(values).mean for seed, values in per_cnn(cell).items()}


@dataclass(frozen=True)
class Spread:
    """The two sources of variance of one cell (see the module docstring).

    Attributes:
        cell: The cell.
        means: Mean accuracy per CNN seed.
        between: Standard deviation of the per-CNN means.
        within: Pooled standard deviation over repetitions on one CNN.
    """

    cell: Cell
    means: dict[int, float]
    between: float
    within: float

    @property
    def paper_position(self) -> str:
        """Where the paper's single-CNN mean sits among the per-CNN means ("" where the paper's is unknown)."""
        paper = self.cell.paper
        if paper is None:
            return ""
        below = sum(m < paper for m in self.means.values())
        if below == len(self.means):
            return "above every CNN"
        if below == 0:
            return "below every CNN"
        return f"above {below} of {len(self.means)} CNNs"


def spread(cell: Cell) -> Spread | None:
    """The cell's variance split by source, or None with fewer than two CNNs or a CNN with one repetition."""
    groups = per_cnn(cell)
    if len(groups) < 2 or any(len(v) < 2 for v in groups.values()):
        return None
    means = cnn_means(cell)
    return Spread(cell, means, MeanStd.of(means.values()).std, pooled_std(groups.values()))


@dataclass(frozen=True)
class PairedVerdict:
    """C2Q against C2C on each CNN, for one encoding and task.

    Attributes:
        group: The encoding (or noise group) of the C2Q runs.
        task: The task.
        c2q: The best C2Q model (highest mean over every CNN and repetition).
        c2c: The stronger C2C head (same criterion).
        differences: Per CNN seed, mean C2Q accuracy minus mean C2C accuracy on that CNN.
    """

    group: str
    task: str
    c2q: Cell
    c2c: Cell
    differences: dict[int, float]

    @property
    def stats(self) -> MeanStd:
        """Mean and sample standard deviation of the per-CNN differences."""
        return MeanStd.of(self.differences.values())

    @property
    def mean(self) -> float:
        """Mean of the per-CNN differences."""
        return self.stats.mean

    @property
    def std(self) -> float:
        """Sample standard deviation of the per-CNN differences."""
        return self.stats.std

    @property
    def wins(self) -> int:
        """CNNs on which C2Q has the higher mean."""
        return sum(d > 0 for d in self.differences.values())

    @property
    def answer(self) -> str:
        """Does C2Q beat C2C: ``"yes"``, ``"on every CNN, within the spread"``, ``"no"``, ``"depends on the CNN"``.

        ``"yes"``: it wins on every CNN, with a mean difference above the standard deviation of the differences;
        ``"on every CNN, within the spread"``: it wins on every CNN by less; ``"no"``: it wins on none.
        """
        n = len(self.differences)
        if self.wins == n:
            return "yes" if self.mean > self.std else "on every CNN, within the spread"
        if self.wins == 0:
            return "no"
        return "depends on the CNN"


def paired_verdicts(cells: list[Cell]) -> list[PairedVerdict]:
    """Per encoding and task: the best C2Q model against the stronger C2C head, CNN by CNN.

    Only CNN seeds that both cells ran count; a pair needs at least two.
    """
    heads: dict[str, list[Cell]] = defaultdict(list)
    best: dict[tuple[str, str], Cell] = {}
    for cell in cells:
        if cell.group == "c2c":
            heads[cell.task].append(cell)
        elif (cell.group, cell.task) not in best or cell.mean > best[cell.group, cell.task].mean:
            best[cell.group, cell.task] = cell
    out = []
    for (group, task), c2q in best.items():
        if not heads.get(task):
            continue
        c2c = max(heads[task], key=lambda c: c.mean)
        q, c = cnn_means(c2q), cnn_means(c2c)
        shared = sorted(set(q) & set(c))
        if len(shared) >= 2:
            out.append(PairedVerdict(group, task, c2q, c2c, {s: q[s] - c[s] for s in shared}))
    return out


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def cnn_seed_markdown(cells: list[Cell]) -> str:
    """The CNN-draw tables (empty unless some cell ran on two or more CNNs with repetitions on each)."""
    spreads = [s for s in map(spread, cells) if s is not None]
    if not spreads:
        return ""
    lines = [
        "### Two sources of variance: the CNN draw and the QCNN initialisation (test accuracy, %)",
        "",
        "| group | model | task | CNNs × reps | mean ± total std | per-CNN means | between CNNs | within a CNN "
        "| paper (one CNN) |",
        "|---|---|---|---:|---:|---|---:|---:|---|",
    ]
    for s in spreads:
        cell = s.cell
        reps = len(cell.accuracies) // len(s.means)
        paper = "" if cell.paper is None else f"{_pct(cell.paper)}: {s.paper_position}"
        lines.append(
            f"| {cell.group} | {cell.label} | {cell.task} | {len(s.means)} × {reps} | {cell.stats.percent()} | "
            f"{' / '.join(_pct(m) for m in s.means.values())} | {_pct(s.between)} | "
            f"{_pct(s.within)} | {paper} |"
        )
    lines += [
        "",
        "between CNNs = std of the per-CNN means; within a CNN = pooled std over repetitions on one CNN (the "
        "spread the paper reports); total std = over every run.",
        "",
    ]
    paired = paired_verdicts(cells)
    if paired:
        lines += [
            "### C2Q against C2C on the same CNN",
            "",
            "| encoding | task | C2Q model | C2C head | C2Q − C2C per CNN | mean ± std | CNNs where C2Q wins "
            "| C2Q beats C2C? | C2Q − paper's C2C |",
            "|---|---|---|---|---|---:|---:|---|---:|",
        ]
        for v in paired:
            per = " / ".join(f"{100 * d:+.2f}" for d in v.differences.values())
            known = [PAPER_C2C[h][v.task] for h in PAPER_C2C if v.task in PAPER_C2C[h]]
            over_paper = f"{100 * (v.c2q.mean - max(known)):+.2f}" if known else ""
            lines.append(
                f"| {v.group} | {v.task} | {v.c2q.label} | {v.c2c.label} | {per} | {v.stats.percent(signed=True)} | "
                f"{v.wins} of {len(v.differences)} | {v.answer} | {over_paper} |"
            )
        lines += [
            "",
            "C2Q model and C2C head: the highest mean over every CNN and repetition; yes = C2Q wins on every CNN "
            "and the mean difference exceeds its spread over CNNs.",
            "",
        ]
    return "\n".join(lines)
