"""``qcnn-tl train`` end to end: under a device's noise, evaluated under another, and resumed."""

from __future__ import annotations

import json

from qcnn_tl.cli.main import main


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
