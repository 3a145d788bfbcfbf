"""`qcnn-tl evaluate` and `qcnn-tl jobs` end to end on a small CNN and a short training run."""

from __future__ import annotations

import json
import shutil

import pytest

from qcnn_tl.cli.main import main


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory, small_cnn, data_dir, once):
    return once("evaluate: trained model", lambda: _train_model(tmp_path_factory, small_cnn, data_dir))


def _train_model(tmp_path_factory, small_cnn, data_dir):
    tmp_path = tmp_path_factory.mktemp("trained")
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


@pytest.fixture(scope="module")
def angle_model(tmp_path_factory, data_dir, epoch1_cache, once):
    return once("evaluate: angle model", lambda: _angle_model(tmp_path_factory, data_dir, epoch1_cache))


def _angle_model(tmp_path_factory, data_dir, epoch1_cache):
    out = tmp_path_factory.mktemp("angle") / "train"
    argv = ["train", "--steps", "10", "--cnn-epochs", "1", "--ansatz", "U_TTN", "--encoding", "angle"]
    argv += ["--out", str(out), "--data-dir", str(data_dir), "--cache-dir", str(epoch1_cache), "--quiet"]
    assert main(argv) == 0
    return out / "result.json", epoch1_cache


def _evaluate_args(result_path, data_dir, cache, *extra):
    return [
        "evaluate",
        "--model",
        str(result_path),
        "--data-dir",
        str(data_dir),
        "--cache-dir",
        str(cache),
        "--quiet",
        *extra,
    ]


@pytest.mark.slow
@pytest.mark.xdist_group("evaluate")
def test_train_then_evaluate_then_jobs(trained_model, data_dir, tmp_path, capsys):
    result_path, cache = trained_model
    result = json.loads(result_path.read_text())
    assert result["num_train"] == 12665 and result["num_test"] == 2115
    assert 0.5 < result["test_accuracy"] <= 1.0
    assert (result_path.parent / "loss.png").is_file()
    capsys.readouterr()
    run_dir = tmp_path / "eval"
    args = _evaluate_args(
        result_path,
        data_dir,
        cache,
        "--profile",
        "ideal",
        "--simulator",
        "aer",
        "--samples",
        "40",
        "--run-dir",
        str(run_dir),
    )
    assert main(args) == 0
    summary = json.loads((run_dir / "evaluation.json").read_text())
    assert summary["samples"] == 40 and summary["ideal_accuracy"] == summary["target_accuracy"]
    assert summary["mean_abs_shift"]["unmitigated"] < 1e-9
    out = capsys.readouterr().out
    assert "ideal (exact engine)" in out and "aer unmitigated" in out
    # the model lives in the run folder: moving the original away does not break `jobs fetch`
    result_path.rename(result_path.with_suffix(".moved"))
    assert main(["jobs", "status", str(run_dir)]) == 0
    assert "1/1 jobs done" in capsys.readouterr().out
    assert main(["jobs", "fetch", str(run_dir), "--cache-dir", str(cache)]) == 0
    result_path.with_suffix(".moved").rename(result_path)

    # a second run into the same folder is refused before anything is written
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    assert main(args) == 2
    assert "already holds run" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before

    # a missing ideal.npy is a one-line error saying how to recover
    (run_dir / "ideal.npy").unlink()
    assert main(["jobs", "status", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "missing ideal.npy" in err and "start a new run" in err and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.xdist_group("evaluate")
def test_noisy_engine_evaluates_the_whole_split_and_agrees_with_aer(angle_model, data_dir, tmp_path, capsys):
    """The default simulator for aer:<fake> is the noisy engine: the whole test split, readout and shot variants;
    Aer jobs (``--simulator aer``, exact) on the same ISA circuit give the same noisy values."""
    import numpy as np

    result_path, cache = angle_model
    capsys.readouterr()
    engine_dir, aer_dir = tmp_path / "engine", tmp_path / "aer"
    args = _evaluate_args(result_path, data_dir, cache, "--backend", "aer:fake_brisbane")
    assert main([*args, "--shots", "4000", "--run-dir", str(engine_dir)]) == 0
    out = capsys.readouterr().out
    assert "aer:fake_brisbane noisy+readout" in out
    summary = json.loads((engine_dir / "evaluation.json").read_text())
    assert summary["samples"] == 2115 and summary["job_ids"] == []
    assert set(summary["accuracies"]) == {"noisy", "noisy+readout", "noisy/shots", "noisy+readout/shots"}
    assert summary["mean_abs_shift"]["noisy"] > 1e-3  # the noise moves <Z>
    assert main([*args, "--simulator", "aer", "--shots", "0", "--samples", "2", "--run-dir", str(aer_dir)]) == 0
    ours = np.loadtxt(engine_dir / "expectations.csv", delimiter=",", skiprows=1)[:2]
    theirs = np.loadtxt(aer_dir / "expectations.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(theirs[:, 2], ours[:, 2], atol=1e-12)  # ideal
    np.testing.assert_allclose(theirs[:, 3], ours[:, 3], atol=1e-9)  # Aer density matrix vs noisy engine


@pytest.mark.slow
@pytest.mark.xdist_group("evaluate")
def test_mitigated_local_evaluation_and_dry_run(trained_model, data_dir, tmp_path, capsys, monkeypatch):
    result_path, cache = trained_model
    capsys.readouterr()
    import qiskit_ibm_runtime.executor_estimator as executor_estimator

    def no_estimator(*args, **kwargs):
        raise AssertionError("a dry run must not create an estimator")

    with monkeypatch.context() as m:
        m.setattr(executor_estimator, "Estimator", no_estimator)
        dry = _evaluate_args(result_path, data_dir, cache, "--profile", "ibm_local_zne", "--samples", "4", "--dry-run")
        assert main(dry) == 0
    out = capsys.readouterr().out
    assert "nothing submitted" in out and "estimated circuit fidelity" in out and "device time" in out
    assert "mitigated" in out and "unmitigated" in out
    assert not (tmp_path / "runs").exists() and not list(tmp_path.glob("eval*"))

    run_dir = tmp_path / "zne"
    args = _evaluate_args(result_path, data_dir, cache, "--profile", "ibm_local_zne", "--samples", "4")
    assert main([*args, "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "ibm-local:fake_brisbane mitigated" in out and "ibm-local:fake_brisbane unmitigated" in out
    summary = json.loads((run_dir / "evaluation.json").read_text())
    assert set(summary["accuracies"]) == {"mitigated", "unmitigated"}
    assert summary["options"]["estimator_options"]["mitigated"]["resilience"]["zne_mitigation"] is True
    assert (run_dir / "expectations.csv").read_text().startswith("sample,label,ideal,mitigated,unmitigated")


@pytest.mark.parametrize("samples", ["0", "-5"])
def test_samples_must_be_positive(samples, capsys):
    assert main(["evaluate", "--model", "x.json", "--samples", samples]) == 2
    assert f"--samples must be a positive integer; got {samples}" in capsys.readouterr().err


def test_default_run_dirs_are_unique(tmp_path):
    from qcnn_tl.evaluation import default_run_dir

    first = default_run_dir("ibm:ibm_brisbane", tmp_path)
    first.mkdir()
    second = default_run_dir("ibm:ibm_brisbane", tmp_path)
    assert first != second and first.name.startswith("eval-ibm_ibm_brisbane-")


def test_evaluate_bad_model_file(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["evaluate", "--model", str(bad)]) == 2
    assert "x.json is not a qcnn_tl run result: config must be a JSON object" in capsys.readouterr().err
