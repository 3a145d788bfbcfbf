"""A task's data for a head on the frozen CNN: the pre-trained CNN's cached features and the binary labels.

What every head trains on (the QCNN engines and the C2C heads): :func:`task_data` pre-trains (or loads) the
CNN of the wanted feature width, extracts (or loads) its MNIST features once, and selects the task's samples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

import torch

from qcnn_tl.cnn.features import cached_features
from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained
from qcnn_tl.data.tasks import parse_task


@dataclass
class TaskData:
    """Features and binary labels of one task."""

    train_features: torch.Tensor
    train_labels: torch.Tensor
    test_features: torch.Tensor
    test_labels: torch.Tensor
    cnn_hash: str
    cnn_test_accuracy: float


class DataSpec(Protocol):
    """What locates a task's features: the task and the CNN (a :class:`TrainConfig` or a C2C config)."""

    @property
    def task(self) -> str:
        """The binary task (``"0,1"``)."""
        ...

    @property
    def cnn_epochs(self) -> int:
        """Epochs of the pre-trained CNN."""
        ...

    @property
    def cnn_seed(self) -> int:
        """Seed of the pre-trained CNN."""
        ...

    @property
    def num_features(self) -> int:
        """Feature width of the CNN."""
        ...


def task_data(
    config: DataSpec,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> TaskData:
    """Pre-trains (or loads) the CNN for the encoding and returns the task's cached features.

    Raises:
        ValueError: If the features contain NaN/inf.
    """
    pre = PretrainConfig(num_features=config.num_features, epochs=config.cnn_epochs, seed=config.cnn_seed)
    checkpoint = ensure_pretrained(pre, data_dir=data_dir, download=download, cache_dir=cache_dir, progress=progress)
    task = parse_task(config.task)
    parts: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for split in ("train", "test"):
        features, digits = cached_features(
            checkpoint, "mnist", split, data_dir=data_dir, download=download, cache_dir=cache_dir
        )
        index, labels = task.select(digits)
        selected = features[index].to(torch.float64)
        if not torch.isfinite(selected).all():
            raise ValueError(f"{split} features of task {task.name!r} contain NaN or infinite values")
        parts[split] = (selected, labels)
    return TaskData(
        *parts["train"], *parts["test"], checkpoint.content_hash, float(checkpoint.metadata["test_accuracy"])
    )
