"""The paper's headline on a device: C2Q (noiseless, under a fake device's noise, with shots) against C2C, paired.

Reads a sweep with ``cnn_seeds`` (C2Q and C2C runs on the same CNNs) and the ``shots.csv`` that
``docs/encodings/shots.py`` wrote for it, and writes ``headline.md``: each condition's mean ± std, then the C2Q
model against the stronger C2C head CNN by CNN (:func:`qcnn_tl.reports.cnn_seeds.paired_verdicts`).

    python docs/encodings/headline.py runs/headline docs/encodings/headline/shots.csv --out docs/encodings/headline
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from qcnn_tl.reports.cnn_seeds import paired_verdicts
from qcnn_tl.reports.summary import Cell, load_results


def shot_cells(qcnn: list[Cell], table: Path, label: str) -> list[Cell]:
    """Each QCNN cell with its accuracies replaced by the sampled ones of ``table`` (same CNNs and seeds)."""
    rows: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(table.open()):
        rows[(row["encoding"], row["task"].replace("-", ","))].append(row)
    out = []
    for cell in qcnn:
        picked = sorted(rows[(cell.group, cell.task)], key=lambda r: (int(r["cnn"][3:] or 0), int(r["seed"])))
        if not picked:
            raise SystemExit(f"{table} holds no rows of {cell.group} on {cell.task}")
        accuracies = tuple(float(r["shots"]) for r in picked)
        seeds = tuple(int(r["cnn"][3:] or 0) for r in picked)
        out.append(replace(cell, group=f"{cell.group}, {label}", accuracies=accuracies, noisy={}, cnn_seeds=seeds))
    return out


def main() -> None:
    """Writes ``headline.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path)
    parser.add_argument("shots_csv", type=Path)
    parser.add_argument("--device", default="fake_brisbane")
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    cells = load_results(args.sweep).cells
    c2c = [c for c in cells if c.group == "c2c"]
    qcnn = [c for c in cells if c.group != "c2c"]
    noisy = [replace(c, group=f"{c.group}, {args.device}", accuracies=c.noisy[args.device], noisy={}) for c in qcnn]
    shots = shot_cells(qcnn, args.shots_csv, f"{args.device}, {args.shots} shots")
    lines = [
        "| task | model | CNNs × repetitions | test accuracy (%) |",
        "|---|---|---:|---:|",
    ]
    for cell in sorted([*qcnn, *noisy, *shots, *c2c], key=lambda c: (c.task, c.group != "c2c", c.group)):
        name = f"C2C {cell.model[0].upper()}" if cell.group == "c2c" else f"C2Q {cell.group}"
        cnns = len(set(cell.cnn_seeds))
        lines.append(f"| {cell.task} | {name} | {cnns} × {cell.n // cnns} | {cell.stats.percent()} |")
    lines += [
        "",
        "C2Q against the stronger C2C head of each task (higher mean over every CNN and repetition), CNN by CNN:",
        "the difference of the per-CNN means, in points.",
        "",
        "| task | C2Q | C2C head | C2Q − C2C per CNN | mean ± std | CNNs where C2Q wins | C2Q beats C2C? |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for v in sorted(paired_verdicts([*qcnn, *noisy, *shots, *c2c]), key=lambda v: (v.task, v.group)):
        per = " / ".join(f"{100 * d:+.2f}" for d in v.differences.values())
        lines.append(
            f"| {v.task} | {v.group} | {v.c2c.model[0].upper()} | {per} | {100 * v.mean:+.2f} ± {100 * v.std:.2f} "
            f"| {v.wins} of {len(v.differences)} | {v.answer} |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "headline.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
