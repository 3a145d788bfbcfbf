"""compare_engines: the logic of `qcnn-tl run`'s exact-vs-Aer check, as a library call."""

from __future__ import annotations

import numpy as np
from qiskit.quantum_info import Statevector

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.evaluation import compare_engines
from qcnn_tl.qnn.readout import accuracy
from qcnn_tl.training.config import TrainConfig
from tests.results import qcnn_result


def test_exact_engine_and_aer_agree_on_a_trained_model(rng):
    config = TrainConfig(ansatz="U_TTN", encoding="angle")
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    weights = rng.normal(size=template.num_weights)
    model = qcnn_result(config, weights)
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
