r"""The hybrid model: frozen CNN features → encoding → QCNN → :math:`P(\text{label } 1)`."""

from __future__ import annotations

import torch
from torch import nn

from qcnn_tl.cnn.model import FeatureCNN
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.qnn.readout import class_probabilities


def probability_one(expectation: torch.Tensor) -> torch.Tensor:
    r""":math:`P(|1\rangle) = (1 - \langle Z\rangle)/2` on the readout qubit: the probability of label 1."""
    return (1 - expectation) / 2


class HybridQCNN(nn.Module):
    """Images in, probability of label 1 (or of each of k classes) out; only the QCNN weights train.

    Training in :mod:`qcnn_tl.training` works on cached features instead (the CNN is frozen, so its
    features never change); this module is the same model end to end, for inference on images and for
    users who want one ``nn.Module``.

    Args:
        cnn: The pre-trained CNN; frozen here (eval mode, no gradients).
        qcnn: The QCNN on the exact engine or an estimator.

    Raises:
        ValueError: If the CNN's feature width does not fit the QCNN's encoding.
    """

    def __init__(self, cnn: FeatureCNN, qcnn: ExactQCNN | EstimatorQCNN) -> None:
        super().__init__()
        if cnn.num_features != qcnn.template.num_features:
            raise ValueError(
                f"the CNN gives {cnn.num_features} features but {qcnn.template.encoding} encoding needs "
                f"{qcnn.template.num_features}"
            )
        self.cnn = cnn.eval().requires_grad_(False)
        self.qcnn = qcnn

    def train(self, mode: bool = True) -> HybridQCNN:
        """Switches the QCNN's mode; the CNN stays in eval mode (frozen BatchNorm statistics)."""
        super().train(mode)
        self.cnn.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 1, 28, 28)`` images in [0, 1] → probabilities of label 1, shape ``(B,)``.

        A k-class QCNN gives the class probabilities instead, shape ``(B, k)``.
        """
        with torch.no_grad():
            features = self.cnn.features(images)
        values = self.qcnn(self.qcnn.prepare(features.double()))
        k = self.qcnn.template.num_classes
        return class_probabilities(values, k) if k > 2 else probability_one(values)
