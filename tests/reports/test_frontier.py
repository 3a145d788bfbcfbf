"""The encodings' frontier: a sweep over encodings joined with a transpile-report CSV."""

from __future__ import annotations

import csv

import pytest

from qcnn_tl._io import write_json
from qcnn_tl.reports.frontier import frontier_markdown, frontier_plot, frontier_rows, main
from qcnn_tl.sweep.grid import SweepGrid
from tests.results import result_json

GRID = SweepGrid(
    models=(("U_SU4", "zx"),),
    encodings=("angle", "amplitude-hybrid2-1"),
    tasks=("0,1",),
    repetitions=2,
    c2c=(),
    evaluate_noise=("fake_brisbane",),
)


@pytest.fixture
def sweep(tmp_path):
    accuracy = {"angle": (0.90, 0.94), "amplitude-hybrid2-1": (0.96, 0.98)}
    for unit in GRID.units():
        for k, seed in enumerate(unit.seeds):
            clean = accuracy[unit.config.encoding][k]
            result = result_json(unit.config_for(seed), clean, noisy={"fake_brisbane": clean - 0.02})
            write_json(tmp_path / unit.result_path(seed), result)
    write_json(tmp_path / "sweep.json", GRID.to_dict())
    table = tmp_path / "transpile.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["backend", "ansatz", "pooling", "encoding", "optimization_level", "two_qubit_gates"])
        for encoding, gates in (("angle", 100), ("amplitude-hybrid2-1", 111)):
            writer.writerow(["fake_brisbane", "U_SU4", "zx", encoding, 1, gates])
            writer.writerow(["fake_brisbane", "U_SU4", "zx", encoding, 3, gates - 3])
            writer.writerow(["fake_brisbane", "U_5", "generalized", encoding, 1, gates + 40])
    return tmp_path, table


def test_rows_join_accuracies_and_level_one_gate_counts(sweep):
    folder, table = sweep
    angle, hybrid = frontier_rows(folder, table)
    assert (angle.encoding, angle.features, angle.two_qubit_gates) == ("angle", 8, {"fake_brisbane": 100})
    assert (hybrid.encoding, hybrid.features, hybrid.two_qubit_gates) == (
        "amplitude-hybrid2-1",
        16,
        {"fake_brisbane": 111},
    )
    assert angle.accuracies == {"ideal": (0.90, 0.94), "fake_brisbane": pytest.approx((0.88, 0.92))}
    text = frontier_markdown([angle, hybrid])
    assert "| encoding | features | 2q gates fake_brisbane | acc. ideal | acc. fake_brisbane |" in text
    assert "| `angle` | 8 | 100 | 92.00 ± 2.83 | 90.00 ± 2.83 |" in text


def test_the_command_writes_the_table_and_the_chart(sweep, tmp_path):
    folder, table = sweep
    assert main([str(folder), str(table), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "frontier.png").stat().st_size > 10_000
    assert "amplitude-hybrid2-1" in (tmp_path / "out" / "frontier.md").read_text()


def test_several_models_and_tasks_get_a_table_each_with_their_own_gate_counts(sweep, tmp_path):
    _, table = sweep
    grid = SweepGrid(
        models=(("U_SU4", "zx"), ("U_5", "generalized")),
        encodings=("angle",),
        tasks=("0,1", "8,9"),
        repetitions=2,
        c2c=(),
        evaluate_noise=("fake_brisbane",),
    )
    folder = tmp_path / "sweep"
    for unit in grid.units():
        for seed in unit.seeds:
            result = result_json(unit.config_for(seed), 0.5 + seed / 10, noisy={"fake_brisbane": 0.5})
            write_json(folder / unit.result_path(seed), result)
    write_json(folder / "sweep.json", grid.to_dict())
    rows = frontier_rows(folder, table)
    assert [(r.model, r.task, r.two_qubit_gates["fake_brisbane"]) for r in rows] == [  # the paper's model order
        (("U_5", "generalized"), "0,1", 140),
        (("U_5", "generalized"), "8,9", 140),
        (("U_SU4", "zx"), "0,1", 100),
        (("U_SU4", "zx"), "8,9", 100),
    ]
    text = frontier_markdown(rows)
    assert text.count("| encoding |") == 4 and "### U_5 / generalized, MNIST 8 vs 9" in text
    assert main([str(folder), str(table), "--out", str(tmp_path / "out")]) == 0


def test_cells_with_different_repetition_counts_plot(sweep, tmp_path):
    """A sweep still running: one encoding with a single repetition so far (no error bar), one with two."""
    folder, table = sweep
    (folder / "sweep.json").unlink()
    next((folder / "runs" / "angle").rglob("seed1.json")).unlink()
    rows = frontier_rows(folder, table)
    assert sorted(len(r.accuracies["ideal"]) for r in rows) == [1, 2]
    assert frontier_plot(rows, tmp_path / "partial.png").stat().st_size > 10_000
