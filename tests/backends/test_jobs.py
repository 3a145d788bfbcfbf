"""The job store as evaluation runs use it: batch submission, resume after a crash, failed jobs, damaged folders."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.jobs import FORMAT, RunManifest, entry_state, resume, start_run
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.backends.transpile import circuit_hash
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.expectations import exact_expectations
from qcnn_tl.qnn.hardware import evaluate_on_target, run_on_target
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN

SECRET = "do-not-leak-0123456789"


def _small_run(tmp_path, *, local, rows=10, rows_per_job=3, variants=("unmitigated",)):
    theta = Parameter("t")
    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    values = np.arange(rows, dtype=float).reshape(-1, 1)
    run = tmp_path / "run"
    start_run(
        run,
        circuit,
        SparsePauliOp("Z"),
        values,
        backend="fake",
        options={},
        circuit_hash="x",
        variants=variants,
        local=local,
        rows_per_job=rows_per_job,
        files={"labels.npy": lambda h: np.save(h, np.zeros(rows))},
    )
    return run, values


class FakeJob:
    def __init__(self, job_id, rows, *, fail=False):
        self._id, self._rows, self._fail = job_id, rows, fail

    def job_id(self):
        return self._id

    def result(self):
        if self._fail:
            raise RuntimeError(f"job {self._id} failed on the device")
        return [SimpleNamespace(data=SimpleNamespace(evs=self._rows[:, 0] * 10))]


class FakeService:
    """Queues jobs; the job ids in ``fail`` fail once; ``crash_after`` submissions raise (a client crash)."""

    def __init__(self, *, fail=(), crash_after=None):
        self.jobs, self.submitted, self.fail, self.crash_after = {}, [], set(fail), crash_after
        self.results_read_before_all_submitted = False

    def run_pub(self, pubs):
        ((_, _, rows),) = pubs  # one PUB per job
        job_id = f"job-{len(self.submitted)}"
        self.submitted.append(tuple(rows[:, 0]))
        self.jobs[job_id] = FakeJob(job_id, rows, fail=job_id in self.fail)
        return self.jobs[job_id]

    def fetch_job(self, job_id):
        return self.jobs[job_id]

    def after_submit(self, index):
        if self.crash_after is not None and len(self.submitted) == self.crash_after:
            raise SystemExit("client crashed")


class TestBatch:
    def test_every_job_submitted_before_any_result_is_read(self, tmp_path):
        run, values = _small_run(tmp_path, local=False)
        service = FakeService()
        order = []
        original = FakeJob.result

        def spy(self):
            order.append(("result", self._id))
            return original(self)

        def run_pub(pubs):
            job = service.run_pub(pubs)
            order.append(("submit", job.job_id()))
            return job

        FakeJob.result = spy
        try:
            evs = resume(run, run_pub, fetch_job=service.fetch_job)
        finally:
            FakeJob.result = original
        assert [kind for kind, _ in order] == ["submit"] * 4 + ["result"] * 4
        np.testing.assert_allclose(evs["unmitigated"], values[:, 0] * 10)

    def test_crash_and_failure_then_resume_submits_each_chunk_once(self, tmp_path):
        run, values = _small_run(tmp_path, local=False)  # 4 chunks
        service = FakeService(fail={"job-2"}, crash_after=1)
        with pytest.raises(SystemExit):
            resume(run, service.run_pub, fetch_job=service.fetch_job, after_submit=service.after_submit)
        manifest = RunManifest.load(run)
        assert [e.status for e in manifest.entries] == ["submitted", "pending", "pending", "pending"]
        assert manifest.entries[0].job_ids == ["job-0"]  # recorded as soon as it was returned

        service.crash_after = None
        with pytest.raises(QcnnTlError, match=r"1 of 4 jobs failed \(job 2: RuntimeError: job job-2 failed.*resubmits"):
            resume(run, service.run_pub, fetch_job=service.fetch_job)
        manifest = RunManifest.load(run)
        assert [e.status for e in manifest.entries] == ["done", "done", "failed", "done"]

        evs = resume(run, service.run_pub, fetch_job=service.fetch_job)
        manifest = RunManifest.load(run)
        assert manifest.done
        assert [e.submissions for e in manifest.entries] == [1, 1, 2, 1]
        assert manifest.entries[2].history[0]["job_ids"] == ["job-2"]
        assert "failed on the device" in manifest.entries[2].history[0]["reason"]
        starts = [rows[0] for rows in service.submitted]
        assert sorted(starts) == [0.0, 3.0, 6.0, 6.0, 9.0]  # chunk 2 twice, every other chunk once
        np.testing.assert_allclose(evs["unmitigated"], values[:, 0] * 10)
        submitted_before = len(service.submitted)
        resume(run, service.run_pub, fetch_job=service.fetch_job)  # a finished run submits nothing
        assert len(service.submitted) == submitted_before

    def test_variants_have_their_own_chunks(self, tmp_path):
        run, _ = _small_run(tmp_path, local=False, variants=("mitigated", "unmitigated"))
        services = {"mitigated": FakeService(), "unmitigated": FakeService()}
        runs = {v: s.run_pub for v, s in services.items()}
        jobs = {}

        def fetch(job_id):
            return jobs[job_id]

        evs = resume(run, runs, fetch_job=fetch)
        assert set(evs) == {"mitigated", "unmitigated"}
        assert all(len(s.submitted) == 4 for s in services.values())


class TestLocal:
    def test_lost_local_job_is_shown_and_rerun(self, tmp_path):
        run, values = _small_run(tmp_path, local=True)
        service = FakeService(crash_after=2)
        with pytest.raises(SystemExit):
            resume(run, service.run_pub, after_submit=service.after_submit)
        manifest = RunManifest.load(run)
        assert [e.status for e in manifest.entries] == ["done", "submitted", "pending", "pending"]
        assert entry_state(manifest, manifest.entries[1]) == "running"  # this process is alive
        manifest.entries[1].pid = _dead_pid()
        manifest.save(run)
        assert entry_state(RunManifest.load(run), manifest.entries[1]) == "lost"
        service.crash_after = None
        evs = resume(run, service.run_pub)
        manifest = RunManifest.load(run)
        assert [e.submissions for e in manifest.entries] == [1, 2, 1, 1]
        assert "lost with its process" in manifest.entries[1].history[0]["reason"]
        np.testing.assert_allclose(evs["unmitigated"], values[:, 0] * 10)

    def test_interrupt_keeps_finished_chunks_and_stops(self, tmp_path, rng):
        template = build_qcnn("U_SU4", "zx", encoding="angle")
        features, weights = rng.normal(size=(7, 8)), rng.normal(size=template.num_weights)
        target = execution_target(template, RunProfile(backend="aer"))
        submitted = []

        def interrupt(index):
            submitted.append(index)
            if index == 1:
                raise KeyboardInterrupt

        run = tmp_path / "run"
        with pytest.raises(KeyboardInterrupt):
            evaluate_on_target(template, weights, features, target, run, rows_per_job=3, after_submit=interrupt)
        assert submitted == [0, 1]  # nothing submitted after the interrupt
        manifest = RunManifest.load(run)
        assert [e.status for e in manifest.entries] == ["done", "submitted", "pending"]
        first = (run / "result_0.npz").read_bytes()
        evs = resume(run, target.run_pubs())
        assert (run / "result_0.npz").read_bytes() == first
        np.testing.assert_allclose(evs["unmitigated"], exact_expectations(template, features, weights), atol=1e-9)
        with pytest.raises(QcnnTlError, match="already holds run"):
            evaluate_on_target(template, weights, features, target, run)


def _dead_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


class TestDamagedRuns:
    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            (lambda d: {}, "manifest lacks"),
            (lambda d: d | {"surprise": 1}, "unknown key 'surprise'"),
            (lambda d: d | {"entries": [{"key": "0"}]}, "job 0 lacks 'variant'"),
            (lambda d: d | {"entries": [d["entries"][0] | {"status": "done", "job_ids": []}]}, "job 0 is incomplete"),
            (lambda d: d | {"entries": [d["entries"][0] | {"rows": [0]}]}, "job 0 is incomplete"),
            (lambda d: d | {"format": 3}, "manifest format 3 is not 2"),
            (lambda d: [1], "not a JSON object"),
        ],
    )
    def test_malformed_manifest_is_one_line(self, tmp_path, edit, message):
        run, _ = _small_run(tmp_path, local=True)
        data = json.loads((run / "manifest.json").read_text())
        (run / "manifest.json").write_text(json.dumps(edit(data)))
        with pytest.raises(QcnnTlError, match=message) as info:
            resume(run, FakeService().run_pub)
        assert "\n" not in str(info.value) and "start a new run" in str(info.value)

    def test_missing_or_altered_inputs(self, tmp_path):
        run, _ = _small_run(tmp_path, local=True)
        (run / "labels.npy").unlink()
        with pytest.raises(QcnnTlError, match=r"missing labels.npy.*start a new run"):
            resume(run, FakeService().run_pub)
        run2, _ = _small_run(tmp_path / "b", local=True)
        np.save(run2 / "rows.npy", np.ones((10, 1)))
        with pytest.raises(QcnnTlError, match=r"rows\.npy does not match run"):
            resume(run2, FakeService().run_pub)

    def test_done_job_without_result_is_recomputed(self, tmp_path):
        run, values = _small_run(tmp_path, local=True)
        service = FakeService()
        resume(run, service.run_pub)
        (run / "result_1.npz").unlink()
        from qcnn_tl.backends.jobs import verify_run

        with pytest.raises(QcnnTlError, match=r"job 1 is done but result_1.npz is missing; `qcnn-tl jobs fetch"):
            verify_run(run, RunManifest.load(run))
        evs = resume(run, service.run_pub)
        assert len(service.submitted) == 5
        np.testing.assert_allclose(evs["unmitigated"], values[:, 0] * 10)

    def test_folder_with_files_is_refused_before_writing(self, tmp_path):
        run, _ = _small_run(tmp_path, local=True)
        before = {p.name: p.read_bytes() for p in run.iterdir()}
        with pytest.raises(QcnnTlError, match=r"already holds run .*\(nothing was written\)"):
            _small_run(tmp_path, local=True)
        assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_runtime_local_mode_end_to_end(tmp_path, rng, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", SECRET)
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    features, weights = rng.normal(size=(6, 8)), rng.normal(size=template.num_weights)
    target = execution_target(template, RunProfile(backend="ibm-local:fake_brisbane", shots=2000))
    assert target.circuit.num_qubits == 8  # the device cut to the qubits the ISA circuit uses
    evs = evaluate_on_target(template, weights, features, target, tmp_path / "run", rows_per_job=3)
    assert evs.shape == (6,)
    manifest = RunManifest.load(tmp_path / "run")
    assert manifest.done and len(manifest.entries) == 2 and all(e.job_ids for e in manifest.entries)
    assert manifest.options["shots"] == 2000
    assert manifest.options["engine"] == "qiskit_ibm_runtime.executor_estimator.Estimator"
    finalized = manifest.options["estimator_options"]["unmitigated"]
    assert finalized["resilience_level"] == 0 and finalized["twirling"]["enable_measure"] is False
    ideal = exact_expectations(template, features, weights)
    assert np.max(np.abs(evs - ideal)) < 0.5  # noisy and sampled, but the same model
    for path in (tmp_path / "run").iterdir():
        assert SECRET.encode() not in path.read_bytes()


def test_mitigation_brings_local_result_closer_to_ideal(tmp_path):
    """ZNE (gate folding 1, 3; linear) with TREX on FakeBrisbane cut to 8 qubits, fixed seed (about 15 s)."""
    from qcnn_tl.backends.profiles import Twirling, Zne

    template = build_qcnn("U_TTN", "zx", encoding="angle")
    features = np.random.default_rng(0).normal(size=(3, 8))
    weights = np.zeros(template.num_weights)
    profile = RunProfile(
        backend="ibm-local:fake_brisbane",
        shots=1000,
        resilience_level=2,
        twirling=Twirling(num_randomizations=2),
        zne=Zne(noise_factors=(1, 3), extrapolator=("linear",)),
    )
    target = execution_target(template, profile)
    assert set(target.variants) == {"mitigated", "unmitigated"}
    assert target.variants["mitigated"]["resilience"]["zne_mitigation"] is True
    values = run_on_target(template, weights, features, target, tmp_path / "run")
    ideal = exact_expectations(template, features, weights)
    error = {v: float(np.mean(np.abs(evs - ideal))) for v, evs in values.items()}
    assert error["mitigated"] < error["unmitigated"] - 0.02, error
    manifest = RunManifest.load(tmp_path / "run")
    assert manifest.options["estimator_options"]["mitigated"]["resilience"]["zne"]["noise_factors"] == [1.0, 3.0]


def test_deprecated_runtime_estimator_v2_still_runs_the_cut_circuit(rng):
    """Keeps the old server-side path honest until it is removed: same circuit, same model."""
    from qiskit_ibm_runtime import EstimatorV2

    template = build_qcnn("U_TTN", "zx", encoding="angle")
    target = execution_target(template, RunProfile(backend="ibm-local:fake_brisbane", shots=2000))
    features, weights = rng.normal(size=(2, 8)), rng.normal(size=template.num_weights)
    rows = template.parameter_rows(target.circuit.parameters, template.input_values(features), weights)
    with pytest.warns(DeprecationWarning):
        estimator = EstimatorV2(mode=target.run_backend)
    evs = estimator.run([(target.circuit, target.observable, rows)]).result()[0].data.evs
    assert np.max(np.abs(evs - exact_expectations(template, features, weights))) < 0.5


def test_unknown_target_names():
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    with pytest.raises(ValueError, match="unknown backend 'ibm'"):
        execution_target(template, RunProfile(backend="ibm"))
    with pytest.raises(ValueError, match="unknown fake device"):
        execution_target(template, RunProfile(backend="ibm-local:fake_x"))
    with pytest.raises(ValueError, match=r"unknown fake device 'fake_nowhere'; expected one of: .*fake_brisbane"):
        execution_target(template, RunProfile(backend="aer:fake_nowhere"))
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        execution_target(template, RunProfile(backend="gpu"))
    assert execution_target(template, RunProfile(backend="aer")).name == "aer"
    assert execution_target(template, RunProfile(backend="aer:fake_torino")).name == "aer:fake_torino"


def test_ibm_without_credentials_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no saved account
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    with pytest.raises(QcnnTlError, match="QISKIT_IBM_TOKEN"):
        execution_target(template, RunProfile(backend="ibm:ibm_brisbane"))


def test_ibm_connection_failure_with_a_token_reports_the_failure(monkeypatch):
    import qiskit_ibm_runtime

    def refuse(**kwargs):
        raise ConnectionError(f"could not reach the server with {kwargs['token']}")

    monkeypatch.setenv("QISKIT_IBM_TOKEN", SECRET)
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", refuse)
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    with pytest.raises(QcnnTlError) as info:
        execution_target(template, RunProfile(backend="ibm:ibm_brisbane"))
    message = str(info.value)
    assert "ConnectionError: could not reach the server" in message
    assert "set QISKIT_IBM_TOKEN" not in message and SECRET not in message


def test_manifest_is_json(tmp_path, rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    target = execution_target(template, RunProfile(backend="aer"))
    evaluate_on_target(template, rng.normal(size=12), rng.normal(size=(2, 8)), target, tmp_path / "r")
    data = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert set(data) >= {"run_id", "backend", "options", "circuit_hash", "hashes", "observables", "entries", "format"}
    assert set(data["hashes"]) == {"rows.npy", "circuit.qpy"}


class TestKeepOnInterrupt:
    class Job:
        def __init__(self, interrupts: int):
            self.interrupts = interrupts

        def result(self):
            if self.interrupts:
                self.interrupts -= 1
                raise KeyboardInterrupt
            return "done"

    def test_a_first_ctrl_c_waits_for_the_result_then_is_raised(self, capsys):
        from qcnn_tl.backends.jobs import KeepOnInterrupt

        keep = KeepOnInterrupt()
        assert keep.result(self.Job(1)) == "done"
        assert "waiting for the running job to finish" in capsys.readouterr().err
        with pytest.raises(KeyboardInterrupt):
            keep.raise_if_interrupted()

    def test_a_second_ctrl_c_abandons_the_wait(self):
        from qcnn_tl.backends.jobs import KeepOnInterrupt

        keep = KeepOnInterrupt()
        with pytest.raises(KeyboardInterrupt):
            keep.result(self.Job(2))
        no_interrupt = KeepOnInterrupt()
        assert no_interrupt.result(self.Job(0)) == "done"
        no_interrupt.raise_if_interrupted()


class TestOneStore:
    """An evaluation run and a training step are recorded in one format and resumed through one path."""

    def test_an_evaluation_and_a_training_step_resume_without_resubmitting(self, tmp_path, rng):
        template = build_qcnn("U_TTN", "zx", encoding="angle")
        target = execution_target(template, RunProfile(backend="aer", shots=0))
        features, weights = rng.normal(size=(5, 8)), rng.normal(size=template.num_weights)
        run, journal = tmp_path / "run", tmp_path / "journal"

        def interrupt(index):
            if index == 1:
                raise KeyboardInterrupt  # the evaluation stops once its second chunk is submitted

        with pytest.raises(KeyboardInterrupt):
            evaluate_on_target(template, weights, features, target, run, rows_per_job=2, after_submit=interrupt)

        class Dies:
            """A job whose process dies while waiting for it."""

            def __init__(self, job):
                self.job = job

            def job_id(self):
                return self.job.job_id()

            def result(self):
                raise SystemExit("client died")

        model = EstimatorQCNN(template, target, gradient="spsa", store=journal, seed=1)
        inputs = model.prepare(features[:2]).numpy()
        run_pubs = model._run
        model._run = lambda pubs: Dies(run_pubs(pubs))
        with pytest.raises(SystemExit):
            model.measure(inputs, weights, jacobian=True)

        evaluation, training = RunManifest.load(run), RunManifest.load(journal)
        assert evaluation.format == training.format == FORMAT
        assert evaluation.identity() == training.identity()  # the same target, circuit, observable and options
        assert training.circuit_hash == circuit_hash(target.circuit)
        assert [e.status for e in evaluation.entries] == ["done", "submitted", "pending"]
        assert [e.status for e in training.entries] == ["submitted"]
        first = (run / "result_0.npz").read_bytes()

        exact = exact_expectations(template, features, weights)
        np.testing.assert_allclose(resume(run, target.run_pubs())["unmitigated"], exact, atol=1e-9)
        assert (run / "result_0.npz").read_bytes() == first  # the finished chunk was not run again
        assert [e.submissions for e in RunManifest.load(run).entries] == [1, 2, 1]

        resumed = EstimatorQCNN(template, target, gradient="spsa", store=journal, seed=1)
        sent = []
        resumed._run = lambda pubs: sent.append(len(pubs)) or run_pubs(pubs)
        values, _ = resumed.measure(inputs, weights, jacobian=True)
        np.testing.assert_allclose(values, exact[:2], atol=1e-9)
        [entry] = RunManifest.load(journal).entries
        assert (
            entry.status == "done" and entry.submissions == 2 and "lost with its process" in entry.history[0]["reason"]
        )
        assert len(sent) == 1
        resumed.measure(inputs, weights, jacobian=True)  # recorded: read back, not submitted
        assert len(sent) == 1

    def test_an_old_run_folder_is_named_as_such(self, tmp_path):
        (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "x", "chunks": []}))
        with pytest.raises(QcnnTlError, match="written by an older qcnn_tl"):
            RunManifest.load(tmp_path)
