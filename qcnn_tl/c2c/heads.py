"""The C2C heads of the reference code (docs/method.md, *C2C baselines*), in torch with Keras' initialisation.

Both read the 256 frozen CNN features and output two class logits (softmax in the loss):

* ``"1d"`` (64 weights): the features as a length-256 signal → Conv1D(1 filter, kernel 5, stride 3, ReLU)
  (6 w) → MaxPool1D(3) → flatten (28) → Dense(2) (58 w).
* ``"2d"`` (76 weights): the features as a 16×16 image → Conv2D(2, 3×3, ReLU) (20 w) → MaxPool 2×2 →
  Conv2D(2, 3×3, ReLU) (38 w) → MaxPool 2×2 → flatten (8) → Dense(2) (18 w).
"""

from __future__ import annotations

import torch
from torch import nn

from qcnn_tl._registry import Registry

NUM_FEATURES = 256
"""Feature width the heads read (the amplitude-encoding CNN)."""


class Head1D(nn.Sequential):
    """The "1D 64" head."""

    def __init__(self) -> None:
        super().__init__(
            nn.Unflatten(1, (1, NUM_FEATURES)),
            nn.Conv1d(1, 1, kernel_size=5, stride=3),
            nn.ReLU(),
            nn.MaxPool1d(3),
            nn.Flatten(),
            nn.Linear(28, 2),
        )


class Head2D(nn.Sequential):
    """The "2D 76" head."""

    def __init__(self) -> None:
        super().__init__(
            nn.Unflatten(1, (1, 16, 16)),
            nn.Conv2d(1, 2, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2, 2, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8, 2),
        )


HEADS: Registry[type[nn.Sequential]] = Registry("C2C head", [("1d", Head1D), ("2d", Head2D)])
"""The C2C heads by name."""


def build_head(name: str, generator: torch.Generator) -> nn.Sequential:
    """A freshly initialised head: Glorot-uniform kernels and zero biases, as Keras does.

    Args:
        name: ``"1d"`` or ``"2d"``.
        generator: Source of the initial weights.

    Raises:
        ValueError: On an unknown name (listing the valid ones).
    """
    head = HEADS[name]()
    with torch.no_grad():
        for module in head.modules():
            if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Linear):
                fan_in = module.weight[0].numel()
                fan_out = module.weight.shape[0] * module.weight[0, 0].numel()
                limit = (6 / (fan_in + fan_out)) ** 0.5
                module.weight.copy_((torch.rand(module.weight.shape, generator=generator) * 2 - 1) * limit)
                assert module.bias is not None  # every layer of the heads has a bias
                module.bias.zero_()
    return head


def num_weights(head: nn.Module) -> int:
    """Trainable weight count."""
    return sum(p.numel() for p in head.parameters() if p.requires_grad)
