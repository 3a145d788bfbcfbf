"""Pricing a run before it is submitted: jobs, PUB sizes, shots, circuit cost and device time.

For Runtime targets the client-side Estimator's own preparation step
(``qiskit_ibm_runtime.executor_estimator.prepare.prepare``: twirling, gate folding, TREX calibration
circuits; nothing is submitted) gives the exact circuits and shot counts of each job; the device time
is then the sum over those circuits of ``shots × (duration + repetition delay)``, with gate and readout
durations from the target. Aer targets are priced as if their circuits ran on the device they emulate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from qcnn_tl.backends.cost import circuit_duration, readout_qubits

REP_DELAY_S = 250e-6
"""Delay between shots assumed for the device-time estimate (IBM's usual default repetition delay)."""


@dataclass(frozen=True)
class VariantPrice:
    """The jobs of one variant.

    Attributes:
        variant: ``unmitigated`` or ``mitigated``.
        jobs: Number of jobs (PUBs).
        pub_rows: Parameter rows of each job.
        shots_per_row: Shots per parameter row, over every randomization, noise factor and calibration.
        total_shots: Shots of all jobs.
        device_seconds: Estimated time on the device (``None`` without a device target).
        note: How the numbers were obtained.
    """

    variant: str
    jobs: int
    pub_rows: tuple[int, ...]
    shots_per_row: float
    total_shots: int
    device_seconds: float | None
    note: str


@dataclass(frozen=True)
class RunPrice:
    """What a run would cost.

    Attributes:
        backend: Target name.
        rows: Parameter rows (samples).
        isa_depth: Depth of the ISA circuit.
        two_qubit_gates: Two-qubit gates of the ISA circuit.
        estimated_fidelity: Product of ``1 - error`` over its gates and readout (``None`` without errors).
        default_layout_fidelity: The same for the first transpiler seed's layout.
        layout: Physical qubit of each circuit qubit.
        circuit_seconds: One execution of the circuit and its readout on the device.
        variants: Per variant.
        rep_delay_s: Delay between shots assumed.
    """

    backend: str
    rows: int
    isa_depth: int
    two_qubit_gates: int
    estimated_fidelity: float | None
    default_layout_fidelity: float | None
    layout: tuple[int, ...]
    circuit_seconds: float | None
    variants: tuple[VariantPrice, ...]
    rep_delay_s: float = REP_DELAY_S

    @property
    def total_shots(self) -> int:
        """Shots of every job."""
        return sum(v.total_shots for v in self.variants)

    @property
    def device_seconds(self) -> float | None:
        """Estimated device time of every job."""
        times = [v.device_seconds for v in self.variants]
        return None if any(t is None for t in times) else float(sum(t for t in times if t is not None))

    def to_json(self) -> dict[str, Any]:
        """Plain data, with the totals."""
        return asdict(self) | {"total_shots": self.total_shots, "device_seconds": self.device_seconds}


def _sizes(rows: int, rows_per_job: int) -> tuple[int, ...]:
    return tuple(min(rows_per_job, rows - s) for s in range(0, rows, rows_per_job))


def price_run(target: Any, rows: np.ndarray, *, rows_per_job: int) -> RunPrice:
    """Prices running ``rows`` on ``target`` (an ``ExecutionTarget``) without creating an estimator.

    Args:
        target: The execution target.
        rows: Parameter rows ``(N, P)`` in the submitted circuit's parameter order.
        rows_per_job: Rows per PUB.

    Returns:
        The price.
    """
    isa = target.isa.circuit
    device = target.device_target
    readout = readout_qubits(target.isa.observable)
    single = circuit_duration(isa, device, readout) if device is not None else None
    sizes = _sizes(len(rows), rows_per_job)
    variants = []
    for variant, options in target.variants.items():
        if "precision" in options:  # Aer
            shots = int(target.options.get("shots") or 0)
            total = shots * len(rows)
            seconds = total * (single + REP_DELAY_S) if single is not None and shots else None
            note = "exact expectation values" if not shots else "Aer, priced as on the emulated device"
            variants.append(VariantPrice(variant, len(sizes), sizes, float(shots), total, seconds, note))
            continue
        total, seconds, note = 0, 0.0, "client-side Estimator preparation (exact)"
        for size in sizes:
            try:
                shots, time_s = _prepared_cost(target, options, rows[:size])
            except Exception as exc:  # e.g. PEC before its noise model is learned
                shots = int(options.get("default_shots") or 4000) * size
                time_s = shots * ((single or 0.0) + REP_DELAY_S)
                note = f"lower bound: the Estimator could not prepare the jobs ({type(exc).__name__})"
            total += shots
            seconds += time_s
        variants.append(VariantPrice(variant, len(sizes), sizes, total / len(rows), total, seconds, note))
    return RunPrice(
        backend=target.name,
        rows=len(rows),
        isa_depth=isa.depth(),
        two_qubit_gates=sum(1 for i in isa.data if i.operation.num_qubits == 2),
        estimated_fidelity=target.isa.estimated_fidelity if device is not None else None,
        default_layout_fidelity=target.isa.default_fidelity if device is not None else None,
        layout=tuple(target.isa.layout),
        circuit_seconds=single,
        variants=tuple(variants),
    )


def _prepared_cost(target: Any, options: dict[str, Any], rows: np.ndarray) -> tuple[int, float]:
    from qiskit_ibm_runtime.executor_estimator.prepare import prepare
    from qiskit_ibm_runtime.options_models import EstimatorOptions

    program, _ = prepare(
        [(target.circuit, target.observable, rows)], EstimatorOptions(**options), backend=target.run_backend
    )
    run_target = target.run_backend.target
    shots = seconds = 0.0
    for item in program.items:
        executions = program.shots * item.size()
        shots += executions
        seconds += executions * (circuit_duration(item.circuit, run_target) + REP_DELAY_S)
    return int(shots), float(seconds)
