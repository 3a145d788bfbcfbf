"""The multi-class study report: tables per task and confusion-matrix PNGs, from sweep folders."""

from __future__ import annotations

from typing import Any

import pytest

from qcnn_tl._io import write_json
from qcnn_tl.c2c.training import C2CConfig
from qcnn_tl.reports.multiclass import confusion_file, main, model_label, study_cells, study_markdown, write_report
from qcnn_tl.reports.stats import MeanStd
from qcnn_tl.sweep.grid import SweepGrid, read_result
from qcnn_tl.sweep.runner import run_sweep
from qcnn_tl.training.config import TrainConfig
from tests.results import result_json

DIGITS = "0 - zero (0) vs 1 - one (1) vs 2 - two (2) vs 3 - three (3)"


def _confusion(seed: int) -> list[list[int]]:
    return [[8 + seed, 2 - seed, 0, 0], [1, 9, 0, 0], [0, 0, 7, 3], [0, 5, 0, 5]]


def _grid(**changes: Any) -> SweepGrid:
    """U_SU4 / ZX with amplitude encoding and the C2C heads (1D matched and at 28) on digits 0-3, twice."""
    settings: dict[str, Any] = {
        "models": (("U_SU4", "zx"),),
        "encodings": ("amplitude",),
        "tasks": ("0,1,2,3",),
        "repetitions": 2,
        "c2c": ("1d", "2d"),
        "c2c_widths": ("matched", 28),
    }
    return SweepGrid(**(settings | changes))


@pytest.fixture
def sweep(tmp_path):
    grid = _grid(evaluate_noise=("fake_brisbane",))
    for unit in grid.units():
        for seed in unit.seeds:
            confusion = _confusion(seed)
            accuracy = sum(confusion[i][i] for i in range(4)) / 40
            noisy = {"fake_brisbane": accuracy - 0.05} if unit.kind == "qcnn" else None
            record = result_json(unit.config_for(seed), accuracy, noisy=noisy, confusion=confusion, task=DIGITS)
            write_json(tmp_path / unit.result_path(seed), record)
    write_json(tmp_path / "sweep.json", grid.to_dict())
    return tmp_path


def test_a_row_per_model_with_the_records_numbers(sweep):
    cells = study_cells([sweep])
    assert [model_label(c) for c in cells] == [
        "QCNN U_SU4 / ZX, amplitude",
        "C2C 1D",
        "C2C 1D, width 10",
        "C2C 2D",
    ]
    qcnn = cells[0]
    assert qcnn.classes == ("0 - zero", "1 - one", "2 - two", "3 - three")
    assert qcnn.confusion == ((17, 3, 0, 0), (2, 18, 0, 0), (0, 0, 14, 6), (0, 10, 0, 10))
    text = study_markdown(cells)
    assert "### MNIST, task 0,1,2,3 (4 classes)" in text
    accuracies = MeanStd.of([29 / 40, 30 / 40]).percent()
    noisy = MeanStd.of([29 / 40 - 0.05, 30 / 40 - 0.05]).percent()
    row = f"| QCNN U_SU4 / ZX, amplitude | 51 | 2 | {accuracies} | {noisy} | [png]({confusion_file(qcnn)}) |"
    assert row in text
    assert f"| C2C 1D, width 10 | 51 | 2 | {accuracies} |  | [png]({confusion_file(cells[2])}) |" in text


def test_the_command_writes_the_table_and_a_confusion_matrix_per_model(sweep, tmp_path):
    assert main([str(sweep), "--out", str(tmp_path / "out")]) == 0
    pngs = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert pngs == sorted(confusion_file(c) for c in study_cells([sweep]))
    assert "confusion_mnist_0-1-2-3_amplitude_U_SU4_ZX.png" in pngs
    assert (tmp_path / "out" / pngs[0]).stat().st_size > 10_000
    assert "| C2C 2D |" in (tmp_path / "out" / "multiclass.md").read_text()


def test_a_folder_without_results_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "holds no sweep results" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_a_small_real_sweep_on_four_digits(tmp_path, data_dir, epoch1_cache):
    grid = _grid(train=TrainConfig(steps=3, cnn_epochs=1), c2c_train=C2CConfig(num_train=500, cnn_epochs=1))
    report = run_sweep(grid, tmp_path / "sweep", workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert report.completed == grid.num_runs == 8 and not report.failures
    files = write_report([tmp_path / "sweep"], tmp_path / "out")
    text = files[0].read_text()
    for unit in grid.units():
        records = [read_result(tmp_path / "sweep" / unit.result_path(seed)) for seed in unit.seeds]
        for r in records:
            assert r.confusion is not None and sum(map(sum, r.confusion)) == r.num_test
            assert sum(r.confusion[i][i] for i in range(4)) / r.num_test == pytest.approx(r.test_accuracy, abs=1e-7)
        accuracy = MeanStd.of(r.test_accuracy for r in records).percent()
        assert f"| {records[0].model.num_weights} | 2 | {accuracy} |" in text
    cells = study_cells([tmp_path / "sweep"])
    assert len(cells) == 4 and all((tmp_path / "out" / confusion_file(c)).is_file() for c in cells)
    assert cells[0].classes == ("0 - zero", "1 - one", "2 - two", "3 - three")
