"""A device cut down to the qubits an ISA circuit uses, for fast local runs of the Runtime Estimator.

The client-side Estimator's local mode simulates the whole backend it is given; on a 127-qubit fake
device that runs out of memory. :func:`cut_to_circuit` keeps only the physical qubits the ISA circuit
touches: a ``Target`` over those qubits and their couplings carrying the device's gate errors and
durations, readout errors and T1/T2, and the circuit and observable renumbered onto it. The noise model
Aer derives from that target is the device's restricted to those qubits.
"""

from __future__ import annotations

from dataclasses import dataclass

from qiskit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import InstructionProperties, Target

from qcnn_tl.backends.cost import readout_qubits


class CutBackend(BackendV2):
    """A ``BackendV2`` over a cut ``Target``; it runs circuits on Aer with the target's noise model."""

    def __init__(self, target: Target, *, name: str, physical_qubits: tuple[int, ...]) -> None:
        super().__init__(name=name, description=f"{name}: device qubits {list(physical_qubits)}")
        self._target = target
        self.physical_qubits = physical_qubits

    @property
    def target(self) -> Target:
        """The cut target."""
        return self._target

    @property
    def max_circuits(self) -> None:
        """No limit."""
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options()

    def run(self, run_input, **options):
        """Runs circuits on Aer with this target's noise model (as fake devices do)."""
        from qiskit_aer import AerSimulator

        return AerSimulator.from_backend(self).run(run_input, **options)


def cut_target(target: Target, physical_qubits: tuple[int, ...]) -> Target:
    """``target`` restricted to ``physical_qubits`` (renumbered 0, 1, …), errors and durations kept."""
    index = {p: i for i, p in enumerate(physical_qubits)}
    qubit_properties = [target.qubit_properties[p] for p in physical_qubits] if target.qubit_properties else None
    cut = Target(
        description=f"cut of {target.description or 'a device'}",
        num_qubits=len(physical_qubits),
        dt=target.dt,
        granularity=target.granularity,
        min_length=target.min_length,
        pulse_alignment=target.pulse_alignment,
        acquire_alignment=target.acquire_alignment,
        qubit_properties=qubit_properties,
        concurrent_measurements=None,
    )
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        props = target[name]
        if None in props:
            cut.add_instruction(operation, name=name)
            continue
        kept = {
            tuple(index[q] for q in qargs): (
                InstructionProperties(duration=p.duration, error=p.error) if p is not None else None
            )
            for qargs, p in props.items()
            if qargs is not None and all(q in index for q in qargs)
        }
        if kept:
            cut.add_instruction(operation, kept, name=name)
    return cut


@dataclass(frozen=True)
class CutCircuit:
    """An ISA circuit renumbered onto a :class:`CutBackend`.

    Attributes:
        backend: The cut device.
        circuit: The circuit on ``len(physical_qubits)`` qubits.
        observable: The observable on the same qubits.
        physical_qubits: Device qubit of each cut qubit.
    """

    backend: CutBackend
    circuit: QuantumCircuit
    observable: SparsePauliOp
    physical_qubits: tuple[int, ...]


def cut_to_circuit(backend: BackendV2, circuit: QuantumCircuit, observable: SparsePauliOp) -> CutCircuit:
    """Cuts ``backend`` to the qubits ``circuit`` touches (and the observable's), renumbering both.

    Args:
        backend: The full device.
        circuit: An ISA circuit for ``backend`` (full width).
        observable: Its observable (full width, already mapped through the layout).

    Returns:
        The cut backend, circuit and observable.
    """
    used = {circuit.find_bit(q).index for instruction in circuit.data for q in instruction.qubits}
    physical = tuple(sorted(used | set(readout_qubits(observable))))
    index = {p: i for i, p in enumerate(physical)}
    small = QuantumCircuit(len(physical), name=circuit.name, global_phase=circuit.global_phase)
    for instruction in circuit.data:
        qubits = [small.qubits[index[circuit.find_bit(q).index]] for q in instruction.qubits]
        small.append(instruction.operation, qubits)
    mapped = SparsePauliOp.from_sparse_list(
        [(label, [index[q] for q in qubits], coeff) for label, qubits, coeff in observable.to_sparse_list()],
        num_qubits=len(physical),
    )
    cut = CutBackend(cut_target(backend.target, physical), name=f"{backend.name}-cut", physical_qubits=physical)
    return CutCircuit(cut, small, mapped, physical)
