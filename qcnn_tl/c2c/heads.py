r"""The C2C heads of the reference code (docs/method.md, *C2C baselines*), in torch with Keras' initialisation.

Both read the 256 frozen CNN features and output :math:`k` class logits (softmax in the loss; the reference
code's :math:`k = 2`):

* ``"1d"`` (64 weights): the features as a length-256 signal → Conv1D(1 filter, kernel 5, stride 3, ReLU)
  (6 w) → MaxPool1D(3) → flatten (28) → Dense(2) (58 w). For :math:`k` classes the 84 convolved values are
  max-pooled to ``width`` values (28: windows of 3, the reference) and the Dense layer has :math:`k` outputs:
  :math:`6 + (\text{width} + 1)k` weights, so a smaller ``width`` matches a k-class QCNN's weight count
  (:func:`matched_width`).
* ``"2d"`` (76 weights): the features as a 16×16 image → Conv2D(2, 3×3, ReLU) (20 w) → MaxPool 2×2 →
  Conv2D(2, 3×3, ReLU) (38 w) → MaxPool 2×2 → flatten (8) → Dense(2) (18 w); :math:`58 + 9k` weights for
  :math:`k` classes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from qcnn_tl._registry import Registry

NUM_FEATURES = 256
"""Feature width the heads read (the amplitude-encoding CNN)."""

REFERENCE_WIDTH = 28
"""Values the reference 1D head pools its convolved values to (windows of 3)."""

CONVOLVED = 84
"""Values the 1D head's convolution gives (kernel 5, stride 3 over 256), before pooling."""


class Head1D(nn.Sequential):
    """The "1D 64" head; ``num_classes`` logits from ``width`` pooled values (28: the reference)."""

    def __init__(self, num_classes: int = 2, width: int = REFERENCE_WIDTH) -> None:
        super().__init__(
            nn.Unflatten(1, (1, NUM_FEATURES)),
            nn.Conv1d(1, 1, kernel_size=5, stride=3),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(width),
            nn.Flatten(),
            nn.Linear(width, num_classes),
        )


class Head2D(nn.Sequential):
    """The "2D 76" head; ``num_classes`` logits."""

    def __init__(self, num_classes: int = 2) -> None:
        super().__init__(
            nn.Unflatten(1, (1, 16, 16)),
            nn.Conv2d(1, 2, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2, 2, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8, num_classes),
        )


HEADS: Registry[Callable[..., nn.Sequential]] = Registry("C2C head", [("1d", Head1D), ("2d", Head2D)])
"""The C2C heads by name."""


def matched_width(num_weights: int, num_classes: int) -> int:
    r"""The 1D head's pooled width whose weight count :math:`6 + (\text{width} + 1)k` is closest to ``num_weights``.

    >>> matched_width(49, 4), matched_width(32, 10)  # the U_SU4 + ZX QCNN's counts for 4 and 10 classes
    (10, 2)
    """
    return min(range(1, CONVOLVED + 1), key=lambda w: (abs(6 + (w + 1) * num_classes - num_weights), w))


def check_head(name: str, width: int) -> None:
    """Checks a head's name and the 1D head's pooled ``width``.

    Raises:
        ValueError: On an unknown name (listing the valid ones), or a ``width`` outside 1..84 or given to ``"2d"``.
    """
    HEADS[name]
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= CONVOLVED:
        raise ValueError(f"width must be an integer in 1..{CONVOLVED}; got {width!r}")
    if name == "2d" and width != REFERENCE_WIDTH:
        raise ValueError(f"width is the 1d head's pooled width; the 2d head has none (got width={width})")


def build_head(
    name: str, generator: torch.Generator, *, num_classes: int = 2, width: int = REFERENCE_WIDTH
) -> nn.Sequential:
    """A freshly initialised head: Glorot-uniform kernels and zero biases, as Keras does.

    Args:
        name: ``"1d"`` or ``"2d"``.
        generator: Source of the initial weights.
        num_classes: Logits :math:`k`.
        width: Values the 1D head pools to (28: the reference); the 2D head has no such choice.

    Raises:
        ValueError: On an unknown name (listing the valid ones), or a ``width`` outside 1..84 or given to ``"2d"``.
    """
    check_head(name, width)
    head = HEADS[name](num_classes, width) if name == "1d" else HEADS[name](num_classes)
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
