"""A sweep over a registered ansatz: spawned workers rebuild it from the unit (real data, one-epoch CNN)."""

from __future__ import annotations

import json

import pytest

from qcnn_tl.circuits import register_ansatz
from qcnn_tl.cnn.task_data import task_data
from qcnn_tl.reports.summary import summarize
from qcnn_tl.sweep.grid import grid_from_dict
from qcnn_tl.sweep.runner import run_sweep
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import train_repetitions
from tests.circuits.test_registration import ry_rz_cz_ry


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_a_sweep_trains_and_evaluates_a_registered_ansatz_in_spawned_workers(
    registries, tmp_path, data_dir, epoch1_cache
):
    register_ansatz("ryrz_cz", ry_rz_cz_ry())
    grid = grid_from_dict(
        {
            "grid": {
                **{"models": ["ryrz_cz/zx"], "encodings": ["angle"], "tasks": ["0,1"], "repetitions": 1, "c2c": []},
                "evaluate_noise": ["fake_brisbane"],
            },
            "train": {"steps": 3, "cnn_epochs": 1},
        }
    )
    out = tmp_path / "sweep"
    report = run_sweep(grid, out, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert (report.completed, report.failures) == (1, [])
    [path] = out.glob("runs/angle/0-1/ryrz_cz_zx/seed*.json")
    stored = json.loads(path.read_text())
    assert [b["name"] for b in stored["blocks"]] == ["ryrz_cz"] and "fake_brisbane" in stored["noisy_test_accuracy"]
    config = TrainConfig(**stored["config"])
    data = task_data(config, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    [alone] = train_repetitions(config, [config.seed], data=data, train_accuracy=False, progress=False)
    assert stored["loss_history"] == pytest.approx(alone.loss_history, rel=1e-9)
    assert stored["test_accuracy"] == alone.test_accuracy
    assert "| ryrz_cz / zx | 0,1 |" in summarize(out)["markdown"]
