"""Exact engine vs Aer EstimatorV2 (exact mode) through EstimatorQNN: values 1e-9, gradients 1e-6."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qcnn_tl.backends.targets import ideal_estimator, ideal_isa
from qcnn_tl.circuits import PAPER_MODELS, build_qcnn
from qcnn_tl.qnn.aer import estimator_qnn
from qcnn_tl.qnn.exact import ExactEngine

FAST_AMPLITUDE_GRADIENTS = {("U_TTN", "zx"), ("ansatz_10", "none")}


def agreement(ansatz, pooling, encoding, rng, *, gradient: bool, samples: int = 2):
    template = build_qcnn(ansatz, pooling, encoding=encoding)
    inputs = template.input_values(rng.normal(size=(samples, template.num_features)))
    weights = rng.normal(size=template.num_weights)
    engine = ExactEngine.from_template(template)
    w = torch.tensor(weights, requires_grad=True)
    ev = engine(inputs, w)
    qnn = estimator_qnn(template, ideal_isa(template), ideal_estimator())
    np.testing.assert_allclose(qnn.forward(inputs, weights)[:, 0], ev.detach().numpy(), atol=1e-9)
    if gradient:
        jac = np.stack([torch.autograd.grad(ev[i], w, retain_graph=True)[0].numpy() for i in range(samples)])
        _, aer_jac = qnn.backward(inputs, weights)
        assert aer_jac is not None
        np.testing.assert_allclose(aer_jac[:, 0, :], jac, atol=1e-6)


@pytest.mark.parametrize(("ansatz", "pooling"), PAPER_MODELS)
def test_angle_encoding_agrees_with_aer(ansatz, pooling, rng):
    agreement(ansatz, pooling, "angle", rng, gradient=True)


@pytest.mark.parametrize(("ansatz", "pooling"), PAPER_MODELS)
def test_amplitude_encoding_agrees_with_aer(ansatz, pooling, rng):
    agreement(ansatz, pooling, "amplitude", rng, gradient=(ansatz, pooling) in FAST_AMPLITUDE_GRADIENTS)


@pytest.mark.slow
@pytest.mark.parametrize(("ansatz", "pooling"), sorted(set(PAPER_MODELS) - FAST_AMPLITUDE_GRADIENTS))
def test_amplitude_gradients_agree_with_aer(ansatz, pooling, rng):
    agreement(ansatz, pooling, "amplitude", rng, gradient=True)
