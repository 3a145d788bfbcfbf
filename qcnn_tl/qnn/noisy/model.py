"""The QCNN as a torch module on the noisy engine: trained and evaluated under a fake device's noise."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from qcnn_tl._validate import is_positive_int
from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.noisy.device import DeviceNoise
from qcnn_tl.qnn.noisy.engine import NoisyEngine


class NoisyQCNN(nn.Module):
    r"""The QCNN on :class:`~qcnn_tl.qnn.noisy.engine.NoisyEngine`: encoded vectors in, noisy ⟨Z⟩ out.

    The template is transpiled for the device (``isa``) and evaluated exactly under its noise model, so the
    weight gradient is that of the noisy expectation value (what noise-aware training needs).

    Args:
        template: The QCNN template.
        isa: The template transpiled for ``noise.target`` (an ``IsaCircuit``).
        noise: The device's noise.
        readout_error: Include the readout error of the measured qubit.
        initial_weights: Starting weights; zeros if omitted.
        replicas: If given, this many weight vectors train together (see ``ExactQCNN``).
    """

    def __init__(
        self,
        template: QCNNTemplate,
        isa: object,
        noise: DeviceNoise,
        *,
        readout_error: bool = False,
        initial_weights: torch.Tensor | np.ndarray | None = None,
        replicas: int | None = None,
    ) -> None:
        super().__init__()
        if replicas is not None and not is_positive_int(replicas):
            raise ValueError(f"replicas must be a positive integer or None; got {replicas!r}")
        self.template = template
        self.engine = NoisyEngine.from_isa(template, isa, noise, readout_error=readout_error)
        shape = (template.num_weights,) if replicas is None else (replicas, template.num_weights)
        start = torch.zeros(shape) if initial_weights is None else torch.as_tensor(initial_weights)
        if start.shape != shape:
            raise ValueError(f"initial_weights must have shape {shape}; got {tuple(start.shape)}")
        self.weight = nn.Parameter(start.to(torch.float64).clone())
        self._pulled: tuple[tuple[int, int], torch.Tensor] | None = None

    def prepare(self, features: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Noisy encoded vectors of ``features`` (computed once, no gradient)."""
        return self.engine.encode(self.template.input_values(np.asarray(features)))

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        r""":math:`\langle Z_\text{readout}\rangle` under noise per sample, ``(B,)`` (or ``(replicas, B)``).

        A k-class template gives its Z-strings, a last dimension of :math:`2^m - 1`.
        """
        if torch.is_grad_enabled():
            return self.engine.expectation(prepared, self.weight)
        # evaluation: pull the observable back once per weight vector, not once per batch
        key = (self.weight.data_ptr(), self.weight._version)
        if self._pulled is None or self._pulled[0] != key:
            self._pulled = (key, self.engine.pulled_back(self.weight))
        return self.engine.contract(prepared, self._pulled[1])
