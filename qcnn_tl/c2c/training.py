"""Training a C2C head as the reference code does (docs/method.md, *C2C baselines*).

Adam, batch 50, one epoch over 10,000 samples.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from qcnn_tl._io import library_versions
from qcnn_tl._validate import check_settings
from qcnn_tl.c2c.heads import NUM_FEATURES, REFERENCE_WIDTH, build_head, check_head, num_weights
from qcnn_tl.cnn.backbone import BackboneSpec
from qcnn_tl.cnn.pretrain import classifier_accuracy
from qcnn_tl.cnn.reduction import FeatureReduction
from qcnn_tl.cnn.task_data import TaskData, check_source, task_num_classes
from qcnn_tl.qnn.readout import confusion_matrix
from qcnn_tl.results import CnnInfo, ModelInfo, RunResult


@dataclass(frozen=True)
class C2CConfig:
    """One C2C training run (defaults: the reference code's Keras settings).

    Attributes:
        head: ``"1d"`` (64 weights) or ``"2d"`` (76 weights).
        task: Two groups of the dataset's classes (:mod:`qcnn_tl.data.tasks`), or :math:`k > 2`, as for a QCNN;
            the head has one logit per class.
        seed: Seeds the initial weights and the shuffling.
        epochs: Passes over the training samples (reference: 1).
        num_train: The first this many samples of the task's training split are used (reference: 10,000,
            i.e. 200 steps of 50).
        batch_size: Samples per Adam step (reference: 50).
        lr: Adam step size (Keras default 0.001; ε = 1e-7 as in Keras).
        cnn_epochs: Epochs of the pre-trained CNN (F = 256) whose features the head reads.
        cnn_seed: Seed of that CNN.
        dataset: The source of the samples, as for a QCNN (:mod:`qcnn_tl.data.sources`).
        backbone: The frozen backbone, as for a QCNN; its features reach the head's 256 inputs through
            ``feature_reduction`` when the widths differ.
        feature_reduction: ``"pca"`` or ``"none"`` (:mod:`qcnn_tl.cnn.reduction`).
        width: Values the ``"1d"`` head pools to before its Dense layer (28: the reference); a smaller width
            matches a k-class QCNN's weight count (:func:`~qcnn_tl.c2c.heads.matched_width`).
    """

    head: str = "1d"
    task: str = "0,1"
    seed: int = 0
    epochs: int = 1
    num_train: int = 10_000
    batch_size: int = 50
    lr: float = 1e-3
    cnn_epochs: int = 5
    cnn_seed: int = 0
    dataset: str = "mnist"
    backbone: BackboneSpec = field(default_factory=BackboneSpec)
    feature_reduction: FeatureReduction = "pca"
    width: int = REFERENCE_WIDTH

    def __post_init__(self) -> None:
        check_head(self.head, self.width)
        check_source(self)
        check_settings(
            self,
            positive_ints=("epochs", "num_train", "batch_size", "cnn_epochs"),
            positive=("lr",),
            seeds=("seed", "cnn_seed"),
        )

    @property
    def num_features(self) -> int:
        """Feature width of the CNN the head reads."""
        return NUM_FEATURES

    @property
    def num_classes(self) -> int:
        """Labels of the task (the head's logits)."""
        return task_num_classes(self.task, self.dataset)

    @property
    def encoding(self) -> str:
        """The heads read features as the amplitude encoding does: the 256 of the F = 256 CNN, unscaled."""
        return "amplitude"

    @property
    def model_name(self) -> str:
        """``"C2C_1D"`` or ``"C2C_2D"``; ``"C2C_1D_w10"`` for a 1D head of another width than the reference's 28."""
        return f"C2C_{self.head.upper()}" + ("" if self.width == REFERENCE_WIDTH else f"_w{self.width}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return asdict(self)


def train_head(config: C2CConfig, data: TaskData) -> RunResult[C2CConfig]:
    """Trains one C2C head on ``data`` (features of the F = 256 CNN) and evaluates it.

    The label is the class index (1 = first digit of the pair; group ``i`` of a k-class task), the loss the mean
    cross-entropy of the softmax over the outputs; the samples are reshuffled every epoch, as Keras' ``fit`` does.

    Returns:
        The result: config, model, accuracies (train: the samples used), the test confusion matrix, loss per step.

    Raises:
        ValueError: If the features are not 256 wide.
    """
    if data.train_features.shape[1] != NUM_FEATURES:
        raise ValueError(f"C2C heads read {NUM_FEATURES} features; got {data.train_features.shape[1]}")
    generator = torch.Generator().manual_seed(config.seed)
    head = build_head(config.head, generator, num_classes=config.num_classes, width=config.width)
    x = data.train_features[: config.num_train].to(torch.float32)
    y = data.train_labels[: config.num_train]
    optimizer = torch.optim.Adam(head.parameters(), lr=config.lr, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    history: list[float] = []
    start = time.perf_counter()
    for _ in range(config.epochs):
        order = torch.randperm(len(y), generator=generator)
        for batch in order.split(config.batch_size):
            loss = loss_fn(head(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(float(loss.detach()))
    wall = time.perf_counter() - start
    confusion = _confusion(head, data.test_features.to(torch.float32), data.test_labels, config.num_classes)
    return RunResult(
        config=config,
        model=ModelInfo(config.model_name, num_weights(head)),
        test_accuracy=int(confusion.trace()) / len(data.test_labels),
        train_accuracy=classifier_accuracy(head, x, y),
        num_train=len(y),
        num_test=len(data.test_labels),
        steps=len(history),
        loss_history=history,
        wall_time_s=wall,
        cnn=CnnInfo(data.cnn_hash, data.cnn_test_accuracy),
        source=data.source,
        versions=library_versions(),
        confusion=confusion.tolist(),
    )


def _confusion(head: nn.Module, features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The head's confusion counts, predicting in batches of 1000 as :func:`classifier_accuracy` does."""
    head.eval()
    with torch.no_grad():
        predicted = torch.cat([head(part).argmax(1) for part in features.split(1000)])
    return confusion_matrix(predicted, labels, num_classes)
