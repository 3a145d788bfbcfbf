from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Operator

from qcnn_tl.qnn.exact.layout import Plan, bit_order, embedding
from qcnn_tl.qnn.exact.products import realify


def moved(state: np.ndarray, order: list[int]) -> np.ndarray:
    """``state`` (Qiskit order) with qubit ``order[j]`` as bit ``j``: a transpose of its tensor form."""
    n = len(order)
    return state.reshape((2,) * n).transpose([n - 1 - q for q in reversed(order)]).reshape(-1)


@pytest.mark.parametrize("chosen", [(0,), (2,), (3, 1), (1, 3), (0, 2)])
@pytest.mark.parametrize("top", [False, True])
def test_bit_order_moves_the_chosen_qubits(chosen, top, rng):
    state = rng.normal(size=16)
    rest = [q for q in range(4) if q not in chosen]
    order = rest + list(chosen) if top else list(chosen) + rest
    np.testing.assert_array_equal(state[bit_order(4, chosen, top=top)], moved(state, order))


def test_plan_gathers_move_each_block_to_the_top_bits():
    """Following the gathers of the steps, each block finds its qubits on the top bits (the rest
    ascending below them), and the final gather leaves ``top`` on the top bits."""
    blocks = [(0, 0, (1,)), (1, 0, (0, 3)), (1, 1, (2, 1)), (0, 0, (3,))]
    plan = Plan.build(4, blocks, (2, 0))
    labels = np.arange(16)
    for (table, index, qubits), (step_table, step_index, gather, inverse) in zip(blocks, plan.steps, strict=True):
        assert (step_table, step_index) == (table, index)
        labels = labels[gather.numpy()]
        np.testing.assert_array_equal(labels, bit_order(4, qubits, top=True))
        np.testing.assert_array_equal(gather.numpy()[inverse.numpy()], np.arange(16))
    np.testing.assert_array_equal(labels[plan.final[0].numpy()], bit_order(4, (2, 0), top=True))
    assert [t.tolist() for t in (plan.gradient_index[0], plan.gradient_index[1])] == [[0, 0], [1, 0]]


def test_embedding_gathers_real_forms_of_blocks_on_the_qubits(rng):
    """Blocks on (2, 0) and (1,) of 3 qubits, read from a flat source as the engine's tail does."""
    two = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    one = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    source = np.concatenate([realify(two).ravel(), realify(one).ravel(), [0.0, 1.0]])
    index = embedding(3, [(0, 4, (2, 0)), (64, 2, (1,))], len(source) - 2)
    assert index.shape == (2, 16, 16)
    for matrix, qubits, got in ((two, [2, 0], source[index[0]]), (one, [1], source[index[1]])):
        expected = Operator(np.eye(8)).compose(Operator(matrix), qargs=qubits).data
        np.testing.assert_allclose(got, realify(expected), atol=1e-15)
