r"""SPSA's gain sequences and the calibration of its learning rate (Spall; qiskit-algorithms' ``SPSA``).

Training with ``gradient="spsa"`` follows SPSA's own schedule instead of Nesterov momentum: at step
:math:`k = 0, 1, \dots`

.. math::
   w_{k+1} = w_k - a_k\,\hat g_k, \qquad a_k = \frac{a}{(A + k + 1)^{\alpha}}, \qquad
   c_k = \frac{c}{(k + 1)^{\gamma}},

where :math:`\hat g_k` is the simultaneous-perturbation estimate measured with perturbation :math:`c_k` (averaged over
:math:`R` random :math:`\Delta \in \{\pm1\}^W`, :class:`~qcnn_tl.qnn.in_the_loop.EstimatorQCNN`). These are
qiskit-algorithms' ``powerseries`` with Spall's exponents :math:`\alpha = 0.602`, :math:`\gamma = 0.101`.

When :math:`a` is not given it is calibrated as ``SPSA.calibrate`` does: at the initial weights :math:`w_0`,

.. math::
   a = \frac{2\pi/10}{\frac{1}{N}\sum_{j=1}^{N}
   \left|\frac{L(w_0 + c\Delta_j) - L(w_0 - c\Delta_j)}{2c}\right|},

so that the first step moves each weight by about :math:`2\pi/10`. qiskit-algorithms averages :math:`N = 25`
directions of a fixed loss; here each direction's two losses are those of one training batch, and
:math:`N` = :data:`CALIBRATION_STEPS` (every evaluation is an estimator submission of a batch).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qcnn_tl._validate import check_settings

log = logging.getLogger(__name__)

TARGET_MAGNITUDE = 2 * math.pi / 10
"""The size of the first step that calibration aims for (qiskit-algorithms' default)."""
CALIBRATION_STEPS = 5
r"""Random directions :math:`N` averaged by :func:`calibrate`: :math:`2N` loss evaluations (each one batch)."""
SMALLEST_LEARNING_RATE = 1e-10
"""A calibrated :math:`a` below this (a flat loss) becomes :data:`TARGET_MAGNITUDE`, as in qiskit-algorithms."""


@dataclass(frozen=True)
class SPSASchedule:
    r"""SPSA's gain sequences :math:`a_k = a/(A + k + 1)^\alpha` and :math:`c_k = c/(k + 1)^\gamma`.

    Attributes:
        learning_rate: :math:`a`.
        perturbation: :math:`c`.
        alpha: :math:`\alpha`, the decay of the learning rate.
        gamma: :math:`\gamma`, the decay of the perturbation.
        stability: :math:`A \ge 0`, which damps the first steps' learning rates.

    >>> schedule = SPSASchedule(learning_rate=0.5, perturbation=0.2)
    >>> round(schedule.learning_rate_at(1), 6), round(schedule.perturbation_at(1), 6)
    (0.32942, 0.186477)
    """

    learning_rate: float
    perturbation: float
    alpha: float = 0.602
    gamma: float = 0.101
    stability: float = 0.0

    def __post_init__(self) -> None:
        check_settings(self, positive=("learning_rate", "perturbation", "alpha", "gamma"), numbers=("stability",))
        if self.stability < 0:
            raise ValueError(f"stability must be non-negative; got {self.stability!r}")

    def learning_rate_at(self, step: int) -> float:
        r""":math:`a_k = a/(A + k + 1)^\alpha` of step :math:`k` (from 0)."""
        return self.learning_rate / (self.stability + step + 1) ** self.alpha

    def perturbation_at(self, step: int) -> float:
        r""":math:`c_k = c/(k + 1)^\gamma` of step :math:`k` (from 0)."""
        return self.perturbation / (step + 1) ** self.gamma


def calibrate(
    loss: Callable[[int, np.ndarray], float],
    initial_weights: np.ndarray,
    *,
    perturbation: float,
    rng: np.random.Generator,
    steps: int = CALIBRATION_STEPS,
    target_magnitude: float = TARGET_MAGNITUDE,
) -> float:
    r"""SPSA's learning rate :math:`a` for a first step of about ``target_magnitude`` (module docstring).

    Args:
        loss: ``loss(j, w)``: the loss at weights ``w`` on the ``j``-th calibration batch (the same batch for
            both of direction ``j``'s points).
        initial_weights: :math:`w_0`, shape ``(W,)``.
        perturbation: :math:`c`.
        rng: Draws the directions :math:`\Delta_j \in \{\pm1\}^W`.
        steps: :math:`N`, the directions averaged.
        target_magnitude: The aimed-for size of the first step.

    Returns:
        ``target_magnitude`` over the average :math:`|L(w_0 + c\Delta) - L(w_0 - c\Delta)|/(2c)`; the target itself
        if that gives less than :data:`SMALLEST_LEARNING_RATE`.

    A loss of slope 2 along the first weight (and :math:`\pm1` directions) gives :math:`a = (2\pi/10)/2`:

    >>> calibrate(lambda j, w: 2.0 * w[0], np.zeros(3), perturbation=0.2, rng=np.random.default_rng(0))
    0.3141592653589793
    """
    w0 = np.asarray(initial_weights, dtype=np.float64)
    total = 0.0
    for j in range(steps):
        delta = rng.choice([-1.0, 1.0], size=w0.shape)
        total += abs(loss(j, w0 + perturbation * delta) - loss(j, w0 - perturbation * delta)) / (2 * perturbation)
    magnitude = total / steps
    a = target_magnitude / magnitude if magnitude > 0 else 0.0
    if a < SMALLEST_LEARNING_RATE:
        log.warning("SPSA calibration found a flat loss; using a = %s", target_magnitude)
        a = target_magnitude
    log.info("SPSA calibration: a = %.6g (average |slope| %.6g over %d directions)", a, magnitude, steps)
    return float(a)
