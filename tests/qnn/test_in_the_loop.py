"""The estimator-in-the-loop module: its Jacobians against the torch engines, and its job store."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.jobs import MANIFEST, RunManifest
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.in_the_loop import SPSA_PERTURBATION, EstimatorQCNN
from qcnn_tl.qnn.noisy import NoisyEngine, device_noise


def _model(backend: str, gradient: str, tmp_path, *, shots: int = 0, ansatz: str = "U_TTN", encoding: str = "angle"):
    template = build_qcnn(ansatz, "zx", encoding=encoding)
    target = execution_target(template, RunProfile(backend=backend, shots=shots), cache_dir=tmp_path / "cache")
    return EstimatorQCNN(template, target, gradient=gradient, store=tmp_path / "journal", seed=3)


def _entries(tmp_path):
    """The entries of the store in ``journal/`` (none before its manifest is written)."""
    folder = tmp_path / "journal"
    return RunManifest.load(folder).entries if (folder / MANIFEST).is_file() else []


def _jacobian(engine, inputs, weights):
    w = torch.tensor(weights, requires_grad=True)
    return torch.autograd.functional.jacobian(lambda v: engine(inputs, v), w).numpy()


@pytest.mark.slow
def test_parameter_shift_jacobian_equals_the_noisy_engine(tmp_path, rng):
    model = _model("aer:fake_brisbane", "param-shift", tmp_path)
    inputs = rng.normal(size=(1, 8))
    weights = rng.normal(size=model.template.num_weights)
    values, jac = model.measure(model.prepare(inputs).numpy(), weights, jacobian=True)
    engine = NoisyEngine.from_isa(model.template, model.target.isa, device_noise(fake_backend("fake_brisbane")))
    x = model.template.input_values(inputs)
    np.testing.assert_allclose(values, engine(x, torch.as_tensor(weights)).numpy(), atol=1e-9, rtol=0)
    np.testing.assert_allclose(jac, _jacobian(engine, x, weights), atol=1e-9, rtol=0)
    assert np.abs(jac).max() > 1e-2


def test_mps_encoding_through_the_device_route_equals_the_noisy_engine(tmp_path, rng):
    """The MPS staircase, transpiled and run on Aer with fake_torino's noise, against the noisy engine."""
    model = _model("aer:fake_torino", "spsa", tmp_path, encoding="mps2-1")
    features = rng.normal(size=(2, 256))
    weights = rng.normal(size=model.template.num_weights)
    values, _ = model.measure(model.prepare(features).numpy(), weights, jacobian=False)
    engine = NoisyEngine.from_isa(model.template, model.target.isa, device_noise(fake_backend("fake_torino")))
    expected = engine(model.template.input_values(features), torch.as_tensor(weights)).numpy()
    np.testing.assert_allclose(values, expected, atol=1e-9, rtol=0)
    exact = ExactEngine.from_template(model.template)(model.template.input_values(features), torch.as_tensor(weights))
    assert np.abs(values - exact.numpy()).max() > 1e-3


def test_spsa_jacobian_is_the_simultaneous_perturbation_difference(tmp_path, rng):
    model = _model("aer", "spsa", tmp_path)
    inputs = model.prepare(rng.normal(size=(3, 8))).numpy()
    weights = rng.normal(size=model.template.num_weights)
    values, jac = model.measure(inputs, weights, jacobian=True)
    exact = ExactEngine.from_template(model.template)
    f = lambda w: exact(inputs, torch.as_tensor(w)).numpy()  # noqa: E731
    np.testing.assert_allclose(values, f(weights), atol=1e-9, rtol=0)
    # Every row is the same ±1 perturbation times the sample's central difference along it.
    delta = np.sign(jac[0])
    assert set(np.unique(delta)) == {-1.0, 1.0}
    c = SPSA_PERTURBATION
    slope = (f(weights + c * delta) - f(weights - c * delta)) / (2 * c)
    np.testing.assert_allclose(jac, slope[:, None] * delta[None, :], atol=1e-9, rtol=0)


def test_backward_gives_grad_out_times_the_jacobian(tmp_path, rng):
    model = _model("aer", "param-shift", tmp_path)
    prepared = model.prepare(rng.normal(size=(2, 8)))
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(rng.normal(size=model.template.num_weights)))
    out = model(prepared)
    (out * torch.tensor([1.0, -2.0], dtype=torch.float64)).sum().backward()
    exact = ExactEngine.from_template(model.template)
    jac = _jacobian(exact, prepared.numpy(), model.weight.detach().numpy())
    np.testing.assert_allclose(model.weight.grad.numpy(), np.array([1.0, -2.0]) @ jac, atol=1e-9, rtol=0)
    with torch.no_grad():  # evaluation submits the values only
        assert model(prepared).shape == (2,)


def test_journal_replays_a_step_without_submitting_it(tmp_path, rng):
    model = _model("aer:fake_brisbane", "spsa", tmp_path, shots=500)
    inputs = model.prepare(rng.normal(size=(2, 8))).numpy()
    weights = rng.normal(size=model.template.num_weights)
    first = model.measure(inputs, weights, jacobian=True)
    assert len(model.store) == 1
    again = _model("aer:fake_brisbane", "spsa", tmp_path, shots=500)  # a new process resuming the run

    def refuse(*_):
        raise AssertionError("a journaled step was submitted again")

    again._run = refuse
    replay = again.measure(inputs, weights, jacobian=True)
    np.testing.assert_array_equal(first[0], replay[0])
    np.testing.assert_array_equal(first[1], replay[1])
    with pytest.raises(AssertionError, match="submitted again"):  # a different step is submitted
        again.measure(inputs, weights + 1, jacobian=True)


def test_submitted_jobs_are_collected_by_id_after_a_crash(tmp_path, rng):
    model = _model("aer:fake_brisbane", "spsa", tmp_path, shots=500)
    inputs = model.prepare(rng.normal(size=(1, 8))).numpy()
    weights = rng.normal(size=model.template.num_weights)
    jobs = {}
    submit = model._run

    def crash_after_submitting(pubs):
        job = submit(pubs)
        jobs[job.job_id()] = job
        raise KeyboardInterrupt

    model._run = crash_after_submitting
    with pytest.raises(KeyboardInterrupt):
        model.measure(inputs, weights, jacobian=True)
    # The job id was not recorded (the crash came before the store's write), so it is submitted again;
    # a job id that was recorded is fetched from the service instead.
    assert not _entries(tmp_path)
    model._run = submit
    values, _ = model.measure(inputs, weights, jacobian=True)
    manifest = RunManifest.load(tmp_path / "journal")
    [entry] = manifest.entries
    assert entry.status == "done" and entry.submissions == 1
    entry.status = "submitted"
    manifest.save(tmp_path / "journal")
    resumed = _model("aer:fake_brisbane", "spsa", tmp_path, shots=500)
    fetched = []
    resumed.target.fetch_job = lambda job_id: fetched.append(job_id) or _Done(values)
    resumed._run = lambda *_: pytest.fail("a submitted step was submitted again")
    np.testing.assert_array_equal(resumed.measure(inputs, weights, jacobian=True)[0], values)
    assert len(fetched) == 1


class _Done:
    """A fetched job whose result holds ``values`` and the SPSA rows (three copies)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.tile(values, 3)

    def job_id(self) -> str:
        return "fetched"

    def result(self):
        class Data:
            evs = self.values

        class Pub:
            data = Data

        return [Pub]


def test_unreadable_journal_entry_and_bad_arguments(tmp_path, rng):
    model = _model("aer", "spsa", tmp_path)
    inputs = model.prepare(rng.normal(size=(1, 8))).numpy()
    weights = np.zeros(model.template.num_weights)
    model.measure(inputs, weights, jacobian=False)
    [entry] = _entries(tmp_path)
    (tmp_path / "journal" / entry.result_file).write_text("{not json")
    with pytest.raises(QcnnTlError, match=r"unreadable.*delete it"):
        model.measure(inputs, weights, jacobian=False)
    with pytest.raises(ValueError, match="gradient must be one of param-shift, spsa; got 'adam'"):
        EstimatorQCNN(model.template, model.target, gradient="adam")
    with pytest.raises(ValueError, match="initial_weights must have shape"):
        EstimatorQCNN(model.template, model.target, initial_weights=np.zeros(3))
    with pytest.raises(ValueError, match=r"^spsa_resamplings must be a positive integer; got 0$"):
        EstimatorQCNN(model.template, model.target, spsa_resamplings=0)
    with pytest.raises(ValueError, match=r"^spsa_perturbation must be positive and finite; got -0\.1$"):
        EstimatorQCNN(model.template, model.target, spsa_perturbation=-0.1)


class TestJournalSetting:
    """A store replays only steps measured under the same backend, shots, circuit and estimator options."""

    def _measure_once(self, tmp_path, rng, **kwargs):
        model = _model("aer", "spsa", tmp_path, **kwargs)
        model.measure(
            model.prepare(rng.normal(size=(1, 8))).numpy(), np.zeros(model.template.num_weights), jacobian=False
        )
        assert len(model.store) == 1

    def test_other_shots_are_refused(self, tmp_path, rng):
        self._measure_once(tmp_path, rng, shots=500)
        with pytest.raises(QcnnTlError, match=r"other settings \(.*options.shots: 500 in the store, 100 now\)"):
            _model("aer", "spsa", tmp_path, shots=100)
        _model("aer", "spsa", tmp_path, shots=500)  # the same setting resumes

    def test_another_backend_or_circuit_is_refused(self, tmp_path, rng):
        self._measure_once(tmp_path, rng)
        with pytest.raises(QcnnTlError, match=r"backend: 'aer' in the store, 'aer:fake_brisbane' now"):
            _model("aer:fake_brisbane", "spsa", tmp_path)
        with pytest.raises(QcnnTlError, match="circuit_hash"):
            _model("aer", "spsa", tmp_path, ansatz="U_SU4")

    def test_results_without_a_manifest_are_refused(self, tmp_path, rng):
        self._measure_once(tmp_path, rng)
        (tmp_path / "journal" / MANIFEST).unlink()
        with pytest.raises(QcnnTlError, match=f"holds files but no {MANIFEST}.*delete the folder"):
            _model("aer", "spsa", tmp_path)


def test_a_parameter_shift_step_is_one_job_of_several_pubs(tmp_path, rng):
    inputs, weights = rng.normal(size=(2, 8)), rng.normal(size=12)
    found = {}
    for pubs_per_job in (1, 8):
        model = _model("aer", "param-shift", tmp_path / str(pubs_per_job))
        model.pubs_per_job = pubs_per_job
        jobs, submit = [], model._run
        model._run = lambda pubs, submit=submit, jobs=jobs: jobs.append(len(pubs)) or submit(pubs)
        found[pubs_per_job] = model.measure(model.prepare(inputs).numpy(), weights, jacobian=True)
        assert jobs == ([1, 1] if pubs_per_job == 1 else [2])  # the circuit at the weights, its shifted copy
    np.testing.assert_array_equal(found[1][0], found[8][0])
    np.testing.assert_array_equal(found[1][1], found[8][1])
    with pytest.raises(ValueError, match="pubs_per_job must be a positive integer; got 0"):
        EstimatorQCNN(model.template, model.target, pubs_per_job=0)


def test_ctrl_c_while_a_local_job_runs_keeps_its_result(tmp_path, rng):
    """A Ctrl-C while the step waits for its local job: the job's result is recorded, then the Ctrl-C goes on."""
    model = _model("aer", "spsa", tmp_path)
    inputs = model.prepare(rng.normal(size=(2, 8))).numpy()
    weights = rng.normal(size=model.template.num_weights)
    submit = model._run

    class InterruptedOnce:
        def __init__(self, job):
            self.job, self.calls = job, 0

        def job_id(self):
            return self.job.job_id()

        def result(self):
            self.calls += 1
            if self.calls == 1:
                raise KeyboardInterrupt
            return self.job.result()

    model._run = lambda pubs: InterruptedOnce(submit(pubs))
    with pytest.raises(KeyboardInterrupt):
        model.measure(inputs, weights, jacobian=True)
    [entry] = _entries(tmp_path)
    assert entry.status == "done"
    model._run = lambda pubs: pytest.fail("a step whose result was kept was submitted again")
    values, _ = model.measure(inputs, weights, jacobian=True)
    exact = ExactEngine.from_template(model.template)
    np.testing.assert_allclose(values, exact(inputs, torch.as_tensor(weights)).numpy(), atol=1e-9, rtol=0)


def test_spsa_resamplings_average_r_directions_in_one_job(tmp_path, rng):
    """R directions: B(1 + 2R) rows in one job, each sample's Jacobian the mean of its R SPSA estimates."""
    template = _model("aer", "spsa", tmp_path).template
    target = execution_target(template, RunProfile(backend="aer", shots=0), cache_dir=tmp_path / "cache")
    model = EstimatorQCNN(template, target, gradient="spsa", seed=3, spsa_perturbation=0.15, spsa_resamplings=3)
    submitted, run = [], model._run
    model._run = lambda pubs: submitted.append(pubs) or run(pubs)
    inputs = model.prepare(rng.normal(size=(2, 8))).numpy()
    weights = rng.normal(size=template.num_weights)
    values, jac = model.measure(inputs, weights, jacobian=True)
    [pubs] = submitted
    rows = np.concatenate([pub[2] for pub in pubs])
    assert rows.shape[0] == 2 * (1 + 2 * 3)
    ordered = np.empty_like(rows)
    names = [p.name for p in (*template.input_params, *template.weight_params)]
    ordered[:, [names.index(p.name) for p in target.circuit.parameters]] = rows  # back to [inputs | weights]
    row_weights = ordered[:, inputs.shape[1] :].reshape(1 + 2 * 3, 2, -1)  # [point, sample, weight]
    np.testing.assert_allclose(row_weights[0], np.broadcast_to(weights, (2, len(weights))), atol=1e-15, rtol=0)
    deltas = (row_weights[1::2, 0] - weights) / 0.15
    np.testing.assert_allclose(np.abs(deltas), 1.0, atol=1e-9, rtol=0)
    np.testing.assert_allclose(row_weights[2::2, 0], weights - 0.15 * deltas, atol=1e-12, rtol=0)
    assert len({tuple(np.round(d)) for d in deltas}) == 3  # three independent directions
    exact = ExactEngine.from_template(template)
    f = lambda w: exact(inputs, torch.as_tensor(w)).numpy()  # noqa: E731
    estimates = [((f(weights + 0.15 * d) - f(weights - 0.15 * d)) / 0.3)[:, None] * d[None, :] for d in deltas]
    np.testing.assert_allclose(values, f(weights), atol=1e-9, rtol=0)
    np.testing.assert_allclose(jac, np.mean(estimates, axis=0), atol=1e-9, rtol=0)


def test_an_spsa_step_is_journaled_under_its_perturbation_and_resamplings(tmp_path, rng):
    model = _model("aer", "spsa", tmp_path)
    inputs = model.prepare(rng.normal(size=(1, 8))).numpy()
    weights = rng.normal(size=model.template.num_weights)
    model.measure(inputs, weights, jacobian=True)
    model.spsa_perturbation = 0.1
    model.measure(inputs, weights, jacobian=True)
    model.spsa_resamplings = 2
    model.measure(inputs, weights, jacobian=True)
    assert len(model.store) == 3
    model.measure(inputs, weights, jacobian=True)  # the same step again: replayed
    assert len(model.store) == 3


def test_without_a_store_nothing_is_kept(tmp_path, rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    target = execution_target(template, RunProfile(backend="aer", shots=0), cache_dir=tmp_path / "cache")
    model = EstimatorQCNN(template, target, gradient="spsa", store=None, seed=3)
    sent, run = [], model._run
    model._run = lambda pubs: sent.append(len(pubs)) or run(pubs)
    inputs = model.prepare(rng.normal(size=(2, 8))).numpy()
    weights = rng.normal(size=template.num_weights)
    first, _ = model.measure(inputs, weights, jacobian=False)
    again, _ = model.measure(inputs, weights, jacobian=False)
    np.testing.assert_array_equal(first, again)
    assert len(sent) == 2 and len(model.store) == 0 and not list(tmp_path.glob("**/manifest.json"))
