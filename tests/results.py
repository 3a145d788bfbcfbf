"""Result files for report tests: complete :class:`RunResult` JSON around the fields a test cares about."""

from __future__ import annotations

from typing import Any

import numpy as np

from qcnn_tl.c2c.training import C2CConfig
from qcnn_tl.results import CnnInfo, ModelInfo, RunResult, SourceInfo
from qcnn_tl.training.config import TrainConfig


def result_json(
    config: dict[str, Any],
    test_accuracy: float,
    *,
    num_weights: int = 51,
    noisy: dict[str, float] | None = None,
    confusion: list[list[int]] | None = None,
    task: str = "",
) -> dict[str, Any]:
    """A QCNN's (or, with a ``head`` in ``config``, a C2C head's) result as its file holds it.

    With ``confusion`` the result counts its samples as its test split; ``task`` is the task in class names.
    """
    settings = C2CConfig(**config) if "head" in config else TrainConfig(**config)
    result: RunResult[Any] = RunResult(
        config=settings,
        model=ModelInfo("model", num_weights),
        test_accuracy=test_accuracy,
        train_accuracy=None,
        num_train=100,
        num_test=50 if confusion is None else sum(map(sum, confusion)),
        steps=1,
        loss_history=[0.5],
        wall_time_s=0.1,
        cnn=CnnInfo("hash", 0.9),
        versions={},
        noisy_test_accuracy=noisy or {},
        source=SourceInfo(task=task),
        confusion=confusion,
    )
    return result.to_json()


def qcnn_result(config: TrainConfig, weights: np.ndarray) -> RunResult[TrainConfig]:
    """A QCNN's result with ``weights``, as `evaluate` and `run` read it (the other fields are placeholders)."""
    return RunResult(
        config=config,
        model=ModelInfo("model", len(weights)),
        test_accuracy=0.5,
        train_accuracy=None,
        num_train=0,
        num_test=0,
        steps=0,
        loss_history=[],
        wall_time_s=0.0,
        cnn=CnnInfo("hash", 0.9),
        versions={},
        weights=np.asarray(weights, dtype=float).tolist(),
    )
