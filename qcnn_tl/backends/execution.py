"""Execution targets: an ISA circuit plus the estimators that run it and, on IBM hardware, fetch jobs.

Names: ``aer`` (ideal), ``aer:<fake>`` (Aer with a fake device's noise), ``ibm:<device>`` (IBM
Quantum through ``QiskitRuntimeService``, all jobs of a run in one ``Batch``) and ``ibm-local:<fake>``
(the same client-side Runtime Estimator, ``qiskit_ibm_runtime.executor_estimator.Estimator``, in local
mode on the fake device cut to the qubits the ISA circuit uses, so that error mitigation is simulated in
seconds). A run has one *variant* per estimator setting: ``unmitigated``, and ``mitigated`` when the
profile turns mitigation on. Estimators are built only when a job is submitted, so pricing a run
creates none. On ``ibm:<device>`` the ``Batch`` or ``Session`` is opened at the first submission and closed by
:meth:`ExecutionTarget.close` (``with execution_target(...) as target:`` closes it on success, error and
Ctrl-C); one still open when the target is garbage-collected or the interpreter exits is closed then.
Credentials come from ``QISKIT_IBM_TOKEN`` (and ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``) or Qiskit's
saved account; they are never printed or written.
"""

from __future__ import annotations

import logging
import math
import os
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qiskit.circuit import QuantumCircuit
from qiskit.providers import BackendV2
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import Target

from qcnn_tl._paths import default_cache_dir
from qcnn_tl.backends.local_device import cut_to_circuit
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.backends.targets import fake_backend, ideal_estimator, ideal_isa, noisy_estimator
from qcnn_tl.backends.transpile import IsaCircuit, transpile_for_target
from qcnn_tl.errors import QcnnTlError

log = logging.getLogger(__name__)

Pub = tuple[QuantumCircuit, SparsePauliOp, Any]
RunPubs = Callable[[Sequence[Pub]], Any]
UNMITIGATED = "unmitigated"
MITIGATED = "mitigated"


@dataclass
class ExecutionTarget:
    """An ISA circuit and the estimators that run it; a context manager that closes its Runtime mode on exit.

    Attributes:
        name: The target's name.
        isa: ISA circuit and mapped observable on the full device.
        circuit: The circuit submitted (``isa.circuit``, or its cut onto the used qubits in local mode).
        observable: The observable submitted, on ``circuit``'s qubits.
        variants: Estimator options per variant (finalized Runtime options where they apply).
        make_estimator: Builds the estimator of a variant (called once per variant, at first submission).
        fetch_job: Gets a submitted job by id (IBM service only); ``None`` for local targets.
        device_target: The device's ``Target`` (``None`` for ideal Aer).
        options: Settings recorded in manifests (no credentials).
        run_backend: The backend Runtime jobs run on (the cut device in local mode; ``None`` for Aer).
        mode: The lazily opened Runtime ``Batch``/``Session`` (``ibm:<device>`` only).
    """

    name: str
    isa: IsaCircuit
    circuit: QuantumCircuit
    observable: SparsePauliOp
    variants: dict[str, dict[str, Any]]
    make_estimator: Callable[[str], Any]
    fetch_job: Callable[[str], Any] | None = None
    device_target: Target | None = None
    options: dict[str, Any] = field(default_factory=dict)
    run_backend: BackendV2 | None = None
    mode: _LazyMode | None = None
    _estimators: dict[str, Any] = field(default_factory=dict, repr=False)

    def close(self) -> None:
        """Closes the Runtime ``Batch``/``Session`` if one was opened (a later submission opens a new one)."""
        self._estimators.clear()
        if self.mode is not None:
            self.mode.close()

    def __enter__(self) -> ExecutionTarget:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def local(self) -> bool:
        """Whether jobs run in this process (no service to fetch them from after a crash)."""
        return self.fetch_job is None

    @property
    def primary(self) -> str:
        """The variant a single answer comes from: ``mitigated`` if there is one."""
        return MITIGATED if MITIGATED in self.variants else UNMITIGATED

    def run_pubs(self) -> dict[str, RunPubs]:
        """Per variant, a function that submits ``(circuit, observable, rows)`` PUBs as one job and returns it."""

        def submitter(variant: str) -> RunPubs:
            def run_pubs(pubs: Sequence[Pub]) -> Any:
                if variant not in self._estimators:
                    self._estimators[variant] = self.make_estimator(variant)
                return self._estimators[variant].run(list(pubs))

            return run_pubs

        return {variant: submitter(variant) for variant in self.variants}


class _LazyMode:
    """Opens the Runtime ``Batch`` or ``Session`` at the first submission (so a dry run or a fetch opens none).

    :meth:`close` closes it; so does a finalizer when this object is garbage-collected or the interpreter exits
    (the same call, made once).
    """

    def __init__(self, open_mode: Callable[[], Any], kind: str) -> None:
        self._open = open_mode
        self.kind = kind
        self._mode: Any = None
        self._finalizer: weakref.finalize | None = None

    def get(self) -> Any:
        """The open mode (opened now if there is none)."""
        if self._mode is None:
            self._mode = self._open()
            self._finalizer = weakref.finalize(self, _close_mode, self._mode)
        return self._mode

    def close(self) -> None:
        """Closes the open mode, if any."""
        if self._finalizer is not None:
            self._finalizer()
        self._mode, self._finalizer = None, None


def _close_mode(mode: Any) -> None:
    """Closes a Runtime mode; a failure is logged, never raised (it must not hide the error that ended a run)."""
    try:
        mode.close()
    except Exception as exc:
        log.warning("could not close the Runtime %s: %s: %s", type(mode).__name__, type(exc).__name__, exc)


def _precision(shots: int) -> float:
    return 0.0 if shots == 0 else 1 / math.sqrt(shots)


def runtime_service() -> Any:
    """``QiskitRuntimeService`` from the environment, else Qiskit's saved account.

    Raises:
        QcnnTlError: If no credentials are found, or the service cannot be reached with them (the
            message names the failure, never the token).
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
        reason = f"{type(exc).__name__}: {exc}"
        if token:
            reason = reason.replace(token, "<token>")
            raise QcnnTlError(
                f"could not connect to IBM Quantum with the token in QISKIT_IBM_TOKEN "
                f"(channel {kwargs['channel']}): {reason}"
            ) from None
        raise QcnnTlError(
            "could not open QiskitRuntimeService: set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) or save an "
            f"account with QiskitRuntimeService.save_account ({reason})"
        ) from None


def finalized_options(options: dict[str, Any]) -> dict[str, Any]:
    """The client-side Estimator's finalized options (resilience-level defaults applied) as JSON data."""
    from qiskit_ibm_runtime.executor_estimator.finalize_options import finalize_estimator_options
    from qiskit_ibm_runtime.options_models import EstimatorOptions

    return finalize_estimator_options(EstimatorOptions(**options)).model_dump(mode="json")


def _needs_layer_noise(profile: RunProfile) -> bool:
    return profile.pec.enable or (profile.zne_enabled and profile.zne.amplifier == "pea")


def runtime_target(
    template: Any,
    backend: BackendV2,
    profile: RunProfile,
    *,
    mode: _LazyMode | None,
    name: str,
    fetch_job: Callable[[str], Any] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> ExecutionTarget:
    """The client-side Runtime Estimator on ``mode`` (a lazily opened ``Batch`` on hardware; ``None``: local mode).

    In local mode the estimator runs on ``backend`` cut to the ISA circuit's qubits
    (:func:`~qcnn_tl.backends.local_device.cut_to_circuit`).
    """
    local = mode is None
    if local and _needs_layer_noise(profile):
        raise QcnnTlError(
            "PEC and PEA-amplified ZNE need a layer noise model learned by NoiseLearnerV3, which "
            "qiskit-ibm-runtime does not run in local mode; use gate-folding ZNE or an ibm:<device> backend"
        )
    isa = transpile_for_target(
        template.circuit,
        template.observable,
        target=backend.target,
        optimization_level=profile.optimization_level,
        seed_transpiler=profile.seed_transpiler,
        cache_dir=cache_dir,
        layout_trials=profile.layout_trials,
        initial_layout=profile.initial_layout,
    )
    circuit, observable, run_mode, run_backend = isa.circuit, isa.observable, mode, backend
    physical = tuple(sorted(set(isa.layout)))
    if local:
        cut = cut_to_circuit(backend, isa.circuit, isa.observable)
        circuit, observable, physical = cut.circuit, cut.observable, cut.physical_qubits
        run_mode = run_backend = cut.backend
    raw = {UNMITIGATED: profile.estimator_options(mitigated=False, local=local)}
    if profile.mitigated:
        raw = {MITIGATED: profile.estimator_options(local=local)} | (raw if profile.unmitigated_baseline else {})
    variants = {variant: finalized_options(options) for variant, options in raw.items()}

    def make_estimator(variant: str) -> Any:
        from qiskit_ibm_runtime.executor_estimator import Estimator

        mode = run_mode.get() if isinstance(run_mode, _LazyMode) else run_mode
        estimator = Estimator(mode=mode, options=raw[variant])
        if variant == MITIGATED and _needs_layer_noise(profile):
            from qiskit_ibm_runtime.noise_learner_v3 import NoiseLearnerV3

            layers = estimator.find_unique_layers([(circuit, observable)])
            learned = NoiseLearnerV3(mode=mode).run(layers).result()
            estimator.options.resilience.layer_noise_model = list(
                zip(layers, learned.to_pauli_lindblad_maps(), strict=True)
            )
        return estimator

    options = {
        "engine": "qiskit_ibm_runtime.executor_estimator.Estimator",
        "mode": "local" if mode is None else mode.kind,
        "shots": profile.shots_per_circuit,
        "resilience_level": profile.resilience_level,
        "optimization_level": profile.optimization_level,
        "seed_transpiler": isa.seed_transpiler,
        "layout": list(isa.layout),
        "physical_qubits": list(physical),
        "estimated_fidelity": isa.estimated_fidelity,
        "default_layout_fidelity": isa.default_fidelity,
        "estimator_options": variants,
    }
    return ExecutionTarget(
        name,
        isa,
        circuit,
        observable,
        variants,
        make_estimator,
        fetch_job,
        backend.target,
        options,
        run_backend,
        mode,
    )


def execution_target(
    template: Any,
    profile: RunProfile,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    session: bool = False,
) -> ExecutionTarget:
    """Builds the target named by ``profile.backend`` for ``template`` (no estimator is created yet).

    Args:
        template: A QCNN template (``circuit``, ``observable``).
        profile: Backend, transpilation, shots and mitigation.
        cache_dir: Cache folder for ISA circuits (``<cache_dir>/isa``; default: the user cache).
        session: On ``ibm:<device>``, run the jobs in a Runtime ``Session`` (iterative work such as training:
            the device stays reserved between dependent jobs) instead of a ``Batch`` (independent jobs).

    Raises:
        ValueError: On an unknown backend name (listing the valid forms).
        QcnnTlError: If IBM Quantum cannot be reached.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    name = profile.backend
    options: dict[str, Any] = {
        "engine": "qiskit_aer.primitives.EstimatorV2",
        "shots": profile.shots_per_circuit,
        "optimization_level": profile.optimization_level,
        "seed_transpiler": profile.seed_transpiler,
    }
    variants: dict[str, dict[str, Any]] = {UNMITIGATED: {"precision": _precision(profile.shots_per_circuit)}}
    if name == "aer":
        isa = ideal_isa(template)
        return ExecutionTarget(
            name,
            isa,
            isa.circuit,
            isa.observable,
            variants,
            lambda _: ideal_estimator(_precision(profile.shots_per_circuit), seed=profile.seed_transpiler),
            options=options,
        )
    kind, _, device = name.partition(":")
    if kind == "aer" and device:
        backend = fake_backend(device)
        isa = transpile_for_target(
            template.circuit,
            template.observable,
            target=backend.target,
            optimization_level=profile.optimization_level,
            seed_transpiler=profile.seed_transpiler,
            cache_dir=cache,
            layout_trials=profile.layout_trials,
            initial_layout=profile.initial_layout,
        )
        options |= {"layout": list(isa.layout), "estimated_fidelity": isa.estimated_fidelity}
        return ExecutionTarget(
            name,
            isa,
            isa.circuit,
            isa.observable,
            variants,
            lambda _: noisy_estimator(
                backend, precision=_precision(profile.shots_per_circuit), seed=profile.seed_transpiler
            ),
            device_target=backend.target,
            options=options,
        )
    if kind == "ibm-local" and device:
        backend = fake_backend(device)
        return runtime_target(template, backend, profile, mode=None, name=name, cache_dir=cache)
    if kind == "ibm" and device:
        from qiskit_ibm_runtime import Batch, Session

        service = runtime_service()
        try:
            backend = service.backend(device)
        except Exception as exc:
            raise QcnnTlError(f"IBM Quantum has no backend {device!r} for this account: {exc}") from None
        return runtime_target(
            template,
            backend,
            profile,
            mode=_LazyMode(lambda: (Session if session else Batch)(backend=backend), "session" if session else "batch"),
            name=name,
            fetch_job=service.job,
            cache_dir=cache,
        )
    raise ValueError(
        f"unknown backend {name!r}; expected 'aer', 'aer:<fake>', 'ibm:<device>' or 'ibm-local:<fake>' "
        "(e.g. aer:fake_brisbane)"
    )
