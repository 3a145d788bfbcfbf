"""Evaluating trained weights: the one path from an engine's module and its inputs to expectation values.

Training (test and train accuracy, the evaluations under other devices' noise, the torch twin of a model trained on
an estimator), ``qcnn-tl evaluate`` on the engines (its ideal column too) and ``qcnn-tl run``'s engine check all go
through :func:`expectations`. Any :class:`QCNNModule` is an engine here: the exact engine, the noisy engine, or an
estimator (:class:`~qcnn_tl.qnn.in_the_loop.EstimatorQCNN`, whose submissions go through the job store).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch
from torch import nn

from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.exact_model import ExactQCNN


class QCNNModule(Protocol):
    """An engine's module (``ExactQCNN``, ``NoisyQCNN``, ``EstimatorQCNN``): what training and evaluation need."""

    weight: nn.Parameter
    template: QCNNTemplate

    def prepare(self, features: torch.Tensor) -> torch.Tensor:
        """Engine inputs for ``features`` (states or angles), computed once."""
        ...

    def __call__(self, prepared: torch.Tensor) -> torch.Tensor:
        """⟨Z⟩ on the readout qubit per sample (its Z-strings, a last dimension, for a k-class template)."""
        ...


@torch.no_grad()
def expectations(model: QCNNModule, prepared: torch.Tensor, *, batch_size: int = 1024) -> torch.Tensor:
    r"""The expectation values of every weight set of ``model`` on prepared inputs, in batches, without gradients.

    Args:
        model: The engine's module holding the trained weights, ``(W,)`` or ``(R, W)`` for :math:`R` replicas.
        prepared: Its inputs for the samples (:meth:`QCNNModule.prepare`), ``(N, …)``.
        batch_size: Samples per call; replicated models see ``batch_size // R`` per call, so memory per call
            stays the same.

    Returns:
        ``(R, N)`` values (``R = 1`` for a single weight set), or ``(R, N, 2^m - 1)`` Z-strings for a k-class
        template.
    """
    replicas = model.weight.shape[0] if model.weight.ndim == 2 else 0
    chunk = max(1, batch_size // max(replicas, 1))
    parts = []
    for start in range(0, len(prepared), chunk):
        part = prepared[start : start + chunk]
        parts.append(model(part.expand(replicas, *part.shape)) if replicas else model(part)[None])
    return torch.cat(parts, dim=1)


def exact_expectations(template: QCNNTemplate, features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ideal ⟨Z⟩ (or Z-strings) per sample of ``weights`` on the exact engine (:func:`expectations`)."""
    model = ExactQCNN(template, initial_weights=torch.as_tensor(weights, dtype=torch.float64))
    return expectations(model, model.prepare(features))[0].numpy()
