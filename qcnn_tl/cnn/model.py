"""The classical CNN, pre-trained on a source dataset (Fashion-MNIST) and then frozen; its width is the encoding's."""

from __future__ import annotations

import torch
from torch import nn

from qcnn_tl._validate import is_positive_int


class FeatureCNN(nn.Module):
    """Conv(32)→pool→Conv(64)→pool→Conv(64)→Dense(F)→BatchNorm→Dense(30)→Dense(10).

    Keras defaults are kept where they matter: 'valid' convolutions and BatchNorm with
    ``eps=1e-3`` and momentum 0.99 (torch ``momentum=0.01``).

    Args:
        num_features: Width ``F`` of the feature layer: any positive width, the one the QCNN's encoding takes
            (``ENCODINGS[name].num_features(8)``: 256 amplitude, 8 angle, 12 to 32 for the others).
        num_classes: Classes of the source dataset (10 for Fashion-MNIST).

    Raises:
        ValueError: If ``num_features`` or ``num_classes`` is not a positive integer.
    """

    def __init__(self, num_features: int = 256, num_classes: int = 10) -> None:
        super().__init__()
        for name, value in (("num_features", num_features), ("num_classes", num_classes)):
            if not is_positive_int(value):
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        self.num_features = num_features
        self.num_classes = num_classes
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(3 * 3 * 64, num_features),
            nn.ReLU(),
            nn.BatchNorm1d(num_features, eps=1e-3, momentum=0.01),
        )
        self.head = nn.Sequential(nn.Linear(num_features, 30), nn.ReLU(), nn.Linear(30, num_classes))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The BatchNorm output ``(N, F)`` fed to the QCNN."""
        return self.trunk(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits ``(N, num_classes)``."""
        return self.head(self.trunk(images))
