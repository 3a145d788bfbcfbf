"""Bad input, interruptions and concurrency: one-line errors naming the input, nothing written, nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qcnn_tl._io import create_exclusive, folder_lock
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.cli.main import main
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.training.config import TrainConfig


class TestShots:
    def test_unset_shots_are_exact_on_aer_and_4000_on_runtime(self):
        assert RunProfile(backend="aer:fake_brisbane").shots_per_circuit == 0
        assert RunProfile(backend="ibm-local:fake_brisbane").shots_per_circuit == 4000
        assert RunProfile(backend="ibm-local:fake_brisbane", shots=123).shots_per_circuit == 123

    def test_zero_shots_on_runtime_is_an_error(self):
        with pytest.raises(ValueError, match=r"shots 0 \(exact expectation values\) is for aer"):
            RunProfile(backend="ibm:ibm_brisbane", shots=0)
        with pytest.raises(ValueError, match=r"needs shots > 0"):
            TrainConfig(backend="ibm-local:fake_brisbane", shots=0)

    def test_a_backend_naming_no_fake_device(self):
        with pytest.raises(ValueError, match="backend 'aer:fake_nowhere' names no fake device"):
            TrainConfig(backend="aer:fake_nowhere")

    def test_results_written_with_shots_0_and_no_backend_still_read(self):
        assert TrainConfig(shots=0).shots == 0


def test_checked_before_any_work(data_dir, tmp_path, capsys, monkeypatch):
    """Settings that cannot work are refused before the data are read; the output folder stays empty."""

    def no_data(*args, **kwargs):
        raise AssertionError("the data were read before the inputs were checked")

    monkeypatch.setattr("qcnn_tl.cli.train.data_for", no_data)
    out = tmp_path / "out"
    base = ["train", "--encoding", "angle", "--out", str(out), "--data-dir", str(data_dir), "--quiet"]
    assert main([*base, "--evaluate-noise", "fake_nowhere"]) == 2
    assert "--evaluate-noise names no fake device ['fake_nowhere']" in capsys.readouterr().err
    assert not any(out.iterdir())

    monkeypatch.undo()
    assert main([*base, "--steps", "2"]) == 0  # a checkpoint of this configuration
    monkeypatch.setattr("qcnn_tl.cli.train.data_for", no_data)
    assert main([*base, "--steps", "2", "--seed", "5"]) == 2
    assert "belongs to another configuration; use another --out" in capsys.readouterr().err


def test_a_batch_larger_than_the_pool_is_refused(data_dir, tmp_path, capsys):
    args = ["train", "--encoding", "angle", "--batch-size", "100000000", "--out", str(tmp_path / "out")]
    code = main([*args, "--data-dir", str(data_dir), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.endswith(
        "batch_size 100000000 exceeds the task's 12665 training samples (batches are "
        "drawn from them); choose at most that many"
    )
    assert not any((tmp_path / "out").iterdir())


def test_init_from_a_c2c_result_says_it_needs_a_qcnn_result(tmp_path, capsys):
    from qcnn_tl.c2c.training import C2CConfig

    c2c = {
        "config": C2CConfig().to_dict(),
        "model": {"name": "C2C_1D", "num_weights": 64},
        "test_accuracy": 0.9,
        "train_accuracy": 0.9,
        "num_train": 1,
        "num_test": 1,
        "steps": 1,
        "loss_history": [0.1],
        "wall_time_s": 1.0,
        "cnn": {"content_hash": "x"},
        "versions": {},
    }
    path = tmp_path / "c2c.json"
    path.write_text(json.dumps(c2c))
    assert main(["train", "--init-from", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "it records a C2C head's settings, not TrainConfig" in err and err.count("\n") == 1


class TestFolders:
    def test_a_train_folder_in_use_is_refused_and_a_stale_lock_taken_over(self, tmp_path):
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            (tmp_path / ".lock").write_text(str(sleeper.pid))
            in_use = rf"--out {tmp_path} is in use by another qcnn-tl process \(pid"
            with pytest.raises(QcnnTlError, match=in_use), folder_lock(tmp_path, "--out"):
                pass
        finally:
            sleeper.kill()
            sleeper.wait()
        with folder_lock(tmp_path, "--out"):  # the holder has gone: its lock is stale
            assert (tmp_path / ".lock").read_text() == str(os.getpid())
        assert not (tmp_path / ".lock").exists()

    def test_a_run_dir_claimed_first_by_another_run_is_refused(self, tmp_path, monkeypatch):
        from qcnn_tl import evaluation

        run_dir = tmp_path / "run"
        claimed = []

        def racing_check(folder):  # the other run claims the folder between this run's check and its claim
            run_dir.mkdir()
            claimed.append(create_exclusive(run_dir / "model.json", b"other"))

        monkeypatch.setattr(evaluation, "check_run_dir_free", racing_check)
        with pytest.raises(QcnnTlError, match="was claimed by another run started at the same time"):
            evaluation.claim_run_dir(run_dir, b"mine")
        assert claimed == [True] and (run_dir / "model.json").read_text() == "other"

    def test_an_unwritable_run_dir_is_named_before_the_data_are_read(self, tmp_path, capsys, monkeypatch):
        model = tmp_path / "model.json"
        model.write_text("{}")
        monkeypatch.setattr("qcnn_tl.cli.evaluate.load_model", lambda path: None)
        monkeypatch.setattr("qcnn_tl.cli.evaluate.check_binary", lambda model: None)
        monkeypatch.setattr("qcnn_tl.cli.evaluate.data_for", lambda *a, **k: pytest.fail("data read first"))
        blocker = tmp_path / "file"
        blocker.write_text("")
        assert main(["evaluate", "--model", str(model), "--run-dir", str(blocker / "run")]) == 2
        assert f"--run-dir {blocker / 'run'}" in capsys.readouterr().err

    def test_a_cache_that_is_a_file_is_named(self, tmp_path, capsys, monkeypatch):
        cache = tmp_path / "cache"
        cache.write_text("")
        monkeypatch.setenv("QCNN_TL_CACHE", str(cache))
        assert main(["train", "--encoding", "angle", "--out", str(tmp_path / "out"), "--quiet"]) == 2
        assert f"$QCNN_TL_CACHE {cache} is a file; the cache must be a folder" in capsys.readouterr().err


def test_a_damaged_cached_copy_of_a_shipped_cnn_is_installed_again(tmp_path, caplog):
    from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained

    config = PretrainConfig(num_features=8)
    first = ensure_pretrained(config, cache_dir=tmp_path, progress=False)
    path = tmp_path / "cnn" / config.cache_name()
    path.write_bytes(path.read_bytes()[:1000])
    again = ensure_pretrained(config, cache_dir=tmp_path, progress=False)
    assert again.content_hash == first.content_hash
    assert "installing the shipped checkpoint again" in caplog.text
