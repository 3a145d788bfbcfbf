"""The k-class readout on every engine: exact vs Statevector marginals, Aer through EstimatorQNN, the loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import Statevector

from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.backends.targets import fake_backend, ideal_estimator, ideal_isa, noisy_estimator
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.qnn.aer import estimator_qnn
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.qnn.noisy import NoisyEngine, device_noise
from qcnn_tl.qnn.readout import accuracy, class_probabilities, isa_observables, predict
from qcnn_tl.training.loop import qcnn_loss


def statevector_class_probabilities(template, inputs, weights):
    """Renormalised marginal of the readout qubits, straight from ``Statevector.probabilities``."""
    out = []
    for x in inputs:
        values = dict(zip(template.input_params + template.weight_params, np.concatenate([x, weights]), strict=True))
        marginal = Statevector(template.circuit.assign_parameters(values)).probabilities(list(template.readout_qubits))
        out.append(marginal[: template.num_classes] / marginal[: template.num_classes].sum())
    return np.array(out)


@pytest.mark.parametrize("num_classes", [3, 4, 6, 10, 16])
@pytest.mark.parametrize(
    ("ansatz", "pooling", "encoding"), [("U_SU4", "zx", "angle"), ("U_TTN", "generalized", "amplitude")]
)
def test_exact_marginals_match_statevector(ansatz, pooling, encoding, num_classes, rng):
    template = build_qcnn(ansatz, pooling, encoding=encoding, num_classes=num_classes)
    inputs = template.input_values(rng.normal(size=(3, template.num_features)))
    weights = rng.normal(size=template.num_weights)
    ev = ExactEngine.from_template(template)(inputs, torch.tensor(weights))
    assert ev.shape == (3, len(template.observables))
    reference = statevector_class_probabilities(template, inputs, weights)
    np.testing.assert_allclose(class_probabilities(ev, num_classes).numpy(), reference, atol=1e-12)
    np.testing.assert_allclose(class_probabilities(ev.numpy(), num_classes), reference, atol=1e-12)


def test_replicas_and_gradients(rng):
    template = build_qcnn("U_SU4", "zx", encoding="angle", num_classes=4)
    model = ExactQCNN(template, replicas=2, initial_weights=rng.normal(size=(2, template.num_weights)))
    states = model.prepare(rng.normal(size=(4, 8)))
    together = model(states.expand(2, *states.shape))
    for r in range(2):
        single = model.engine.expectation(states, model.weight[r])
        torch.testing.assert_close(together[r], single, atol=1e-13, rtol=0)
    w = torch.tensor(rng.normal(size=template.num_weights), requires_grad=True)
    assert torch.autograd.gradcheck(lambda w: model.engine.expectation(states, w), (w,))


@pytest.mark.parametrize(("num_classes", "encoding", "gradient"), [(4, "angle", True), (10, "amplitude", False)])
def test_aer_agrees_with_exact(num_classes, encoding, gradient, rng):
    """All Z-strings in one EstimatorQNN (one PUB per call): values to 1e-9, gradients to 1e-9."""
    template = build_qcnn("U_SU4", "zx", encoding=encoding, num_classes=num_classes)
    inputs = template.input_values(rng.normal(size=(2, template.num_features)))
    weights = rng.normal(size=template.num_weights)
    engine = ExactEngine.from_template(template)
    w = torch.tensor(weights, requires_grad=True)
    qnn = estimator_qnn(template, ideal_isa(template), ideal_estimator())
    np.testing.assert_allclose(qnn.forward(inputs, weights), engine(inputs, w).detach().numpy(), atol=1e-9)
    if gradient:
        jacobian = torch.autograd.functional.jacobian(lambda w: engine(inputs, w), w).numpy()
        np.testing.assert_allclose(qnn.backward(inputs, weights)[1], jacobian, atol=1e-9)


def test_noisy_engine_agrees_with_aer_density_matrix(rng):
    """Each Z-string pulled back through the noisy trainable part; Aer estimates all of them in one PUB."""
    backend = fake_backend("fake_brisbane")
    template = build_qcnn("U_SU4", "zx", encoding="angle", num_classes=4)
    isa = transpile_for_target(
        template.circuit, template.observable, target=backend.target, optimization_level=1, seed_transpiler=1234
    )
    observables = isa_observables(template, isa)
    assert [o.paulis[0].to_label().count("Z") for o in observables] == [1, 1, 2]
    noise = device_noise(backend)
    inputs = template.input_values(rng.normal(size=(2, 8)))
    weights = rng.normal(size=template.num_weights)
    ours = NoisyEngine.from_isa(template, isa, noise)(inputs, torch.as_tensor(weights)).numpy()
    names = [p.name for p in (*template.input_params, *template.weight_params)]
    rows = [dict(zip(names, [*x, *weights], strict=True)) for x in inputs]
    bound = np.array([[row[p.name] for p in isa.circuit.parameters] for row in rows])
    pub = (isa.circuit, [[o] for o in observables], bound)
    aer = noisy_estimator(backend).run([pub]).result()[0].data.evs
    np.testing.assert_allclose(ours, aer.T, atol=1e-9, rtol=0)
    noiseless = ExactEngine.from_template(template)(inputs, torch.as_tensor(weights)).numpy()
    assert np.abs(ours - noiseless).max() > 1e-3
    measured = NoisyEngine.from_isa(template, isa, noise, readout_error=True)(inputs, torch.as_tensor(weights))
    assert np.abs(measured.numpy() - ours).max() > 1e-4


@pytest.mark.parametrize("gradient", ["param-shift", "spsa"])
def test_estimator_in_the_loop_measures_every_z_string_in_the_same_pubs(gradient, rng, tmp_path):
    template = build_qcnn("U_TTN", "zx", encoding="angle", num_classes=4)
    target = execution_target(template, RunProfile(backend="aer"), cache_dir=tmp_path / "cache")
    model = EstimatorQCNN(template, target, gradient=gradient, store=tmp_path / "journal", seed=3)
    inputs = model.prepare(rng.normal(size=(2, 8)))
    weights = torch.as_tensor(rng.normal(size=template.num_weights))
    with torch.no_grad():
        model.weight.copy_(weights)
    exact = ExactEngine.from_template(template)
    values, jacobian = model.measure(inputs.numpy(), weights.numpy(), jacobian=True)
    np.testing.assert_allclose(values, exact(inputs.numpy(), weights).numpy(), atol=1e-9, rtol=0)
    assert jacobian.shape == (2, 3, template.num_weights)
    if gradient == "param-shift":
        reference = torch.autograd.functional.jacobian(lambda w: exact(inputs.numpy(), w), weights).numpy()
        np.testing.assert_allclose(jacobian, reference, atol=1e-9, rtol=0)
    grad_out = torch.as_tensor(rng.normal(size=(2, 3)))
    (model(inputs) * grad_out).sum().backward()
    np.testing.assert_allclose(
        model.weight.grad.numpy(), np.einsum("bk,bkw->w", grad_out.numpy(), jacobian), atol=1e-12
    )


def test_runtime_local_mode_estimates_the_z_strings_on_the_cut_device(rng, tmp_path):
    """Runtime's local mode measures (resilience 0), so it sees the readout error: the noisy engine with it."""
    template = build_qcnn("U_TTN", "zx", encoding="angle", num_classes=4)
    profile = RunProfile(backend="ibm-local:fake_brisbane", shots=20_000)
    target = execution_target(template, profile, cache_dir=tmp_path / "cache")
    assert target.circuit.num_qubits == 8  # the device cut to the qubits the circuit uses
    model = EstimatorQCNN(template, target, gradient="spsa", store=None, seed=3)
    inputs = model.prepare(rng.normal(size=(2, 8))).numpy()
    weights = rng.normal(size=template.num_weights)
    values, _ = model.measure(inputs, weights, jacobian=False)
    noise = device_noise(fake_backend("fake_brisbane"))
    engine = NoisyEngine.from_isa(template, target.isa, noise, readout_error=True)
    np.testing.assert_allclose(values, engine(inputs, torch.as_tensor(weights)).numpy(), atol=0.04)  # 5 sigma


class TestReadout:
    def test_probabilities_of_basis_states(self):
        # outcome b of qubits (q0, q1): <Z_1> = (-1)^b0, <Z_2> = (-1)^b1, <Z_3> = (-1)^(b0+b1)
        strings = np.array([[1, 1, 1], [-1, 1, -1], [1, -1, -1], [-1, -1, 1]], dtype=float)
        np.testing.assert_allclose(class_probabilities(strings, 4), np.eye(4), atol=0)
        assert predict(strings, 4).tolist() == [0, 1, 2, 3]
        assert accuracy(strings, np.array([0, 1, 2, 0]), 4) == 0.75

    def test_unused_outcomes_are_dropped_and_the_rest_renormalised(self):
        # uniform over the four outcomes, read as 3 classes: each 1/3; outcome 3 alone: a tie at 0
        np.testing.assert_allclose(class_probabilities(np.zeros((1, 3)), 3), [[1 / 3] * 3])
        only_three = torch.tensor([[-1.0, -1.0, 1.0], [0.2, 0.2, 0.2]])
        p = class_probabilities(only_three, 3)
        assert torch.isfinite(p).all() and predict(only_three, 3).tolist() == [0, 0]

    def test_shot_noise_below_zero_counts_as_zero(self):
        p = class_probabilities(np.array([[1.05, 1.0, 1.0]]), 4)
        assert (p >= 0).all() and np.isclose(p.sum(), 1)

    def test_bad_widths(self):
        with pytest.raises(ValueError, match="2\\^m - 1 Z-strings"):
            class_probabilities(np.zeros((2, 4)), 3)
        with pytest.raises(ValueError, match=r"num_classes must be in 3\.\.4"):
            class_probabilities(np.zeros((2, 3)), 5)

    def test_cross_entropy_over_the_classes(self):
        strings = torch.tensor([[[0.2, -0.1, 0.3], [0.0, 0.5, -0.4]]])
        labels = torch.tensor([[2, 1]])
        p = class_probabilities(strings, 4)
        expected = -(torch.log(p[0, 0, 2] + 1e-7) + torch.log(p[0, 1, 1] + 1e-7))
        loss = qcnn_loss(strings, labels, loss="cross_entropy", reduction="sum", num_classes=4)
        torch.testing.assert_close(loss, expected[None])
        with pytest.raises(ValueError, match="binary-only"):
            qcnn_loss(strings, labels, loss="mse", reduction="sum", num_classes=4)
