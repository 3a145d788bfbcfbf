"""Every encoding of the registry through the engines: exact engine and Aer against ``Statevector``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import Statevector

from qcnn_tl.backends.targets import ideal_estimator, ideal_isa
from qcnn_tl.circuits import ENCODINGS, build_qcnn
from qcnn_tl.qnn.aer import estimator_qnn
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.exact_model import ExactQCNN

MODELS = [("U_SU4", "zx"), ("Con_Z", "generalized")]


def features_for(template, rng, samples):
    return rng.normal(size=(samples, template.num_features)) * rng.uniform(0.5, 2.0, template.num_features)


def statevector_expectations(template, inputs, weights):
    out = []
    for x in inputs:
        values = dict(zip(template.input_params + template.weight_params, np.concatenate([x, weights]), strict=True))
        out.append(Statevector(template.circuit.assign_parameters(values)).expectation_value(template.observable).real)
    return np.array(out)


@pytest.mark.parametrize("model", MODELS, ids="/".join)
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_exact_engine_matches_statevector(encoding, model, rng):
    template = build_qcnn(*model, encoding=encoding)
    weights = rng.normal(size=template.num_weights)
    features = features_for(template, rng, 3)
    qcnn = ExactQCNN(template, initial_weights=weights)
    with torch.no_grad():
        ev = qcnn(qcnn.prepare(features)).numpy()
    reference = statevector_expectations(template, template.input_values(features), weights)
    np.testing.assert_allclose(ev, reference, rtol=0, atol=1e-10)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_encoded_states_do_not_depend_on_the_model(encoding, rng):
    """Sweeps share encoded pools between models of one encoding."""
    templates = [build_qcnn(*model, encoding=encoding) for model in MODELS]
    inputs = templates[0].input_values(features_for(templates[0], rng, 2))
    first, second = (ExactEngine.from_template(t).encode(inputs) for t in templates)
    torch.testing.assert_close(first, second, rtol=0, atol=1e-13)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_aer_estimator_agrees_with_the_exact_engine(encoding, rng):
    template = build_qcnn("U_SU4", "zx", encoding=encoding)
    inputs = template.input_values(features_for(template, rng, 2))
    weights = rng.normal(size=template.num_weights)
    exact = ExactEngine.from_template(template)(inputs, torch.tensor(weights)).numpy()
    qnn = estimator_qnn(template, ideal_isa(template), ideal_estimator(precision=0.0))
    np.testing.assert_allclose(qnn.forward(inputs, weights)[:, 0], exact, rtol=0, atol=1e-9)
