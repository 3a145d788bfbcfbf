"""A task's data for a head on a frozen backbone: its cached features, the fitted feature map and labels.

What every head trains on (the QCNN engines and the C2C heads): :func:`task_data` loads (or pre-trains) the
backbone, extracts (or loads) its features of the source's two splits once, selects the task's samples and
maps the features to the encoding's width (:mod:`qcnn_tl.cnn.reduction`). :meth:`TaskData.from_arrays` builds
the same from features a user already has.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from qcnn_tl._paths import cache_root
from qcnn_tl.cnn.backbone import BackboneSpec, load_backbone
from qcnn_tl.cnn.features import source_features
from qcnn_tl.cnn.reduction import REDUCTIONS, FeatureMap, FeatureReduction, fit_feature_map
from qcnn_tl.data.sources import load_source, parse_source
from qcnn_tl.data.tasks import Task, parse_task
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.results import RunResult, SourceInfo


@dataclass
class TaskData:
    """Features and labels of one task (0 or 1; 0 to k − 1 for a k-class task).

    Attributes:
        train_features: ``(N, d)`` float64, the encoding's width.
        train_labels: ``(N,)`` 0/1 (0 to k − 1).
        test_features: ``(M, d)`` float64.
        test_labels: ``(M,)`` 0/1 (0 to k − 1).
        cnn_hash: The backbone's key.
        cnn_test_accuracy: The project CNN's accuracy on its source dataset (``None`` for other backbones).
        source: Where the features came from (recorded in the results).
        feature_map: The map fitted to the encoding's width (``None``: the features as they are).
    """

    train_features: torch.Tensor
    train_labels: torch.Tensor
    test_features: torch.Tensor
    test_labels: torch.Tensor
    cnn_hash: str
    cnn_test_accuracy: float | None
    source: SourceInfo = field(default_factory=SourceInfo)
    feature_map: FeatureMap | None = None

    @classmethod
    def from_arrays(
        cls,
        train_features: np.ndarray | torch.Tensor,
        train_labels: np.ndarray | torch.Tensor,
        test_features: np.ndarray | torch.Tensor,
        test_labels: np.ndarray | torch.Tensor,
        *,
        name: str = "arrays",
    ) -> TaskData:
        r"""A task from features a user already has, in the encoding's width, with labels 0 to :math:`k - 1`.

        :math:`k` is one more than the largest training label (at least 2). With two classes, label 1 is the class
        the readout's :math:`P(|1\rangle)` predicts; with :math:`k > 2`, label :math:`i` is outcome :math:`i` of the
        k-class readout, and the model is trained with a task of :math:`k` classes (``task="0,1,2,3"``).

        Args:
            train_features: ``(N, d)``.
            train_labels: ``(N,)`` of whole numbers 0 to :math:`k - 1`, each class present when :math:`k > 2`.
            test_features: ``(M, d)``.
            test_labels: ``(M,)`` of whole numbers 0 to :math:`k - 1`.
            name: What the data are called in results.

        Raises:
            ValueError: Naming the argument, on mismatched lengths or widths, non-finite features, labels that are
                not whole numbers from 0, a class below :math:`k - 1` without a training sample (:math:`k > 2`),
                or a test label of a class the training labels lack.
        """
        parts = {}
        for split, x, y in (("train", train_features, train_labels), ("test", test_features, test_labels)):
            features = torch.as_tensor(np.asarray(x), dtype=torch.float64)
            given = torch.as_tensor(np.asarray(y))
            labels = given.to(torch.int64)
            if features.ndim != 2 or len(features) == 0:
                raise ValueError(f"{split}_features must have shape (N, d) with N > 0; got {tuple(features.shape)}")
            if labels.shape != (len(features),):
                raise ValueError(
                    f"{split}_labels must have shape ({len(features)},) to match {split}_features; "
                    f"got {tuple(labels.shape)}"
                )
            if not torch.isfinite(features).all():
                raise ValueError(f"{split}_features contain NaN or infinite values")
            if given.is_complex() or not torch.equal(labels.to(given.dtype), given) or (labels < 0).any():
                values = sorted(set(given.unique().tolist()))[:10]
                raise ValueError(f"{split}_labels must be whole numbers 0, 1, …, k - 1; got values {values}")
            parts[split] = (features, labels)
        if parts["train"][0].shape[1] != parts["test"][0].shape[1]:
            raise ValueError(
                f"train_features have {parts['train'][0].shape[1]} columns, test_features {parts['test'][0].shape[1]}"
            )
        train, test = parts["train"][1], parts["test"][1]
        k = max(2, int(train.max()) + 1)
        missing = sorted(set(range(k)) - set(train.unique().tolist()))
        if k > 2 and missing:
            raise ValueError(f"train_labels must hold every class 0..{k - 1}; classes {missing} have no sample")
        if int(test.max()) >= k:
            extra = sorted(v for v in set(test.unique().tolist()) if v >= k)
            raise ValueError(f"test_labels must be 0..{k - 1}, the classes of train_labels; got {extra} too")
        task = "1 vs 0" if k == 2 else " vs ".join(f"{c} ({c})" for c in range(k))
        source = SourceInfo(dataset=name, task=task, backbone="none", transform="none")
        return cls(*parts["train"], *parts["test"], "none", None, source)


class SourceSpec(Protocol):
    """The settings :func:`check_source` checks (a :class:`TrainConfig` or a C2C config)."""

    @property
    def dataset(self) -> str:
        """The source (``"mnist"``)."""
        ...

    @property
    def task(self) -> str:
        """The task (``"0,1"``)."""
        ...

    @property
    def backbone(self) -> BackboneSpec:
        """The frozen backbone (its name or a mapping, before :func:`check_source`)."""
        ...

    @property
    def feature_reduction(self) -> FeatureReduction:
        """How backbone features reach the encoding's width."""
        ...


class DataSpec(SourceSpec, Protocol):
    """What locates a task's features (a :class:`TrainConfig` or a C2C config): the source and the CNN."""

    @property
    def encoding(self) -> str:
        """The encoding the features feed (decides scaling)."""
        ...

    @property
    def cnn_epochs(self) -> int:
        """Epochs of a project CNN."""
        ...

    @property
    def cnn_seed(self) -> int:
        """Seed of a project CNN."""
        ...

    @property
    def num_features(self) -> int:
        """The encoding's width."""
        ...


def check_source(config: SourceSpec) -> None:
    """Checks (and normalises, on a frozen dataclass) the dataset, task, backbone and reduction of ``config``.

    The task is checked against the classes of MNIST and Fashion-MNIST here; for other sources, whose classes
    are known once they are read, when the data are loaded (before anything is written).

    Raises:
        ValueError: Naming the setting.
    """
    parse_source(config.dataset)
    if isinstance(config.backbone, str):
        object.__setattr__(config, "backbone", BackboneSpec(config.backbone))
    elif isinstance(config.backbone, Mapping):
        object.__setattr__(config, "backbone", BackboneSpec(**config.backbone))
    elif not isinstance(config.backbone, BackboneSpec):
        raise ValueError(f"backbone must be a BackboneSpec or its name; got {config.backbone!r}")
    if config.feature_reduction not in REDUCTIONS:
        raise ValueError(f"feature_reduction must be one of {', '.join(REDUCTIONS)}; got {config.feature_reduction!r}")
    if config.dataset in ("mnist", "fashion_mnist"):
        from torchvision import datasets

        classes = None if config.dataset == "mnist" else datasets.FashionMNIST.classes
        parse_task(config.task, classes)
    elif not isinstance(config.task, str) or not config.task.strip():
        raise ValueError(f"task must name two groups of classes such as 'A,B'; got {config.task!r}")


def task_num_classes(task: str, dataset: str) -> int:
    """The number of labels of a (checked) task: 2 for a binary task, :math:`k` for ``"A,B,C,…"`` or ``"all"``.

    Raises:
        ValueError: On ``"all"`` for a source whose classes are known only once it is read (name its classes).
    """
    if dataset in ("mnist", "fashion_mnist"):
        from torchvision import datasets

        return parse_task(task, None if dataset == "mnist" else datasets.FashionMNIST.classes).num_classes
    if task.strip().casefold() == "all":
        raise ValueError(f"task 'all' needs the classes of {dataset!r} before it is read; name them ('0,1,2,…')")
    return 2 if task in ("odd-even", "gt4") else max(2, len(task.split(",")))


def task_data(
    config: DataSpec,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    feature_map: FeatureMap | None = None,
    fit: bool = True,
) -> TaskData:
    """Loads the backbone and returns the task's features in the encoding's width.

    Args:
        config: Dataset, task, backbone, reduction and encoding.
        data_dir: Data root of torchvision datasets.
        download: Let torchvision download missing files.
        cache_dir: Cache root (checkpoints and features).
        progress: Show progress while pre-training a project CNN.
        feature_map: A map already fitted (a trained model's, for evaluation): used instead of fitting one.
        fit: Fit a map on the training split when none is given (``False``: a trained model without one
            uses the features as they are).

    Raises:
        QcnnTlError: If the source, the backbone or the task does not fit (naming which).
        ValueError: If the cache folder is a file or not writable (naming ``--cache-dir`` or its variable).
    """
    cache_dir = cache_root(cache_dir)
    kind = parse_source(config.dataset)[0]
    data = None if kind == "torchvision" else load_source(config.dataset, data_dir=data_dir, download=download)
    if data is not None and data.kind == "features" and config.backbone.kind != "none":
        raise QcnnTlError(f"dataset {config.dataset!r} holds features, not images; use --backbone none")
    if data is not None and data.kind == "images" and config.backbone.kind == "none":
        raise QcnnTlError(f"dataset {config.dataset!r} holds images; --backbone none is for ready-made features")
    sample_shape = None if data is None else data.sample_shape
    backbone = load_backbone(
        config.backbone,
        num_features=config.num_features,
        sample_shape=sample_shape,
        cnn_epochs=config.cnn_epochs,
        cnn_seed=config.cnn_seed,
        data_dir=data_dir,
        download=download,
        cache_dir=cache_dir,
        progress=progress,
    )
    features = source_features(
        backbone, config.dataset, data=data, data_dir=data_dir, download=download, cache_dir=cache_dir
    )
    try:
        task = parse_task(config.task, _task_classes(config.dataset, features.classes))
    except ValueError as exc:
        raise QcnnTlError(str(exc)) from None
    train, train_y = _select(task, features.train_features, features.train_labels, "train")
    test, test_y = _select(task, features.test_features, features.test_labels, "test")
    if feature_map is None and fit:
        feature_map = fit_feature_map(
            train.numpy(),
            config.num_features,
            encoding=config.encoding,
            reduction=config.feature_reduction,
            standardise=config.backbone.kind != "cnn",
        )
    if feature_map is not None:
        train, test = (torch.from_numpy(feature_map.apply(x.numpy())) for x in (train, test))
    elif train.shape[1] != config.num_features:
        raise QcnnTlError(
            f"the backbone gives {train.shape[1]} features and the {config.encoding} encoding takes "
            f"{config.num_features}; a fitted feature map is needed (--feature-reduction pca)"
        )
    source = SourceInfo(
        dataset=config.dataset,
        task=task.describe(features.classes),
        split=features.split,
        backbone=config.backbone.name,
        transform=features.transform,
        feature_map=None if feature_map is None else feature_map.to_json(),
    )
    return TaskData(train, train_y, test, test_y, backbone.key, backbone.source_accuracy, source, feature_map)


def trained_feature_map(result: RunResult[Any]) -> FeatureMap | None:
    """The feature map a trained model's result stores (``None``: its features went in as they were).

    Raises:
        QcnnTlError: If the stored map is damaged.
    """
    if result.source.feature_map is None:
        return None
    try:
        return FeatureMap.from_json(result.source.feature_map)
    except ValueError as exc:
        raise QcnnTlError(f"the model's stored feature map is damaged: {exc}") from None


def _task_classes(dataset: str, classes: Sequence[str]) -> Sequence[str] | None:
    """The classes a task names: MNIST's ten digits stay the default digit tasks."""
    return None if dataset == "mnist" else classes


def _select(task: Task, features: torch.Tensor, labels: torch.Tensor, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        index, chosen = task.select(labels)
    except ValueError as exc:
        raise QcnnTlError(f"{exc} in the {split} split") from None
    selected = features[index].to(torch.float64)
    if not torch.isfinite(selected).all():
        raise QcnnTlError(f"{split} features of task {task.name!r} contain NaN or infinite values")
    for value in range(task.num_classes):
        if not (chosen == value).any():
            raise QcnnTlError(f"task {task.name!r} has no {split} sample of label {value}")
    return selected, chosen
