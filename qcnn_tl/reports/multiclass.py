"""The multi-class study: QCNNs against the C2C heads per task, with accuracy and confusion matrices.

Reads the runs of one or more sweep folders (each read as :func:`~qcnn_tl.reports.summary.load_results` does:
only the runs of its ``sweep.json``) and writes ``multiclass.md`` — one table per dataset and task: model
(QCNN model and encoding, or C2C head), weights, repetitions, test accuracy mean ± std and, where the sweep
evaluated it, the accuracy under each fake device's noise — and one ``confusion_<dataset>_<task>_<model>.png``
per dataset, task and model: the test confusion matrices summed over the repetitions, each row normalised to the
share of its class's samples, class names on the axes::

    python -m qcnn_tl.reports.multiclass runs/mnist-multiclass runs/fashion-multiclass --out docs/multiclass
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from qcnn_tl._io import check_writable
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.reports.stats import MeanStd
from qcnn_tl.reports.summary import Cell, load_results

_DATASETS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def study_cells(sweep_dirs: Sequence[str | os.PathLike[str]]) -> list[Cell]:
    """The cells of every sweep folder, by dataset and task (QCNNs before C2C heads, as in each folder).

    Raises:
        QcnnTlError: If a folder holds no results, or a counted file is not a run result.
        ValueError: If a ``sweep.json`` is not a valid sweep description.
    """
    cells = [cell for folder in sweep_dirs for cell in load_results(folder).cells]
    tasks = list(dict.fromkeys((c.dataset, c.task) for c in cells))
    return sorted(cells, key=lambda c: tasks.index((c.dataset, c.task)))


def model_label(cell: Cell) -> str:
    """``"QCNN U_SU4 / ZX, amplitude"`` or ``"C2C 1D, width 10"``."""
    return cell.label if cell.group == "c2c" else f"QCNN {cell.label}, {cell.group}"


def confusion_file(cell: Cell) -> str:
    """The PNG a cell's confusion matrix goes to: ``confusion_mnist_0-1-2-3_amplitude_U_SU4_ZX.png``."""
    name = "_".join((cell.dataset, cell.task.replace(",", "-"), cell.group, cell.label))
    return f"confusion_{re.sub(r'[^A-Za-z0-9.@-]+', '_', name)}.png"


def confusion_plot(cell: Cell, path: str | os.PathLike[str]) -> Path:
    """The cell's confusion matrix summed over its repetitions, rows normalised (share of each class, in %).

    Raises:
        ValueError: If the cell's runs did not all record a confusion matrix.
    """
    if cell.confusion is None:
        raise ValueError(f"{model_label(cell)} on task {cell.task} has runs without a confusion matrix")
    counts = np.array(cell.confusion, dtype=float)
    shares = 100 * counts / np.maximum(counts.sum(1, keepdims=True), 1)
    k = len(counts)
    names = cell.classes if len(cell.classes) == k else tuple(str(i) for i in range(k))
    size = 2.5 + 0.45 * k
    fig = Figure(figsize=(size + 1.0, size))
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, label="share of the true class (%)")
    if k <= 16:
        for i in range(k):
            for j in range(k):
                colour = "white" if shares[i, j] > 60 else "black"
                ax.text(j, i, f"{shares[i, j]:.0f}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    dataset = _DATASETS.get(cell.dataset, cell.dataset)
    ax.set_title(f"{dataset} {cell.task}: {model_label(cell)}\n{cell.n} repetitions", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out


def study_markdown(cells: list[Cell], *, images: bool = True) -> str:
    """One table per dataset and task: model, weights, repetitions, accuracy and noisy accuracy (%, mean ± std).

    Args:
        cells: The study's cells (:func:`study_cells`).
        images: Link each model's confusion-matrix PNG (:func:`confusion_file`) where it has one.
    """
    lines: list[str] = []
    for dataset, task in dict.fromkeys((c.dataset, c.task) for c in cells):
        rows = [c for c in cells if (c.dataset, c.task) == (dataset, task)]
        conditions = sorted({condition for c in rows for condition in c.noisy})
        k = max(len(c.confusion) if c.confusion else len(c.classes) for c in rows)
        lines += [f"### {_DATASETS.get(dataset, dataset)}, task {task} ({k} classes)", ""]
        head = ["model", "weights", "repetitions", "test accuracy", *(f"under {d}" for d in conditions)]
        head += ["confusion"] if images else []
        lines += ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|" + "---:|" * len(conditions)]
        lines[-1] += "---|" if images else ""
        for cell in rows:
            noisy = [MeanStd.of(cell.noisy[d]).percent() if d in cell.noisy else "" for d in conditions]
            link = [f"[png]({confusion_file(cell)})" if cell.confusion is not None else ""] if images else []
            values = [model_label(cell), str(cell.num_weights), str(cell.n), cell.stats.percent(), *noisy, *link]
            lines.append("| " + " | ".join(values) + " |")
        lines.append("")
    lines.append("Accuracy in %, mean ± sample standard deviation over the repetitions; confusion matrices summed")
    lines.append("over the repetitions, each row normalised to its class's test samples.")
    return "\n".join(lines) + "\n"


def write_report(sweep_dirs: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Writes ``multiclass.md`` and every confusion-matrix PNG into ``out_dir``; returns their paths.

    Raises:
        QcnnTlError: If a folder holds no results, or a counted file is not a run result.
        ValueError: If a ``sweep.json`` is not a valid sweep description, or ``out_dir`` cannot be written.
    """
    cells = study_cells(sweep_dirs)
    out = check_writable(out_dir, "--out", folder=True)
    table = out / "multiclass.md"
    table.write_text(study_markdown(cells))
    plots = [confusion_plot(c, out / confusion_file(c)) for c in cells if c.confusion is not None]
    return [table, *plots]


def main(argv: list[str] | None = None) -> int:
    """Writes the study's tables and confusion matrices from sweep folders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="+", help="sweep folders (k-class tasks, QCNNs and C2C heads)")
    parser.add_argument("--out", required=True, help="folder for multiclass.md and the confusion-matrix PNGs")
    args = parser.parse_args(argv)
    try:
        files = write_report(args.sweeps, args.out)
    except (QcnnTlError, ValueError) as exc:
        parser.error(str(exc))
    print(f"written: {files[0]} and {len(files) - 1} confusion matrices")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
