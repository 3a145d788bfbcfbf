r"""The QCNN's readout rules: labels and class probabilities from the estimated expectation values.

**Binary** (the paper's): label 1 unless :math:`P(0) > P(1)`, i.e. unless :math:`\langle Z\rangle > 0` on the readout
qubit (``docs/method.md``, *Readout and prediction*).

**k classes** (:math:`k > 2`, docs/explanation/multiclass.md): the engines estimate the Z-strings
:math:`\langle Z_s\rangle`, :math:`s = 1, \dots, 2^m - 1`, on the :math:`m` readout qubits
(:func:`~qcnn_tl.circuits.qcnn.readout_observables`); their marginal distribution is

.. math:: P(b) = 2^{-m} \sum_{s=0}^{2^m - 1} (-1)^{|b \wedge s|} \langle Z_s\rangle, \qquad \langle Z_0\rangle = 1,

and class :math:`c < k` is outcome :math:`c`. The :math:`2^m - k` unused outcomes are dropped and the rest
renormalised, :math:`p_c = P(c) / \sum_{c' < k} P(c')` (post-selection on the used outcomes); estimates
below 0 (shot noise) count as 0. The predicted class is the arg-max (the first on a tie).

One rule for every engine (exact, noisy, Aer, IBM) and every caller (training, evaluation, ``run``); the
confusion matrix of any classifier's predictions (QCNN, one-vs-rest, C2C heads) is :func:`confusion_matrix`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import numpy as np
import torch

if TYPE_CHECKING:
    from qiskit.quantum_info import SparsePauliOp

    from qcnn_tl.backends.transpile import IsaCircuit
    from qcnn_tl.circuits.qcnn import QCNNTemplate

_Values = TypeVar("_Values", np.ndarray, torch.Tensor)


def _walsh(num_readout: int, num_classes: int) -> np.ndarray:
    r"""The map :math:`W_{s c} = 2^{-m}(-1)^{|c \wedge s|}` from :math:`(1, \langle Z_1\rangle, …)` to :math:`P(c)`."""
    parity = [[(s & c).bit_count() % 2 for c in range(num_classes)] for s in range(1 << num_readout)]
    return (1 - 2 * np.array(parity, dtype=float)) / (1 << num_readout)


def _num_readout(num_strings: int) -> int:
    m = (num_strings + 1).bit_length() - 1
    if num_strings < 1 or (1 << m) - 1 != num_strings:
        raise ValueError(f"expectations must hold 2^m - 1 Z-strings in the last dimension; got {num_strings}")
    return m


def class_probabilities(expectations: _Values, num_classes: int) -> _Values:
    r"""Class probabilities :math:`p_c` from Z-string expectations ``(..., 2^m - 1)``, shape ``(..., num_classes)``.

    Raises:
        ValueError: If the last dimension is not :math:`2^m - 1` with :math:`2 < k \le 2^m`.

    >>> class_probabilities(np.array([[1.0, -1.0, -1.0]]), 3)  # outcome 2: qubit 0 in |0>, qubit 1 in |1>
    array([[0., 0., 1.]])
    """
    m = _num_readout(expectations.shape[-1])
    if not 2 < num_classes <= 1 << m:
        raise ValueError(f"num_classes must be in 3..{1 << m} for {m} readout qubits; got {num_classes}")
    walsh = _walsh(m, num_classes)
    if isinstance(expectations, torch.Tensor):
        w = torch.as_tensor(walsh, dtype=expectations.dtype, device=expectations.device)
        marginal = (w[0] + expectations @ w[1:]).clamp(min=0)
        return marginal / marginal.sum(-1, keepdim=True).clamp(min=torch.finfo(marginal.dtype).tiny)
    values = np.clip(walsh[0] + np.asarray(expectations) @ walsh[1:], 0, None)
    return values / np.maximum(values.sum(-1, keepdims=True), np.finfo(values.dtype).tiny)


def predict(expectations: _Values, num_classes: int = 2) -> _Values:
    """Predicted labels (``int64``) as an array or tensor like the input.

    Args:
        expectations: ⟨Z⟩ per sample ``(..., B)`` for 2 classes; Z-strings ``(..., B, 2^m - 1)`` for more.
        num_classes: Classes :math:`k` of the readout.
    """
    if num_classes > 2:
        probabilities = class_probabilities(expectations, num_classes)
        if isinstance(probabilities, torch.Tensor):
            return probabilities.argmax(-1)
        return probabilities.argmax(-1).astype(np.int64)
    if isinstance(expectations, torch.Tensor):
        return (expectations <= 0).to(torch.int64)
    return (np.asarray(expectations) <= 0).astype(np.int64)


def accuracy(expectations: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor, num_classes: int = 2) -> float:
    """Share of samples whose predicted label (:func:`predict`) equals ``labels``.

    Raises:
        ValueError: If the two do not have the same number of samples.
    """
    values, truth = np.asarray(expectations), np.asarray(labels)
    shape = values.shape if num_classes == 2 else values.shape[:-1]
    if shape != truth.shape:
        raise ValueError(f"expectations {values.shape} and labels {truth.shape} must have the same number of samples")
    return float(np.mean(predict(values, num_classes) == truth))


def confusion_matrix(predicted: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts ``[..., i, j]``: samples of label ``i`` predicted ``j`` (``int64``, shape ``(..., k, k)``).

    Args:
        predicted: Predicted labels ``(..., N)``; leading dimensions (replicas) give one matrix each.
        labels: True labels ``(N,)``.
        num_classes: Classes :math:`k`.

    Raises:
        ValueError: If a label or prediction is outside ``0..num_classes - 1``.

    >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2).tolist()
    [[1, 1], [0, 1]]
    """
    for name, values in (("labels", labels), ("predicted", predicted)):
        if values.numel() and not 0 <= int(values.min()) <= int(values.max()) < num_classes:
            raise ValueError(f"{name} must lie in 0..{num_classes - 1}; got {sorted(set(values.unique().tolist()))}")
    index = (labels * num_classes + predicted).to(torch.int64)
    flat = index.reshape(-1, index.shape[-1])
    counts = torch.zeros(flat.shape[0], num_classes**2, dtype=torch.int64).scatter_add_(1, flat, torch.ones_like(flat))
    return counts.view(*index.shape[:-1], num_classes, num_classes)


def isa_observables(template: QCNNTemplate, isa: IsaCircuit) -> list[SparsePauliOp]:
    """What an engine estimates on an ISA circuit: ``[isa.observable]``, or the template's Z-strings for k > 2.

    The Z-strings are mapped through the ISA circuit's layout (Qiskit's estimators do not do it).
    """
    if template.num_classes == 2:
        return [isa.observable]
    layout = isa.circuit.layout
    return [o.apply_layout(layout) if layout else o for o in template.observables]
