from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qcnn_tl.circuits import amplitude_angles, amplitude_encoding, angle_encoding


def feature_order(num_qubits: int) -> np.ndarray:
    """Qiskit basis index of feature k: qubit 0 carries the most significant bit of k (SPEC §4)."""
    return np.array([int(format(k, f"0{num_qubits}b")[::-1], 2) for k in range(1 << num_qubits)])


def hard_vectors(rng, width):
    spread = rng.normal(size=width) * 10.0 ** rng.uniform(-6, 3, width)
    sparse = np.zeros(width)
    k = min(3, width)
    sparse[rng.choice(width, k, replace=False)] = rng.normal(size=k)
    half_zero = rng.normal(size=width)
    half_zero[: width // 2] = 0
    negative = -np.abs(rng.normal(size=width))
    one_hot_last = np.zeros(width)
    one_hot_last[-1] = -2.5
    return [rng.normal(size=width), spread, sparse, half_zero, negative, one_hot_last]


@pytest.mark.parametrize("num_qubits", [1, 2, 3, 5, 8])
def test_amplitude_template_prepares_normalised_input(num_qubits, rng):
    circuit, params = amplitude_encoding(num_qubits)
    assert len(params) == (1 << num_qubits) - 1
    assert not any(inst.operation.name in ("reset", "initialize", "state_preparation") for inst in circuit.data)
    vectors = np.array(hard_vectors(rng, 1 << num_qubits))
    angles = amplitude_angles(vectors)
    for vector, row in zip(vectors, angles, strict=False):
        state = Statevector(circuit.assign_parameters(dict(zip(params, row, strict=False)))).data
        expected = np.zeros(1 << num_qubits, complex)
        expected[feature_order(num_qubits)] = vector / np.linalg.norm(vector)
        np.testing.assert_allclose(state, expected, atol=1e-10)


def test_amplitude_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match=r"rows \[1\] are zero"):
        amplitude_angles(np.array([[1.0, 0, 0, 0], [0.0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        amplitude_angles(np.array([1.0, np.nan, 0, 0]))
    with pytest.raises(ValueError, match="power-of-two width"):
        amplitude_angles(np.ones((2, 6)))


def test_angle_template_is_ry_per_qubit(rng):
    circuit, params = angle_encoding(8)
    x = rng.uniform(-3, 3, 8)
    state = Statevector(circuit.assign_parameters(dict(zip(params, x, strict=False)))).data
    single = [np.array([np.cos(v / 2), np.sin(v / 2)]) for v in x]
    expected = single[7]
    for vec in reversed(single[:7]):
        expected = np.kron(expected, vec)
    np.testing.assert_allclose(state, expected, atol=1e-12)
