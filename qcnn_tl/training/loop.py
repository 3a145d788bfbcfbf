r"""The QCNN training loop (docs/method.md, *Training*): reads top to bottom, checkpoints, resumes.

Each step draws ``batch_size`` indices uniformly with replacement from the whole training pool, computes
:math:`P(1) = (1 - \langle Z\rangle)/2` on the readout qubit and the loss

.. math:: L = -\sum_i \big[y_i \log(P_i(1) + \epsilon) + (1 - y_i)\log(P_i(0) + \epsilon)\big],
   \quad \epsilon = 10^{-7},

(summed as in the reference code, or averaged), and takes one Nesterov-momentum step
(torch ``SGD(nesterov=True)``: PennyLane's ``NesterovMomentumOptimizer`` written for its look-ahead point,
so the weights here are PennyLane's parameters minus momentum times its accumulator). With an estimator's SPSA
gradient (``gradient="spsa"``) the step is SPSA's own instead, :math:`w \leftarrow w - a_k\hat g_k` measured with
perturbation :math:`c_k` (:mod:`qcnn_tl.training.spsa`), its :math:`a` calibrated at the initial weights unless given.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qcnn_tl._io import atomic_write
from qcnn_tl._progress import progress_bar
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.expectations import QCNNModule, expectations
from qcnn_tl.qnn.hybrid import probability_one
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.qnn.readout import class_probabilities, confusion_matrix, predict
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.spsa import CALIBRATION_STEPS, SPSASchedule, calibrate

log = logging.getLogger(__name__)
EPSILON = 1e-7


def qcnn_loss(
    expectation: torch.Tensor, labels: torch.Tensor, *, loss: str, reduction: str, num_classes: int = 2
) -> torch.Tensor:
    r"""Cross-entropy on P(readout) or MSE on ⟨Z⟩ (target 1 − 2y), summed or averaged over the samples.

    ``expectation`` of shape ``(B,)`` gives a scalar; ``(R, B)`` (replicas) gives one loss per replica. With
    ``num_classes`` :math:`k > 2` it holds the readout's Z-strings, ``(B, 2^m - 1)`` or ``(R, B, 2^m - 1)``, and
    the loss is the cross-entropy over the :math:`k` class probabilities
    (:func:`~qcnn_tl.qnn.readout.class_probabilities`), :math:`-\sum_i \log(p_{y_i} + \epsilon)`.
    """
    if num_classes > 2:
        if loss != "cross_entropy":
            raise ValueError(f"loss {loss!r} is binary-only; a {num_classes}-class readout trains on cross_entropy")
        p = class_probabilities(expectation, num_classes)
        picked = p.gather(-1, labels.to(torch.int64).unsqueeze(-1)).squeeze(-1)
        per_class = -torch.log(picked + EPSILON)
        return per_class.sum(-1) if reduction == "sum" else per_class.mean(-1)
    y = labels.to(expectation.dtype)
    if loss == "cross_entropy":
        p1 = probability_one(expectation)
        per_sample = -(y * torch.log(p1 + EPSILON) + (1 - y) * torch.log(1 - p1 + EPSILON))
    else:
        per_sample = (expectation - (1 - 2 * y)) ** 2
    return per_sample.sum(-1) if reduction == "sum" else per_sample.mean(-1)


def confusion_matrices(
    model: QCNNModule, prepared: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 1024
) -> torch.Tensor:
    """Confusion counts of every replica of ``model`` on prepared inputs, ``(R, k, k)`` (``R = 1`` for one weight set).

    ``[r, i, j]``: samples of label ``i`` that replica ``r`` predicts ``j``
    (:func:`~qcnn_tl.qnn.readout.confusion_matrix`) from the values of
    :func:`~qcnn_tl.qnn.expectations.expectations`.
    """
    num_classes = model.template.num_classes
    values = expectations(model, prepared, batch_size=batch_size)
    return confusion_matrix(predict(values, num_classes), torch.as_tensor(labels), num_classes)


def accuracies(counts: torch.Tensor) -> list[float]:
    """The accuracy of each confusion matrix of ``counts`` ``(R, k, k)``: its diagonal over its total."""
    return (counts.diagonal(dim1=-2, dim2=-1).sum(-1) / counts.sum((-2, -1))).tolist()


def evaluate(model: QCNNModule, prepared: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 1024) -> list[float]:
    """Accuracy of every replica of ``model`` on prepared inputs (one entry for a single-weight model)."""
    return accuracies(confusion_matrices(model, prepared, labels, batch_size=batch_size))


@dataclass
class TrainState:
    """Where a run (or a group of replicas) stands: what a checkpoint holds.

    Attributes:
        step: Steps done.
        loss_history: Loss per step, one list per replica.
        wall_time_s: Training wall time of the whole group.
        spsa_learning_rate: SPSA's :math:`a` (given or calibrated) with ``gradient="spsa"``, else ``None``.
    """

    step: int = 0
    loss_history: list[list[float]] = field(default_factory=list)
    wall_time_s: float = 0.0
    spsa_learning_rate: float | None = None


def _save(
    path: Path,
    config: TrainConfig,
    seeds: list[int],
    model: QCNNModule,
    optimizer: torch.optim.Optimizer,
    generators: list[torch.Generator],
    state: TrainState,
) -> None:
    payload = {
        "config": config.to_dict(),
        "seeds": seeds,
        "weights": model.weight.detach().clone(),
        "optimizer": optimizer.state_dict(),
        "rng_states": [g.get_state() for g in generators],
        "step": state.step,
        "loss_history": state.loss_history,
        "wall_time_s": state.wall_time_s,
        "spsa_learning_rate": state.spsa_learning_rate,
    }
    atomic_write(path, lambda h: torch.save(payload, h))


def check_checkpoint(path: str | os.PathLike[str], config: TrainConfig, seeds: Sequence[int]) -> dict[str, Any]:
    """The training checkpoint at ``path``, checked to be one of ``config`` and ``seeds`` (before any work).

    Raises:
        QcnnTlError: If it is unreadable or belongs to another configuration.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise QcnnTlError(f"training checkpoint {path} is unreadable: {exc}") from exc
    if payload.get("config") != config.to_dict() or payload.get("seeds") != [int(s) for s in seeds]:
        raise QcnnTlError(f"training checkpoint {path} belongs to another configuration; use another --out")
    return payload


def _resume(
    path: Path,
    config: TrainConfig,
    seeds: list[int],
    model: QCNNModule,
    optimizer: torch.optim.Optimizer,
    generators: list[torch.Generator],
) -> TrainState:
    payload = check_checkpoint(path, config, seeds)
    with torch.no_grad():
        model.weight.copy_(payload["weights"])
    optimizer.load_state_dict(payload["optimizer"])
    for generator, rng_state in zip(generators, payload["rng_states"], strict=True):
        generator.set_state(rng_state)
    return TrainState(
        payload["step"],
        [list(h) for h in payload["loss_history"]],
        float(payload["wall_time_s"]),
        payload.get("spsa_learning_rate"),
    )


def _calibrated(model: QCNNModule, config: TrainConfig, prepared: torch.Tensor, labels: torch.Tensor) -> float:
    """SPSA's :math:`a` calibrated at the model's weights on :data:`CALIBRATION_STEPS` batches of ``config.seed``.

    The batches and directions come from their own generator, so they leave the training batches as they are.
    """
    rng = np.random.default_rng(config.seed)
    batches = rng.integers(len(labels), size=(CALIBRATION_STEPS, config.batch_size))
    start = model.weight.detach().clone()

    def batch_loss(j: int, weights: np.ndarray) -> float:
        with torch.no_grad():
            model.weight.copy_(torch.as_tensor(weights))
            index = torch.as_tensor(batches[j])
            expectation = model(prepared[index])
            return float(
                qcnn_loss(
                    expectation,
                    labels[index],
                    loss=config.loss,
                    reduction=config.reduction,
                    num_classes=model.template.num_classes,
                )
            )

    try:
        return calibrate(batch_loss, start.numpy(), perturbation=config.spsa_perturbation, rng=rng)
    finally:
        with torch.no_grad():
            model.weight.copy_(start)


def train_qcnn(
    model: QCNNModule,
    config: TrainConfig,
    prepared: torch.Tensor,
    labels: torch.Tensor,
    *,
    seeds: Sequence[int] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    initial_weights: torch.Tensor | None = None,
    progress: bool = True,
) -> TrainState:
    """Trains ``model`` in place: one run, or several repetitions of one model at once.

    A model with weights ``(R, W)`` (e.g. ``ExactQCNN(..., replicas=R)``) trains ``R`` independent
    repetitions together, replica ``r`` seeded by ``seeds[r]``: it draws its own initial weights and its
    own batches from its own generator, exactly as a single run with that seed does, and the summed loss
    keeps the replicas' gradients (and Nesterov updates) apart.

    Args:
        model: The QCNN module; its weights are set to N(0, 1) from the seeds unless resuming.
        config: Settings (``config.seed`` is the seed of a single run).
        prepared: The training pool, already prepared by ``model.prepare``.
        labels: Labels of the pool (0 or 1; 0 to k − 1 for a k-class template).
        seeds: One seed per replica; ``[config.seed]`` if omitted.
        checkpoint: File to save every ``config.checkpoint_every`` steps and at the end; if it exists,
            training resumes from it.
        initial_weights: Starting weights, shaped like ``model.weight`` (fine-tuning trained weights); the
            seeds then only draw the batches. Default: N(0, 1) draws from the seeds.
        progress: Show a progress bar with the running loss.

    Returns:
        The final state (steps done, loss per step per replica, wall time).

    Raises:
        ValueError: If the pool is empty, sizes disagree or the seeds do not match the model's replicas.
        QcnnTlError: If the checkpoint is unreadable or of another configuration.
    """
    if len(labels) == 0 or len(prepared) != len(labels):
        raise ValueError(
            f"training pool must be non-empty with one label per sample; got {len(prepared)} / {len(labels)}"
        )
    seeds = [config.seed] if seeds is None else [int(s) for s in seeds]
    replicated = model.weight.ndim == 2
    if len(seeds) != (model.weight.shape[0] if replicated else 1):
        raise ValueError(f"seeds must give one seed per replica ({tuple(model.weight.shape)[:-1]}); got {seeds}")
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    with torch.no_grad():
        if initial_weights is not None:
            if tuple(initial_weights.shape) != tuple(model.weight.shape):
                raise ValueError(
                    f"initial_weights must have the model's weight shape {tuple(model.weight.shape)}; "
                    f"got {tuple(initial_weights.shape)}"
                )
            model.weight.copy_(initial_weights.to(torch.float64))
        else:
            weights = model.weight.view(len(seeds), -1)
            for row, generator in zip(weights, generators, strict=True):
                row.copy_(torch.randn(row.shape, generator=generator, dtype=torch.float64))
    spsa = config.gradient == "spsa"
    if spsa:  # SPSA's step w - a_k g: plain SGD whose learning rate is set to a_k before each step
        optimizer = torch.optim.SGD([model.weight], lr=config.lr)
    else:
        optimizer = torch.optim.SGD([model.weight], lr=config.lr, momentum=config.momentum, nesterov=True)
    path = Path(checkpoint) if checkpoint is not None else None
    if path and path.is_file():
        state = _resume(path, config, seeds, model, optimizer, generators)
    else:
        state = TrainState(loss_history=[[] for _ in seeds])
    start = time.perf_counter() - state.wall_time_s  # SPSA's calibration counts as training time
    schedule, estimator = None, None
    if spsa:
        if not isinstance(model, EstimatorQCNN):
            raise ValueError(f"gradient spsa needs an estimator in the loop; got {type(model).__name__}")
        estimator = model
        if state.spsa_learning_rate is None:
            state.spsa_learning_rate = config.spsa_learning_rate or _calibrated(model, config, prepared, labels)
        schedule = SPSASchedule(
            learning_rate=state.spsa_learning_rate,
            perturbation=config.spsa_perturbation,
            alpha=config.spsa_alpha,
            gamma=config.spsa_gamma,
            stability=config.spsa_stability,
        )
    bar = progress_bar(total=config.steps, initial=state.step, desc="train", disable=not progress)
    while state.step < config.steps:
        if schedule is not None and estimator is not None:
            estimator.spsa_perturbation = schedule.perturbation_at(state.step)
            optimizer.param_groups[0]["lr"] = schedule.learning_rate_at(state.step)
        index = torch.stack([torch.randint(len(labels), (config.batch_size,), generator=g) for g in generators])
        expectation = model(prepared[index]) if replicated else model(prepared[index[0]])[None]
        losses = qcnn_loss(
            expectation,
            labels[index],
            loss=config.loss,
            reduction=config.reduction,
            num_classes=model.template.num_classes,
        )
        optimizer.zero_grad()
        losses.sum().backward()
        optimizer.step()
        state.step += 1
        values = losses.detach()
        for history, value in zip(state.loss_history, values.tolist(), strict=True):
            history.append(value)
        state.wall_time_s = time.perf_counter() - start
        bar.update(1)
        bar.set_postfix(loss=f"{float(values.mean()):.4f}", refresh=False)
        if path and (state.step % config.checkpoint_every == 0 or state.step == config.steps):
            _save(path, config, seeds, model, optimizer, generators, state)
    bar.close()
    return state
