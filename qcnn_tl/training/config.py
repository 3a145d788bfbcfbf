"""Training settings of a QCNN run (defaults: docs/method.md, *Training*), validated on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from qcnn_tl._validate import check_settings
from qcnn_tl.circuits import ANSATZES, ENCODINGS, POOLINGS
from qcnn_tl.cnn.backbone import BackboneSpec
from qcnn_tl.cnn.reduction import FeatureReduction
from qcnn_tl.cnn.task_data import check_source, task_num_classes

Engine = Literal["exact", "noisy", "estimator"]
Gradient = Literal["param-shift", "spsa"]
Loss = Literal["cross_entropy", "mse"]
Reduction = Literal["sum", "mean"]


SPSA_FIELDS = (
    "spsa_learning_rate",
    "spsa_perturbation",
    "spsa_alpha",
    "spsa_gamma",
    "spsa_stability",
    "spsa_resamplings",
)
"""The settings of SPSA's schedule, which need ``gradient="spsa"``."""

BACKEND_KINDS = ("aer", "ibm-local", "ibm")
"""What a backend name starts with (``"aer"``, ``"aer:<fake>"``, ``"ibm-local:<fake>"``, ``"ibm:<device>"``)."""


@dataclass(frozen=True)
class TrainConfig:
    """One QCNN training run.

    Attributes:
        ansatz: Convolution ansatz (docs/method.md, *Convolution ansatzes*).
        pooling: ``"zx"``, ``"generalized"`` or ``"none"``.
        encoding: A name from :data:`~qcnn_tl.circuits.ENCODINGS`; the CNN's width ``F`` is the encoding's
            (256 amplitude, 8 angle, 12 to 32 for the others).
        task: Two groups of the dataset's classes, ``"A,B"``, ``"A,rest"`` or ``"A+B,C+D"`` by index or name
            (the first is label 1), or ``"odd-even"`` / ``"gt4"`` on digits (:mod:`qcnn_tl.data.tasks`); or
            :math:`k > 2` groups ``"A,B,C,…"`` (group ``i`` is label ``i``) or ``"all"``, read out by the k-class
            readout (docs/explanation/multiclass.md).
        dataset: The source of the samples (:mod:`qcnn_tl.data.sources`): a torchvision dataset
            (``"mnist"``, ``"fashion_mnist"``, ``"cifar10"``, …), ``"imagefolder:DIR"`` or ``"arrays:FILE.npz"``.
        backbone: The frozen backbone (:class:`~qcnn_tl.cnn.backbone.BackboneSpec`, or its name): the shipped
            Fashion-MNIST CNN by default.
        feature_reduction: How the backbone's features reach the encoding's width when they differ: ``"pca"``, fitted
            on the training split, or ``"none"`` (:mod:`qcnn_tl.cnn.reduction`).
        noise: A fake device (``"fake_brisbane"``): train through the noisy engine, exactly under that device's
            Aer noise model (the template transpiled for it). ``None``: noiseless.
        noise_scale: Multiplies the device's error rates (divides :math:`T_1, T_2`); needs ``noise``.
        readout_error: Include the readout qubit's readout error (what a measuring estimator without
            mitigation sees); needs ``noise``.
        backend: Run the circuits on a Qiskit estimator during training instead of a torch engine: ``"aer"``
            (ideal, exact), ``"aer:<fake>"``, ``"ibm-local:<fake>"`` or ``"ibm:<device>"``; excludes ``noise``.
        shots: Shots per circuit for ``backend``: 0 for exact expectation values (Aer only); unset, exact on Aer
            and 4,000 on IBM Runtime targets.
        gradient: ``"param-shift"`` or ``"spsa"``, for ``backend``. With ``"spsa"``, training takes SPSA's own steps
            (gains a_k and c_k, below) and ignores ``lr`` and ``momentum``.
        spsa_learning_rate: SPSA's a, the learning rate a_k = a/(A + k + 1)^alpha of step k; unset, calibrated at
            the initial weights for a first step of about 2π/10 (10 batch evaluations).
        spsa_perturbation: SPSA's c, the perturbation c_k = c/(k + 1)^gamma of step k.
        spsa_alpha: SPSA's learning-rate exponent alpha (Spall: 0.602).
        spsa_gamma: SPSA's perturbation exponent gamma (Spall: 0.101).
        spsa_stability: SPSA's stability constant A ≥ 0.
        spsa_resamplings: Random directions averaged per SPSA step (B(1 + 2R) rows per step).
        optimization_level: Preset pass-manager level of the transpilation for ``noise`` or ``backend``.
        seed_transpiler: Transpiler seed for ``noise`` or ``backend``.
        steps: Optimiser steps (paper: 200).
        batch_size: Samples per step, drawn with replacement from the whole pool (paper: 50).
        lr: Nesterov momentum step size (paper: 0.01).
        momentum: Nesterov momentum (PennyLane default 0.9).
        loss: ``"cross_entropy"`` on P(readout) or ``"mse"`` on ⟨Z⟩ against 1 − 2y (binary tasks only).
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
    dataset: str = "mnist"
    backbone: BackboneSpec = field(default_factory=BackboneSpec)
    feature_reduction: FeatureReduction = "pca"
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
    noise: str | None = None
    noise_scale: float = 1.0
    readout_error: bool = False
    backend: str | None = None
    shots: int | None = None
    gradient: Gradient = "param-shift"
    spsa_learning_rate: float | None = None
    spsa_perturbation: float = 0.2
    spsa_alpha: float = 0.602
    spsa_gamma: float = 0.101
    spsa_stability: float = 0.0
    spsa_resamplings: int = 1
    optimization_level: int = 1
    seed_transpiler: int = 1234

    def __post_init__(self) -> None:
        ANSATZES[self.ansatz]
        POOLINGS[self.pooling]
        ENCODINGS[self.encoding]
        check_source(self)
        choices = {
            "gradient": ("param-shift", "spsa"),
            "loss": ("cross_entropy", "mse"),
            "reduction": ("sum", "mean"),
        }
        for name, valid in choices.items():
            if getattr(self, name) not in valid:
                raise ValueError(f"{name} must be one of {', '.join(valid)}; got {getattr(self, name)!r}")
        check_settings(self, positive_ints=("steps", "batch_size", "checkpoint_every", "cnn_epochs"), positive=("lr",))
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum!r}")
        if self.num_classes > 2 and self.loss != "cross_entropy":
            raise ValueError(
                f"loss {self.loss!r} is binary-only; task {self.task!r} has {self.num_classes} classes: "
                "use cross_entropy"
            )
        if self.num_classes > 1 << 8:
            raise ValueError(f"task {self.task!r} has {self.num_classes} classes; 8 readout qubits tell at most 256")
        self._check_targets()
        self._check_spsa()

    def _check_targets(self) -> None:
        """Checks the noise and backend settings and that they fit together."""
        check_settings(self, positive=("noise_scale",), seeds=("seed", "cnn_seed", "seed_transpiler"))
        if self.optimization_level not in (0, 1, 2, 3):
            raise ValueError(f"optimization_level must be 0, 1, 2 or 3; got {self.optimization_level!r}")
        if not isinstance(self.readout_error, bool):
            raise ValueError(f"readout_error must be true or false; got {self.readout_error!r}")
        shots = self.shots
        if shots is not None and not (isinstance(shots, int) and not isinstance(shots, bool) and shots >= 0):
            raise ValueError(f"shots must be a non-negative integer; got {shots!r}")
        if self.noise is not None and self.backend is not None:
            raise ValueError(
                f"noise ({self.noise!r}: the exact noisy engine) and backend ({self.backend!r}: an estimator in the "
                "loop) exclude each other; choose one"
            )
        if self.noise is not None:
            from qcnn_tl.backends.targets import fake_backends

            if self.noise not in fake_backends():
                raise ValueError(
                    f"noise must name a fake device; got {self.noise!r}; expected one of: "
                    f"{', '.join(sorted(fake_backends()))}"
                )
        else:
            noise_defaults: tuple[tuple[str, object], ...] = (("noise_scale", 1.0), ("readout_error", False))
            for name, default in noise_defaults:
                if getattr(self, name) != default:
                    raise ValueError(f"{name} needs noise (a fake device); got {name}={getattr(self, name)!r}")
        if self.backend is None:
            backend_defaults: tuple[tuple[str, tuple[object, ...]], ...] = (
                ("shots", (None, 0)),  # 0: what results written before shots could be unset record
                ("gradient", ("param-shift",)),
            )
            for name, defaults in backend_defaults:
                if getattr(self, name) not in defaults:
                    raise ValueError(
                        f"{name} needs backend (an estimator in the loop); got {name}={getattr(self, name)!r}"
                    )
        elif not isinstance(self.backend, str) or self.backend.split(":")[0] not in BACKEND_KINDS:
            raise ValueError(f"backend must be aer, aer:<fake>, ibm-local:<fake> or ibm:<device>; got {self.backend!r}")
        else:
            self._check_backend(self.backend)

    def _check_spsa(self) -> None:
        """Checks SPSA's settings: valid with gradient ``"spsa"``, at their defaults otherwise."""
        if self.gradient != "spsa":
            for name in SPSA_FIELDS:
                default = TrainConfig.__dataclass_fields__[name].default
                if getattr(self, name) != default:
                    raise ValueError(f"{name} needs gradient spsa; got {name}={getattr(self, name)!r}")
            return
        if self.spsa_learning_rate is not None:
            check_settings(self, positive=("spsa_learning_rate",))
        check_settings(
            self, positive_ints=("spsa_resamplings",), positive=("spsa_perturbation", "spsa_alpha", "spsa_gamma")
        )
        check_settings(self, numbers=("spsa_stability",))
        if self.spsa_stability < 0:
            raise ValueError(f"spsa_stability must be non-negative; got {self.spsa_stability!r}")

    def _check_backend(self, backend: str) -> None:
        """The fake device of ``aer:<fake>``/``ibm-local:<fake>`` exists; an IBM target gets a positive shot count."""
        from qcnn_tl.backends.targets import fake_backends

        kind, _, device = backend.partition(":")
        if kind in ("aer", "ibm-local") and device and device not in fake_backends():
            raise ValueError(
                f"backend {backend!r} names no fake device; expected one of: {', '.join(sorted(fake_backends()))}"
            )
        if kind in ("ibm", "ibm-local") and (self.shots == 0 or not device):
            what = "a device" if not device else "shots > 0 (0, exact expectation values, is for aer)"
            raise ValueError(f"backend {backend!r} needs {what}; got shots={self.shots!r}")

    @property
    def engine(self) -> Engine:
        """``"exact"`` (torch, noiseless), ``"noisy"`` (torch, under ``noise``) or ``"estimator"`` (``backend``)."""
        if self.noise is not None:
            return "noisy"
        return "exact" if self.backend is None else "estimator"

    @property
    def num_classes(self) -> int:
        """Labels of the task: 2, or :math:`k` for a k-class task."""
        return task_num_classes(self.task, self.dataset)

    @property
    def num_features(self) -> int:
        """CNN feature width this encoding needs on 8 qubits."""
        return ENCODINGS[self.encoding].num_features(8)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return asdict(self)


def backend_device(backend: str) -> str | None:
    """The fake device a backend simulates (``"aer:fake_brisbane"``, ``"ibm-local:fake_brisbane"``), else ``None``.

    Models trained with such a backend in the loop are evaluated on the noisy engine under that device; those
    trained on ``aer`` (ideal) or an IBM device (``"ibm:<device>"``, no noise model here) noiselessly.
    """
    kind, _, device = backend.partition(":")
    return device if kind in ("aer", "ibm-local") and device else None
