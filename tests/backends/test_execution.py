"""The Runtime ``Batch``/``Session`` of an ``ibm:<device>`` target: opened at the first job, always closed.

IBM Quantum cannot be reached from the tests: the service, the modes and the client-side Estimator are
recording fakes around the real fake device's target (the transpilation is real).
"""

from __future__ import annotations

import gc
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest

from qcnn_tl import evaluation
from qcnn_tl.backends import execution
from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.jobs import RunManifest
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.evaluation import evaluate_model, resume_evaluation
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.training.config import TrainConfig
from tests.results import qcnn_result


class RecordingMode:
    """Stands in for ``qiskit_ibm_runtime.Batch``/``Session``: records opening and every ``close()``."""

    opened: ClassVar[list[RecordingMode]] = []

    def __init__(self, *, backend):
        self.backend = backend
        self.closes = 0
        RecordingMode.opened.append(self)

    def close(self):
        self.closes += 1


class FakeJob:
    def __init__(self, job_id, rows, fail):
        self._id, self._rows, self._fail = job_id, rows, fail

    def job_id(self):
        return self._id

    def result(self):
        if self._fail:
            raise RuntimeError("the device went away")
        return [SimpleNamespace(data=SimpleNamespace(evs=np.zeros(len(self._rows))))]


class FakeEstimator:
    """Stands in for the client-side Runtime Estimator: every job returns ⟨Z⟩ = 0 (or fails)."""

    fail = False
    submitted: ClassVar[list[FakeJob]] = []

    def __init__(self, *, mode, options):
        assert isinstance(mode, RecordingMode)  # the estimator runs in the opened mode
        self.mode = mode

    def run(self, pubs):
        ((_, _, rows),) = pubs
        job = FakeJob(f"job-{len(FakeEstimator.submitted)}", rows, FakeEstimator.fail)
        FakeEstimator.submitted.append(job)
        return job


@pytest.fixture
def fake_ibm(monkeypatch):
    """``ibm:ibm_fake`` resolves to fake_brisbane's target; Batch, Session and the Estimator are recorders."""
    import qiskit_ibm_runtime
    import qiskit_ibm_runtime.executor_estimator

    RecordingMode.opened = []
    FakeEstimator.submitted, FakeEstimator.fail = [], False
    jobs = {}

    def fetch(job_id):
        return jobs.setdefault(job_id, FakeJob(job_id, np.zeros(len(FakeEstimator.submitted[0]._rows)), False))

    service = SimpleNamespace(backend=lambda name: fake_backend("fake_brisbane"), job=fetch)
    monkeypatch.setattr(execution, "runtime_service", lambda: service)
    monkeypatch.setattr(qiskit_ibm_runtime, "Batch", RecordingMode)
    monkeypatch.setattr(qiskit_ibm_runtime, "Session", RecordingMode)
    monkeypatch.setattr(qiskit_ibm_runtime.executor_estimator, "Estimator", FakeEstimator)
    kept = []  # the targets `evaluate` builds stay alive here, so only an explicit close closes their mode

    def keep(*args, **kwargs):
        kept.append(execution_target(*args, **kwargs))
        return kept[-1]

    monkeypatch.setattr(evaluation, "execution_target", keep)
    return RecordingMode.opened


def _model(template, rng):
    return qcnn_result(TrainConfig(encoding="angle", ansatz="U_TTN"), rng.normal(size=template.num_weights))


PROFILE = RunProfile(backend="ibm:ibm_fake", shots=100)


@pytest.fixture
def angle_template():
    return build_qcnn("U_TTN", "zx", encoding="angle")


class TestModeLifetime:
    def test_nothing_is_opened_before_a_job(self, fake_ibm, angle_template, tmp_path):
        with execution_target(angle_template, PROFILE, cache_dir=tmp_path) as target:
            assert target.options["mode"] == "batch"
        assert fake_ibm == []

    def test_evaluate_closes_its_batch_on_success(self, fake_ibm, angle_template, tmp_path, rng):
        model = _model(angle_template, rng)
        features = rng.uniform(size=(5, 8))
        summary = evaluate_model(
            model, features, np.ones(5), PROFILE, tmp_path / "run", cache_dir=tmp_path, rows_per_job=2
        )
        assert summary.job_ids == ["job-0", "job-1", "job-2"]
        assert [mode.closes for mode in fake_ibm] == [1]

    def test_evaluate_closes_its_batch_when_a_job_fails(self, fake_ibm, angle_template, tmp_path, rng):
        FakeEstimator.fail = True
        with pytest.raises(QcnnTlError, match="jobs failed"):
            evaluate_model(_model(angle_template, rng), rng.uniform(size=(3, 8)), np.ones(3), PROFILE, tmp_path / "r")
        assert [mode.closes for mode in fake_ibm] == [1]

    def test_evaluate_closes_its_batch_on_ctrl_c_and_fetch_needs_none(self, fake_ibm, angle_template, tmp_path, rng):
        def interrupt(index):
            raise KeyboardInterrupt

        run = tmp_path / "run"
        with pytest.raises(KeyboardInterrupt):
            evaluate_model(
                _model(angle_template, rng),
                rng.uniform(size=(3, 8)),
                np.ones(3),
                PROFILE,
                run,
                cache_dir=tmp_path,
                after_submit=interrupt,
            )
        assert [mode.closes for mode in fake_ibm] == [1]
        assert RunManifest.load(run).entries[0].job_ids == ["job-0"]
        resume_evaluation(run, cache_dir=tmp_path)  # fetches job-0: no new mode is opened
        assert [mode.closes for mode in fake_ibm] == [1]

    def test_training_session_closes_with_the_model(self, fake_ibm, angle_template, tmp_path, rng):
        target = execution_target(angle_template, PROFILE, cache_dir=tmp_path, session=True)
        assert target.options["mode"] == "session"
        FakeEstimator.fail = True
        with (
            EstimatorQCNN(angle_template, target, gradient="spsa") as model,
            pytest.raises(QcnnTlError, match="the device went away"),
        ):
            model(model.prepare(rng.uniform(size=(2, 8))))
        assert [mode.closes for mode in fake_ibm] == [1]

    def test_a_closed_target_opens_a_new_mode_and_a_forgotten_one_is_closed(
        self, fake_ibm, angle_template, tmp_path, rng
    ):
        target = execution_target(angle_template, PROFILE, cache_dir=tmp_path)
        run = target.run_pubs()[target.primary]
        run([(target.circuit, target.observable, np.zeros((1, target.circuit.num_parameters)))])
        target.close()
        target.close()
        run([(target.circuit, target.observable, np.zeros((1, target.circuit.num_parameters)))])
        assert [mode.closes for mode in fake_ibm] == [1, 0]
        del target, run
        gc.collect()
        assert [mode.closes for mode in fake_ibm] == [1, 1]

    def test_a_failing_close_is_logged_not_raised(self, fake_ibm, angle_template, tmp_path, caplog, monkeypatch):
        def broken(self):
            raise ConnectionError("no network")

        monkeypatch.setattr(RecordingMode, "close", broken)
        with execution_target(angle_template, PROFILE, cache_dir=tmp_path) as target:
            run = target.run_pubs()[target.primary]
            run([(target.circuit, target.observable, np.zeros((1, target.circuit.num_parameters)))])
        assert "could not close the Runtime RecordingMode: ConnectionError: no network" in caplog.text
