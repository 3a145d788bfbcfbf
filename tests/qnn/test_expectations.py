"""The one evaluation path: batched expectation values of every weight set, against the engine called directly."""

from __future__ import annotations

import numpy as np
import torch

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.expectations import exact_expectations, expectations


def test_replicas_in_uneven_batches_equal_the_engine_per_weight_set(rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle", num_classes=4)
    features, weights = rng.normal(size=(7, 8)), rng.normal(size=(3, template.num_weights))
    model = ExactQCNN(template, initial_weights=weights, replicas=3)
    values = expectations(model, model.prepare(features), batch_size=6)  # 2 samples per call: 4 calls
    engine = ExactEngine.from_template(template)
    x = template.input_values(features)
    with torch.no_grad():
        expected = np.stack([engine(x, torch.as_tensor(w)).numpy() for w in weights])
    assert values.shape == (3, 7, 3)  # replicas, samples, Z-strings of a 4-class readout
    np.testing.assert_allclose(values.numpy(), expected, atol=1e-12, rtol=0)
    np.testing.assert_allclose(exact_expectations(template, features, weights[1]), expected[1], atol=1e-12, rtol=0)
    assert not values.requires_grad
