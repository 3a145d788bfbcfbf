r"""A sweep's QCNNs under device noise: how each model was trained against how it was evaluated.

Rows are (model, task, training condition): ``ideal`` (noiseless training) or a fake device, possibly with
its error rates scaled (``fake_brisbane x2``). Columns are evaluation conditions: ``ideal`` (the exact
engine) and every device and scale the sweep evaluated (the noisy engine). A noise-trained run's own
condition is its test accuracy. The questions it answers: how much does a device's noise cost an
ideal-trained model (ideal column → device column), and does training under that noise win any of it back
(ideal-trained row → noise-trained row, same column)?
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from qcnn_tl.reports.stats import MeanStd
from qcnn_tl.training.conditions import NoiseCondition, RunCondition

if TYPE_CHECKING:
    from qcnn_tl.reports.summary import Cell

_Row = tuple[str, tuple[str, str], str, RunCondition]  # encoding, model, task, training condition


def _order(condition: NoiseCondition) -> tuple[bool, str, float]:
    return condition.device is not None, condition.device or "", condition.scale


def _training_order(run: RunCondition) -> tuple[bool, str, float]:
    """Noiseless first, then by device (or backend) and scale."""
    return run.engine != "exact", run.backend or run.noise.device or "", run.noise.scale


def conditions(cells: list[Cell]) -> dict[_Row, dict[NoiseCondition, tuple[float, ...]]]:
    """Test accuracies per repetition by row and evaluation condition (QCNN cells only)."""
    table: dict[_Row, dict[NoiseCondition, tuple[float, ...]]] = defaultdict(dict)
    for cell in cells:
        if cell.group == "c2c":
            continue
        run = RunCondition.parse(cell.group)
        row = (run.encoding, cell.model, cell.task, run)
        table[row][run.evaluated_under] = cell.accuracies
        for key, accuracies in cell.noisy.items():
            table[row].setdefault(NoiseCondition.parse(key), accuracies)
    return table


def _stat(values: tuple[float, ...] | None) -> str:
    """``"92.00 ± 2.83"``, or empty where there are no values."""
    return MeanStd.of(values).percent() if values else ""


def noise_markdown(cells: list[Cell]) -> str:
    """The table as Markdown, one per encoding; empty when the sweep has no noisy results."""
    table = conditions(cells)
    if all(set(columns) == {NoiseCondition()} for columns in table.values()):
        return ""
    lines: list[str] = []
    for encoding in dict.fromkeys(row[0] for row in table):
        rows = {row: columns for row, columns in table.items() if row[0] == encoding}
        evaluated = sorted({c for columns in rows.values() for c in columns}, key=_order)
        lines += [f"### Under device noise, {encoding} encoding: test accuracy (%), mean ± std over repetitions", ""]
        lines += ["| model | task | trained | " + " | ".join(f"evaluated {c.key}" for c in evaluated) + " |"]
        lines += ["|---|---|---|" + "---:|" * len(evaluated)]
        ordered = sorted(rows, key=lambda r: (r[1], r[2], _training_order(r[3])))
        for row in ordered:
            model = f"{row[1][0]} / {row[1][1]}"
            values = " | ".join(_stat(rows[row].get(c)) for c in evaluated)
            lines.append(f"| {model} | {row[2]} | {row[3].training} | {values} |")
        lines.append("")
    lines += [
        "Evaluated under a device: the noisy engine, exact under the device's Aer noise model (error rates "
        "times the scale), readout error as the run was trained (off for ideal-trained runs).",
        "",
    ]
    return "\n".join(lines)


def noise_bars(cells: list[Cell], path: str | os.PathLike[str]) -> Path | None:
    """Bars per device at its reported error rates, one group per (model, task).

    The bars: ideal-trained evaluated ideal and noisy, noise-trained evaluated noisy, each with its standard
    deviation. Returns None (and writes nothing) without noisy results.
    """
    table = conditions(cells)
    devices = sorted({c.device for cols in table.values() for c in cols if c.device and c.scale == 1})
    if not devices:
        return None
    keys = sorted({(row[0], row[1], row[2]) for row in table})
    fig = Figure(figsize=(max(6.0, 0.9 * len(keys) + 2), 3.4 * len(devices)))
    axes = fig.subplots(len(devices), 1, squeeze=False)[:, 0]
    bars = (
        (False, False, "ideal-trained, evaluated ideal"),
        (False, True, "ideal-trained, evaluated noisy"),
        (True, True, "noise-trained, evaluated noisy"),
    )
    for ax, device in zip(axes, devices, strict=True):
        noise = NoiseCondition(device)
        for b, (noise_trained, noise_evaluated, label) in enumerate(bars):
            xs, ys, es = [], [], []
            evaluated = noise if noise_evaluated else NoiseCondition()
            for k, (encoding, model, task) in enumerate(keys):
                trained = RunCondition(encoding, noise if noise_trained else NoiseCondition())
                values = table.get((encoding, model, task, trained), {}).get(evaluated)
                if values:
                    xs.append(k + (b - 1) * 0.27)
                    stats = MeanStd.of(values)
                    ys.append(100 * stats.mean)
                    es.append(100 * stats.std)
            ax.bar(xs, ys, width=0.27, yerr=es, capsize=2, label=label)
        names = [f"{m[0]}/{m[1]}\n{t} ({e})" for e, m, t in keys]
        ax.set_xticks(range(len(keys)), names, fontsize=6, rotation=45, ha="right")
        ax.set_ylim(40, 100)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(device, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out


def noise_plot(cells: list[Cell], path: str | os.PathLike[str]) -> Path | None:
    """Accuracy against the noise scale, ideal-trained and noise-trained, one panel per (model, task, device).

    Drawn where a device was evaluated at two scales or more; returns None (and writes nothing) otherwise.
    """
    table = conditions(cells)
    curves: dict[tuple[str, tuple[str, str], str, str], dict[str, list[tuple[float, tuple[float, ...]]]]]
    curves = defaultdict(lambda: defaultdict(list))
    for (encoding, model, task, trained), columns in table.items():
        for condition, accuracies in columns.items():
            if condition.device is None:
                continue
            panel = (encoding, model, task, condition.device)
            if trained.engine == "exact":
                curves[panel]["ideal-trained"].append((condition.scale, accuracies))
            elif trained.noise == condition:
                curves[panel]["trained under the same noise"].append((condition.scale, accuracies))
    panels = [p for p, series in curves.items() if len({s for points in series.values() for s, _ in points}) > 1]
    if not panels:
        return None
    fig = Figure(figsize=(4.2 * len(panels), 3.6))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        encoding, model, task, device = panel
        for label, points in curves[panel].items():
            points = sorted(points)
            xs = [s for s, _ in points]
            stats = [MeanStd.of(a) for _, a in points]
            ys, es = [100 * s.mean for s in stats], [100 * s.std for s in stats]
            ax.errorbar(xs, ys, yerr=es, marker="o", ms=4, capsize=2, label=label)
        ideal = table.get((encoding, model, task, RunCondition(encoding)), {}).get(NoiseCondition())
        if ideal:
            ax.axhline(100 * MeanStd.of(ideal).mean, ls="--", color="gray", lw=1, label="ideal-trained, noiseless")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(f"{device} error rates × scale")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{model[0]} / {model[1]}, {task.replace(',', ' vs ')} ({encoding})", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out
