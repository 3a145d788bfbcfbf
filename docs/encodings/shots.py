"""Test accuracy of a sweep's noiseless-trained QCNNs under a fake device's noise with a finite number of shots.

For each (encoding, task, model) cell of the sweep folders, the repetitions' weights go through the noisy engine
(exact under the device's noise model, on the template transpiled for the device with the run's settings: what the
sweep's ``evaluate_noise`` computes) in one pass, and every ⟨Z⟩ is then replaced by a binomial estimate from
``--shots`` shots (seed: the repetition's seed). Rows go to a CSV (one per repetition; a re-run skips the cells it
already holds) and the means ± std to a Markdown table beside it.

    python docs/encodings/shots.py runs/frontier-mps runs/frontier-shots --device fake_brisbane --shots 4000 \
        --models U_SU4/zx --out docs/encodings/frontier_shots --data-dir <data>
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import torch

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cnn.task_data import task_data, trained_feature_map
from qcnn_tl.qnn.expectations import expectations
from qcnn_tl.qnn.noisy import sample_expectation
from qcnn_tl.qnn.readout import accuracy
from qcnn_tl.reports.stats import MeanStd
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import noisy_model

FIELDS = ["encoding", "model", "task", "cnn", "seed", "ideal", "noisy", "shots"]
Cell = tuple[str, str, str, str]


def cells(sweeps: list[Path], models: set[str]) -> dict[Cell, list[Path]]:
    """Seed records per (encoding, task, model, CNN) of noiseless-trained QCNN runs.

    A sweep keeps them in ``runs/<encoding>/<task>/<model>/`` (``…/cnn<c>/`` with ``cnn_seeds``; CNN ``""``
    without).
    """
    found: dict[Cell, list[Path]] = {}
    for sweep in sweeps:
        runs = sweep / "runs"
        for folder in sorted({p.parent for p in runs.rglob("seed*.json")}):
            encoding, task, model, *rest = folder.relative_to(runs).parts
            if "@" in encoding or encoding == "c2c" or model not in models:
                continue
            key = (encoding, task, model, rest[0] if rest else "")
            found[key] = sorted(folder.glob("seed*.json"), key=lambda p: int(p.stem[4:]))
    return found


def evaluate_cell(
    records: list[RunResult[TrainConfig]], device: str, shots: int, data_dir: str | None
) -> list[tuple[float, float, float]]:
    """(ideal, noisy, noisy with shots) test accuracy of each record."""
    config = records[0].config
    data = task_data(config, data_dir=data_dir, progress=False, feature_map=trained_feature_map(records[0]), fit=False)
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding)
    weights = torch.tensor([r.weights for r in records], dtype=torch.float64)
    model = noisy_model(template, device, config=config, replicas=len(records), initial_weights=weights)
    values = expectations(model, model.prepare(data.test_features))  # (R, N), the sweep's own evaluation path
    labels = data.test_labels
    out = []
    for r, record in enumerate(records):
        sampled = sample_expectation(values[r], shots, seed=record.config.seed)
        noisy = accuracy(values[r], labels)
        stored = record.noisy_test_accuracy.get(device)
        if stored is not None and abs(stored - noisy) > 1e-6:  # the sweep stores float32
            raise RuntimeError(f"{record.model.name} seed {record.config.seed}: {noisy} here, {stored} in the sweep")
        out.append((record.test_accuracy, noisy, accuracy(sampled, labels)))
    return out


def main() -> None:
    """Evaluates every cell not yet in the CSV, then writes the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="+", type=Path)
    parser.add_argument("--device", default="fake_brisbane")
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--models", nargs="+", default=["U_SU4/zx"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "shots.csv"
    rows = list(csv.DictReader(table.open())) if table.exists() else []
    done = {(r["encoding"], r["task"], r["model"], r["cnn"]) for r in rows}
    models = {m.replace("/", "_") for m in args.models}
    for (encoding, task, model, cnn), paths in cells(args.sweeps, models).items():
        if (encoding, task, model, cnn) in done or not paths:
            continue
        records = [RunResult.read(p, TrainConfig, "a sweep's QCNN record") for p in paths]
        for record, (ideal, noisy, shot) in zip(
            records, evaluate_cell(records, args.device, args.shots, args.data_dir), strict=True
        ):
            rows.append(
                dict(zip(FIELDS, [encoding, model, task, cnn, record.config.seed, ideal, noisy, shot], strict=True))
            )
        with table.open("w", newline="") as handle:  # after each cell: an interrupted run keeps what it finished
            writer = csv.DictWriter(handle, FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        print(f"{encoding} {task} {model} {cnn}: {len(records)} repetitions", flush=True)
    grouped: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        for key in ("ideal", "noisy", "shots"):
            grouped[(row["model"], row["task"], row["encoding"])][key].append(float(row[key]))
    lines = [
        f"Test accuracy in %, mean ± std over the repetitions: noiseless, under {args.device}'s noise (exact), and "
        f"under it with {args.shots} shots per circuit.",
        "",
        "| model | task | encoding | repetitions | noiseless | noisy | noisy, shots |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for (model, task, encoding), acc in sorted(grouped.items()):
        stats = [MeanStd.of(acc[k]).percent() for k in ("ideal", "noisy", "shots")]
        name, cell = " / ".join(model.rsplit("_", 1)), [task.replace("-", " vs "), f"`{encoding}`"]
        lines.append("| " + " | ".join([name, *cell, str(len(acc["ideal"])), *stats]) + " |")
    (args.out / "shots.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
