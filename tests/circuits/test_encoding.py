from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import RYGate, StatePreparation
from qiskit.quantum_info import Operator, Statevector

from qcnn_tl.circuits import ENCODINGS, amplitude_angles, amplitude_encoding, angle_encoding, build_qcnn
from qcnn_tl.circuits.encoding import PAIR_ARRANGEMENTS, QUAD_ARRANGEMENTS

HYBRIDS = [name for name in ENCODINGS if "hybrid" in name]


def feature_order(num_qubits: int) -> np.ndarray:
    """Qiskit basis index of feature k: qubit 0 carries the most significant bit of k."""
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


def encoding_state(name: str, features: np.ndarray) -> np.ndarray:
    """Statevector of the bound encoding template alone."""
    circuit, params = ENCODINGS[name].build(8)
    values = ENCODINGS[name].input_values(features)[0]
    return Statevector(circuit.assign_parameters(dict(zip(params, values, strict=True)))).data


def test_registry_names():
    families = ("amplitude-hybrid4", "amplitude-hybrid2", "angular-hybrid2", "angular-hybrid4")
    expected = ["amplitude", "angle", "angle-compact", *(f"{f}-{k}" for f in families for k in range(1, 5))]
    expected += ["mps2-1", "mps2-2", "mps2-3"]
    assert list(ENCODINGS) == expected and len(ENCODINGS) == 22
    widths = {"amplitude": 256, "angle": 8, "angle-compact": 16, "mps2-1": 256, "mps2-2": 256, "mps2-3": 256}
    widths |= {
        n: {"amplitude-hybrid4": 32, "amplitude-hybrid2": 16, "angular-hybrid2": 12}.get(n[:-2], 30) for n in HYBRIDS
    }
    assert {n: e.num_features(8) for n, e in ENCODINGS.items()} == widths


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_templates_are_unitary_parameterised_and_fixed(name):
    circuit, params = ENCODINGS[name].build(8)
    assert set(circuit.parameters) == set(params)
    assert not any(inst.operation.name in ("reset", "initialize", "state_preparation") for inst in circuit.data)
    again, _ = ENCODINGS[name].build(8)
    assert [i.operation.name for i in again.data] == [i.operation.name for i in circuit.data]


class TestAmplitude:
    @pytest.mark.parametrize("num_qubits", [1, 2, 3, 5, 8])
    def test_template_prepares_normalised_input(self, num_qubits, rng):
        circuit, params = amplitude_encoding(num_qubits)
        assert len(params) == (1 << num_qubits) - 1
        vectors = np.array(hard_vectors(rng, 1 << num_qubits))
        angles = amplitude_angles(vectors)
        for vector, row in zip(vectors, angles, strict=False):
            state = Statevector(circuit.assign_parameters(dict(zip(params, row, strict=False)))).data
            expected = np.zeros(1 << num_qubits, complex)
            expected[feature_order(num_qubits)] = vector / np.linalg.norm(vector)
            np.testing.assert_allclose(state, expected, atol=1e-10)

    def test_bad_inputs_are_clear_errors(self):
        with pytest.raises(ValueError, match=r"rows \[1\] are zero"):
            amplitude_angles(np.array([[1.0, 0, 0, 0], [0.0, 0, 0, 0]]))
        with pytest.raises(ValueError, match="NaN or infinite"):
            amplitude_angles(np.array([1.0, np.nan, 0, 0]))
        with pytest.raises(ValueError, match="power-of-two width"):
            amplitude_angles(np.ones((2, 6)))


class TestAngle:
    def test_angle_is_ry_per_qubit(self, rng):
        circuit, params = angle_encoding(8)
        x = rng.uniform(-3, 3, 8)
        state = Statevector(circuit.assign_parameters(dict(zip(params, x, strict=False)))).data
        single = [np.array([np.cos(v / 2), np.sin(v / 2)]) for v in x]
        expected = single[7]
        for vec in reversed(single[:7]):
            expected = np.kron(expected, vec)
        np.testing.assert_allclose(state, expected, atol=1e-12)

    def test_angle_compact_is_rx_then_ry_per_qubit(self, rng):
        x = rng.normal(size=16) * 3
        expected = np.ones(1)
        for j in range(8):  # qubit 7 leftmost in the Kronecker product (little-endian)
            rx = np.array([[np.cos(x[j] / 2), -1j * np.sin(x[j] / 2)], [-1j * np.sin(x[j] / 2), np.cos(x[j] / 2)]])
            c, s = np.cos(x[8 + j] / 2), np.sin(x[8 + j] / 2)
            ry = np.array([[c, -s], [s, c]])
            expected = np.kron(ry @ rx @ np.array([1.0, 0.0]), expected)
        np.testing.assert_allclose(encoding_state("angle-compact", x), expected, atol=1e-12)


def group_product_state(features: np.ndarray, groups) -> Statevector:
    """Independent reference: Qiskit's StatePreparation of each normalised block on its group (most significant
    qubit first, so the block's index bits are given to the group's qubits reversed, Qiskit being little-endian)."""
    qc = QuantumCircuit(8)
    block = 1 << len(groups[0])
    for g, qubits in enumerate(groups):
        part = features[g * block : (g + 1) * block]
        qc.append(StatePreparation(part / np.linalg.norm(part)), list(reversed(qubits)))
    return Statevector(qc)


class TestAmplitudeHybrid:
    @pytest.mark.parametrize("name", [n for n in HYBRIDS if n.startswith("amplitude")])
    def test_product_of_normalised_blocks_on_the_groups(self, name, rng):
        k = int(name[-1])
        groups = QUAD_ARRANGEMENTS[k] if "hybrid4" in name else PAIR_ARRANGEMENTS[k]
        width = ENCODINGS[name].num_features(8)
        for _ in range(3):
            features = rng.normal(size=width) * rng.uniform(0.1, 10, width)
            features[rng.choice(width, 2, replace=False)] *= -1
            reference = group_product_state(features, groups).data
            np.testing.assert_allclose(encoding_state(name, features), reference, atol=1e-10)

    def test_blocks_are_normalised_separately(self, rng):
        features = rng.normal(size=32)
        scaled = features.copy()
        scaled[16:] *= 1e3
        np.testing.assert_allclose(
            encoding_state("amplitude-hybrid4-3", features), encoding_state("amplitude-hybrid4-3", scaled), atol=1e-10
        )

    def test_a_zero_block_is_a_specific_error(self, rng):
        features = rng.normal(size=(2, 16))
        features[1, 4:8] = 0
        with pytest.raises(ValueError, match=r"amplitude-hybrid2-2 .* features \[4:8\] are all zero in rows \[1\]"):
            ENCODINGS["amplitude-hybrid2-2"].input_values(features)


def written_out_angular(name: str, t: np.ndarray) -> QuantumCircuit:
    """The hybrid angle blocks, gate by gate, as specified (X-conjugated CRY as an open-controlled RY)."""
    k = int(name[-1])
    qc = QuantumCircuit(8)

    def pair(u, a, b):
        qc.ry(u[0], a)
        qc.append(RYGate(u[1]).control(1, ctrl_state=0), [a, b])
        qc.append(RYGate(u[2]).control(1), [a, b])

    if "hybrid2" in name:
        for g, (a, b) in enumerate(PAIR_ARRANGEMENTS[k]):
            pair(t[3 * g : 3 * g + 3], a, b)
        return qc
    for g, (a, b, c, d) in enumerate(QUAD_ARRANGEMENTS[k]):
        u = t[15 * g : 15 * g + 15]
        pair(u[:3], a, b)
        ops = [(3, c, b), (4, c, a), (5, c, b), (6, c, a)]
        ops += [(7, d, c), (8, d, b), (9, d, c), (10, d, a), (11, d, c), (12, d, b), (13, d, c), (14, d, a)]
        for index, target, control in ops:
            qc.ry(u[index], target)
            qc.cx(control, target)
    return qc


class TestAngularHybrid:
    @pytest.mark.parametrize("name", [n for n in HYBRIDS if n.startswith("angular")])
    def test_operator_equals_the_written_out_gates(self, name, rng):
        circuit, params = ENCODINGS[name].build(8)
        t = rng.uniform(-np.pi, np.pi, ENCODINGS[name].num_features(8))
        bound = circuit.assign_parameters(dict(zip(params, ENCODINGS[name].input_values(t)[0], strict=True)))
        assert Operator(bound).equiv(Operator(written_out_angular(name, t)))

    def test_pair_block_prepares_its_closed_form_state(self, rng):
        t = rng.uniform(-np.pi, np.pi, 12)
        c, s = np.cos(t / 2), np.sin(t / 2)
        expected = np.ones(1)
        for g in range(4):  # arrangement 1: pairs (0, 1), (2, 3), ...; qubit a is the more significant
            a0, a1, a2 = 3 * g, 3 * g + 1, 3 * g + 2
            pair = np.array([c[a0] * c[a1], c[a0] * s[a1], s[a0] * c[a2], s[a0] * s[a2]])  # |ab> = 00, 01, 10, 11
            little = pair[[0, 2, 1, 3]]  # Qiskit order: index = a + 2 b
            expected = np.kron(little, expected)
        np.testing.assert_allclose(encoding_state("angular-hybrid2-1", t), expected, atol=1e-12)


class TestInputs:
    @pytest.mark.parametrize("name", list(ENCODINGS))
    def test_wrong_width_names_the_encoding_and_width(self, name):
        template = build_qcnn("U_TTN", "zx", encoding=name)
        width = template.num_features
        message = rf"{name} encoding on 8 qubits needs features of shape \(N, {width}\); got \(3, {width + 1}\)"
        with pytest.raises(ValueError, match=message):
            template.input_values(np.ones((3, width + 1)))
        assert template.input_values(np.ones((3, width))).shape == (3, len(template.input_params))

    @pytest.mark.parametrize("name", HYBRIDS)
    def test_hybrids_need_eight_qubits(self, name):
        with pytest.raises(ValueError, match=rf"{name} encoding is defined on 8 qubits; got num_qubits=4"):
            build_qcnn("U_TTN", "zx", encoding=name, num_qubits=4)
        with pytest.raises(ValueError, match=rf"{name} features must have shape \(N, \d+\); got \(2, 7\)"):
            ENCODINGS[name].input_values(np.ones((2, 7)))

    def test_non_finite_features(self):
        with pytest.raises(ValueError, match="angular-hybrid4-1 features contain NaN or infinite values"):
            ENCODINGS["angular-hybrid4-1"].input_values(np.full((1, 30), np.inf))

    def test_unknown_name_lists_the_choices(self):
        with pytest.raises(
            ValueError, match="unknown encoding 'hybrid'; expected one of: amplitude, angle, angle-compact"
        ):
            build_qcnn(encoding="hybrid")

    def test_compact_angle_scales_with_qubits(self):
        assert build_qcnn("U_TTN", "zx", encoding="angle-compact", num_qubits=4).num_features == 8
