from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import Operator

from qcnn_tl.qnn.exact.fusion import Block, embed, fold, fuse
from qcnn_tl.qnn.exact.lowering import Factor, lower

NUM_QUBITS = 3


def random_circuit(rng: np.random.Generator, num_gates: int = 24) -> tuple[QuantumCircuit, ParameterVector]:
    """Rotations with parameters, constant one- and two-qubit gates, in random order on 3 qubits."""
    params = ParameterVector("w", num_gates)
    qc = QuantumCircuit(NUM_QUBITS)
    for k in range(num_gates):
        q0, q1 = (int(q) for q in rng.choice(NUM_QUBITS, size=2, replace=False))
        choice = rng.integers(9)
        if choice == 0:
            qc.ry(params[k], q0)
        elif choice == 1:
            qc.rz(0.5 * params[k] + 0.2, q0)
        elif choice == 2:
            qc.cry(params[k], q0, q1)
        elif choice == 3:
            qc.cp(params[k], q0, q1)
        elif choice == 4:
            qc.u(params[k], 0.3, -0.7, q0)
        elif choice == 5:
            qc.cx(q0, q1)
        elif choice == 6:
            qc.h(q0)
        elif choice == 7:
            qc.swap(q0, q1)
        else:
            qc.s(q0)
    return qc, params


def factor_value(factor: Factor, values: dict) -> np.ndarray:
    angle = factor.offset + sum(coef * values[p] for p, coef in factor.coefs.items())
    return factor.c + np.cos(angle) * factor.a + np.sin(angle) * factor.b


def on_circuit(matrix: np.ndarray, qubits: tuple[int, ...]) -> np.ndarray:
    return Operator(np.eye(1 << NUM_QUBITS)).compose(Operator(matrix), qargs=list(qubits)).data


def circuit_of_blocks(blocks: list[Block], values: dict, *, folded: bool) -> np.ndarray:
    out = np.eye(1 << NUM_QUBITS, dtype=complex)
    for block in blocks:
        factors = fold(block) if folded else block.factors
        for factor in factors:
            qubits = block.qubits if folded else factor.qubits
            out = on_circuit(factor_value(factor, values), qubits) @ out
    return out


@pytest.mark.parametrize("seed", range(5))
def test_fused_and_folded_blocks_are_the_circuit(seed):
    rng = np.random.default_rng(seed)
    qc, params = random_circuit(rng)
    values = dict(zip(params, rng.uniform(-4, 4, size=len(params)), strict=True))
    blocks = fuse([f for inst in qc.data for f in lower(inst, qc)])
    assert all(len(b.qubits) <= 2 for b in blocks)
    assert all(set(f.qubits) <= set(b.qubits) for b in blocks for f in b.factors)
    expected = Operator(qc.assign_parameters(values, strict=False)).data
    np.testing.assert_allclose(circuit_of_blocks(blocks, values, folded=False), expected, atol=1e-12)
    np.testing.assert_allclose(circuit_of_blocks(blocks, values, folded=True), expected, atol=1e-12)


def test_one_qubit_gates_join_the_next_block_and_constants_fold_away(rng):
    """h(0), ry(w0, 1), cx(0, 1), rz(w1, 0): one block on (0, 1) with two factors after folding."""
    params = ParameterVector("w", 2)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.ry(params[0], 1)
    qc.cx(0, 1)
    qc.rz(params[1], 0)
    (block,) = fuse([f for inst in qc.data for f in lower(inst, qc)])
    assert block.qubits == (0, 1) and len(block.factors) == 4
    assert [bool(f.coefs) for f in fold(block)] == [True, True]


def test_embed_places_a_factor_on_the_block_qubits(rng):
    m = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    two = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    for qubits in ((3, 5), (5, 3)):
        for factor_qubits, matrix in (((3,), m), ((5,), m), ((5, 3), two), ((3, 5), two)):
            zero = np.zeros_like(matrix)
            embedded, *_ = embed(Factor(factor_qubits, matrix, zero, zero), qubits)
            local = [qubits.index(q) for q in factor_qubits]
            expected = Operator(np.eye(4)).compose(Operator(matrix), qargs=local).data
            np.testing.assert_allclose(embedded, expected, atol=1e-15)
