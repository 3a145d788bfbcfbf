"""``qcnn-tl train`` end to end: under a device's noise, evaluated under another, and resumed."""

from __future__ import annotations

import json

import pytest

from qcnn_tl.cli.main import main
from tests.results import result_json


def test_train_under_noise_end_to_end(tmp_path, data_dir, epoch1_cache, capsys):
    out = tmp_path / "run"
    argv = [
        "train",
        *("--ansatz", "U_TTN", "--encoding", "angle", "--task", "0,1", "--steps", "6", "--cnn-epochs", "1"),
        *("--noise", "fake_torino", "--noise-scale", "2", "--readout-error", "--evaluate-noise", "fake_brisbane"),
        *("--out", str(out), "--data-dir", str(data_dir), "--cache-dir", str(epoch1_cache), "--quiet"),
    ]
    assert main(argv) == 0
    result = json.loads((out / "result.json").read_text())
    config = result["config"]
    assert (config["noise"], config["noise_scale"], config["readout_error"]) == ("fake_torino", 2.0, True)
    assert len(result["loss_history"]) == 6
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert set(result["noisy_test_accuracy"]) == {"fake_brisbane"}
    assert (out / "loss.png").is_file() and (out / "checkpoint.pt").is_file()
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert printed["test_accuracy"] == result["test_accuracy"]
    assert main(argv) == 0  # finished checkpoint: the re-run resumes at the end and reports the same result
    assert json.loads((out / "result.json").read_text())["weights"] == result["weights"]


def test_noise_and_backend_exclude_each_other(capsys):
    assert main(["train", "--noise", "fake_brisbane", "--backend", "aer"]) == 2
    err = capsys.readouterr().err
    assert "exclude each other" in err and "Traceback" not in err


def _train(out, data_dir, cache, *extra):
    return [
        "train",
        *("--ansatz", "U_TTN", "--encoding", "angle", "--task", "0,1", "--cnn-epochs", "1"),
        *("--out", str(out), "--data-dir", str(data_dir), "--cache-dir", str(cache), "--quiet", *extra),
    ]


@pytest.mark.slow
def test_spsa_fine_tuning_on_a_noisy_backend_resumes_from_its_journal(tmp_path, data_dir, epoch1_cache, monkeypatch):
    from qcnn_tl.backends import jobs

    assert main(_train(tmp_path / "exact", data_dir, epoch1_cache, "--steps", "20")) == 0
    start = json.loads((tmp_path / "exact" / "result.json").read_text())["weights"]
    out = tmp_path / "tuned"
    argv = _train(out, data_dir, epoch1_cache, "--steps", "3", "--batch-size", "4", "--backend", "aer:fake_brisbane")
    argv += ["--shots", "2000", "--gradient", "spsa", "--init-from", str(tmp_path / "exact" / "result.json")]
    argv += ["--spsa-learning-rate", "0.05"]  # given: no calibration submissions before the steps
    submitted: list[str] = []
    resumed: list[bool] = []
    save = jobs.RunManifest.save

    def counting(self, folder):
        fresh = [e.key for e in self.entries if e.status == "submitted" and e.key not in submitted]
        submitted.extend(fresh)
        if len(submitted) == 3 and self.entries[-1].status == "done" and not resumed:
            raise KeyboardInterrupt  # the client dies after step 3's jobs were submitted, before their results
        save(self, folder)

    monkeypatch.setattr(jobs.RunManifest, "save", counting)
    assert main(argv) == 130  # Ctrl-C: the command stops and keeps what it wrote
    steps = lambda: jobs.RunManifest.load(out / "journal").entries  # noqa: E731
    assert not (out / "result.json").exists() and len(steps()) == 3
    assert [e.status for e in steps()] == ["done", "done", "submitted"]
    submitted.clear()
    resumed.append(True)
    assert main(argv) == 0
    # Steps 1-2 replayed from the store; step 3 (submitted, no result, Aer jobs die with the client) again.
    assert len(submitted) == 1
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["backend"] == "aer:fake_brisbane" and len(result["loss_history"]) == 3
    assert result["weights"] != start and max(abs(a - b) for a, b in zip(result["weights"], start, strict=True)) < 1
    assert 0.5 < result["test_accuracy"] <= 1.0  # evaluated on the noisy engine under fake_brisbane
    entries = steps()
    assert all(e.status == "done" and e.job_ids for e in entries)
    assert entries[-1].submissions == 2 and "lost with its process" in entries[-1].history[0]["reason"]


@pytest.mark.slow
def test_training_in_runtime_local_mode(tmp_path, data_dir, epoch1_cache):
    from qcnn_tl.backends.jobs import JobStore

    out = tmp_path / "local"
    argv = _train(
        out, data_dir, epoch1_cache, "--steps", "2", "--batch-size", "2", "--backend", "ibm-local:fake_brisbane"
    )
    assert main([*argv, "--shots", "1000", "--gradient", "spsa", "--spsa-learning-rate", "0.05"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert len(result["loss_history"]) == 2
    store = JobStore.load(out / "journal")
    assert len(store) == 2 and store.manifest.options["shots"] == 1000


def test_init_from_must_be_the_same_model(tmp_path, capsys):
    other = tmp_path / "result.json"
    other.write_text(json.dumps(result_json({"ansatz": "U_5", "pooling": "zx", "encoding": "angle"}, 0.9)))
    assert main(["train", "--encoding", "angle", "--init-from", str(other), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "ansatz 'U_5' (here 'U_SU4')" in err and "Traceback" not in err
    other.write_text(json.dumps({"config": {"ansatz": "U_SU4"}, "weights": [0.0]}))
    assert main(["train", "--encoding", "angle", "--init-from", str(other), "--out", str(tmp_path / "o")]) == 2
    assert "result.json is not a qcnn_tl run result: model must be a JSON object" in capsys.readouterr().err
