"""The noisy engine against Aer's density-matrix EstimatorV2 (exact mode), Aer sampling, and parameter shift."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import torch
from qiskit import ClassicalRegister, QuantumCircuit, transpile
from qiskit.providers.fake_provider import GenericBackendV2

from qcnn_tl.backends.targets import fake_backend, noisy_estimator
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import PAPER_MODELS, build_qcnn
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.gradient import BatchedParamShiftGradient
from qcnn_tl.qnn.noisy import NoisyEngine, device_noise, sample_expectation

DEVICES = ("fake_brisbane", "fake_torino")


@cache
def _backend(device: str):
    return fake_backend(device)


@cache
def _noise(device: str, scale: float = 1.0):
    return device_noise(_backend(device), scale=scale)


@cache
def _estimator(device: str):
    """Aer's density-matrix estimator with the device's noise (built once per device: it costs seconds)."""
    return noisy_estimator(_backend(device))


def _case(ansatz: str, pooling: str, encoding: str, device: str, rng: np.random.Generator, samples: int):
    template = build_qcnn(ansatz, pooling, encoding=encoding)
    isa = transpile_for_target(
        template.circuit,
        template.observable,
        target=_backend(device).target,
        optimization_level=1,
        seed_transpiler=1234,
    )
    estimator = _estimator(device)
    engine = NoisyEngine.from_isa(template, isa, _noise(device))
    inputs = template.input_values(rng.normal(size=(samples, template.num_features)))
    weights = rng.normal(size=template.num_weights)
    return template, isa, estimator, engine, inputs, weights


def _bound(template, isa, inputs, weights) -> np.ndarray:
    names = [p.name for p in (*template.input_params, *template.weight_params)]
    rows = [dict(zip(names, [*x, *weights], strict=True)) for x in inputs]
    return np.array([[row[p.name] for p in isa.circuit.parameters] for row in rows])


def _agreement(ansatz, pooling, encoding, device, rng, samples):
    template, isa, estimator, engine, inputs, weights = _case(ansatz, pooling, encoding, device, rng, samples)
    ours = engine(inputs, torch.as_tensor(weights)).numpy()
    ideal = build_qcnn(ansatz, pooling, encoding=encoding)
    aer = estimator.run([(isa.circuit, isa.observable, _bound(template, isa, inputs, weights))]).result()[0].data.evs
    np.testing.assert_allclose(ours, aer, atol=1e-9, rtol=0)
    from qcnn_tl.qnn.exact import ExactEngine

    noiseless = ExactEngine.from_template(ideal)(inputs, torch.as_tensor(weights)).numpy()
    assert np.abs(ours - noiseless).max() > 1e-3  # the noise is really there


# The default run checks one model per device; the whole matrix runs with --run-slow (as CI does).
DEFAULT_CASES = {("U_SU4", "zx", "fake_brisbane"), ("Con_Z", "generalized", "fake_torino")}
ANGLE_CASES = [
    pytest.param(a, p, d, marks=() if (a, p, d) in DEFAULT_CASES else pytest.mark.slow)
    for a, p in PAPER_MODELS
    for d in DEVICES
]


@pytest.mark.parametrize(("ansatz", "pooling", "device"), ANGLE_CASES)
def test_angle_encoding_agrees_with_aer_density_matrix(ansatz, pooling, device, rng):
    _agreement(ansatz, pooling, "angle", device, rng, samples=3)


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("ansatz", "pooling"), PAPER_MODELS)
def test_amplitude_encoding_agrees_with_aer_density_matrix(ansatz, pooling, device, rng):
    _agreement(ansatz, pooling, "amplitude", device, rng, samples=1)


@pytest.mark.parametrize(("encoding", "device"), [("mps2-1", "fake_brisbane"), ("mps2-2", "fake_torino")])
def test_mps_encoding_agrees_with_aer_density_matrix(encoding, device, rng):
    _agreement("U_SU4", "zx", encoding, device, rng, samples=2)


def test_readout_error_matches_aer_sampling_with_measurements(rng):
    from qiskit_aer import AerSimulator

    device = "fake_brisbane"
    template, isa, _, _, inputs, weights = _case("U_SU4", "zx", "angle", device, rng, samples=2)
    inputs[0], weights = 0.0, np.zeros_like(weights)  # the first sample stays near |0>: a large <Z> shows the error
    with_readout = NoisyEngine.from_isa(template, isa, _noise(device), readout_error=True)
    without = NoisyEngine.from_isa(template, isa, _noise(device))
    w = torch.as_tensor(weights)
    ours, plain = with_readout(inputs, w).numpy(), without(inputs, w).numpy()
    readout = isa.layout[int(np.flatnonzero(template.observable.paulis[0].z)[0])]
    measured = isa.circuit.copy()
    measured.add_register(ClassicalRegister(1))
    measured.measure(readout, 0)
    shots = 100_000
    assert abs(plain[0] - ours[0]) > 6 * np.sqrt(
        (1 - ours[0] ** 2) / shots
    )  # the readout error is visible at this shot count
    simulator = AerSimulator.from_backend(fake_backend(device), method="density_matrix", seed_simulator=7)
    for values, exact in zip(_bound(template, isa, inputs, weights), ours, strict=True):
        bound = measured.assign_parameters(dict(zip(measured.parameters, values, strict=True)))
        counts = simulator.run(bound, shots=shots).result().get_counts()
        z = (counts.get("0", 0) - counts.get("1", 0)) / shots
        sigma = np.sqrt(max(1 - exact**2, 1e-3) / shots)
        assert abs(z - exact) < 4.5 * sigma


def test_gradient_matches_finite_differences_and_parameter_shift_on_aer(rng):
    device = "fake_torino"
    template, isa, estimator, engine, inputs, weights = _case("U_TTN", "zx", "angle", device, rng, samples=1)
    encoded = engine.encode(inputs)
    w = torch.tensor(weights, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: engine.expectation(encoded, v), (w,), atol=1e-8)
    (grad,) = torch.autograd.grad(engine.expectation(encoded, w).sum(), w)
    chosen = [template.weight_params[i] for i in (0, 4, 9)]
    values = _bound(template, isa, inputs, weights)
    shift = BatchedParamShiftGradient(estimator)
    aer = shift.run([isa.circuit], [isa.observable], values, [chosen]).result().gradients[0]
    np.testing.assert_allclose(grad.numpy()[[0, 4, 9]], aer, atol=1e-9)


def test_replicas_equal_separate_runs(rng):
    _, _, _, engine, inputs, _ = _case("U_5", "generalized", "angle", "fake_brisbane", rng, samples=4)
    encoded = engine.encode(inputs)
    weights = torch.as_tensor(rng.normal(size=(3, engine.num_weights)))
    together = engine.expectation(encoded.expand(3, -1, -1), weights)
    apart = torch.stack([engine.expectation(encoded, row) for row in weights])
    torch.testing.assert_close(together, apart, atol=1e-14, rtol=0)


def test_noise_scale_moves_the_result_monotonically(rng):
    template = build_qcnn("U_SU4", "zx", encoding="angle")
    isa = transpile_for_target(template.circuit, template.observable, target=_backend("fake_brisbane").target)
    inputs = template.input_values(rng.normal(size=(1, 8)))
    weights = torch.as_tensor(rng.normal(size=template.num_weights))
    from qcnn_tl.qnn.exact import ExactEngine

    ideal = ExactEngine.from_template(template)(inputs, weights).item()
    gaps = [
        abs(NoisyEngine.from_isa(template, isa, _noise("fake_brisbane", s))(inputs, weights).item() - ideal)
        for s in (0.01, 1.0, 8.0)
    ]
    assert gaps[0] < 0.02 and gaps[0] < gaps[1] < gaps[2]


def test_shots_sample_binomially():
    exact = torch.tensor([0.6, -0.2, 1.0], dtype=torch.float64)
    draws = torch.stack([sample_expectation(exact, 100, seed=s) for s in range(4000)])
    assert torch.equal(sample_expectation(exact, 100, seed=3), sample_expectation(exact, 100, seed=3))
    assert torch.all(draws[:, 2] == 1.0)
    np.testing.assert_allclose(draws.mean(0)[:2], exact[:2], atol=0.006)
    np.testing.assert_allclose(draws.var(0)[:2], (1 - exact[:2] ** 2) / 100, rtol=0.1)
    assert set((draws[:, 0] * 100).round().tolist()) <= set(range(-100, 101, 2))
    with pytest.raises(ValueError, match="shots must be a positive integer; got 0"):
        sample_expectation(exact, 0)


class TestErrors:
    def test_unknown_device(self):
        with pytest.raises(ValueError, match=r"unknown fake device 'fake_nowhere'; expected one of: .*fake_brisbane"):
            fake_backend("fake_nowhere")

    def test_circuit_wider_than_device(self):
        small = GenericBackendV2(num_qubits=5, seed=1)
        template = build_qcnn("U_TTN", "zx", encoding="angle")
        with pytest.raises(QcnnTlError, match=r"the circuit has 8 qubits but .* has 5"):
            NoisyEngine(
                template.circuit,
                template.observable,
                input_params=template.input_params,
                weight_params=template.weight_params,
                noise=device_noise(small),
            )

    def test_instruction_unknown_to_the_device(self):
        circuit = QuantumCircuit(127)
        circuit.h(0)
        from qiskit.quantum_info import SparsePauliOp

        with pytest.raises(QcnnTlError, match="instruction 'h' on qubits \\(0,\\) is not in fake_brisbane's target"):
            NoisyEngine(
                circuit,
                SparsePauliOp("Z" + "I" * 126),
                input_params=(),
                weight_params=(),
                noise=_noise("fake_brisbane"),
            )

    def test_measurements_are_refused(self):
        circuit = transpile(QuantumCircuit(1, 1), basis_gates=["x"])
        circuit.measure(0, 0)
        wide = QuantumCircuit(127, 1)
        wide.compose(circuit, qubits=[0], clbits=[0], inplace=True)
        from qiskit.quantum_info import SparsePauliOp

        with pytest.raises(QcnnTlError, match="without measurements"):
            NoisyEngine(
                wide, SparsePauliOp("I" * 126 + "Z"), input_params=(), weight_params=(), noise=_noise("fake_brisbane")
            )

    def test_bad_scale(self):
        with pytest.raises(ValueError, match="scale must be positive and finite; got -1"):
            device_noise(fake_backend("fake_brisbane"), scale=-1)
