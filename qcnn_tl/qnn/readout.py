r"""The QCNN's readout rule: the label predicted from ⟨Z⟩ of the readout qubit, and the accuracy it gives.

Label 1 unless :math:`P(0) > P(1)`, i.e. unless :math:`\langle Z\rangle > 0` (``docs/method.md``, *Readout and
prediction*). One rule for every engine (exact, noisy, Aer, IBM) and every caller (training, evaluation, ``run``).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

_Values = TypeVar("_Values", np.ndarray, torch.Tensor)


def predict(expectations: _Values) -> _Values:
    """Predicted labels (``int64``, 0 or 1) of expectation values ⟨Z⟩, as an array or tensor like the input."""
    if isinstance(expectations, torch.Tensor):
        return (expectations <= 0).to(torch.int64)
    return (np.asarray(expectations) <= 0).astype(np.int64)


def accuracy(expectations: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> float:
    """Share of samples whose predicted label (:func:`predict`) equals ``labels``.

    Raises:
        ValueError: If the two do not have the same number of samples.
    """
    values, truth = np.asarray(expectations), np.asarray(labels)
    if values.shape != truth.shape:
        raise ValueError(f"expectations {values.shape} and labels {truth.shape} must have the same shape")
    return float(np.mean(predict(values) == truth))
