from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import Statevector

from qcnn_tl.qnn.exact.encoding import encode_op
from qcnn_tl.qnn.exact.lowering import lower


@pytest.mark.parametrize(
    "build",
    [
        lambda qc, x: qc.ry(2 * x - 0.1, 2),
        lambda qc, x: qc.rz(x, 0),
        lambda qc, x: qc.cry(x, 3, 1),
        lambda qc, x: qc.crz(-x, 0, 2),
        lambda qc, x: qc.cx(2, 0),
        lambda qc, x: qc.swap(1, 3),
        lambda qc, x: qc.cz(0, 3),
    ],
)
def test_encode_op_applies_its_factor_to_every_sample(build, rng):
    x = Parameter("x")
    qc = QuantumCircuit(4)
    build(qc, x)
    (factor,) = lower(qc.data[0], qc)
    op = encode_op(factor, 4, [x], torch.complex128)
    inputs = rng.uniform(-4, 4, size=(3, 1))
    states = rng.normal(size=(3, 16)) + 1j * rng.normal(size=(3, 16))
    out = op(torch.tensor(states), torch.tensor(inputs)).numpy()
    for state, row, got in zip(states, inputs, out, strict=True):
        bound = qc.assign_parameters({x: row[0]}) if qc.parameters else qc
        np.testing.assert_allclose(got, Statevector(state).evolve(bound).data, atol=1e-12)
