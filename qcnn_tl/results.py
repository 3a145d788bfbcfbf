"""What a trained model's run produces: :class:`RunResult`, the one result type of training, C2C and sweeps.

``qcnn-tl train`` and ``run`` write it as ``result.json``, sweeps as ``runs/.../seed<k>.json``, evaluation run
folders keep the evaluated model's as ``model.json``; summaries, evaluation and fine-tuning read it back with
:meth:`RunResult.read`, which checks every field, so a damaged or foreign file is one line naming it.

The result is generic in its settings: a QCNN's carry a
:class:`~qcnn_tl.training.config.TrainConfig`, a C2C head's a :class:`~qcnn_tl.c2c.training.C2CConfig`; a
reader names the type it expects (:func:`qcnn_tl.sweep.grid.read_result` tells the two apart). The module
sits below both, importing neither.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from qcnn_tl._io import read_json_object, write_json
from qcnn_tl.circuits.registration import BlockDefinition, restore_blocks
from qcnn_tl.errors import QcnnTlError


class RunConfig(Protocol):
    """The settings of a run, as a result records them."""

    @property
    def task(self) -> str:
        """The binary task."""
        ...

    @property
    def seed(self) -> int:
        """The run's seed."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        ...


C = TypeVar("C", bound=RunConfig)


@dataclass(frozen=True)
class ModelInfo:
    """The trained model.

    Attributes:
        name: ``"U_SU4_zx"``-style template name, or ``"C2C_1D"``.
        num_weights: Trainable weights.
        num_qubits: Qubits of a QCNN (None for a C2C head).
    """

    name: str
    num_weights: int
    num_qubits: int | None = None


@dataclass(frozen=True)
class CnnInfo:
    """The frozen backbone whose features the model read.

    Attributes:
        content_hash: Hash of the backbone's weights (with its input preparation, for a user's backbone).
        source_test_accuracy: The project CNN's test accuracy on its source dataset (Fashion-MNIST's 10
            classes for the shipped CNNs); ``None`` for a user's backbone.
    """

    content_hash: str
    source_test_accuracy: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CnnInfo:
        """Reads ``asdict`` output, and results written before other backbones (``fashion_mnist_test_accuracy``)."""
        values = dict(data)
        if "fashion_mnist_test_accuracy" in values:
            values["source_test_accuracy"] = values.pop("fashion_mnist_test_accuracy")
        return cls(**values)


@dataclass(frozen=True)
class SourceInfo:
    """Where the model's features came from: the data, the task, the backbone and the fitted feature map.

    Attributes:
        dataset: The source (``"mnist"``, ``"imagefolder:photos"``; :mod:`qcnn_tl.data.sources`).
        task: The task in class names (``"Sandal (1) vs Ankle boot (0)"``).
        split: How train and test were separated (``"given"``, or a held-out fraction and seed).
        backbone: The backbone's name (``"cnn:fashion_mnist"``).
        transform: How the samples were prepared for the backbone.
        feature_map: The map fitted on the training split to the encoding's width, as
            :meth:`qcnn_tl.cnn.reduction.FeatureMap.to_json` writes it; ``None``: the features as they are.
    """

    dataset: str = "mnist"
    task: str = ""
    split: str = "given"
    backbone: str = "cnn:fashion_mnist"
    transform: str = ""
    feature_map: dict[str, Any] | None = None


@dataclass(frozen=True)
class EngineComparison:
    """The same trained QCNN evaluated by the exact engine and by Aer (``qcnn-tl run``).

    Attributes:
        samples: Test samples compared (the first ones of the split).
        exact_accuracy: Accuracy of the exact engine on them.
        aer_accuracy: Accuracy of Aer's ``EstimatorV2`` (exact mode) on them.
        max_difference: Largest ``|⟨Z⟩_exact − ⟨Z⟩_Aer|``.
        aer_s: Wall time of the Aer evaluation.
    """

    samples: int
    exact_accuracy: float
    aer_accuracy: float
    max_difference: float
    aer_s: float


@dataclass(frozen=True)
class RunResult(Generic[C]):
    """One trained model — a QCNN (C2Q) or a C2C head — and how it did.

    Attributes:
        config: The run's settings (its own seed included).
        model: The trained model.
        test_accuracy: Accuracy on the task's whole test split (noiseless, or under the training noise).
        train_accuracy: Accuracy on the training samples (None where skipped: sweeps skip it).
        num_train: Training samples available (QCNN) or used (C2C).
        num_test: Test samples.
        steps: Optimiser steps taken.
        loss_history: Loss per step.
        wall_time_s: Training wall time (a replica's share when trained together).
        cnn: The frozen backbone.
        source: Where the features came from (results written before other data: MNIST on the shipped CNN).
        versions: Library versions of the run.
        weights: Trained QCNN weights in the template's order (None for a C2C head).
        replicas: Repetitions trained together with this one (QCNN).
        prepare_s: Time to encode the features (QCNN).
        evaluate_s: Time to evaluate (QCNN).
        noisy_test_accuracy: Test accuracy under fake devices' noise, by condition (``"fake_brisbane"``,
            ``"fake_brisbane x2"``), where evaluated.
        engines: The exact-vs-Aer comparison of ``qcnn-tl run``, where made.
        blocks: The user's own blocks of a QCNN (not built-ins), as QPY, so a reader rebuilds the model
            (:func:`~qcnn_tl.circuits.registration.block_definitions`).
        spsa_learning_rate: SPSA's :math:`a` of a run trained with ``gradient="spsa"``, given or calibrated
            (:mod:`qcnn_tl.training.spsa`).
        confusion: ``confusion[i][j]``: test samples of class ``i`` predicted ``j`` (noiseless, or under the
            training noise, as ``test_accuracy``); ``None`` in results written before it was recorded.
    """

    config: C
    model: ModelInfo
    test_accuracy: float
    train_accuracy: float | None
    num_train: int
    num_test: int
    steps: int
    loss_history: list[float]
    wall_time_s: float
    cnn: CnnInfo
    versions: dict[str, str]
    weights: list[float] | None = None
    replicas: int | None = None
    prepare_s: float | None = None
    evaluate_s: float | None = None
    noisy_test_accuracy: dict[str, float] = field(default_factory=dict)
    engines: EngineComparison | None = None
    source: SourceInfo = field(default_factory=SourceInfo)
    blocks: tuple[BlockDefinition, ...] = ()
    spsa_learning_rate: float | None = None
    confusion: list[list[int]] | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON (``config`` as its ``to_dict``; empty and unset optional fields left out)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["config"] = self.config.to_dict()
        out["model"], out["cnn"], out["source"] = asdict(self.model), asdict(self.cnn), asdict(self.source)
        out["engines"] = asdict(self.engines) if self.engines is not None else None
        out["blocks"] = [block.to_json() for block in self.blocks] or None
        optional = (
            "weights",
            "replicas",
            "prepare_s",
            "evaluate_s",
            "noisy_test_accuracy",
            "engines",
            "blocks",
            "spsa_learning_rate",
            "confusion",
        )
        return {k: v for k, v in out.items() if not (k in optional and v in (None, {}))}

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], config_type: Callable[..., C], *, source: str = "result"
    ) -> RunResult[C]:
        """Reads :meth:`to_json`'s output, checking every field; the user's own blocks it stores are registered.

        Args:
            data: The JSON object.
            config_type: The settings class the result must record (``TrainConfig``, ``C2CConfig``).
            source: What ``data`` came from, for messages.

        Raises:
            QcnnTlError: Naming ``source`` and the missing, unknown or invalid field, or a stored block that
                cannot be registered (one of that name registered differently, or a Python function not stored).
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise QcnnTlError(f"{source} is not a qcnn_tl run result: unknown field(s) {unknown}")
        for key in ("config", "model", "cnn"):
            if not isinstance(data.get(key), Mapping):
                raise QcnnTlError(
                    f"{source} is not a qcnn_tl run result: {key} must be a JSON object; got {data.get(key)!r}"
                )
        values = dict(data)
        values["blocks"] = _blocks(data.get("blocks", []), source)
        try:
            restore_blocks(values["blocks"])  # before the settings, which name them
        except ValueError as exc:
            raise QcnnTlError(f"{source}: {exc}") from None
        try:
            values["config"] = _settings(config_type, values["config"])
            values["model"] = ModelInfo(**values["model"])
            values["cnn"] = CnnInfo.from_json(values["cnn"])
            if "source" in values:
                if not isinstance(values["source"], Mapping):
                    raise TypeError(f"source must be a JSON object; got {values['source']!r}")
                values["source"] = SourceInfo(**values["source"])
            if values.get("engines") is not None:
                values["engines"] = EngineComparison(**values["engines"])
            result = cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise QcnnTlError(f"{source} is not a qcnn_tl run result: {what}") from None
        result._check(source)
        return result

    def _check(self, source: str) -> None:
        numbers = {"test_accuracy": self.test_accuracy, "wall_time_s": self.wall_time_s}
        for name, value in numbers.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
                raise QcnnTlError(f"{source} is not a qcnn_tl run result: {name} must be a number; got {value!r}")
        if self.weights is not None:
            weights = self.weights
            ok = isinstance(weights, list) and all(isinstance(w, int | float) and math.isfinite(w) for w in weights)
            if not ok or len(weights) != self.model.num_weights:
                raise QcnnTlError(
                    f"{source} is not a qcnn_tl run result: weights must be {self.model.num_weights} finite numbers"
                )

        if self.confusion is not None:
            self._check_confusion(source)

    def _check_confusion(self, source: str) -> None:
        rows = self.confusion if isinstance(self.confusion, list) else []
        k = len(rows)
        cells = [v for row in rows if isinstance(row, list) and len(row) == k for v in row]
        counts = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in cells)
        if k < 2 or len(cells) != k * k or not counts:
            raise QcnnTlError(
                f"{source} is not a qcnn_tl run result: confusion must be a k x k array of counts (k >= 2)"
            )
        if sum(cells) != self.num_test:
            raise QcnnTlError(
                f"{source} is not a qcnn_tl run result: confusion counts {sum(cells)} samples, num_test {self.num_test}"
            )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Writes :meth:`to_json` atomically to ``path``."""
        return write_json(path, self.to_json())

    @classmethod
    def read(
        cls, path: str | os.PathLike[str], config_type: Callable[..., C], what: str = "a run result"
    ) -> RunResult[C]:
        """Reads a result file recording ``config_type`` settings.

        Raises:
            QcnnTlError: If it is missing, not JSON, or not a valid result (the message names the file).
        """
        return cls.from_json(read_json_object(path, what), config_type, source=str(path))


def _settings(config_type: Callable[..., C], settings: Mapping[str, Any]) -> C:
    """``config_type(**settings)``; settings of another kind of run (a C2C head's ``head``) say so."""
    try:
        return config_type(**settings)
    except TypeError as exc:
        kind = "a C2C head's" if "head" in settings else "a QCNN's" if "ansatz" in settings else "other"
        name = getattr(config_type, "__name__", "these")
        raise TypeError(f"it records {kind} settings, not {name} ({exc})") from None


def _blocks(data: Any, source: str) -> tuple[BlockDefinition, ...]:
    """The ``blocks`` field read back.

    Raises:
        QcnnTlError: Naming ``source``, if it is not a list of block definitions.
    """
    if not isinstance(data, list):
        raise QcnnTlError(f"{source} is not a qcnn_tl run result: blocks must be a JSON array; got {data!r}")
    try:
        return tuple(BlockDefinition.from_json(item) for item in data)
    except ValueError as exc:
        raise QcnnTlError(f"{source} is not a qcnn_tl run result: {exc}") from None
