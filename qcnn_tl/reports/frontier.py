"""The encodings' depth–accuracy frontier: a sweep's accuracies beside each encoding's transpiled cost.

Joins the QCNN runs of a sweep over encodings (noiseless test accuracy, and the noisy engine's under each fake
device the sweep evaluated) with a ``transpile-report`` CSV of the same model (two-qubit gates per device at
optimisation level 1), and writes ``frontier.md`` and ``frontier.png`` (accuracy against two-qubit gate count,
one panel per device)::

    python -m qcnn_tl.reports.frontier runs/frontier docs/encodings/transpile.csv --out docs/encodings/frontier
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from qcnn_tl._io import check_writable
from qcnn_tl.circuits import ENCODINGS
from qcnn_tl.reports.summary import load_results

NUM_QUBITS = 8


@dataclass(frozen=True)
class FrontierRow:
    """One encoding of the frontier.

    Attributes:
        encoding: The encoding's name.
        features: CNN features it takes.
        two_qubit_gates: Two-qubit gates of the transpiled template per device (optimisation level 1).
        accuracies: Test accuracies per condition (``"ideal"`` and each device), one per repetition.
    """

    encoding: str
    features: int
    two_qubit_gates: dict[str, int]
    accuracies: dict[str, tuple[float, ...]]


def frontier_rows(sweep_dir: str | os.PathLike[str], transpile_csv: str | os.PathLike[str]) -> list[FrontierRow]:
    """The sweep's encodings (one model, one task) with their cost, in the registry's order."""
    cells = [c for c in load_results(sweep_dir).cells if c.group != "c2c" and "@" not in c.group]
    gates: dict[str, dict[str, int]] = {}
    with open(transpile_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["optimization_level"] == "1":
                gates.setdefault(row["encoding"], {})[row["backend"]] = int(row["two_qubit_gates"])
    rows = []
    for encoding in ENCODINGS:
        found = [c for c in cells if c.group == encoding]
        if not found:
            continue
        if len(found) > 1:
            raise ValueError(f"the frontier needs one model and one task per encoding; {encoding} has {len(found)}")
        cell = found[0]
        accuracies = {"ideal": cell.accuracies, **cell.noisy}
        features = ENCODINGS[encoding].num_features(NUM_QUBITS)
        rows.append(FrontierRow(encoding, features, gates.get(encoding, {}), accuracies))
    return rows


def _stat(values: tuple[float, ...]) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.fmean(values):.2f} ± {100 * std:.2f}"


def frontier_markdown(rows: list[FrontierRow]) -> str:
    """The frontier as a Markdown table: features, two-qubit gates per device, accuracy per condition (%)."""
    devices = sorted({d for r in rows for d in r.two_qubit_gates})
    conditions = ["ideal", *sorted({c for r in rows for c in r.accuracies} - {"ideal"})]
    head = ["encoding", "features", *(f"2q gates {d}" for d in devices), *(f"acc. {c}" for c in conditions)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        cost = [str(r.two_qubit_gates.get(d, "")) for d in devices]
        acc = [_stat(r.accuracies[c]) if c in r.accuracies else "" for c in conditions]
        lines.append("| " + " | ".join([f"`{r.encoding}`", str(r.features), *cost, *acc]) + " |")
    n = max((len(v) for r in rows for v in r.accuracies.values()), default=0)
    return "\n".join(lines) + f"\n\nTest accuracy in %, mean ± std over {n} repetitions.\n"


def frontier_plot(rows: list[FrontierRow], path: str | os.PathLike[str]) -> Path:
    """Accuracy against two-qubit gate count, one panel per device: noiseless and under the device's noise."""
    devices = sorted({d for r in rows for d in r.two_qubit_gates})
    fig = Figure(figsize=(5.2 * len(devices), 4.2))
    axes = fig.subplots(1, len(devices), squeeze=False)[0]
    for ax, device in zip(axes, devices, strict=True):
        for condition, marker in (("ideal", "o"), (device, "s")):
            xs, ys, es, names = [], [], [], []
            for r in rows:
                if device in r.two_qubit_gates and condition in r.accuracies:
                    values = r.accuracies[condition]
                    xs.append(r.two_qubit_gates[device])
                    ys.append(100 * statistics.fmean(values))
                    es.append(100 * statistics.stdev(values) if len(values) > 1 else 0.0)
                    names.append(r.encoding)
            label = "noiseless" if condition == "ideal" else f"under {device}'s noise"
            ax.errorbar(xs, ys, yerr=es, fmt=marker, capsize=2, label=label, alpha=0.8)
            if condition == "ideal":
                for x, y, name in zip(xs, ys, names, strict=True):
                    if not name[-1].isdigit() or name.endswith("-1"):  # one label per family: the rest crowd
                        ax.annotate(name, (x, y), fontsize=6, xytext=(3, -9), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel(f"two-qubit gates on {device} (optimisation level 1)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(device)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=130)
    return out


def main(argv: list[str] | None = None) -> int:
    """Writes ``frontier.md`` and ``frontier.png`` from a sweep folder and a transpile-report CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="sweep folder (one model, one task, several encodings)")
    parser.add_argument("transpile_csv", help="transpile-report --csv output for the same model")
    parser.add_argument("--out", required=True, help="folder for frontier.md and frontier.png")
    args = parser.parse_args(argv)
    out = check_writable(args.out, "--out", folder=True)
    rows = frontier_rows(args.sweep, args.transpile_csv)
    (out / "frontier.md").write_text(frontier_markdown(rows))
    print(f"written: {out / 'frontier.md'}, {frontier_plot(rows, out / 'frontier.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
