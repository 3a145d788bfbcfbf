"""BatchedParamShiftGradient: its plan cache follows the circuits it was given."""

from __future__ import annotations

import gc

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl.qnn.gradient import BatchedParamShiftGradient


def _circuit(scale: float) -> QuantumCircuit:
    theta = Parameter("t")
    circuit = QuantumCircuit(1)
    circuit.ry(scale * theta, 0)
    return circuit


def test_plans_of_freed_circuits_leave_the_cache_and_are_never_reused():
    gradient = BatchedParamShiftGradient(StatevectorEstimator())
    observable = SparsePauliOp("Z")
    for scale in (1.0, 2.0, 3.0, 0.5):  # fresh circuits, each freed after use: ids may repeat
        circuit = _circuit(scale)
        [grad] = gradient.run([circuit], [observable], [[0.3]]).result().gradients
        np.testing.assert_allclose(grad, [-scale * np.sin(scale * 0.3)], atol=1e-12)
        assert len(gradient._plans) == 1
        del circuit
        gc.collect()
        assert gradient._plans == {}
    kept = _circuit(1.0)
    assert gradient._plan(kept) is gradient._plan(kept)
