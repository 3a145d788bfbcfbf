r"""What an ISA circuit costs on a target: estimated fidelity and duration from the reported calibration.

The estimated fidelity is the product of :math:`1 - \varepsilon` over the circuit's gates and the
measurements of the observable's qubits,

.. math:: F \approx \prod_{g} (1 - \varepsilon_g) \prod_{q \in \text{readout}} (1 - \varepsilon_{\text{meas}, q}),

a rough estimate (no crosstalk, idling decoherence or leakage). The duration is the longest path
through the circuit with each gate's reported duration, plus the measurement.
"""

from __future__ import annotations

from collections.abc import Iterable

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import Target

_IGNORED = frozenset({"barrier", "delay"})


def readout_qubits(observable: SparsePauliOp) -> tuple[int, ...]:
    """Qubits on which ``observable`` acts (those the Estimator measures)."""
    support = observable.paulis.z.any(axis=0) | observable.paulis.x.any(axis=0)
    return tuple(int(q) for q in support.nonzero()[0])


def _props(target: Target, name: str, qargs: tuple[int, ...]):
    if name in _IGNORED or name not in target.operation_names:
        return None
    return target[name].get(qargs)


def estimated_fidelity(circuit: QuantumCircuit, target: Target, readout: int | Iterable[int]) -> float:
    """Product of ``1 - error`` over the ISA gates and the measurements of the ``readout`` qubits.

    Args:
        circuit: An ISA circuit (full device width).
        target: The device's ``Target``.
        readout: Physical qubit(s) measured.

    Returns:
        The estimate, in ``(0, 1]``.
    """
    fidelity = 1.0
    for instruction in circuit.data:
        qargs = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        props = _props(target, instruction.operation.name, qargs)
        if props is not None and props.error:
            fidelity *= 1 - props.error
    for qubit in [readout] if isinstance(readout, int) else readout:
        props = _props(target, "measure", (qubit,))
        if props is not None and props.error:
            fidelity *= 1 - props.error
    return fidelity


def circuit_duration(circuit: QuantumCircuit, target: Target, readout: Iterable[int] = ()) -> float:
    """Seconds from the first gate to the end of the measurement, from the target's durations.

    Gates without a reported duration (``rz`` is virtual) take no time.
    """
    finish = [0.0] * circuit.num_qubits
    for instruction in circuit.data:
        qargs = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        props = _props(target, instruction.operation.name, qargs)
        start = max((finish[q] for q in qargs), default=0.0)
        end = start + ((props.duration or 0.0) if props is not None else 0.0)
        for q in qargs:
            finish[q] = end
    end = max(finish, default=0.0)
    measures = [_props(target, "measure", (q,)) for q in readout]
    return end + max((p.duration or 0.0 for p in measures if p is not None), default=0.0)
