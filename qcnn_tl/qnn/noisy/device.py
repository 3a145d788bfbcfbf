r"""A fake device's noise, as Aer builds it: the ``NoiseModel`` and the ``Target`` it was derived from.

Aer's ``NoiseModel.from_backend`` turns a device's calibration data into one quantum error per
(instruction, physical qubits) — a depolarizing error followed by thermal relaxation for the gate's
duration — and one readout error per qubit. :class:`DeviceNoise` holds that noise model (built exactly as
``AerSimulator.from_backend`` builds it, so both engines see the same objects) and answers, per ISA
instruction, which channel follows it.

*Noise scale.* :func:`device_noise` with ``scale = s`` multiplies every reported gate and readout error by
:math:`s` and divides every :math:`T_1`, :math:`T_2` by :math:`s` before the noise model is derived, so
``s = 0.5`` is a device twice as good and ``s = 2`` one twice as bad; the transpiled circuit (layout,
routing) stays that of the real device.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib.metadata import version
from types import SimpleNamespace

import numpy as np
from qiskit.providers import BackendV2, QubitProperties
from qiskit.quantum_info import PTM, SuperOp
from qiskit.transpiler import Target
from qiskit_aer.noise import NoiseModel, QuantumError, ReadoutError

from qcnn_tl._validate import check_settings
from qcnn_tl.errors import QcnnTlError


@dataclass(frozen=True)
class DeviceNoise:
    """The noise model of one device (possibly rescaled) and the target it describes.

    Attributes:
        name: Device name (``"fake_brisbane"``).
        scale: Factor applied to the device's error rates (1 = as reported).
        target: The device's ``Target`` (unscaled: circuits are transpiled for the real device).
        noise_model: Aer's noise model derived from the (scaled) calibration data.
    """

    name: str
    scale: float
    target: Target
    noise_model: NoiseModel

    _ptms: dict[tuple[str, tuple[int, ...]], np.ndarray | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_noise_model_internals(self.noise_model)

    def gate_error_ptm(self, name: str, qubits: tuple[int, ...]) -> np.ndarray | None:
        """The PTM of :meth:`gate_error` (computed once per instruction and qubits; ``None``: no error)."""
        key = (name, qubits)
        if key not in self._ptms:
            error = self.gate_error(name, qubits)
            self._ptms[key] = None if error is None else error_ptm(error)
        return self._ptms[key]

    def gate_error(self, name: str, qubits: tuple[int, ...]) -> QuantumError | None:
        """The quantum error Aer applies after instruction ``name`` on physical ``qubits`` (``None``: none).

        Local (per-qubit) errors take precedence over all-qubit ones, as in Aer.
        """
        local = self.noise_model._local_quantum_errors.get(name, {})
        if qubits in local:
            return local[qubits]
        return self.noise_model._default_quantum_errors.get(name)

    def readout_error(self, qubit: int) -> ReadoutError | None:
        """The readout error of physical ``qubit`` (``None``: none)."""
        return self.noise_model._local_readout_errors.get((qubit,), self.noise_model._default_readout_error)


NOISE_MODEL_INTERNALS = (
    "_local_quantum_errors",
    "_default_quantum_errors",
    "_local_readout_errors",
    "_default_readout_error",
)
"""The private ``NoiseModel`` attributes :class:`DeviceNoise` reads: Aer has no public lookup of the error that
follows an instruction on given qubits (checked against qiskit-aer 0.18)."""


def check_noise_model_internals(noise_model: NoiseModel) -> None:
    """Checks that ``noise_model`` has the private attributes :class:`DeviceNoise` reads.

    Raises:
        QcnnTlError: Naming the installed qiskit-aer version and the missing attribute.
    """
    missing = [name for name in NOISE_MODEL_INTERNALS if not hasattr(noise_model, name)]
    if missing:
        raise QcnnTlError(
            f"the noisy engine reads NoiseModel.{missing[0]}, which qiskit-aer {version('qiskit-aer')} no longer "
            "has (it was written against qiskit-aer 0.18); install qiskit-aer 0.18 or use Aer estimator jobs "
            "(--simulator aer) until qcnn_tl supports this release"
        )


AER_THRESHOLD = 1e-10
"""Aer keeps only the terms of a quantum error whose probability exceeds this (its C++ ``QuantumError``)."""


def error_ptm(error: QuantumError) -> np.ndarray:
    r"""The Pauli transfer matrix of a quantum error as Aer applies it (real, ``4**k × 4**k``, Qiskit's order).

    An error is a mixture :math:`\sum_j p_j\,\mathcal{E}_j` of circuits; Aer's simulator drops the terms with
    :math:`p_j \le 10^{-10}` without renormalising (:data:`AER_THRESHOLD`), so the same is done here. For the
    fake devices' composed depolarizing and thermal-relaxation errors the dropped mass is about
    :math:`10^{-11}` per two-qubit gate: keeping it would move ⟨Z⟩ by about :math:`10^{-9}` over a circuit.
    """
    total = np.zeros((4**error.num_qubits,) * 2)
    for circuit, probability in zip(error.circuits, error.probabilities, strict=True):
        if probability > AER_THRESHOLD:
            total += probability * np.real(PTM(SuperOp(circuit)).data)
    return total


def readout_ptm(error: ReadoutError) -> np.ndarray:
    r"""The Pauli transfer matrix of a one-qubit readout error, as a channel before a Z measurement.

    With :math:`p(m\,|\,k)` the probability of reading :math:`m` when the qubit is in :math:`|k\rangle`, the
    channel :math:`\rho \mapsto \sum_{m,k} p(m|k)\,|m\rangle\langle k|\rho|k\rangle\langle m|` dephases and
    flips as the readout does, so :math:`Z \mapsto (1 - p(1|0) - p(0|1))\,Z + (p(0|1) - p(1|0))\,I` in the
    Heisenberg picture: the measured :math:`\langle Z\rangle`.

    Raises:
        QcnnTlError: If the readout error is not a one-qubit error.
    """
    probabilities = np.asarray(error.probabilities, dtype=float)
    if probabilities.shape != (2, 2):
        raise QcnnTlError(f"only one-qubit readout errors are supported; got shape {probabilities.shape}")
    stay0, flip01 = probabilities[0]
    flip10, stay1 = probabilities[1]
    ptm = np.zeros((4, 4))
    ptm[0, 0] = 1.0
    ptm[3, 0] = (stay0 + flip10 - flip01 - stay1) / 2
    ptm[3, 3] = (stay0 - flip10 - flip01 + stay1) / 2
    return ptm


class _ScaledDevice:
    """What ``NoiseModel.from_backend`` reads of a BackendV2, with a rescaled target."""

    version = 2

    def __init__(self, backend: BackendV2, target: Target) -> None:
        self.target = target
        self.operation_names = backend.operation_names
        self.dt = backend.dt
        self.name = backend.name


def _scaled_target(target: Target, scale: float) -> Target:
    scaled = copy.deepcopy(target)
    for name in scaled.operation_names:
        for _qargs, props in scaled[name].items():
            if props is not None and props.error is not None:
                props.error = min(props.error * scale, 1.0)
    properties = []
    for q in scaled.qubit_properties or []:
        t1 = None if q.t1 is None else q.t1 / scale
        t2 = None if q.t2 is None else q.t2 / scale
        properties.append(QubitProperties(t1=t1, t2=t2, frequency=q.frequency))
    scaled.qubit_properties = properties or None
    return scaled


def device_noise(backend: BackendV2, *, scale: float = 1.0) -> DeviceNoise:
    """The noise of ``backend`` as Aer derives it (``AerSimulator.from_backend``), optionally rescaled.

    Args:
        backend: A BackendV2 with calibration data (a fake device).
        scale: Multiplies gate and readout errors and divides :math:`T_1`, :math:`T_2` (positive).

    Raises:
        ValueError: If ``scale`` is not a positive finite number.
    """
    check_settings(SimpleNamespace(scale=scale), positive=("scale",))
    if scale == 1.0:
        from qiskit_aer import AerSimulator

        noise_model = AerSimulator.from_backend(backend).options.noise_model
    else:
        noise_model = NoiseModel.from_backend(_ScaledDevice(backend, _scaled_target(backend.target, scale)))
    return DeviceNoise(backend.name, float(scale), backend.target, noise_model)
