"""compare_engines: the logic of `qcnn-tl run`'s exact-vs-Aer check, as a library call."""

from __future__ import annotations

import numpy as np
from qiskit.quantum_info import Statevector

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.evaluation import compare_engines
from qcnn_tl.qnn.readout import accuracy
from qcnn_tl.results import CnnInfo, ModelInfo, RunResult
from qcnn_tl.training.config import TrainConfig


def test_exact_engine_and_aer_agree_on_a_trained_model(rng):
    config = TrainConfig(ansatz="U_TTN", encoding="angle")
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    weights = rng.normal(size=template.num_weights)
    model = RunResult(
        config=config,
        model=ModelInfo(template.name, template.num_weights, 8),
        test_accuracy=0.5,
        train_accuracy=None,
        num_train=0,
        num_test=0,
        steps=0,
        loss_history=[],
        wall_time_s=0.0,
        cnn=CnnInfo("h", 0.9),
        versions={},
        weights=weights.tolist(),
    )
    features = rng.normal(size=(7, 8))
    labels = rng.integers(0, 2, size=7)
    found = compare_engines(model, features, labels, batch=3)
    reference = []  # Qiskit's Statevector on the bound template: an independent reference
    for row in template.input_values(features):
        values = dict(zip(template.input_params, row, strict=True)) | dict(
            zip(template.weight_params, weights, strict=True)
        )
        bound = template.circuit.assign_parameters(values)
        reference.append(Statevector(bound).expectation_value(template.observable).real)
    assert found.samples == 7 and found.max_difference < 1e-12
    assert found.exact_accuracy == found.aer_accuracy == accuracy(np.array(reference), labels)
