"""The Aer engine: qiskit-machine-learning ``EstimatorQNN`` + ``TorchConnector`` on an ``EstimatorV2``.

The template is transpiled once (its parameterised gates lowered to ``rz``), the observable (a k-class
template's Z-strings, all in one estimator call) is mapped through the layout, the QNN gets the ISA circuit
with ``pass_manager=None``, and its gradient is :class:`~qcnn_tl.qnn.gradient.BatchedParamShiftGradient`.
Forward and backward precision are set explicitly (0 = exact on Aer).
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from qiskit.primitives import BaseEstimatorV2
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN
from torch import nn

from qcnn_tl.backends.transpile import IsaCircuit
from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.gradient import BatchedParamShiftGradient
from qcnn_tl.qnn.readout import isa_observables

log = logging.getLogger(__name__)


def estimator_qnn(
    template: QCNNTemplate, isa: IsaCircuit, estimator: BaseEstimatorV2, *, precision: float = 0.0
) -> EstimatorQNN:
    """An ``EstimatorQNN`` over the ISA circuit of ``template`` with the batched gradient.

    Its output has one column per observable (:func:`isa_observables`): one for a binary template, the
    :math:`2^m - 1` Z-strings of a k-class one, estimated together in the same PUBs.
    """
    return EstimatorQNN(
        circuit=isa.circuit,
        estimator=estimator,
        observables=isa_observables(template, isa),
        input_params=list(template.input_params),
        weight_params=list(template.weight_params),
        gradient=BatchedParamShiftGradient(estimator, precision=precision),
        default_precision=precision,
        pass_manager=None,
    )


class AerQCNN(nn.Module):
    r"""The QCNN as a torch module on an ``EstimatorV2``, via ``TorchConnector``.

    Args:
        template: The QCNN template.
        isa: Its ISA circuit and mapped observable for the estimator's target.
        estimator: Aer ``EstimatorV2`` (ideal or noisy) or a Runtime ``EstimatorV2``.
        precision: Estimator precision (0: exact on Aer; :math:`1/\sqrt{\text{shots}}` otherwise).
        initial_weights: Starting weights ``(num_weights,)``.
    """

    def __init__(
        self,
        template: QCNNTemplate,
        isa: IsaCircuit,
        estimator: BaseEstimatorV2,
        *,
        precision: float = 0.0,
        initial_weights: torch.Tensor | np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.template = template
        qnn = estimator_qnn(template, isa, estimator, precision=precision)
        weights = None if initial_weights is None else np.asarray(initial_weights, dtype=float)
        self.connector = TorchConnector(qnn, initial_weights=weights)

    @property
    def weight(self) -> nn.Parameter:
        """The trainable weights (the connector's)."""
        weight = self.connector.weight
        assert isinstance(weight, nn.Parameter)  # TorchConnector registers its weights as a Parameter
        return weight

    def prepare(self, features: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Input-parameter values for ``features`` (amplitude angles or raw angles)."""
        return torch.as_tensor(self.template.input_values(np.asarray(features)), dtype=torch.float64)

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        r""":math:`\langle Z_\text{readout}\rangle` per sample, shape ``(B,)``.

        A k-class template gives its Z-strings, shape ``(B, 2^m - 1)``.
        """
        try:
            values = self.connector(prepared)
            return values if self.template.num_classes > 2 else values[:, 0]
        except Exception:
            log.exception("the estimator failed inside TorchConnector")
            raise
