"""`qcnn-tl jobs status|fetch` on folders it cannot finish: one-line errors naming the input, or an answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cli.main import main
from qcnn_tl.evaluation import evaluate_model, evaluate_with_engine
from qcnn_tl.training.config import TrainConfig
from tests.results import qcnn_result

PROFILE = RunProfile(backend="aer")


@pytest.fixture
def model(rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    return qcnn_result(TrainConfig(encoding="angle", ansatz="U_TTN"), rng.normal(size=template.num_weights))


@pytest.fixture
def job_run(model, rng, tmp_path):
    """A finished run of Aer jobs (exact, 4 samples)."""
    run = tmp_path / "jobs-run"
    evaluate_model(model, rng.uniform(size=(4, 8)), np.array([0, 1, 0, 1]), PROFILE, run, cache_dir=tmp_path)
    return run


@pytest.mark.parametrize("action", ["status", "fetch"])
def test_an_engine_run_has_no_jobs_and_is_complete(action, model, rng, tmp_path, capsys):
    run = tmp_path / "engine-run"
    evaluate_with_engine(model, rng.uniform(size=(4, 8)), np.array([0, 1, 0, 1]), PROFILE, run)
    assert main(["jobs", action, str(run)]) == 0
    out = capsys.readouterr().out
    assert "engine runs have no jobs and are complete" in out and "qcnn_tl exact engine" in out


def test_a_manifest_that_is_not_utf8_is_named(job_run, capsys):
    (job_run / "manifest.json").write_bytes(b'{"run_id": "\xff\xfe"}')
    assert main(["jobs", "status", str(job_run)]) == 2
    err = capsys.readouterr().err
    assert f"{job_run / 'manifest.json'} is not UTF-8 text" in err and err.count("\n") == 1
    assert main(["jobs", "fetch", str(job_run)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


@pytest.mark.parametrize("action", ["status", "fetch"])
def test_a_backend_edited_in_the_manifest_is_refused(action, job_run, capsys):
    path = job_run / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps(manifest | {"backend": "aer:fake_nowhere"}))
    (job_run / "result_0.npz").unlink()  # `fetch` would recompute it under the stored options
    before = {p.name: p.read_bytes() for p in job_run.iterdir()}
    assert main(["jobs", action, str(job_run)]) == 2
    err = capsys.readouterr().err
    assert "names backend 'aer:fake_nowhere' but the run was submitted to 'aer'" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in job_run.iterdir()} == before


@pytest.mark.parametrize("action", ["status", "fetch"])
def test_a_training_journal_is_named_as_such(action, rng, tmp_path, capsys):
    from qcnn_tl.backends.execution import execution_target
    from qcnn_tl.qnn.in_the_loop import EstimatorQCNN

    template = build_qcnn("U_TTN", "zx", encoding="angle")
    journal = tmp_path / "journal"
    model = EstimatorQCNN(template, execution_target(template, PROFILE), store=journal)
    model.measure(model.prepare(rng.normal(size=(1, 8))).numpy(), np.zeros(template.num_weights), jacobian=False)
    assert main(["jobs", action, str(journal)]) == 2
    err = capsys.readouterr().err
    assert "job store of a training run" in err and "`qcnn-tl train` command again" in err and err.count("\n") == 1
