r"""The QCNN training loop (SPEC §7): reads top to bottom, checkpoints, resumes.

Each step draws ``batch_size`` indices uniformly with replacement from the whole training pool, computes
:math:`P(1) = (1 - \langle Z\rangle)/2` on the readout qubit and the loss

.. math:: L = -\sum_i \big[y_i \log(P_i(1) + \epsilon) + (1 - y_i)\log(P_i(0) + \epsilon)\big],
   \quad \epsilon = 10^{-7},

(summed as in the reference code, or averaged), and takes one Nesterov-momentum step
(torch ``SGD(nesterov=True)``, the same update as PennyLane's ``NesterovMomentumOptimizer``).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from tqdm import tqdm

from qcnn_tl._io import atomic_write
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.hybrid import probability_one
from qcnn_tl.training.config import TrainConfig

log = logging.getLogger(__name__)
EPSILON = 1e-7


class QCNNModule(Protocol):
    """What the loop needs of an engine's module (``ExactQCNN``, ``AerQCNN``)."""

    weight: nn.Parameter

    def prepare(self, features: torch.Tensor) -> torch.Tensor:
        """Engine inputs for ``features`` (states or angles), computed once."""
        ...

    def __call__(self, prepared: torch.Tensor) -> torch.Tensor:
        """⟨Z⟩ on the readout qubit per sample."""
        ...


def qcnn_loss(expectation: torch.Tensor, labels: torch.Tensor, *, loss: str, reduction: str) -> torch.Tensor:
    """Cross-entropy on P(readout) or MSE on ⟨Z⟩ (target 1 − 2y), summed or averaged."""
    y = labels.to(expectation.dtype)
    if loss == "cross_entropy":
        p1 = probability_one(expectation)
        per_sample = -(y * torch.log(p1 + EPSILON) + (1 - y) * torch.log(1 - p1 + EPSILON))
    else:
        per_sample = (expectation - (1 - 2 * y)) ** 2
    return per_sample.sum() if reduction == "sum" else per_sample.mean()


def predict(expectation: torch.Tensor) -> torch.Tensor:
    """Label 1 unless P(0) > P(1), i.e. unless ⟨Z⟩ > 0 (SPEC §4)."""
    return (expectation <= 0).to(torch.int64)


@torch.no_grad()
def evaluate(model: QCNNModule, prepared: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 4096) -> float:
    """Accuracy of ``model`` on prepared inputs."""
    correct = 0
    for start in range(0, len(labels), batch_size):
        ev = model(prepared[start : start + batch_size])
        correct += int((predict(ev) == labels[start : start + batch_size]).sum())
    return correct / len(labels)


@dataclass
class TrainState:
    """Where a run stands: what a checkpoint holds."""

    step: int = 0
    loss_history: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0


def _save(
    path: Path,
    config: TrainConfig,
    model: QCNNModule,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    state: TrainState,
) -> None:
    payload = {
        "config": config.to_dict(),
        "weights": model.weight.detach().clone(),
        "optimizer": optimizer.state_dict(),
        "rng_state": generator.get_state(),
        "step": state.step,
        "loss_history": state.loss_history,
        "wall_time_s": state.wall_time_s,
    }
    atomic_write(path, lambda h: torch.save(payload, h))


def _resume(
    path: Path,
    config: TrainConfig,
    model: QCNNModule,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> TrainState:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise QcnnTlError(f"training checkpoint {path} is unreadable: {exc}") from exc
    if payload.get("config") != config.to_dict():
        raise QcnnTlError(f"training checkpoint {path} belongs to another configuration; use another --out")
    with torch.no_grad():
        model.weight.copy_(payload["weights"])
    optimizer.load_state_dict(payload["optimizer"])
    generator.set_state(payload["rng_state"])
    return TrainState(payload["step"], list(payload["loss_history"]), float(payload["wall_time_s"]))


def train_qcnn(
    model: QCNNModule,
    config: TrainConfig,
    prepared: torch.Tensor,
    labels: torch.Tensor,
    *,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> TrainState:
    """Trains ``model`` in place.

    Args:
        model: The QCNN module; its weights are set to N(0, 1) from ``config.seed`` unless resuming.
        config: Settings.
        prepared: The training pool, already prepared by ``model.prepare``.
        labels: Binary labels of the pool.
        checkpoint: File to save every ``config.checkpoint_every`` steps and at the end; if it exists,
            training resumes from it.
        progress: Show a progress bar with the running loss.

    Returns:
        The final state (steps done, loss per step, wall time).

    Raises:
        ValueError: If the pool is empty or sizes disagree.
        QcnnTlError: If the checkpoint is unreadable or of another configuration.
    """
    if len(labels) == 0 or len(prepared) != len(labels):
        raise ValueError(
            f"training pool must be non-empty with one label per sample; got {len(prepared)} / {len(labels)}"
        )
    generator = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        model.weight.copy_(torch.randn(model.weight.shape, generator=generator, dtype=torch.float64))
    optimizer = torch.optim.SGD([model.weight], lr=config.lr, momentum=config.momentum, nesterov=True)
    path = Path(checkpoint) if checkpoint is not None else None
    state = _resume(path, config, model, optimizer, generator) if path and path.is_file() else TrainState()
    bar = tqdm(total=config.steps, initial=state.step, desc="train", disable=not progress)
    start = time.perf_counter() - state.wall_time_s
    while state.step < config.steps:
        index = torch.randint(len(labels), (config.batch_size,), generator=generator)
        loss = qcnn_loss(model(prepared[index]), labels[index], loss=config.loss, reduction=config.reduction)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        state.step += 1
        state.loss_history.append(float(loss.detach()))
        state.wall_time_s = time.perf_counter() - start
        bar.update(1)
        bar.set_postfix(loss=f"{state.loss_history[-1]:.4f}")
        if path and (state.step % config.checkpoint_every == 0 or state.step == config.steps):
            _save(path, config, model, optimizer, generator, state)
    bar.close()
    return state


def summary(state: TrainState) -> dict[str, Any]:
    """JSON-ready view of a state."""
    return {
        "steps": state.step,
        "loss_history": state.loss_history,
        "wall_time_s": state.wall_time_s,
    }
