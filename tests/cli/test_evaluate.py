"""`qcnn-tl evaluate` and `qcnn-tl jobs` end to end on a small CNN and a short training run."""

from __future__ import annotations

import json
import shutil

import pytest

from qcnn_tl.cli.main import main


@pytest.fixture
def trained_model(tmp_path, small_cnn, data_dir):
    cache = tmp_path / "cache"
    (cache / "cnn").mkdir(parents=True)
    # Stand-in for the 1-epoch CNN that `--cnn-epochs 1` asks for (trained here on a subset, for speed).
    shutil.copy(small_cnn.path, cache / "cnn" / "fashion_cnn_F256_e1_s0.pt")
    out = tmp_path / "train"
    args = [
        "train",
        "--steps",
        "20",
        "--cnn-epochs",
        "1",
        "--ansatz",
        "U_TTN",
        "--out",
        str(out),
        "--data-dir",
        str(data_dir),
        "--cache-dir",
        str(cache),
        "--quiet",
    ]
    assert main(args) == 0
    return out / "result.json", cache


def test_train_then_evaluate_then_jobs(trained_model, data_dir, tmp_path, capsys):
    result_path, cache = trained_model
    result = json.loads(result_path.read_text())
    assert result["num_train"] == 12665 and result["num_test"] == 2115
    assert 0.5 < result["test_accuracy"] <= 1.0
    assert (result_path.parent / "loss.png").is_file()
    capsys.readouterr()
    run_dir = tmp_path / "eval"
    args = [
        "evaluate",
        "--model",
        str(result_path),
        "--profile",
        "ideal",
        "--samples",
        "40",
        "--run-dir",
        str(run_dir),
        "--data-dir",
        str(data_dir),
        "--cache-dir",
        str(cache),
        "--quiet",
    ]
    assert main(args) == 0
    summary = json.loads((run_dir / "evaluation.json").read_text())
    assert summary["samples"] == 40 and summary["ideal_accuracy"] == summary["target_accuracy"]
    assert summary["mean_abs_expectation_shift"] < 1e-9
    assert "ideal (exact engine)" in capsys.readouterr().out
    assert main(["jobs", "status", str(run_dir)]) == 0
    assert "1/1 jobs done" in capsys.readouterr().out
    assert main(["jobs", "fetch", str(run_dir)]) == 0


def test_evaluate_bad_model_file(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["evaluate", "--model", str(bad)]) == 2
    assert "is not a qcnn_tl result.json" in capsys.readouterr().err
