from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import Operator

from qcnn_tl.qnn.exact.apply import ApplyBlocks, Workspace, apply_blocks
from qcnn_tl.qnn.exact.layout import Plan, bit_order
from qcnn_tl.qnn.exact.products import realify

NUM_QUBITS = 4
BLOCKS = [(0, 0, (1,)), (1, 0, (0, 3)), (1, 1, (2, 1)), (0, 1, (3,)), (1, 0, (3, 2))]


def random_tables(rng: np.random.Generator, lead: tuple[int, ...] = ()) -> list[np.ndarray]:
    """Complex matrices: two one-qubit blocks and two two-qubit blocks (per replica)."""
    return [rng.normal(size=(*lead, 2, d, d)) + 1j * rng.normal(size=(*lead, 2, d, d)) for d in (2, 4)]


def dense(tables: list[np.ndarray], states: np.ndarray) -> np.ndarray:
    """The blocks applied one by one as full matrices, states ``(B, 2**n)``."""
    for table, index, qubits in BLOCKS:
        full = Operator(np.eye(1 << NUM_QUBITS)).compose(Operator(tables[table][index]), qargs=list(qubits))
        states = states @ full.data.T
    return states


def to_real(states: np.ndarray) -> torch.Tensor:
    """``(..., B, 2**n)`` complex to the engine's real layout ``(L·2, 2**n, B)``."""
    stacked = np.stack((states.real, states.imag), axis=-3).swapaxes(-1, -2)
    return torch.tensor(np.ascontiguousarray(stacked.reshape(-1, *stacked.shape[-2:])))


@pytest.mark.parametrize("top", [(), (2, 0)])
def test_apply_blocks_is_the_dense_product(top, rng):
    tables = random_tables(rng)
    states = rng.normal(size=(3, 16)) + 1j * rng.normal(size=(3, 16))
    plan = Plan.build(NUM_QUBITS, BLOCKS, top)
    out = apply_blocks(plan, to_real(states), [torch.tensor(realify(t)) for t in tables]).numpy()
    expected = dense(tables, states)[:, bit_order(NUM_QUBITS, top, top=True)]
    np.testing.assert_allclose((out[0] + 1j * out[1]).T, expected, atol=1e-12)


def test_replicas_each_get_their_own_blocks(rng):
    tables = random_tables(rng, (2,))
    states = rng.normal(size=(2, 3, 16)) + 1j * rng.normal(size=(2, 3, 16))
    plan = Plan.build(NUM_QUBITS, BLOCKS, ())
    out = apply_blocks(plan, to_real(states), [torch.tensor(realify(t)) for t in tables]).numpy()
    for r in range(2):
        expected = dense([t[r] for t in tables], states[r])
        np.testing.assert_allclose((out[2 * r] + 1j * out[2 * r + 1]).T, expected, atol=1e-12)


def test_adjoint_pass_passes_gradcheck(rng):
    plan = Plan.build(NUM_QUBITS, BLOCKS, (1, 2))
    state = to_real(rng.normal(size=(2, 16)) + 1j * rng.normal(size=(2, 16))).requires_grad_(True)
    tables = [torch.tensor(realify(t), requires_grad=True) for t in random_tables(rng)]
    assert torch.autograd.gradcheck(lambda s, *t: ApplyBlocks.apply(plan, s, *t), (state, *tables), atol=1e-10)


def test_workspace_hands_back_its_buffer_once():
    workspace = Workspace()
    first = workspace.take((2, 3), torch.float64)
    workspace.give(first)
    assert workspace.take((2, 3), torch.float64) is first
    assert workspace.take((2, 3), torch.float64) is not first
    workspace.give(first)
    assert workspace.take((3, 2), torch.float64) is not first
