from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import (
    CPhaseGate,
    CRXGate,
    CRYGate,
    CRZGate,
    CUGate,
    PhaseGate,
    RXGate,
    RYGate,
    RZGate,
    UGate,
)
from qiskit.quantum_info import Operator

from qcnn_tl.qnn.exact.lowering import Factor, linear_form, lower, rotation_factor, split_factors

ROTATIONS = [RXGate, RYGate, RZGate, PhaseGate, CRXGate, CRYGate, CRZGate, CPhaseGate]


def value(factor: Factor, params: dict[Parameter, float]) -> np.ndarray:
    angle = factor.offset + sum(coef * params[p] for p, coef in factor.coefs.items())
    return factor.c + np.cos(angle) * factor.a + np.sin(angle) * factor.b


def product(factors: list[Factor], params: dict[Parameter, float], num_qubits: int) -> np.ndarray:
    out = Operator(np.eye(1 << num_qubits))
    for factor in factors:
        out = out.compose(Operator(value(factor, params)), qargs=list(factor.qubits))
    return out.data


@pytest.mark.parametrize("gate_cls", ROTATIONS)
def test_rotation_factor_is_the_gate(gate_cls, rng):
    theta = Parameter("θ")
    angle = rng.uniform(-4, 4)
    qubits = tuple(range(gate_cls(0.0).num_qubits))
    factor = rotation_factor(gate_cls, qubits, 2 * theta - 0.3)
    np.testing.assert_allclose(value(factor, {theta: angle}), Operator(gate_cls(2 * angle - 0.3)).data, atol=1e-12)


@pytest.mark.parametrize("gate", [UGate(*[Parameter(n) for n in "abc"]), CUGate(*[Parameter(n) for n in "abcd"])])
def test_u_and_cu_lower_to_a_product_of_factors(gate, rng):
    qc = QuantumCircuit(gate.num_qubits)
    qc.append(gate, range(gate.num_qubits))
    params = {p: rng.uniform(-4, 4) for p in gate.params}
    factors = lower(qc.data[0], qc)
    assert len(factors) == len(gate.params)
    expected = Operator(qc.assign_parameters(params)).data
    np.testing.assert_allclose(product(factors, params, gate.num_qubits), expected, atol=1e-12)


def test_constant_gate_is_one_constant_factor():
    qc = QuantumCircuit(2)
    qc.cx(1, 0)
    (factor,) = lower(qc.data[0], qc)
    assert factor.qubits == (1, 0) and not factor.coefs
    np.testing.assert_array_equal(factor.a, 0)
    np.testing.assert_allclose(factor.c, Operator(qc.data[0].operation).data, atol=1e-15)


def test_gates_outside_the_basis_and_nonlinear_angles_are_rejected():
    qc = QuantumCircuit(2)
    qc.ecr(0, 1)
    with pytest.raises(ValueError, match="cannot execute gate 'ecr'"):
        lower(qc.data[0], qc)
    theta = Parameter("θ")
    with pytest.raises(ValueError, match="linear"):
        linear_form(theta * theta)


def test_split_moves_trailing_constant_factors_to_the_trainable_part():
    """Encoding: ry(x) on 0, cx(0, 1), h on 2; trainable: ry(w) on 1. The CNOT and the Hadamard need no
    input and nothing of the encoding follows them, so they move; ry(x) stays."""
    x, w = Parameter("x"), Parameter("w")
    qc = QuantumCircuit(3)
    qc.ry(x, 0)
    qc.cx(0, 1)
    qc.h(2)
    qc.ry(w, 1)
    factors = [f for inst in qc.data for f in lower(inst, qc)]
    encode, trainable = split_factors(factors, [x], [w])
    assert encode == factors[:1]
    assert trainable == factors[1:]


def test_split_keeps_constant_factors_the_encoding_needs_and_rejects_reuploading():
    x, y, w = Parameter("x"), Parameter("y"), Parameter("w")
    qc = QuantumCircuit(2)
    qc.cx(0, 1)
    qc.ry(x, 1)
    factors = [f for inst in qc.data for f in lower(inst, qc)]
    assert split_factors(factors, [x], []) == (factors, [])
    qc = QuantumCircuit(1)
    qc.ry(w, 0)
    qc.ry(y, 0)
    with pytest.raises(ValueError, match="re-uploaded"):
        split_factors([f for inst in qc.data for f in lower(inst, qc)], [y], [w])
