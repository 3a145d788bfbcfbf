"""The user's own blocks through every engine: exact vs Statevector, vs Aer EstimatorV2, noisy vs Aer density matrix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.circuit import ParameterVector, QuantumCircuit

from qcnn_tl.circuits import build_qcnn, register_ansatz, register_encoding, register_pooling
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.exact.lowering import EXACT_BASIS
from tests.circuits.test_registration import rx_encoding, ry_rz_cz_ry
from tests.qnn.noisy.test_engine import _agreement as noisy_agreement
from tests.qnn.test_aer import agreement as aer_agreement
from tests.qnn.test_exact import statevector_expectations

pytestmark = pytest.mark.usefixtures("registries")


def rzz_pooling() -> QuantumCircuit:
    """A pooling with gates the exact engine does not execute as they are (rzz, ryy): they are transpiled."""
    p = ParameterVector("p", 2)
    qc = QuantumCircuit(2)
    qc.rzz(p[0], 0, 1)
    qc.ryy(2 * p[1] + 0.3, 0, 1)
    qc.crx(p[0], 0, 1)
    return qc


@pytest.fixture
def own_blocks():
    register_ansatz("ryrz_cz", ry_rz_cz_ry())
    register_pooling("rzz_pool", rzz_pooling())
    register_encoding("rx8", rx_encoding())
    assert {"rzz", "ryy"} - set(EXACT_BASIS) == {"rzz", "ryy"}


MODELS = [("ryrz_cz", "zx", "angle"), ("ryrz_cz", "rzz_pool", "rx8"), ("U_SU4", "rzz_pool", "amplitude")]


@pytest.mark.parametrize(("ansatz", "pooling", "encoding"), MODELS)
def test_exact_engine_matches_statevector(own_blocks, ansatz, pooling, encoding, rng):
    template = build_qcnn(ansatz, pooling, encoding=encoding)
    engine = ExactEngine.from_template(template)
    inputs = template.input_values(rng.normal(size=(3, template.num_features)))
    weights = rng.normal(size=template.num_weights)
    ev = engine(inputs, torch.tensor(weights)).numpy()
    np.testing.assert_allclose(ev, statevector_expectations(template, inputs, weights), atol=1e-9, rtol=0)
    assert np.ptp(ev) > 1e-3  # the samples give different values: the comparison is not vacuous


@pytest.mark.parametrize(("ansatz", "pooling", "encoding"), MODELS[:2])
def test_exact_engine_agrees_with_aer(own_blocks, ansatz, pooling, encoding, rng):
    aer_agreement(ansatz, pooling, encoding, rng, gradient=True)


def test_noisy_engine_agrees_with_aer_density_matrix(own_blocks, rng):
    noisy_agreement("ryrz_cz", "rzz_pool", "rx8", "fake_brisbane", rng, samples=2)


def test_nonlinear_angles_are_named_by_the_exact_engine():
    t = ParameterVector("t", 1)
    block = QuantumCircuit(2)
    block.ry(t[0] * t[0], 0)
    template = build_qcnn(register_ansatz("squared", block), "zx", encoding="angle")
    with pytest.raises(ValueError, match=r"gate angles must be linear in the circuit parameters; got w\[0\]\*w\[0\]"):
        ExactEngine.from_template(template)
