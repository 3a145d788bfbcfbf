"""Sweeps end to end on real data (one-epoch CNNs): local process pool, Dask, resume, CLI, summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from qcnn_tl.backends.jobs import JobStore
from qcnn_tl.cli.main import main
from qcnn_tl.cnn.task_data import task_data
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.reports.summary import summarize
from qcnn_tl.sweep.grid import grid_from_dict
from qcnn_tl.sweep.runner import run_sweep
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import train_repetitions

REPO = Path(__file__).resolve().parents[2]
CI_GRID = REPO / "benchmarks" / "ci_grid.toml"
GRID = grid_from_dict(tomllib.loads(CI_GRID.read_text()))


@pytest.fixture(scope="module")
def pooled(tmp_path_factory, data_dir, epoch1_cache, once):
    """The grid on a two-process local pool."""

    def build():
        out = tmp_path_factory.mktemp("sweep")
        return out, run_sweep(GRID, out, workers=2, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)

    return once("pooled sweep", build)


def _results(out):
    return {p.relative_to(out): json.loads(p.read_text()) for p in sorted(out.glob("runs/**/seed*.json"))}


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_every_run_is_written_once(pooled):
    out, report = pooled
    assert (report.total, report.skipped, report.completed, report.failures) == (10, 0, 10, [])
    results = _results(out)
    assert len(results) == 10
    seeds = sorted(r["config"]["seed"] for p, r in results.items() if "Con_Z" in str(p))
    assert seeds == [7, 7, 8, 8]  # two repetitions x two encodings, seeds 7 + k
    assert all(r["train_accuracy"] is None for p, r in results.items() if "c2c" not in str(p))
    assert json.loads((out / "sweep.json").read_text()) == GRID.to_dict()


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_every_sweep_run_equals_the_standalone_run_with_its_seed(pooled, data_dir, epoch1_cache):
    """Replicas in a worker, with the encoded pool it cached for another model, give the same run as
    training that seed alone."""
    out, _ = pooled
    compared = 0
    for path, swept in _results(out).items():
        if "U_SU4" not in str(path) or swept["config"]["seed"] != 7:
            continue  # U_SU4 is the model that reuses the pool its worker encoded for Con_Z
        config = TrainConfig(**swept["config"])
        data = task_data(config, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
        [alone] = train_repetitions(config, [config.seed], data=data, train_accuracy=False, progress=False)
        assert swept["loss_history"] == pytest.approx(alone.loss_history, rel=1e-9), path
        assert swept["test_accuracy"] == alone.test_accuracy, path
        compared += 1
    assert compared == 2  # amplitude and angle


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
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


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_results_of_another_configuration_are_refused(pooled, data_dir, epoch1_cache):
    out, _ = pooled
    other = replace(GRID, train=replace(GRID.train, steps=6))
    with pytest.raises(QcnnTlError, match="holds a run of another configuration"):
        run_sweep(other, out, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert json.loads((out / "sweep.json").read_text()) == GRID.to_dict()  # the folder's grid is unchanged


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(workers, tmp_path):
    with pytest.raises(ValueError, match=r"workers must be a positive integer \(or None: one per CPU core\)"):
        run_sweep(GRID, tmp_path, workers=workers)
    assert not (tmp_path / "sweep.json").exists()


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
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


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_unreachable_scheduler_is_a_clear_error(tmp_path, data_dir, epoch1_cache):
    grid = replace(GRID, models=(("U_SU4", "none"),), encodings=("angle",), c2c=(), repetitions=1)
    with pytest.raises(QcnnTlError, match="cannot reach the Dask scheduler"):
        run_sweep(grid, tmp_path, scheduler="tcp://127.0.0.1:9", data_dir=data_dir, cache_dir=epoch1_cache)


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
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


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
class TestStopping:
    """A killed driver takes its workers with it; Ctrl-C stops promptly and keeps every finished run."""

    @staticmethod
    def _start(tmp_path, data_dir, epoch1_cache, *, toml):
        spec = tmp_path / "grid.toml"
        spec.write_text(toml)
        out = tmp_path / "out"
        command = [sys.executable, "-m", "qcnn_tl.cli.main", "sweep", str(spec), "--out", str(out), "--quiet"]
        command += ["--data-dir", str(data_dir), "--cache-dir", str(epoch1_cache), "--workers", "2"]
        driver = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a shell gives a foreground job
        )
        return driver, out

    @staticmethod
    def _wait_for(condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    @staticmethod
    def _alive(processes):
        alive = []
        for process in processes:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:  # pid 1 may not reap orphans at once
                    alive.append(process)
            except psutil.NoSuchProcess:
                pass
        return alive

    def _workers_started(self, driver, count):
        children = psutil.Process(driver.pid).children()
        workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
        return children if len(workers) >= count else None

    LONG = '[grid]\nmodels = ["U_SU4/zx", "Con_Z/zx"]\nencodings = ["angle"]\ntasks = ["0,1"]\nrepetitions = 1\n'

    def test_sigkill_of_the_driver_ends_its_workers(self, pooled, tmp_path, data_dir, epoch1_cache):
        toml = self.LONG + "c2c = []\n[train]\nsteps = 1000000\ncnn_epochs = 1\n"
        driver, _ = self._start(tmp_path, data_dir, epoch1_cache, toml=toml)
        try:
            self._wait_for(lambda: self._workers_started(driver, 2), 120, "two workers")
            children = self._workers_started(driver, 2)
            assert len(children) >= 3  # two workers and multiprocessing's resource tracker
            time.sleep(2)  # let the workers get into their units
            driver.kill()
            driver.wait(timeout=10)
            self._wait_for(lambda: not self._alive(children), 10, f"{self._alive(children)} to end")
        finally:
            for process in self._alive(psutil.Process(driver.pid).children() if driver.poll() is None else []):
                process.kill()
            driver.kill()

    def test_ctrl_c_stops_promptly_and_keeps_finished_runs(self, pooled, tmp_path, data_dir, epoch1_cache):
        toml = self.LONG.replace(', "Con_Z/zx"', "") + 'c2c = ["1d"]\n[train]\nsteps = 1000000\ncnn_epochs = 1\n'
        toml += "[c2c]\nnum_train = 500\ncnn_epochs = 1\n"  # a quick C2C run beside a QCNN run that never ends
        driver, out = self._start(tmp_path, data_dir, epoch1_cache, toml=toml)
        try:
            self._wait_for(lambda: list(out.glob("runs/c2c/**/seed*.json")), 180, "the C2C run")
            children = psutil.Process(driver.pid).children()
            start = time.monotonic()
            os.killpg(driver.pid, signal.SIGINT)
            _, err = driver.communicate(timeout=15)
            assert time.monotonic() - start < 10
            assert driver.returncode == 130, err
            assert "qcnn-tl sweep: interrupted after" in err and "Traceback" not in err
            assert "1 runs of this call are written (1 of 2 in" in err and "do the other 1." in err
            self._wait_for(lambda: not self._alive(children), 10, f"{self._alive(children)} to end")
            assert [p.name for p in out.glob("runs/**/seed*.json")] == ["seed0.json"]
        finally:
            driver.kill()


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_noise_sweep_trains_and_evaluates_under_noise(tmp_path, data_dir, epoch1_cache):
    """[grid] noise trains on the noisy engine (one run per scale); evaluate_noise evaluates every run under
    each device at each scale; the summary gains the noise table and charts."""
    grid = grid_from_dict(
        {
            "grid": {
                **{"models": ["U_TTN/zx"], "encodings": ["angle"], "tasks": ["0,1"], "repetitions": 1, "c2c": []},
                **{"noise": ["none", "fake_brisbane"], "noise_scales": [1, 2], "evaluate_noise": ["fake_brisbane"]},
            },
            "train": {"steps": 3, "cnn_epochs": 1},
        }
    )
    out = tmp_path / "noise"
    report = run_sweep(grid, out, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert (report.completed, report.failures) == (3, [])
    results = {p.parts[-4]: r for p, r in _results(out).items()}
    assert set(results) == {"angle", "angle@fake_brisbane", "angle@fake_brisbane_x2"}
    assert set(results["angle"]["noisy_test_accuracy"]) == {"fake_brisbane", "fake_brisbane x2"}
    own = results["angle@fake_brisbane"]
    assert own["noisy_test_accuracy"]["fake_brisbane"] == own["test_accuracy"]  # its own noise, evaluated twice
    doubled = results["angle@fake_brisbane_x2"]
    config = TrainConfig(**doubled["config"])
    assert (config.noise, config.noise_scale, config.engine) == ("fake_brisbane", 2.0, "noisy")
    data = task_data(config, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    [alone] = train_repetitions(config, [config.seed], data=data, train_accuracy=False, progress=False)
    assert doubled["loss_history"] == pytest.approx(alone.loss_history, rel=1e-9)
    assert doubled["test_accuracy"] == alone.test_accuracy
    assert doubled["loss_history"] != pytest.approx(results["angle"]["loss_history"], rel=1e-6)
    summary = summarize(out)
    assert "| U_TTN / zx | 0,1 | fake_brisbane x2 |" in summary["markdown"]
    assert {Path(f).name for f in summary["files"]} >= {"summary_noise.png", "summary_noise_scale.png"}


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
def test_sweep_with_an_estimator_in_the_loop(tmp_path, data_dir, epoch1_cache):
    grid = grid_from_dict(
        {
            "grid": {"models": ["U_TTN/zx"], "encodings": ["angle"], "tasks": ["0,1"], "repetitions": 2, "c2c": []},
            "train": {"steps": 2, "batch_size": 2, "cnn_epochs": 1, "backend": "aer:fake_brisbane", "shots": 1000},
        }
    )
    grid = replace(
        grid, train=replace(grid.train, gradient="spsa", spsa_learning_rate=0.05), evaluate_noise=("fake_torino",)
    )
    report = run_sweep(grid, tmp_path, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert (report.completed, report.failures) == (2, [])
    folder = tmp_path / "runs" / "angle@aer_fake_brisbane" / "0-1" / "U_TTN_zx"
    weights = []
    for seed in (0, 1):
        result = json.loads((folder / f"seed{seed}.json").read_text())
        assert result["config"]["backend"] == "aer:fake_brisbane" and len(result["loss_history"]) == 2
        assert set(result["noisy_test_accuracy"]) == {"fake_torino"} and result["train_accuracy"] is None
        assert (folder / f"seed{seed}" / "checkpoint.pt").is_file()
        assert len(JobStore.load(folder / f"seed{seed}" / "journal")) == 2  # one submission per step
        weights.append(result["weights"])
    assert weights[0] != weights[1]
    again = run_sweep(grid, tmp_path, workers=1, data_dir=data_dir, cache_dir=epoch1_cache, progress=False)
    assert (again.skipped, again.completed) == (2, 0)
    summary = summarize(tmp_path, tmp_path / "summary")
    assert str(tmp_path / "summary" / "summary_angle@aer_fake_brisbane.png") in summary["files"]
    # trained with aer:fake_brisbane in the loop: its own accuracy is the noisy engine's under fake_brisbane
    assert "| model | task | trained | evaluated fake_brisbane | evaluated fake_torino |" in summary["markdown"]
    assert "| U_TTN / zx | 0,1 | aer:fake_brisbane |" in summary["markdown"]
