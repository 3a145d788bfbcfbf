from __future__ import annotations

import csv
import statistics

import pytest

from qcnn_tl._io import write_json
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.reports.summary import load_results, summarize, verdicts
from qcnn_tl.sweep.grid import SweepGrid
from tests.results import result_json


def _write(root, group, task, model, seed, accuracy, weights):
    if group == "c2c":
        config = {"head": model, "task": task, "seed": seed}
        name = f"C2C_{model.upper()}"
    else:
        ansatz, pooling = model
        config = {"ansatz": ansatz, "pooling": pooling, "encoding": group, "task": task, "seed": seed}
        name = f"{ansatz}_{pooling}"
    path = root / "runs" / group / task.replace(",", "-") / name / f"seed{seed}.json"
    write_json(path, result_json(config, accuracy, num_weights=weights))


@pytest.fixture
def sweep(tmp_path):
    accs = {
        ("amplitude", ("U_SU4", "zx"), "0,1"): [0.99, 0.98, 0.985],
        ("amplitude", ("Con_Z", "zx"), "0,1"): [0.80, 0.90, 0.85],
        ("amplitude", ("U_SU4", "zx"), "2,3"): [0.80, 0.70, 0.75],
        ("c2c", "1d", "0,1"): [0.94, 0.95, 0.96],
        ("c2c", "2d", "0,1"): [0.90, 0.97, 0.92],
        ("c2c", "1d", "2,3"): [0.76, 0.74, 0.78],
        ("c2c", "2d", "2,3"): [0.60, 0.90, 0.75],
    }
    for (group, model, task), values in accs.items():
        weights = {"1d": 64, "2d": 76}.get(model, 51) if group == "c2c" else (51 if model[0] == "U_SU4" else 6)
        for seed, acc in enumerate(values):
            _write(tmp_path, group, task, model, seed, acc, weights)
    return tmp_path


def test_cells_in_paper_order_with_mean_and_sample_std(sweep):
    results = load_results(sweep)
    assert (results.ignored, results.missing, results.has_grid) == ((), 0, False)
    cells = results.cells
    assert [c.label for c in cells][:3] == ["Con_Z / ZX", "U_SU4 / ZX", "U_SU4 / ZX"]
    su4 = next(c for c in cells if c.model == ("U_SU4", "zx") and c.task == "0,1")
    assert su4.mean == pytest.approx(0.985) and su4.std == pytest.approx(statistics.stdev([0.99, 0.98, 0.985]))
    c2c_2d = next(c for c in cells if c.group == "c2c" and c.model[0] == "2d" and c.task == "0,1")
    assert c2c_2d.paper == 0.9730 and c2c_2d.num_weights == 76


def test_headline_verdicts(sweep):
    found = {v.task: v for v in verdicts(load_results(sweep).cells)}
    clear = found["0,1"]
    assert clear.best.model == ("U_SU4", "zx")
    assert clear.strongest_c2c.model[0] == "1d"
    assert clear.margin == pytest.approx(0.985 - 0.95)
    assert clear.spread == pytest.approx(0.01)
    assert clear.answer == "yes"
    assert clear.paper_margin == pytest.approx(0.985 - 0.9730)
    assert found["2,3"].answer == "no"  # 0.75 against the 1D head's 0.76


def test_summarize_writes_markdown_csv_and_png(sweep):
    summary = summarize(sweep)
    text = (sweep / "summary.md").read_text()
    assert "| U_SU4 / ZX | 51 | 98.50 ± 0.50 (n=3) | 75.00 ± 5.00 (n=3) |" in text
    assert "| C2C 2D | 76 | 0,1 | 93.00 ± 3.61 (n=3) | 97.30 | -4.30 | yes |" in text
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert len(rows) == 7
    one = next(r for r in rows if r["model"] == "C2C 1D" and r["task"] == "0,1")
    assert float(one["mean_minus_paper"]) == pytest.approx(0.95 - 0.9521)
    assert (sweep / "summary_amplitude.png").stat().st_size > 10_000
    assert [v["answer"] for v in summary["verdicts"]] == ["yes", "no"]


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(QcnnTlError, match="holds no sweep results"):
        summarize(tmp_path)


def test_empty_or_list_result_files_are_named(sweep):
    bad = sweep / "runs/c2c/0-1/C2C_1D/seed1.json"
    bad.write_text("[]")
    with pytest.raises(QcnnTlError, match=r"C2C_1D/seed1\.json should hold a run result \(a JSON object\); it holds"):
        summarize(sweep)
    bad.write_text("")
    with pytest.raises(QcnnTlError, match=r"C2C_1D/seed1\.json should hold a run result .*; it is empty"):
        summarize(sweep)
    bad.write_text('{"config": 3}')
    with pytest.raises(QcnnTlError, match=r"C2C_1D/seed1\.json is not a qcnn_tl run result: config must be a JSON obj"):
        summarize(sweep)


class TestOnlyTheSweepsRunsCount:
    """``sweep.json`` decides which result files count: leftovers of an earlier, larger sweep do not."""

    GRID = SweepGrid(models=(("U_SU4", "zx"),), encodings=("angle",), tasks=("0,1",), repetitions=2, c2c=("1d",))

    @pytest.fixture
    def folder(self, tmp_path):
        for unit in SweepGrid(**{**self.GRID.__dict__, "repetitions": 3}).units():
            for seed in unit.seeds:
                result = result_json(unit.config_for(seed), seed / 10, num_weights=63)
                write_json(tmp_path / unit.result_path(seed), result)
        write_json(tmp_path / "sweep.json", self.GRID.to_dict())
        return tmp_path

    def test_leftover_repetitions_are_ignored_and_named(self, folder):
        results = load_results(folder)
        assert [c.n for c in results.cells] == [2, 2] and results.missing == 0
        assert sorted(p.name for p, _ in results.ignored) == ["seed2.json", "seed2.json"]
        summary = summarize(folder)
        assert len(summary["ignored"]) == 2
        assert "2 result files are not counted" in summary["markdown"]
        assert "runs/angle/0-1/U_SU4_zx/seed2.json: not a run of the grid in sweep.json" in summary["markdown"]
        assert "(n=2)" in summary["markdown"] and "(n=3)" not in summary["markdown"]

    def test_a_file_of_another_configuration_is_ignored(self, folder):
        path = folder / "runs/angle/0-1/U_SU4_zx/seed1.json"
        write_json(path, result_json({"seed": 1}, 1.0, num_weights=63))
        results = load_results(folder)
        assert (path, "records another configuration than sweep.json") in results.ignored
        assert results.missing == 1
        assert "1 runs of the sweep's grid have no result yet" in summarize(folder)["markdown"]

    def test_a_bad_sweep_json_is_named(self, folder):
        (folder / "sweep.json").write_text("[]")
        with pytest.raises(QcnnTlError, match=r"sweep\.json should hold a sweep description"):
            summarize(folder)
        write_json(folder / "sweep.json", {"grid": {"repetitions": 0}})
        with pytest.raises(ValueError, match=r"sweep\.json: \[grid\] repetitions must be a positive integer"):
            summarize(folder)

    def test_only_leftovers_is_a_clear_error(self, folder):
        write_json(folder / "sweep.json", {**self.GRID.to_dict(), "train": {"steps": 7}, "c2c": {"epochs": 2}})
        with pytest.raises(QcnnTlError, match=r"holds no sweep results .*; 6 result files are not runs of its sweep"):
            summarize(folder)


def test_unwritable_out_is_named_before_any_work(sweep):
    (sweep / "file").write_text("")
    with pytest.raises(
        ValueError, match=r"^summary folder .*file/sub: cannot create the folder .*file/sub \(Not a directory\)$"
    ):
        summarize(sweep, sweep / "file" / "sub")
