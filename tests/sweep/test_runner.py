"""Sweeps end to end on real data (one-epoch CNNs): local process pool, Dask, resume, CLI, summary."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from qcnn_tl.cli.main import main
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.sweep.grid import grid_from_dict
from qcnn_tl.sweep.runner import run_sweep
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import task_data, train_repetitions

CI_GRID = Path(__file__).resolve().parents[2] / "benchmarks" / "ci_grid.toml"
GRID = grid_from_dict(tomllib.loads(CI_GRID.read_text()))


@pytest.fixture(scope="module")
def pooled(tmp_path_factory, data_dir, epoch1_cache):
    """The grid on a two-process local pool."""
    out = tmp_path_factory.mktemp("sweep")
    report = run_sweep(GRID, out, workers=2, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    return out, report


def _results(out):
    return {p.relative_to(out): json.loads(p.read_text()) for p in sorted(out.glob("runs/**/seed*.json"))}


def test_every_run_is_written_once(pooled):
    out, report = pooled
    assert (report.total, report.skipped, report.completed, report.failures) == (10, 0, 10, [])
    results = _results(out)
    assert len(results) == 10
    seeds = sorted(r["config"]["seed"] for p, r in results.items() if "Con_Z" in str(p))
    assert seeds == [7, 7, 8, 8]  # two repetitions x two encodings, seeds 7 + k
    assert all(r["train_accuracy"] is None for p, r in results.items() if "c2c" not in str(p))
    assert json.loads((out / "sweep.json").read_text()) == GRID.to_dict()


def test_every_sweep_run_equals_the_standalone_run_with_its_seed(pooled, data_dir, epoch1_cache):
    """Replicas in a worker, with the encoded pool it cached for another model, give the same run as
    training that seed alone."""
    out, _ = pooled
    for path, swept in _results(out).items():
        if "c2c" in str(path):
            continue
        config = TrainConfig(**swept["config"])
        data = task_data(config, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
        [alone] = train_repetitions(config, [config.seed], data=data, train_accuracy=False, progress=False)
        assert swept["loss_history"] == pytest.approx(alone["loss_history"], rel=1e-9), path
        assert swept["test_accuracy"] == alone["test_accuracy"], path


def test_rerun_skips_finished_runs_and_redoes_a_missing_one(pooled, data_dir, epoch1_cache):
    out, _ = pooled
    before = _results(out)
    missing = out / "runs/c2c/0-1/C2C_1D/seed1.json"
    missing.unlink()
    report = run_sweep(GRID, out, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert (report.skipped, report.completed) == (9, 1)
    after = _results(out)
    assert after.keys() == before.keys()
    assert after[missing.relative_to(out)]["test_accuracy"] == before[missing.relative_to(out)]["test_accuracy"]


def test_results_of_another_configuration_are_refused(pooled, data_dir, epoch1_cache):
    out, _ = pooled
    other = replace(GRID, train=replace(GRID.train, steps=6))
    with pytest.raises(QcnnTlError, match="holds a run of another configuration"):
        run_sweep(other, out, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)


def test_dask_local_cluster_gives_the_same_results(pooled, tmp_path, data_dir, epoch1_cache):
    from distributed import LocalCluster

    out, _ = pooled
    grid = replace(GRID, models=(("U_SU4", "none"),), encodings=("angle",), c2c=())
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = run_sweep(
            grid,
            tmp_path,
            scheduler=cluster.scheduler_address,
            data_dir=data_dir,
            cache_dir=epoch1_cache,
            progress=False,
        )
    assert (report.completed, report.failures) == (2, [])
    for path, result in _results(tmp_path).items():
        assert result["weights"] == pytest.approx(_results(out)[path]["weights"], abs=1e-12)


def test_unreachable_scheduler_is_a_clear_error(tmp_path, data_dir, epoch1_cache):
    grid = replace(GRID, models=(("U_SU4", "none"),), encodings=("angle",), c2c=(), repetitions=1)
    with pytest.raises(QcnnTlError, match="cannot reach the Dask scheduler"):
        run_sweep(grid, tmp_path, scheduler="tcp://127.0.0.1:9", data_dir=data_dir, cache_dir=epoch1_cache)


def test_cli_sweep_then_summarize(pooled, tmp_path, data_dir, epoch1_cache, capsys):
    out, _ = pooled
    common = ["--out", str(out), "--quiet", "--data-dir", str(data_dir), "--cache-dir", str(epoch1_cache)]
    assert main(["sweep", str(CI_GRID), *common, "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "0 runs done, 10 already finished, 0 units failed" in printed
    assert "| U_SU4 / none | 45 |" in printed and "Headline claim" in printed
    assert main(["summarize", str(out), "--out", str(tmp_path / "summary")]) == 0
    assert (tmp_path / "summary" / "summary_angle.png").is_file()
    assert main(["sweep", str(CI_GRID), "--steps", "6", *common]) == 2  # flags override the file
    assert "holds a run of another configuration" in capsys.readouterr().err
    assert main(["sweep", "--models", "U_SU4", "--out", str(tmp_path / "x")]) == 2
    assert "must be 'ANSATZ/POOLING'" in capsys.readouterr().err
