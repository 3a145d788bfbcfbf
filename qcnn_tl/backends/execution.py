"""Execution targets: an ISA circuit plus a way to submit PUBs and, on IBM hardware, to fetch jobs.

Names: ``aer`` (ideal), ``aer:<fake>`` (Aer with a fake device's noise), ``ibm:<device>`` (IBM
Quantum through ``QiskitRuntimeService`` in batch mode) and ``ibm-local:<fake>`` (the same Runtime
``EstimatorV2`` code in qiskit-ibm-runtime's local mode, with the fake device as ``mode``).
Credentials come from ``QISKIT_IBM_TOKEN`` (and ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``) or
Qiskit's saved account; they are never printed or written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qiskit.circuit import QuantumCircuit
from qiskit.providers import BackendV2
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl._paths import default_cache_dir
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.backends.targets import fake_backend, ideal_estimator, ideal_isa, noisy_target
from qcnn_tl.backends.transpile import IsaCircuit, transpile_for_target
from qcnn_tl.errors import QcnnTlError

RunPub = Callable[[QuantumCircuit, SparsePauliOp, Any], Any]


@dataclass
class ExecutionTarget:
    """An ISA circuit and the functions that run it.

    Attributes:
        name: The target's name.
        isa: ISA circuit and mapped observable.
        run_pub: Submits one ``(circuit, observable, rows)`` PUB and returns the job.
        fetch_job: Gets a submitted job by id (IBM service only).
        options: Options recorded in manifests (no credentials).
    """

    name: str
    isa: IsaCircuit
    run_pub: RunPub
    fetch_job: Callable[[str], Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _precision(shots: int) -> float:
    return 0.0 if shots == 0 else 1 / math.sqrt(shots)


def runtime_service() -> Any:
    """``QiskitRuntimeService`` from the environment, else Qiskit's saved account.

    Raises:
        QcnnTlError: If no credentials are found (the message never contains a token).
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    token = os.environ.get("QISKIT_IBM_TOKEN")
    kwargs: dict[str, Any] = {}
    if token:
        kwargs = {"token": token, "channel": os.environ.get("QISKIT_IBM_CHANNEL", "ibm_quantum_platform")}
        if os.environ.get("QISKIT_IBM_INSTANCE"):
            kwargs["instance"] = os.environ["QISKIT_IBM_INSTANCE"]
    try:
        return QiskitRuntimeService(**kwargs)
    except Exception as exc:
        raise QcnnTlError(
            "could not open QiskitRuntimeService: set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) or save an "
            f"account with QiskitRuntimeService.save_account ({type(exc).__name__})"
        ) from None


def runtime_target(
    template: Any,
    backend: BackendV2,
    profile: RunProfile,
    *,
    mode: Any,
    name: str,
    fetch_job: Callable[[str], Any] | None = None,
) -> ExecutionTarget:
    """Runtime ``EstimatorV2`` on ``mode`` (a ``Batch`` on hardware, the fake backend in local mode)."""
    from qiskit_ibm_runtime import EstimatorV2 as RuntimeEstimatorV2

    isa = transpile_for_target(
        template.circuit,
        template.observable,
        target=backend.target,
        optimization_level=profile.optimization_level,
        seed_transpiler=profile.seed_transpiler,
        cache_dir=default_cache_dir(),
    )
    estimator = RuntimeEstimatorV2(mode=mode)
    shots = profile.shots or 4000
    estimator.options.default_shots = shots
    if not name.startswith("ibm-local:"):
        estimator.options.resilience_level = profile.resilience_level
    options = {
        "shots": shots,
        "resilience_level": profile.resilience_level,
        "optimization_level": profile.optimization_level,
        "seed_transpiler": profile.seed_transpiler,
    }
    return ExecutionTarget(name, isa, lambda c, o, rows: estimator.run([(c, o, rows)]), fetch_job, options)


def execution_target(template: Any, profile: RunProfile) -> ExecutionTarget:
    """Builds the target named by ``profile.backend`` for ``template``.

    Raises:
        ValueError: On an unknown backend name (listing the valid forms).
        QcnnTlError: If IBM Quantum cannot be reached.
    """
    name = profile.backend
    options = {
        "shots": profile.shots,
        "optimization_level": profile.optimization_level,
        "seed_transpiler": profile.seed_transpiler,
    }
    if name == "aer":
        estimator = ideal_estimator(_precision(profile.shots), seed=profile.seed_transpiler)
        return ExecutionTarget(name, ideal_isa(template), lambda c, o, r: estimator.run([(c, o, r)]), None, options)
    kind, _, device = name.partition(":")
    if kind == "aer":
        isa, noisy = noisy_target(
            template,
            device,
            optimization_level=profile.optimization_level,
            seed_transpiler=profile.seed_transpiler,
            precision=_precision(profile.shots),
            seed=profile.seed_transpiler,
        )
        return ExecutionTarget(name, isa, lambda c, o, r: noisy.run([(c, o, r)]), None, options)
    if kind == "ibm-local":
        backend = fake_backend(device)
        return runtime_target(template, backend, profile, mode=backend, name=name)
    if kind == "ibm" and device:
        from qiskit_ibm_runtime import Batch

        service = runtime_service()
        backend = service.backend(device)
        return runtime_target(template, backend, profile, mode=Batch(backend=backend), name=name, fetch_job=service.job)
    raise ValueError(
        f"unknown backend {name!r}; expected 'aer', 'aer:<fake>', 'ibm:<device>' or 'ibm-local:<fake>' "
        "(e.g. aer:fake_brisbane)"
    )
