"""The QCNN as a torch module on the exact engine."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from qcnn_tl._validate import is_positive_int
from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.exact import ExactEngine


class ExactQCNN(nn.Module):
    r"""The QCNN on :class:`~qcnn_tl.qnn.exact.ExactEngine`: encoded states in, :math:`\langle Z\rangle` out.

    Args:
        template: The QCNN template.
        initial_weights: Starting weights ``(num_weights,)`` (or ``(replicas, num_weights)``); zeros if omitted.
        replicas: If given, the module holds this many weight vectors (repetitions of the model trained
            together) and maps states ``(replicas, B, 2**n)`` to ``(replicas, B)``.
    """

    def __init__(
        self,
        template: QCNNTemplate,
        *,
        initial_weights: torch.Tensor | np.ndarray | None = None,
        replicas: int | None = None,
    ) -> None:
        super().__init__()
        if replicas is not None and not is_positive_int(replicas):
            raise ValueError(f"replicas must be a positive integer or None; got {replicas!r}")
        self.template = template
        self.engine = ExactEngine.from_template(template)
        shape = (template.num_weights,) if replicas is None else (replicas, template.num_weights)
        start = torch.zeros(shape) if initial_weights is None else torch.as_tensor(initial_weights)
        if start.shape != shape:
            raise ValueError(f"initial_weights must have shape {shape}; got {tuple(start.shape)}")
        self.weight = nn.Parameter(start.to(torch.float64).clone())

    def prepare(self, features: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Encoded states of ``features`` (computed once, no gradient; the same for every ansatz)."""
        return self.engine.encode(self.template.input_values(np.asarray(features)))

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        r""":math:`\langle Z_\text{readout}\rangle` per sample, shape ``(B,)`` (or ``(replicas, B)``).

        A k-class template gives its Z-strings (:func:`~qcnn_tl.circuits.qcnn.readout_observables`), shape
        ``(B, 2^m - 1)`` (or ``(replicas, B, 2^m - 1)``).
        """
        return self.engine.expectation(prepared, self.weight)
