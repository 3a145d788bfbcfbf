"""Run conditions as types: the noise a model is evaluated under, and how a QCNN run was trained.

Results and sweep folders name them with strings, which stay as they were: a noise condition's key is
``"ideal"``, ``"fake_brisbane"`` or ``"fake_brisbane x2"`` (the keys of ``noisy_test_accuracy``); a run
condition's key is the encoding, ``"<encoding>@<noise key>"`` (trained under noise) or
``"<encoding>@<backend>"`` (trained with an estimator in the loop), the group of a sweep's runs.

>>> RunCondition.parse("angle@fake_brisbane x2").noise
NoiseCondition(device='fake_brisbane', scale=2.0)
>>> RunCondition.parse("angle@aer:fake_brisbane").evaluated_under.key
'fake_brisbane'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qcnn_tl.training.config import BACKEND_KINDS, Engine, backend_device

if TYPE_CHECKING:
    from qcnn_tl.training.config import TrainConfig


@dataclass(frozen=True)
class NoiseCondition:
    """Noiseless, or a fake device's noise with its error rates times ``scale``.

    Attributes:
        device: The fake device (``"fake_brisbane"``); None for noiseless.
        scale: Multiplies the device's error rates; 1 without a device.
    """

    device: str | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.scale, int | float) or not math.isfinite(self.scale) or self.scale <= 0:
            raise ValueError(f"scale must be a positive number; got {self.scale!r}")
        if self.device is None and self.scale != 1:
            raise ValueError(f"scale needs a device; got scale={self.scale!r} without one")
        if self.device is not None and (not self.device or any(c in self.device for c in " :@")):
            raise ValueError(f"device must be a fake device's name (no spaces, ':' or '@'); got {self.device!r}")

    @property
    def key(self) -> str:
        """``"ideal"``, ``"fake_brisbane"`` or ``"fake_brisbane x2"`` (the scale as ``:g`` writes it)."""
        if self.device is None:
            return "ideal"
        return self.device if self.scale == 1 else f"{self.device} x{self.scale:g}"

    @classmethod
    def parse(cls, key: str) -> NoiseCondition:
        """The condition a :attr:`key` names.

        Raises:
            ValueError: If ``key`` is not of the form ``"ideal"``, ``"<device>"`` or ``"<device> x<scale>"``.
        """
        if key == "ideal":
            return cls()
        device, sep, scale = key.partition(" x")
        try:
            return cls(device, float(scale) if sep else 1.0)
        except ValueError:
            raise ValueError(
                f"a noise condition must be 'ideal', '<device>' or '<device> x<scale>'; got {key!r}"
            ) from None


@dataclass(frozen=True)
class RunCondition:
    """How a QCNN run was trained: its encoding, and the noise or the estimator it was trained under.

    The :attr:`key` leaves out ``readout_error`` and ``shots`` (a sweep trains all its runs with the same
    ones), so :meth:`parse` leaves them at their defaults.

    Attributes:
        encoding: The encoding's name.
        noise: The noise the run was trained under (the noisy engine); noiseless by default.
        readout_error: Whether training under ``noise`` included the readout error.
        backend: The estimator in the loop (``"aer"``, ``"aer:<fake>"``, ``"ibm-local:<fake>"``,
            ``"ibm:<device>"``); excludes ``noise``.
        shots: Shots per circuit on ``backend`` (None: the backend's default).
    """

    encoding: str
    noise: NoiseCondition = field(default_factory=NoiseCondition)
    readout_error: bool = False
    backend: str | None = None
    shots: int | None = None

    def __post_init__(self) -> None:
        if not self.encoding or "@" in self.encoding:
            raise ValueError(f"encoding must be an encoding's name (no '@'); got {self.encoding!r}")
        if self.backend is not None and self.noise.device is not None:
            raise ValueError(f"noise ({self.noise.key!r}) and backend ({self.backend!r}) exclude each other")
        if self.backend is not None and self.backend.partition(":")[0] not in BACKEND_KINDS:
            raise ValueError(f"backend must be aer, aer:<fake>, ibm-local:<fake> or ibm:<device>; got {self.backend!r}")
        if self.readout_error and self.noise.device is None:
            raise ValueError("readout_error needs noise (a fake device)")

    @classmethod
    def from_config(cls, config: TrainConfig) -> RunCondition:
        """The condition of a QCNN run's settings."""
        noise = NoiseCondition(config.noise, config.noise_scale)
        return cls(config.encoding, noise, config.readout_error, config.backend, config.shots)

    @property
    def engine(self) -> Engine:
        """``"exact"`` (noiseless), ``"noisy"`` (under :attr:`noise`) or ``"estimator"`` (:attr:`backend`)."""
        if self.noise.device is not None:
            return "noisy"
        return "exact" if self.backend is None else "estimator"

    @property
    def training(self) -> str:
        """How it was trained, in words of the keys: ``"ideal"``, the noise's key, or the backend."""
        return self.backend or self.noise.key

    @property
    def evaluated_under(self) -> NoiseCondition:
        """The condition of the run's own test accuracy.

        A noise-trained run is evaluated under its training noise; one trained with a fake device's estimator
        in the loop (``"aer:fake_brisbane"``, ``"ibm-local:fake_brisbane"``) on the noisy engine under that
        device; a noiseless one, or one trained on ``aer`` or an IBM device, noiselessly.
        """
        if self.backend is not None:
            return NoiseCondition(backend_device(self.backend))
        return self.noise

    @property
    def key(self) -> str:
        """``"angle"``, ``"angle@fake_brisbane x2"`` or ``"angle@aer:fake_brisbane"``: a sweep's group."""
        return self.encoding if self.engine == "exact" else f"{self.encoding}@{self.training}"

    @classmethod
    def parse(cls, key: str) -> RunCondition:
        """The condition a :attr:`key` names (``readout_error`` and ``shots`` at their defaults).

        Raises:
            ValueError: If ``key`` is not ``"<encoding>"``, ``"<encoding>@<noise key>"`` (a device) or
                ``"<encoding>@<backend>"``.
        """
        encoding, sep, training = key.partition("@")
        if not sep:
            return cls(encoding)
        if training.partition(":")[0] in BACKEND_KINDS:
            return cls(encoding, backend=training)
        noise = NoiseCondition.parse(training)
        if noise.device is None:
            raise ValueError(f"a run condition names its noise by device; got {key!r}")
        return cls(encoding, noise)
