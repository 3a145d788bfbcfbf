from __future__ import annotations

import pytest
import torch

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cnn.model import FeatureCNN
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.hybrid import HybridQCNN


def test_hybrid_equals_features_then_qcnn_and_trains_only_the_qcnn(small_cnn, rng):
    qcnn = ExactQCNN(build_qcnn("U_TTN", "zx"), initial_weights=rng.normal(size=12))
    model = HybridQCNN(small_cnn.model, qcnn).train()
    images = torch.rand(6, 1, 28, 28)
    before = [None if p.grad is None else p.grad.clone() for p in model.cnn.parameters()]
    p1 = model(images)
    with torch.no_grad():
        expected = (1 - qcnn(qcnn.prepare(small_cnn.model.features(images).double()))) / 2
    torch.testing.assert_close(p1, expected)
    p1.sum().backward()
    assert qcnn.weight.grad is not None and qcnn.weight.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in model.cnn.parameters())
    for p, old in zip(model.cnn.parameters(), before, strict=True):
        assert (p.grad is None) == (old is None) and (old is None or torch.equal(p.grad, old))
    assert not model.cnn.training


def test_width_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="the CNN gives 8 features but amplitude encoding needs 256"):
        HybridQCNN(FeatureCNN(8), ExactQCNN(build_qcnn("U_TTN", "zx")))
