"""The MPS encodings against an independent numpy truncation, Ran's layers against Qiskit's operators."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Operator, Statevector

from qcnn_tl.circuits import ENCODINGS, build_qcnn
from qcnn_tl.circuits.encoding import MPS_LAYERS, magnitude_order, mps_encoding, mps_values
from qcnn_tl.circuits.encoding.mps import mps_line

MPS = [f"mps2-{layers}" for layers in MPS_LAYERS]


def truncated_mps(vector: np.ndarray, chi: int = 2) -> np.ndarray:
    """The textbook left-to-right sweep on one vector: SVD at every cut, keep ``chi``, contract, normalise."""
    num_qubits = len(vector).bit_length() - 1
    rest, left, tensors = vector.reshape(1, -1), 1, []
    for _ in range(num_qubits - 1):
        u, s, vt = np.linalg.svd(rest.reshape(left * 2, -1), full_matrices=False)
        keep = min(chi, len(s))
        tensors.append(u[:, :keep].reshape(left, 2, keep))
        rest, left = s[:keep, None] * vt[:keep], keep
    out = rest.reshape(left, 2)
    for tensor in reversed(tensors):
        out = np.tensordot(tensor, out, axes=([2], [0]))
    flat = out.reshape(-1)
    return flat / np.linalg.norm(flat)


def qiskit_vector(vector: np.ndarray, line: tuple[int, ...]) -> np.ndarray:
    """``vector`` (bit ``j`` of its index, most significant first, on qubit ``line[j]``) in Qiskit's order."""
    n = len(line)
    out = np.zeros(1 << n, dtype=vector.dtype)
    for k, amplitude in enumerate(vector):
        out[sum(((k >> (n - 1 - j)) & 1) << q for j, q in enumerate(line))] = amplitude
    return out


def hard_vectors(rng, width):
    spread = rng.normal(size=width) * 10.0 ** rng.uniform(-6, 3, width)
    decaying = rng.normal(size=width) * np.exp(-np.arange(width) / 20)
    product = np.ones(width)
    one_hot_last = np.zeros(width)
    one_hot_last[-1] = -2.5
    two_hot = np.zeros(width)
    two_hot[[0, width - 1]] = (1.0, -1.0)
    return np.array([rng.normal(size=width), spread, decaying, product, one_hot_last, two_hot])


def bound_state(circuit, params, values) -> np.ndarray:
    return Statevector(circuit.assign_parameters(dict(zip(params, values, strict=True)))).data


def assert_equal_up_to_sign(actual, expected, atol):
    sign = 1.0 if np.real(np.vdot(expected, actual)) >= 0 else -1.0
    np.testing.assert_allclose(actual, sign * expected, rtol=0, atol=atol)


class TestTemplate:
    @pytest.mark.parametrize("layers", MPS_LAYERS)
    def test_staircases_of_real_gates_on_the_line(self, layers):
        circuit, params = ENCODINGS[f"mps2-{layers}"].build(8)
        assert len(params) == 33 * layers
        assert {inst.operation.name for inst in circuit.data} == {"ry", "cx", "cz"}
        line = mps_line(8)
        neighbours = {frozenset(line[j : j + 2]) for j in range(7)}
        pairs = [frozenset(circuit.find_bit(q).index for q in inst.qubits) for inst in circuit.data]
        assert [p for p in pairs if len(p) == 2 and p not in neighbours] == []
        assert sum(len(p) == 2 for p in pairs) == 13 * layers

    def test_line_is_a_permutation(self):
        for n in (2, 3, 5, 8):
            assert sorted(mps_line(n)) == list(range(n))


class TestOneStaircase:
    @pytest.mark.parametrize("num_qubits", [2, 3, 5, 8])
    def test_prepares_the_truncated_mps(self, num_qubits, rng):
        circuit, params = mps_encoding(num_qubits, name="mps2-1", layers=1)
        vectors = hard_vectors(rng, 1 << num_qubits)
        for vector, values in zip(vectors, mps_values(vectors, name="mps2-1", layers=1), strict=True):
            expected = qiskit_vector(truncated_mps(vector), mps_line(num_qubits))
            assert_equal_up_to_sign(bound_state(circuit, params, values), expected, atol=1e-10)

    def test_two_and_three_qubits_are_exact(self, rng):
        for num_qubits in (2, 3):
            vector = rng.normal(size=1 << num_qubits)
            np.testing.assert_allclose(truncated_mps(vector), vector / np.linalg.norm(vector), atol=1e-12)

    def test_template_encoding_part(self, rng):
        """The full template's encoding part (before the barrier) holds the same state."""
        template = build_qcnn("U_SU4", "zx", encoding="mps2-1")
        features = rng.normal(size=(2, 256))
        values = template.input_values(features)
        barrier = next(i for i, inst in enumerate(template.circuit.data) if inst.operation.name == "barrier")
        encoding = template.circuit.copy_empty_like()
        for inst in template.circuit.data[:barrier]:
            encoding.append(inst)
        for vector, row in zip(features, values, strict=True):
            expected = qiskit_vector(truncated_mps(vector), mps_line(8))
            assert_equal_up_to_sign(bound_state(encoding, template.input_params, row), expected, atol=1e-10)


class TestLayers:
    @pytest.mark.parametrize("layers", [2, 3])
    def test_each_staircase_prepares_the_truncation_of_what_the_later_ones_leave(self, layers, rng):
        r"""Ran: :math:`U_l|0\rangle` is the bond-2 truncation of :math:`U_{l-1}^\dagger\cdots U_1^\dagger\psi`."""
        one, one_params = mps_encoding(8, name="mps2-1", layers=1)
        vector = rng.normal(size=256) * np.exp(-np.arange(256) / 40)
        values = mps_values(vector, name=f"mps2-{layers}", layers=layers)[0].reshape(layers, 33)[::-1]
        line = mps_line(8)
        residual = qiskit_vector(vector / np.linalg.norm(vector), line)
        for angles in values:
            staircase = one.assign_parameters(dict(zip(one_params, angles, strict=True)))
            in_site_order = residual.reshape([2] * 8).transpose([7 - q for q in line]).reshape(-1)
            expected = qiskit_vector(truncated_mps(in_site_order), line)
            assert_equal_up_to_sign(Statevector(staircase).data, expected, atol=1e-10)
            residual = Operator(staircase).data.conj().T @ residual
        circuit, params = ENCODINGS[f"mps2-{layers}"].build(8)
        overlap = np.vdot(bound_state(circuit, params, values[::-1].reshape(-1)), qiskit_vector(vector, line))
        np.testing.assert_allclose(abs(overlap) / np.linalg.norm(vector), abs(residual[0]), atol=1e-10)

    def test_more_layers_raise_the_fidelity_of_smooth_vectors(self, rng):
        vectors = rng.normal(size=(4, 256)) * np.exp(-np.arange(256) / 40)
        fidelities = []
        for layers in MPS_LAYERS:
            circuit, params = ENCODINGS[f"mps2-{layers}"].build(8)
            values = ENCODINGS[f"mps2-{layers}"].input_values(vectors)
            states = [bound_state(circuit, params, row) for row in values]
            targets = [qiskit_vector(v / np.linalg.norm(v), mps_line(8)) for v in vectors]
            fidelities.append(np.mean([abs(np.vdot(s, t)) ** 2 for s, t in zip(states, targets, strict=True)]))
        assert np.all(np.diff(fidelities) > 0), fidelities


class TestMagnitudeOrder:
    def test_orders_by_mean_magnitude_with_stable_ties(self):
        train = np.array([[1.0, -2.0, 0.5, 2.0], [-1.0, 0.0, 0.5, 0.0], [1.0, 1.0, -0.5, 1.0]])
        # mean |x|: 1, 1, 0.5, 1 -> ties 0, 1, 3 keep their order.
        np.testing.assert_array_equal(magnitude_order(train), [0, 1, 3, 2])

    def test_against_sorting_by_hand(self, rng):
        train = rng.normal(size=(50, 16)) * rng.uniform(0.1, 3.0, 16)
        means = [np.mean([abs(row[f]) for row in train]) for f in range(16)]
        expected = sorted(range(16), key=lambda f: -means[f])
        np.testing.assert_array_equal(magnitude_order(train), expected)
        assert magnitude_order(train).dtype == np.int64

    def test_bad_training_features(self):
        with pytest.raises(ValueError, match=r"train_features must have shape \(N, F\) with N ≥ 1; got \(0, 4\)"):
            magnitude_order(np.zeros((0, 4)))
        with pytest.raises(ValueError, match=r"got \(4,\)"):
            magnitude_order(np.ones(4))
        with pytest.raises(ValueError, match="train_features contain NaN or infinite values"):
            magnitude_order(np.array([[1.0, np.nan]]))


class TestInputs:
    @pytest.mark.parametrize("name", MPS)
    def test_non_finite_and_zero_features(self, name):
        encoding = ENCODINGS[name]
        for bad in (np.nan, np.inf, -np.inf):
            features = np.ones((2, 256))
            features[1, 7] = bad
            with pytest.raises(ValueError, match=f"^{name} features contain NaN or infinite values$"):
                encoding.input_values(features)
        features = np.ones((3, 256))
        features[[0, 2]] = 0
        with pytest.raises(
            ValueError, match=rf"^{name} encoding needs nonzero feature vectors; rows \[0, 2\] are zero$"
        ):
            encoding.input_values(features)

    def test_width_not_a_power_of_two(self):
        with pytest.raises(ValueError, match=r"mps2-1 features must have a width 2\*\*n with n ≥ 2; got \(1, 6\)"):
            mps_values(np.ones((1, 6)), name="mps2-1", layers=1)
        with pytest.raises(ValueError, match=r"got \(1, 2\)"):
            mps_values(np.ones((1, 2)), name="mps2-1", layers=1)

    @pytest.mark.parametrize("name", ["mps4-1", "mps3-1", "mps2-0", "mps2-9"])
    def test_unknown_bond_dimension_or_layer_count(self, name):
        with pytest.raises(
            ValueError, match=rf"^unknown encoding '{name}'; expected one of: .*mps2-1, mps2-2, mps2-3$"
        ):
            build_qcnn(encoding=name)

    def test_bad_layers_and_qubits(self):
        with pytest.raises(ValueError, match="mps2-x encoding needs layers ≥ 1; got 0"):
            mps_encoding(8, name="mps2-x", layers=0)
        with pytest.raises(ValueError, match="mps2-x encoding needs layers ≥ 1; got 0"):
            mps_values(np.ones((1, 8)), name="mps2-x", layers=0)
        with pytest.raises(ValueError, match="mps2-1 encoding needs num_qubits ≥ 2; got 1"):
            mps_encoding(1, name="mps2-1", layers=1)
