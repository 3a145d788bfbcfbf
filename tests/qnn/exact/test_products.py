from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qcnn_tl.qnn.exact.fusion import fold, fuse
from qcnn_tl.qnn.exact.lowering import lower
from qcnn_tl.qnn.exact.products import Chain, FactorChain, FactorTable, realify, tree


def plain_product(factors: torch.Tensor) -> torch.Tensor:
    """``F_{n-1} ... F_0`` per leading index, one matrix product at a time."""
    out = torch.eye(factors.shape[-1], dtype=factors.dtype).expand(*factors.shape[:-3], -1, -1)
    for j in range(factors.shape[-3]):
        out = factors[..., j, :, :] @ out
    return out


def test_realify_acts_on_stacked_real_and_imaginary_parts(rng):
    m = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    psi = rng.normal(size=3) + 1j * rng.normal(size=3)
    out = realify(m) @ np.concatenate((psi.real, psi.imag))
    np.testing.assert_allclose(out[:3] + 1j * out[3:], m @ psi, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 8])
def test_tree_and_chain_are_the_plain_product(n, rng):
    factors = torch.tensor(rng.normal(size=(3, n, 4, 4)))
    torch.testing.assert_close(tree(factors)[-1][:, 0], plain_product(factors), rtol=0, atol=1e-12)
    torch.testing.assert_close(Chain.apply(factors), plain_product(factors), rtol=0, atol=1e-12)


def test_factor_chain_is_the_plain_product_of_its_factors(rng):
    c, a, b = (torch.tensor(rng.normal(size=(3, 4, 4, 4))) for _ in range(3))
    angles = torch.tensor(rng.uniform(-4, 4, size=(2, 3, 4)))  # replicas, blocks, factors
    factors = c + torch.cos(angles)[..., None, None] * a + torch.sin(angles)[..., None, None] * b
    torch.testing.assert_close(FactorChain.apply(angles, c, a, b), plain_product(factors), rtol=0, atol=1e-12)


def test_hand_written_derivatives_pass_gradcheck(rng):
    c, a, b = (torch.tensor(rng.normal(size=(2, 4, 3, 3))) for _ in range(3))
    angles = torch.tensor(rng.uniform(-4, 4, size=(2, 4)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: FactorChain.apply(t, c, a, b), (angles,), atol=1e-10)
    factors = torch.tensor(rng.normal(size=(2, 4, 3, 3)), requires_grad=True)
    assert torch.autograd.gradcheck(Chain.apply, (factors,), atol=1e-10)


def test_factor_table_gives_the_real_forms_of_its_blocks(rng):
    """Two blocks with one and three weight-dependent factors: the table pads both to four."""
    w = ParameterVector("w", 4)
    qc = QuantumCircuit(3)
    qc.cry(w[0], 0, 1)
    qc.h(2)
    qc.ry(w[1], 2)
    qc.cx(2, 0)
    qc.rz(w[2] - 0.5 * w[3], 0)
    qc.cp(w[3], 0, 2)
    blocks = fuse([f for inst in qc.data for f in lower(inst, qc)])
    assert [b.qubits for b in blocks] == [(0, 1), (2, 0)]
    table = FactorTable(blocks, list(w), torch.complex128)
    values = rng.uniform(-4, 4, size=4)
    got = table.matrices(torch.tensor(values))
    assert got.shape == (2, 8, 8) and table.c.shape == (2, 4, 8, 8)
    params = dict(zip(w, values, strict=True))
    for block, matrix in zip(blocks, got, strict=True):
        expected = np.eye(4)
        for f in fold(block):
            angle = f.offset + sum(coef * params[p] for p, coef in f.coefs.items())
            expected = (f.c + np.cos(angle) * f.a + np.sin(angle) * f.b) @ expected
        np.testing.assert_allclose(matrix.numpy(), realify(expected), atol=1e-12)
    replicas = table.matrices(torch.tensor(np.stack([values, values + 1])))
    torch.testing.assert_close(replicas[0], got, rtol=0, atol=1e-14)
