"""One training run end to end: CNN → cached features → QCNN → train → evaluate → results on disk."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from qcnn_tl._io import library_versions, write_json
from qcnn_tl.circuits import QCNNTemplate, build_qcnn
from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained
from qcnn_tl.data.features import cached_features
from qcnn_tl.data.tasks import parse_task
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.reports.plots import loss_curve
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.loop import QCNNModule, evaluate, summary, train_qcnn

log = logging.getLogger(__name__)


@dataclass
class TaskData:
    """Features and binary labels of one task."""

    train_features: torch.Tensor
    train_labels: torch.Tensor
    test_features: torch.Tensor
    test_labels: torch.Tensor
    cnn_hash: str
    cnn_test_accuracy: float


def task_data(
    config: TrainConfig,
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
    parts = []
    for split in ("train", "test"):
        features, digits = cached_features(
            checkpoint, "mnist", split, data_dir=data_dir, download=download, cache_dir=cache_dir
        )
        index, labels = task.select(digits)
        selected = features[index].to(torch.float64)
        if not torch.isfinite(selected).all():
            raise ValueError(f"{split} features of task {task.name!r} contain NaN or infinite values")
        parts += [selected, labels]
    return TaskData(*parts, checkpoint.content_hash, float(checkpoint.metadata["test_accuracy"]))


def make_model(config: TrainConfig, template: QCNNTemplate) -> QCNNModule:
    """The engine module named by ``config.engine`` (Aer: ideal simulator, exact mode)."""
    if config.engine == "exact":
        return ExactQCNN(template)
    from qcnn_tl.backends.targets import ideal_estimator, ideal_isa
    from qcnn_tl.qnn.aer import AerQCNN

    return AerQCNN(template, ideal_isa(template), ideal_estimator())


def run_training(
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    data: TaskData,
    progress: bool = True,
) -> dict[str, Any]:
    """Trains one model and writes ``result.json``, ``loss.png`` and ``checkpoint.pt`` into ``out_dir``.

    An interrupted run resumes from ``checkpoint.pt`` when called again with the same ``out_dir``.

    Returns:
        The results dictionary (also in ``result.json``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding)
    if data.train_features.shape[1] != template.num_features:
        raise ValueError(
            f"{config.encoding} encoding needs {template.num_features} features; got {data.train_features.shape[1]}"
        )
    model = make_model(config, template)
    start = time.perf_counter()
    train_prepared = model.prepare(data.train_features)
    test_prepared = model.prepare(data.test_features)
    prepare_s = time.perf_counter() - start
    state = train_qcnn(
        model,
        config,
        train_prepared,
        data.train_labels,
        checkpoint=out / "checkpoint.pt",
        progress=progress,
    )
    eval_batch = 4096 if config.engine == "exact" else 256
    start = time.perf_counter()
    train_acc = evaluate(model, train_prepared, data.train_labels, batch_size=eval_batch)
    test_acc = evaluate(model, test_prepared, data.test_labels, batch_size=eval_batch)
    result = {
        "config": config.to_dict(),
        "model": {
            "name": template.name,
            "num_weights": template.num_weights,
            "num_qubits": template.num_qubits,
        },
        "weights": model.weight.detach().tolist(),
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "num_train": len(data.train_labels),
        "num_test": len(data.test_labels),
        **summary(state),
        "prepare_s": prepare_s,
        "evaluate_s": time.perf_counter() - start,
        "cnn": {
            "content_hash": data.cnn_hash,
            "fashion_mnist_test_accuracy": data.cnn_test_accuracy,
        },
        "versions": library_versions(),
    }
    write_json(out / "result.json", result)
    loss_curve(
        state.loss_history,
        out / "loss.png",
        title=f"{template.name} on {config.task} ({config.engine})",
    )
    return result
