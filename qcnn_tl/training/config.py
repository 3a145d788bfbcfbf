"""Training settings of a QCNN run (SPEC §7 defaults), validated on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from qcnn_tl._validate import check_settings
from qcnn_tl.circuits import ANSATZES, ENCODINGS, POOLINGS
from qcnn_tl.data.tasks import parse_task

Engine = Literal["exact", "aer"]
Loss = Literal["cross_entropy", "mse"]
Reduction = Literal["sum", "mean"]


@dataclass(frozen=True)
class TrainConfig:
    """One QCNN training run.

    Attributes:
        ansatz: Convolution ansatz (SPEC §5).
        pooling: ``"zx"``, ``"generalized"`` or ``"none"``.
        encoding: A name from :data:`~qcnn_tl.circuits.ENCODINGS`; the CNN's width ``F`` is the encoding's
            (256 amplitude, 8 angle, 12 to 32 for the others).
        task: ``"0,1"``-style pair, ``"odd-even"`` or ``"gt4"``.
        engine: ``"exact"`` (torch statevector) or ``"aer"`` (EstimatorQNN on Aer, exact mode).
        steps: Optimiser steps (paper: 200).
        batch_size: Samples per step, drawn with replacement from the whole pool (paper: 50).
        lr: Nesterov momentum step size (paper: 0.01).
        momentum: Nesterov momentum (PennyLane default 0.9).
        loss: ``"cross_entropy"`` on P(readout) or ``"mse"`` on ⟨Z⟩ against 1 − 2y.
        reduction: ``"sum"`` over the batch (reference code) or ``"mean"``.
        seed: Seeds the N(0, 1) initial weights and the batch sampling.
        checkpoint_every: Save a resumable checkpoint every this many steps.
        cnn_epochs: Epochs of the pre-trained CNN to use.
        cnn_seed: Seed of the pre-trained CNN.
    """

    ansatz: str = "U_SU4"
    pooling: str = "zx"
    encoding: str = "amplitude"
    task: str = "0,1"
    engine: Engine = "exact"
    steps: int = 200
    batch_size: int = 50
    lr: float = 0.01
    momentum: float = 0.9
    loss: Loss = "cross_entropy"
    reduction: Reduction = "sum"
    seed: int = 0
    checkpoint_every: int = 50
    cnn_epochs: int = 5
    cnn_seed: int = 0

    def __post_init__(self) -> None:
        ANSATZES[self.ansatz]
        POOLINGS[self.pooling]
        ENCODINGS[self.encoding]
        parse_task(self.task)
        choices = {
            "engine": ("exact", "aer"),
            "loss": ("cross_entropy", "mse"),
            "reduction": ("sum", "mean"),
        }
        for name, valid in choices.items():
            if getattr(self, name) not in valid:
                raise ValueError(f"{name} must be one of {', '.join(valid)}; got {getattr(self, name)!r}")
        check_settings(self, positive_ints=("steps", "batch_size", "checkpoint_every", "cnn_epochs"), positive=("lr",))
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum!r}")

    @property
    def num_features(self) -> int:
        """CNN feature width this encoding needs on 8 qubits."""
        return ENCODINGS[self.encoding].num_features(8)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return asdict(self)
