"""The encodings' depth–accuracy frontier: a sweep's accuracies beside each encoding's transpiled cost.

Joins the QCNN runs of a sweep over encodings (noiseless test accuracy, and the noisy engine's under each fake
device the sweep evaluated) with a ``transpile-report`` CSV of the same models (two-qubit gates per device at
optimisation level 1), and writes ``frontier.md`` (one table per model and task) and ``frontier.png`` (accuracy
against two-qubit gate count: a column per device, a row per task, a colour per model)::

    python -m qcnn_tl.reports.frontier runs/frontier docs/encodings/transpile.csv --out docs/encodings/frontier
"""

from __future__ import annotations

import argparse
import csv
import os
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from qcnn_tl._io import check_writable
from qcnn_tl.circuits import ENCODINGS
from qcnn_tl.reports.stats import MeanStd
from qcnn_tl.reports.summary import load_results
from qcnn_tl.training.conditions import RunCondition

NUM_QUBITS = 8


@dataclass(frozen=True)
class FrontierRow:
    """One encoding of the frontier.

    Attributes:
        encoding: The encoding's name.
        features: CNN features it takes.
        two_qubit_gates: Two-qubit gates of the transpiled template per device (optimisation level 1).
        accuracies: Test accuracies per condition (``"ideal"`` and each device), one per repetition.
        model: ``(ansatz, pooling)``.
        task: The task.
    """

    encoding: str
    features: int
    two_qubit_gates: dict[str, int]
    accuracies: dict[str, tuple[float, ...]]
    model: tuple[str, str] = ("U_SU4", "zx")
    task: str = "0,1"


def frontier_rows(sweep_dir: str | os.PathLike[str], transpile_csv: str | os.PathLike[str]) -> list[FrontierRow]:
    """The sweep's noiseless-trained QCNN cells with their cost: by model, task, then the registry's encoding order."""
    qcnn = [c for c in load_results(sweep_dir).cells if c.group != "c2c"]
    cells = [c for c in qcnn if RunCondition.parse(c.group).engine == "exact"]
    gates: dict[tuple[str, str, str], dict[str, int]] = {}
    with open(transpile_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["optimization_level"] == "1":
                key = (row["ansatz"], row["pooling"], row["encoding"])
                gates.setdefault(key, {})[row["backend"]] = int(row["two_qubit_gates"])
    order = list(ENCODINGS)
    rows = [
        FrontierRow(
            cell.group,
            ENCODINGS[cell.group].num_features(NUM_QUBITS),
            gates.get((*cell.model, cell.group), {}),
            {"ideal": cell.accuracies, **cell.noisy},
            cell.model,
            cell.task,
        )
        for cell in cells
    ]
    models = list(dict.fromkeys(r.model for r in rows))
    return sorted(rows, key=lambda r: (models.index(r.model), r.task, order.index(r.encoding)))


def frontier_markdown(rows: list[FrontierRow]) -> str:
    """The frontier as Markdown: per model and task, features, two-qubit gates per device, accuracy (%).

    With a single model and task, the table alone (no heading).
    """
    devices = sorted({d for r in rows for d in r.two_qubit_gates})
    conditions = ["ideal", *sorted({c for r in rows for c in r.accuracies} - {"ideal"})]
    head = ["encoding", "features", *(f"2q gates {d}" for d in devices), *(f"acc. {c}" for c in conditions)]
    groups = list(dict.fromkeys((r.model, r.task) for r in rows))
    lines: list[str] = []
    for model, task in groups:
        if len(groups) > 1:
            lines += [f"### {' / '.join(model)}, MNIST {task.replace(',', ' vs ')}", ""]
        lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        for r in rows:
            if (r.model, r.task) == (model, task):
                cost = [str(r.two_qubit_gates.get(d, "")) for d in devices]
                acc = [MeanStd.of(r.accuracies[c]).percent() if c in r.accuracies else "" for c in conditions]
                lines.append("| " + " | ".join([f"`{r.encoding}`", str(r.features), *cost, *acc]) + " |")
        lines.append("")
    n = max((len(v) for r in rows for v in r.accuracies.values()), default=0)
    return "\n".join(lines) + f"\nTest accuracy in %, mean ± std over {n} repetitions.\n"


def frontier_plot(rows: list[FrontierRow], path: str | os.PathLike[str]) -> Path:
    """Accuracy against two-qubit gate count: a column per device, a row per task, a colour per model.

    Filled markers noiseless, open markers under the device's noise.
    """
    devices = sorted({d for r in rows for d in r.two_qubit_gates})
    tasks = sorted({r.task for r in rows})
    models = list(dict.fromkeys(r.model for r in rows))
    fig = Figure(figsize=(5.2 * len(devices), 4.2 * len(tasks)))
    grid = fig.subplots(len(tasks), len(devices), squeeze=False)
    for (t, task), (d, device) in ((t, d) for t in enumerate(tasks) for d in enumerate(devices)):
        ax = grid[t][d]
        for m, model in enumerate(models):
            colour = f"C{m}"
            for condition, face in (("ideal", colour), (device, "none")):
                picked = [
                    r
                    for r in rows
                    if (r.task, r.model) == (task, model) and device in r.two_qubit_gates and condition in r.accuracies
                ]
                xs = [r.two_qubit_gates[device] for r in picked]
                stats = [MeanStd.of(r.accuracies[condition]) for r in picked]
                ys, es = [100 * s.mean for s in stats], [100 * s.std for s in stats]
                how = "noiseless" if condition == "ideal" else "under the device's noise"
                ax.errorbar(
                    xs,
                    ys,
                    yerr=es,
                    fmt="o",
                    mfc=face,
                    color=colour,
                    capsize=2,
                    alpha=0.8,
                    label=f"{' / '.join(model)}, {how}",
                )
                if condition == "ideal" and m == 0:
                    for x, y, r in zip(xs, ys, picked, strict=True):
                        if not r.encoding[-1].isdigit() or len(picked) < 10 or r.encoding.endswith("-1"):
                            ax.annotate(r.encoding, (x, y), fontsize=6, xytext=(3, -9), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel(f"two-qubit gates on {device} (optimisation level 1)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{device}, MNIST {task.replace(',', ' vs ')}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=130)
    return out


def main(argv: list[str] | None = None) -> int:
    """Writes ``frontier.md`` and ``frontier.png`` from a sweep folder and a transpile-report CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="sweep folder (several encodings; any models and tasks)")
    parser.add_argument("transpile_csv", help="transpile-report --csv output for the same models")
    parser.add_argument("--out", required=True, help="folder for frontier.md and frontier.png")
    args = parser.parse_args(argv)
    out = check_writable(args.out, "--out", folder=True)
    rows = frontier_rows(args.sweep, args.transpile_csv)
    (out / "frontier.md").write_text(frontier_markdown(rows))
    print(f"written: {out / 'frontier.md'}, {frontier_plot(rows, out / 'frontier.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
