r"""``qcnn-tl summarize``: a sweep's results in the paper's layout, beside the paper's known numbers.

Per (encoding, model, task) the mean ± sample standard deviation of the test accuracy over repetitions;
models in the order of the paper's figure (by ansatz, i.e. by weight count; ZX, generalised, no pooling);
the C2C heads beside the paper's C2C lines with the difference; and the paper's headline claim tested per
task: does the best C2Q model beat both C2C heads, by how much, and is that margin larger than the spread
over repetitions (the larger of the two standard deviations)?
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from qcnn_tl._io import check_writable, read_json_object
from qcnn_tl.c2c.heads import REFERENCE_WIDTH
from qcnn_tl.c2c.training import C2CConfig
from qcnn_tl.circuits import ANSATZES, POOLINGS
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.reports.cnn_seeds import cnn_seed_markdown
from qcnn_tl.reports.noise_table import noise_bars, noise_markdown, noise_plot
from qcnn_tl.reports.paper import PAPER_C2C
from qcnn_tl.reports.stats import MeanStd
from qcnn_tl.results import RunResult
from qcnn_tl.sweep.grid import grid_from_dict, group_file_name, read_result, run_group
from qcnn_tl.training.config import TrainConfig

_CSV_COLUMNS = (
    *("group", "model", "ansatz_or_head", "pooling", "task", "num_weights", "n"),
    *("mean", "std", "min", "max", "paper_mean", "mean_minus_paper"),
)
_POOLING_LABEL = {"zx": "ZX", "generalized": "generalised", "none": "none"}


@dataclass(frozen=True)
class Cell:
    """The repetitions of one model on one task.

    Attributes:
        group: ``"c2c"``, or the key of a QCNN's :class:`~qcnn_tl.training.conditions.RunCondition`: the encoding,
            ``"<encoding>@<device>[ x<scale>]"`` for a QCNN trained under noise, ``"<encoding>@<backend>"`` for one
            trained with an estimator in the loop.
        model: ``(ansatz, pooling)`` for a QCNN, ``(head, "")`` for a C2C head, ``("1d", "width <w>")`` for a
            1D head of another pooled width than the reference's.
        task: The task.
        num_weights: Trainable weights.
        accuracies: Test accuracy per repetition (under the training noise, for a noise-trained QCNN).
        noisy: Test accuracy per repetition under other noise conditions, by the key of their
            :class:`~qcnn_tl.training.conditions.NoiseCondition` (``"fake_brisbane"``, ``"fake_brisbane x2"``),
            where the sweep evaluated them.
        cnn_seeds: The seed of the pre-trained CNN of each repetition (parallel to ``accuracies``).
        dataset: The source of the runs' samples (``"mnist"``).
        classes: The class name of each label, ``classes[i]`` for label ``i`` (from the runs' task description).
        confusion: The test confusion counts summed over the repetitions, ``confusion[i][j]``: samples of class
            ``i`` predicted ``j``; ``None`` unless every repetition recorded its own.
    """

    group: str
    model: tuple[str, str]
    task: str
    num_weights: int
    accuracies: tuple[float, ...]
    noisy: dict[str, tuple[float, ...]] = field(default_factory=dict)
    cnn_seeds: tuple[int, ...] = ()
    dataset: str = "mnist"
    classes: tuple[str, ...] = ()
    confusion: tuple[tuple[int, ...], ...] | None = None

    @property
    def n(self) -> int:
        """Repetitions."""
        return len(self.accuracies)

    @property
    def stats(self) -> MeanStd:
        """Mean and sample standard deviation of the test accuracy (0 for one repetition)."""
        return MeanStd.of(self.accuracies)

    @property
    def mean(self) -> float:
        """Mean test accuracy."""
        return self.stats.mean

    @property
    def std(self) -> float:
        """Sample standard deviation (0 for one repetition)."""
        return self.stats.std

    @property
    def label(self) -> str:
        """``"U_SU4 / ZX"`` or ``"C2C 1D"``."""
        if self.group == "c2c":
            return f"C2C {self.model[0].upper()}" + (f", {self.model[1]}" if self.model[1] else "")
        return f"{self.model[0]} / {_POOLING_LABEL[self.model[1]]}"

    @property
    def paper(self) -> float | None:
        """The paper's mean for this cell, where known (the reference C2C heads only)."""
        reference = self.group == "c2c" and not self.model[1]
        return PAPER_C2C.get(self.model[0], {}).get(self.task) if reference else None


@dataclass(frozen=True)
class Verdict:
    """The headline claim on one task and encoding: best C2Q model against the C2C heads."""

    group: str
    task: str
    best: Cell
    c2c: dict[str, Cell]

    @property
    def strongest_c2c(self) -> Cell:
        """The C2C head with the higher mean."""
        return max(self.c2c.values(), key=lambda c: c.mean)

    @property
    def margin(self) -> float:
        """Best C2Q mean minus the stronger C2C mean."""
        return self.best.mean - self.strongest_c2c.mean

    @property
    def spread(self) -> float:
        """The larger standard deviation over repetitions of the two."""
        return max(self.best.std, self.strongest_c2c.std)

    @property
    def paper_margin(self) -> float | None:
        """Best C2Q mean minus the paper's stronger C2C mean, where known."""
        values = [PAPER_C2C[h][self.task] for h in PAPER_C2C if self.task in PAPER_C2C[h]]
        return self.best.mean - max(values) if values else None

    @property
    def answer(self) -> str:
        """``"yes"`` (beats both, margin > spread), ``"within spread"`` or ``"no"``."""
        if self.margin <= 0:
            return "no"
        return "yes" if self.margin > self.spread else "within spread"


def _record_key(config: TrainConfig | C2CConfig) -> tuple[str, tuple[str, str], str]:
    if isinstance(config, C2CConfig):
        model = (config.head, "" if config.width == REFERENCE_WIDTH else f"width {config.width}")
    else:
        model = (config.ansatz, config.pooling)
    return run_group(config), model, config.task


@dataclass(frozen=True)
class SweepResults:
    """The runs of a sweep folder that a summary counts.

    Attributes:
        cells: The counted runs, one cell per model, encoding and task, in the paper's order.
        ignored: Result files under ``runs/`` that are not runs of the sweep's configuration (``sweep.json``),
            e.g. repetitions left over from an earlier sweep with more of them, as ``(path, reason)``.
        missing: Runs of the sweep's grid that have no result yet.
        has_grid: Whether the folder holds ``sweep.json`` (without it, every result file counts).
    """

    cells: list[Cell]
    ignored: tuple[tuple[Path, str], ...] = ()
    missing: int = 0
    has_grid: bool = True


def _expected_runs(root: Path) -> dict[Path, dict[str, Any]] | None:
    """Result path → the config it must record, for every run of ``root/sweep.json`` (None without one)."""
    description = root / "sweep.json"
    if not description.exists():
        return None
    grid = grid_from_dict(read_json_object(description, "a sweep description"), source=str(description))
    return {root / u.result_path(seed): u.config_for(seed) for u in grid.units() for seed in u.seeds}


def load_results(sweep_dir: str | os.PathLike[str]) -> SweepResults:
    """Reads exactly the runs of a sweep's configuration into cells.

    The configuration is the folder's ``sweep.json``, which each ``qcnn-tl sweep`` rewrites: a result file
    counts only if it is one of that grid's runs and records that run's configuration. Any other
    ``runs/**/seed*.json`` is listed in :attr:`SweepResults.ignored`. A folder without ``sweep.json``
    (results gathered by hand) counts every result file.

    Raises:
        QcnnTlError: If the folder holds no results to count, or a counted file is not a run result.
        ValueError: If ``sweep.json`` is not a valid sweep description.
    """
    root = Path(sweep_dir)
    files = sorted(root.glob("runs/**/seed*.json"))
    expected = _expected_runs(root)
    ignored: list[tuple[Path, str]] = []
    counted: list[RunResult[TrainConfig] | RunResult[C2CConfig]] = []
    for file in files:
        if expected is not None and file not in expected:
            ignored.append((file, "not a run of the grid in sweep.json"))
            continue
        result = read_result(file)
        if expected is not None and result.config.to_dict() != expected[file]:
            ignored.append((file, "records another configuration than sweep.json"))
            continue
        counted.append(result)
    if not counted:
        raise QcnnTlError(
            f"{sweep_dir} holds no sweep results (runs/**/seed*.json)"
            + (f"; {len(ignored)} result files are not runs of its sweep.json" if ignored else "")
        )
    accuracies: dict[tuple[str, tuple[str, str], str], list[float]] = defaultdict(list)
    noisy: dict[tuple[str, tuple[str, str], str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    weights: dict[tuple[str, tuple[str, str], str], int] = {}
    cnns: dict[tuple[str, tuple[str, str], str], list[int]] = defaultdict(list)
    sources: dict[tuple[str, tuple[str, str], str], tuple[str, tuple[str, ...]]] = {}
    confusions: dict[tuple[str, tuple[str, str], str], list[list[list[int]]]] = defaultdict(list)
    for result in counted:
        key = _record_key(result.config)
        accuracies[key].append(result.test_accuracy)
        cnns[key].append(result.config.cnn_seed)
        for condition, value in result.noisy_test_accuracy.items():
            noisy[key][condition].append(value)
        weights[key] = result.model.num_weights
        sources[key] = (result.config.dataset, class_names(result.source.task))
        if result.confusion is not None:
            confusions[key].append(result.confusion)
    cells = sorted(
        (
            Cell(
                *key,
                weights[key],
                tuple(a),
                {c: tuple(v) for c, v in noisy[key].items() if len(v) == len(a)},
                tuple(cnns[key]),
                *sources[key],
                _summed(confusions[key]) if len(confusions[key]) == len(a) else None,
            )
            for key, a in accuracies.items()
        ),
        key=_order,
    )
    missing = 0 if expected is None else len(expected) - len(counted)
    return SweepResults(cells, tuple(ignored), missing, has_grid=expected is not None)


def class_names(description: str) -> tuple[str, ...]:
    """The class name of each label from a task description (``"Sandal (1) vs Ankle boot (0)"``): by label.

    >>> class_names("Sandal (1) vs Ankle boot (0)")
    ('Ankle boot', 'Sandal')
    """
    named = {}
    for part in description.split(" vs "):
        name, _, label = part.rpartition(" (")
        if not (name and label.endswith(")") and label[:-1].isdigit()):
            return ()
        named[int(label[:-1])] = name
    return tuple(named[i] for i in range(len(named))) if set(named) == set(range(len(named))) else ()


def _summed(matrices: list[list[list[int]]]) -> tuple[tuple[int, ...], ...] | None:
    """The element-wise sum of confusion matrices of one size (``None`` if their sizes differ)."""
    if len({(len(m), *map(len, m)) for m in matrices}) != 1:
        return None
    return tuple(tuple(sum(column) for column in zip(*rows, strict=True)) for rows in zip(*matrices, strict=True))


def _order(cell: Cell) -> tuple[Any, ...]:
    if cell.group == "c2c":
        return (1, cell.group, cell.model, cell.task)
    ansatz, pooling = cell.model
    return (0, cell.group, list(ANSATZES).index(ansatz), list(POOLINGS).index(pooling), cell.task)


def verdicts(cells: list[Cell]) -> list[Verdict]:
    """The headline claim per encoding and task (where both C2Q and reference C2C results exist)."""
    c2c: dict[str, dict[str, Cell]] = defaultdict(dict)
    for cell in cells:
        if cell.group == "c2c" and not cell.model[1]:
            c2c[cell.task][cell.model[0]] = cell
    best: dict[tuple[str, str], Cell] = {}
    for cell in cells:
        key = (cell.group, cell.task)
        if cell.group != "c2c" and (key not in best or cell.mean > best[key].mean):
            best[key] = cell
    return [Verdict(g, t, b, c2c[t]) for (g, t), b in best.items() if c2c.get(t)]


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def markdown(cells: list[Cell]) -> str:
    """The summary as Markdown: one table per encoding, the C2C table, the headline verdicts."""
    tasks = sorted({c.task for c in cells})
    lines: list[str] = []
    for group in dict.fromkeys(c.group for c in cells if c.group != "c2c"):
        lines += [f"### C2Q, {group} encoding: test accuracy (%), mean ± std over repetitions", ""]
        lines += [
            "| model | weights | " + " | ".join(t.replace(",", " vs ") for t in tasks) + " |",
            "|---|---:|" + "---:|" * len(tasks),
        ]
        rows: dict[tuple[str, str], dict[str, Cell]] = defaultdict(dict)
        for cell in cells:
            if cell.group == group:
                rows[cell.model][cell.task] = cell
        for row in rows.values():
            first = next(iter(row.values()))
            values = [f"{row[t].stats.percent()} (n={row[t].n})" if t in row else "" for t in tasks]
            lines.append(f"| {first.label} | {first.num_weights} | " + " | ".join(values) + " |")
        lines.append("")
    c2c = [c for c in cells if c.group == "c2c"]
    if c2c:
        lines += ["### C2C heads: ours beside the paper's (test accuracy, %)", ""]
        lines += ["| head | weights | task | ours (mean ± std) | paper | ours − paper | beyond 1 std |"]
        lines += ["|---|---:|---|---:|---:|---:|---|"]
        for cell in c2c:
            paper = cell.paper
            diff = "" if paper is None else f"{100 * (cell.mean - paper):+.2f}"
            beyond = "" if paper is None else ("yes" if abs(cell.mean - paper) > cell.std else "no")
            shown = "?" if paper is None else _pct(paper)
            lines.append(
                f"| {cell.label} | {cell.num_weights} | {cell.task} | {cell.stats.percent()} "
                f"(n={cell.n}) | {shown} | {diff} | {beyond} |"
            )
        lines.append("")
    found = verdicts(cells)
    if found:
        lines += ["### Headline claim: does the best C2Q model beat both C2C heads?", ""]
        lines += [
            "| encoding | task | best C2Q model (weights) | C2Q | C2C 1D | C2C 2D | margin | spread | beats both "
            "by more than the spread? | margin over paper's C2C |",
            "|---|---|---|---:|---:|---:|---:|---:|---|---:|",
        ]
        for v in found:
            heads = [v.c2c[h].stats.percent() if h in v.c2c else "" for h in ("1d", "2d")]
            over_paper = "" if v.paper_margin is None else f"{100 * v.paper_margin:+.2f}"
            lines.append(
                f"| {v.group} | {v.task} | {v.best.label} ({v.best.num_weights}) | {v.best.stats.percent()} | "
                f"{heads[0]} | {heads[1]} | {100 * v.margin:+.2f} | {_pct(v.spread)} | "
                f"{v.answer} | {over_paper} |"
            )
        lines += [
            "",
            "margin = best C2Q mean − the stronger C2C mean (ours); spread = the larger of their standard "
            "deviations over repetitions.",
            "",
        ]
    return "\n".join(lines)


def write_csv(cells: list[Cell], path: str | os.PathLike[str]) -> Path:
    """One row per cell: group, model, task, weights, n, mean, std, min, max, paper, difference."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(_CSV_COLUMNS)
        for c in cells:
            paper = c.paper
            writer.writerow(
                [c.group, c.label, c.model[0], c.model[1], c.task, c.num_weights, c.n]
                + [f"{v:.6f}" for v in (c.mean, c.std, min(c.accuracies), max(c.accuracies))]
                + (["", ""] if paper is None else [f"{paper:.4f}", f"{c.mean - paper:+.6f}"])
            )
    return out


def plot(cells: list[Cell], group: str, path: str | os.PathLike[str]) -> Path:
    """The paper-style chart: accuracy per ansatz with error bars, one panel per task, C2C levels as lines."""
    tasks = sorted({c.task for c in cells if c.group == group})
    ansatzes = [a for a in ANSATZES if any(c.group == group and c.model[0] == a for c in cells)]
    fig = Figure(figsize=(4.2 * len(tasks), 3.8))
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    offsets = {"zx": -0.15, "generalized": 0.0, "none": 0.15}
    markers = {"zx": "o", "generalized": "s", "none": "^"}
    for ax, task in zip(axes, tasks, strict=True):
        for pooling in POOLINGS:
            series = [c for c in cells if c.group == group and c.task == task and c.model[1] == pooling]
            if series:
                xs = [ansatzes.index(c.model[0]) + 1 + offsets[pooling] for c in series]
                ys = [100 * c.mean for c in series]
                es = [100 * c.std for c in series]
                ax.errorbar(xs, ys, yerr=es, fmt=markers[pooling], ms=4, capsize=2, label=_POOLING_LABEL[pooling])
        for head, style in (("1d", "--"), ("2d", "-")):
            ours = [c for c in cells if c.group == "c2c" and c.task == task and c.model == (head, "")]
            if ours:
                ax.axhline(100 * ours[0].mean, ls=style, color="gray", lw=1, label=f"C2C {head.upper()} (ours)")
            if task in PAPER_C2C[head]:
                ax.axhline(
                    100 * PAPER_C2C[head][task],
                    ls=style,
                    color="tab:red",
                    lw=0.8,
                    alpha=0.6,
                    label=f"C2C {head.upper()} (paper)",
                )
        ax.set_title(f"{task.replace(',', ' vs ')} ({group})")
        ax.set_xticks(range(1, len(ansatzes) + 1), ansatzes, rotation=60, fontsize=7)
        ax.set_xlabel("ansatz")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out


def notes(results: SweepResults, root: str | os.PathLike[str], *, shown: int = 5) -> str:
    """Markdown lines on what the summary leaves out: runs not yet done, result files not counted."""
    lines = []
    if not results.has_grid:
        lines.append("No sweep.json in the folder: every result file under runs/ is counted.")
    if results.missing:
        lines.append(f"{results.missing} runs of the sweep's grid have no result yet (an unfinished sweep).")
    if results.ignored:
        lines.append(
            f"{len(results.ignored)} result files are not counted, as they are not runs of the sweep's "
            "configuration (sweep.json):"
        )
        lines += [f"- {path.relative_to(root)}: {reason}" for path, reason in results.ignored[:shown]]
        if len(results.ignored) > shown:
            lines.append(f"- and {len(results.ignored) - shown} more")
    return "\n".join(lines) + "\n" if lines else ""


def summarize(sweep_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Writes ``summary.md``, ``summary.csv`` and one ``summary_<encoding>.png`` per encoding.

    With noisy results also the noise table (:mod:`qcnn_tl.reports.noise_table`), ``summary_noise.png``
    and, with several noise scales, ``summary_noise_scale.png``; with runs on several CNNs (``cnn_seeds``) the
    variance by source and the paired C2Q-vs-C2C verdict (:mod:`qcnn_tl.reports.cnn_seeds`).

    Only the runs of the sweep's configuration count (see :func:`load_results`); the Markdown ends with a
    note on runs not done yet and result files not counted.

    Args:
        sweep_dir: The sweep folder.
        out_dir: Where to write (default: ``sweep_dir``).

    Returns:
        ``{"markdown": text, "files": [paths], "verdicts": [...], "ignored": [paths], "missing": count}``.

    Raises:
        QcnnTlError: If the folder holds no results, or a counted file is not a run result.
        ValueError: If ``sweep.json`` is not a valid sweep description, or ``out_dir`` cannot be written.
    """
    results = load_results(sweep_dir)
    cells = results.cells
    out = check_writable(out_dir or sweep_dir, "summary folder", folder=True)
    text = "\n".join(part for part in (markdown(cells), noise_markdown(cells), cnn_seed_markdown(cells)) if part)
    note = notes(results, sweep_dir)
    if note:
        text = f"{text}\n{note}" if text.endswith("\n") else f"{text}\n\n{note}"
    md = out / "summary.md"
    md.write_text(text)
    files = [md, write_csv(cells, out / "summary.csv")]
    for group in dict.fromkeys(c.group for c in cells if c.group != "c2c"):
        files.append(plot(cells, group, out / f"summary_{group_file_name(group)}.png"))
    for chart in (noise_bars(cells, out / "summary_noise.png"), noise_plot(cells, out / "summary_noise_scale.png")):
        if chart is not None:
            files.append(chart)
    found = [
        {
            "encoding": v.group,
            "task": v.task,
            "best": v.best.label,
            "margin": v.margin,
            "spread": v.spread,
            "answer": v.answer,
        }
        for v in verdicts(cells)
    ]
    return {
        "markdown": text,
        "files": [str(f) for f in files],
        "verdicts": found,
        "ignored": [str(path) for path, _ in results.ignored],
        "missing": results.missing,
    }
