from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import Statevector

from qcnn_tl.circuits import PAPER_MODELS, build_qcnn
from qcnn_tl.qnn.exact import ExactEngine

MODELS = [(a, p, e) for a, p in PAPER_MODELS for e in ("amplitude", "angle")]


def statevector_expectations(template, inputs, weights):
    out = []
    for x in inputs:
        values = dict(zip(template.input_params + template.weight_params, np.concatenate([x, weights]), strict=False))
        out.append(Statevector(template.circuit.assign_parameters(values)).expectation_value(template.observable).real)
    return np.array(out)


@pytest.mark.parametrize(("ansatz", "pooling", "encoding"), MODELS)
def test_exact_engine_matches_statevector(ansatz, pooling, encoding, rng):
    template = build_qcnn(ansatz, pooling, encoding=encoding)
    engine = ExactEngine.from_template(template)
    inputs = template.input_values(rng.normal(size=(3, template.num_features)))
    weights = rng.normal(size=template.num_weights)
    ev = engine(inputs, torch.tensor(weights)).numpy()
    np.testing.assert_allclose(ev, statevector_expectations(template, inputs, weights), atol=1e-12)


def test_encode_returns_qiskit_statevectors(rng):
    """Angle encoding is all input-dependent: ``encode`` is the encoding circuit's statevector. (Amplitude
    encoding ends in constant CNOTs that the engine moves into the trainable part; its full expectation
    values are checked against ``Statevector`` above.)"""
    from qcnn_tl.circuits.encoding import angle_encoding

    template = build_qcnn(encoding="angle")
    engine = ExactEngine.from_template(template)
    inputs = template.input_values(rng.normal(size=(4, 8)))
    circuit, params = angle_encoding(8)
    for row, state in zip(inputs, engine.encode(inputs).numpy(), strict=True):
        expected = Statevector(circuit.assign_parameters(dict(zip(params, row, strict=True)))).data
        np.testing.assert_allclose(state, expected, atol=1e-12)
    amplitude = build_qcnn(encoding="amplitude")
    states = ExactEngine.from_template(amplitude).encode(amplitude.input_values(rng.normal(size=(4, 256))))
    np.testing.assert_allclose(torch.linalg.vector_norm(states, dim=1).numpy(), 1.0, atol=1e-12)


@pytest.mark.parametrize(("ansatz", "pooling"), [("U_SU4", "zx"), ("ansatz_10", "none"), ("U_6", "generalized")])
def test_weight_gradient_passes_gradcheck(ansatz, pooling, rng):
    template = build_qcnn(ansatz, pooling, encoding="angle")
    engine = ExactEngine.from_template(template)
    states = engine.encode(template.input_values(rng.normal(size=(4, 8))))
    w = torch.tensor(rng.normal(size=template.num_weights), requires_grad=True)
    assert torch.autograd.gradcheck(lambda w: engine.expectation(states, w), (w,), atol=1e-8)


def test_gradients_of_replicas_and_states_pass_gradcheck(rng):
    """The hand-written adjoint pass: weights (R, W) and the encoded (complex) states, amplitude encoding."""
    template = build_qcnn("U_SU4", "zx", encoding="amplitude")
    engine = ExactEngine.from_template(template)
    states = engine.encode(template.input_values(rng.normal(size=(2 * 3, 256)))).view(2, 3, -1).requires_grad_(True)
    w = torch.tensor(rng.normal(size=(2, template.num_weights)), requires_grad=True)
    assert torch.autograd.gradcheck(engine.expectation, (states, w), atol=1e-8)


def test_buffers_are_reused_only_after_their_backward_pass(rng):
    """Two forward passes before their backward passes get their own buffers; a retained graph whose
    buffer was reused since fails loudly instead of reading overwritten states."""
    template = build_qcnn("U_SU4", "zx", encoding="angle")
    engine = ExactEngine.from_template(template)
    states = engine.encode(template.input_values(rng.normal(size=(4, 8))))
    w = torch.tensor(rng.normal(size=template.num_weights), requires_grad=True)
    expected = torch.autograd.grad(engine.expectation(states, w).sum(), w)[0]
    first, second = engine.expectation(states, w), engine.expectation(states, w)
    torch.testing.assert_close(torch.autograd.grad(second.sum(), w)[0], expected, rtol=0, atol=1e-13)
    torch.testing.assert_close(torch.autograd.grad(first.sum(), w)[0], expected, rtol=0, atol=1e-13)
    retained = engine.expectation(states, w)
    retained.sum().backward(retain_graph=True)
    engine.expectation(states, w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        retained.sum().backward()


def test_bad_shapes_are_clear_errors(rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    engine = ExactEngine.from_template(template)
    with pytest.raises(ValueError, match=r"input_values must have shape \(B, 8\); got \(2, 7\)"):
        engine.encode(np.zeros((2, 7)))
    with pytest.raises(ValueError, match=r"weights must have shape \(12,\) or \(R, 12\); got \(11,\)"):
        engine.expectation(engine.encode(np.zeros((2, 8))), torch.zeros(11))
    with pytest.raises(ValueError, match=r"states must have shape \(R=3, B, 256\); got \(2, 256\)"):
        engine.expectation(engine.encode(np.zeros((2, 8))), torch.zeros(3, 12))
    with pytest.raises(ValueError, match="NaN"):
        engine.encode(np.full((1, 8), np.nan))


@pytest.mark.parametrize("model", [("U_SU4", "zx", "amplitude"), ("U_5", "generalized", "angle")])
def test_replicas_match_separate_evaluations(rng, model):
    """Weights (R, W) with states (R, B, D): replica r equals evaluating weights[r] on states[r] alone."""
    ansatz, pooling, encoding = model
    template = build_qcnn(ansatz, pooling, encoding=encoding)
    engine = ExactEngine.from_template(template)
    states = engine.encode(template.input_values(rng.normal(size=(3 * 4, template.num_features)))).view(3, 4, -1)
    weights = torch.tensor(rng.normal(size=(3, template.num_weights)), requires_grad=True)
    together = engine.expectation(states, weights)
    (together * torch.arange(1.0, 13.0).view(3, 4)).sum().backward()
    for r in range(3):
        single = weights.detach()[r].clone().requires_grad_(True)
        ev = engine.expectation(states[r], single)
        (ev * torch.arange(4 * r + 1.0, 4 * r + 5.0)).sum().backward()
        torch.testing.assert_close(together[r], ev, rtol=0, atol=1e-13)
        torch.testing.assert_close(weights.grad[r], single.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("encoding", ["amplitude", "angle"])
def test_encoded_states_are_the_same_for_every_model(rng, encoding):
    """The encoding part holds only what the inputs need: sweeps share encoded pools between models.

    (Constant leading gates of an ansatz, e.g. Con_Z's CZs or U_9's Hadamards, belong to the trainable part.)
    """
    from qcnn_tl.circuits import PAPER_MODELS

    first = build_qcnn(*PAPER_MODELS[0], encoding=encoding)
    inputs = first.input_values(rng.normal(size=(4, first.num_features)))
    reference = ExactEngine.from_template(first).encode(inputs)
    for ansatz, pooling in PAPER_MODELS[1:]:
        states = ExactEngine.from_template(build_qcnn(ansatz, pooling, encoding=encoding)).encode(inputs)
        torch.testing.assert_close(states, reference, rtol=0, atol=1e-13, msg=f"{ansatz}/{pooling}")


def test_rejects_inputs_after_weights():
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp

    x, w = Parameter("x"), Parameter("w")
    qc = QuantumCircuit(2)
    qc.ry(w, 0)
    qc.ry(x, 0)
    with pytest.raises(ValueError, match="re-uploaded"):
        ExactEngine(qc, input_params=[x], weight_params=[w], observable=SparsePauliOp("IZ"))
