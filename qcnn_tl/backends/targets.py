"""Naming an execution target: ``aer`` (ideal) or ``aer:<fake>`` (Aer with a fake device's noise).

Fake devices come from ``qiskit_ibm_runtime.fake_provider`` (``aer:fake_brisbane``, ``aer:fake_torino``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

from qiskit.circuit import QuantumCircuit
from qiskit.providers import BackendV2
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer.primitives import EstimatorV2 as AerEstimatorV2

from qcnn_tl._paths import default_cache_dir
from qcnn_tl.backends.snapshots import snapshot_backend
from qcnn_tl.backends.transpile import IsaCircuit, lower_parameterized_gates, transpile_for_target


@cache
def fake_backends() -> dict[str, type]:
    """Fake-device classes by name (``"fake_brisbane"`` → ``FakeBrisbane``)."""
    from qiskit_ibm_runtime import fake_provider

    out = {}
    for attr in dir(fake_provider):
        cls = getattr(fake_provider, attr)
        if attr.startswith("Fake") and isinstance(cls, type) and issubclass(cls, BackendV2) and not attr.endswith("V2"):
            try:
                out[cls.backend_name if hasattr(cls, "backend_name") else attr] = cls
            except Exception:  # pragma: no cover - defensive against odd classes
                continue
    return {name: cls for name, cls in out.items() if isinstance(name, str) and name.startswith("fake_")}


def fake_backend(device: str) -> BackendV2:
    """The fake device ``device`` (``"fake_brisbane"``).

    Built from its versioned snapshot (:mod:`qcnn_tl.backends.snapshots`).

    Raises:
        ValueError: If qiskit-ibm-runtime has no fake device of that name.
        QcnnTlError: If the device has no snapshot (the message says how to make one).
    """
    if device not in fake_backends():
        raise ValueError(f"unknown fake device {device!r}; expected one of: {', '.join(sorted(fake_backends()))}")
    return snapshot_backend(device)


def ideal_isa(template: object) -> IsaCircuit:
    """The template lowered to ``rz``/``sx``/``x``/``cx`` for ideal Aer (no layout)."""
    circuit: QuantumCircuit = template.circuit  # type: ignore[attr-defined]
    observable: SparsePauliOp = template.observable  # type: ignore[attr-defined]
    return IsaCircuit(lower_parameterized_gates(circuit), observable, 0, 0, tuple(range(circuit.num_qubits)))


def ideal_estimator(precision: float = 0.0, seed: int | None = None) -> AerEstimatorV2:
    """Aer ``EstimatorV2`` on an ideal statevector simulator (precision 0 = exact)."""
    options: dict = {"default_precision": precision}
    if seed is not None:
        options["run_options"] = {"seed_simulator": seed}
    return AerEstimatorV2(options=options)


def noisy_estimator(backend: BackendV2, *, precision: float = 0.0, seed: int | None = None) -> AerEstimatorV2:
    r"""Aer ``EstimatorV2`` with ``backend``'s noise model on the density-matrix method.

    Expectation values are exact under the noise model; ``precision`` then adds the shot noise of
    :math:`1/\text{precision}^2` shots.
    """
    from qiskit_aer import AerSimulator

    simulator = AerSimulator.from_backend(backend, method="density_matrix")
    estimator = AerEstimatorV2.from_backend(simulator, options={"default_precision": precision})
    if seed is not None:
        estimator.options.run_options = {"seed_simulator": seed}
    return estimator


def noisy_target(
    template: object,
    device: str,
    *,
    optimization_level: int = 1,
    seed_transpiler: int = 1234,
    precision: float = 0.0,
    seed: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    layout_trials: int = 1,
    initial_layout: Sequence[int] | None = None,
) -> tuple[IsaCircuit, AerEstimatorV2]:
    """ISA circuit for a fake device and an Aer estimator with that device's noise model.

    Args:
        template: A QCNN template.
        device: Fake device name.
        optimization_level: Preset pass-manager level.
        seed_transpiler: Seed of the first transpilation.
        precision: Shot noise added to the exact noisy values (0: none).
        seed: Simulator seed.
        cache_dir: Transpile cache folder (default: the user cache).
        layout_trials: Transpiler seeds tried (best estimated fidelity kept).
        initial_layout: Pinned physical qubits.
    """
    backend = fake_backend(device)
    isa = transpile_for_target(
        template.circuit,  # type: ignore[attr-defined]
        template.observable,  # type: ignore[attr-defined]
        target=backend.target,
        optimization_level=optimization_level,
        seed_transpiler=seed_transpiler,
        cache_dir=cache_dir if cache_dir is not None else default_cache_dir(),
        layout_trials=layout_trials,
        initial_layout=initial_layout,
    )
    return isa, noisy_estimator(backend, precision=precision, seed=seed)
