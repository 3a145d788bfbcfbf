"""Users' own circuits: checked, unrolled to Qiskit's standard gates and wrapped as two-qubit blocks.

Every engine of the package runs standard gates (the exact and noisy engines lower them, the transpiler
translates them for Aer and devices), so a user's circuit is unrolled through its gates' definitions once,
when it becomes a block; a gate with a matrix but no definition is synthesised from its matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from qiskit.circuit import Gate, ParameterExpression, ParameterVector, QuantumCircuit
from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping

Angle: TypeAlias = ParameterExpression | float

BlockSource: TypeAlias = QuantumCircuit | Callable[[ParameterVector], QuantumCircuit]
"""A two-qubit block as users give it: a parameterised circuit, or a function ``θ -> circuit``."""

_STANDARD = get_standard_gate_name_mapping()
_MAX_NESTING = 16


def _is_standard(gate: Gate) -> bool:
    standard = _STANDARD.get(gate.name)
    return standard is not None and isinstance(gate, standard.base_class)


def _definition(gate: Gate, argument: str) -> QuantumCircuit:
    if gate.definition is not None:
        return gate.definition
    try:
        return UnitaryGate(gate.to_matrix()).definition
    except Exception:  # a parameterised or matrix-less gate: nothing to unroll it with
        raise ValueError(
            f"{argument} must hold gates with a definition or a matrix; got {gate.name!r} with neither"
        ) from None


def unrolled(circuit: QuantumCircuit, argument: str) -> QuantumCircuit:
    """``circuit`` with every non-standard gate replaced by its definition, recursively (barriers kept).

    Args:
        circuit: A user's circuit.
        argument: How messages name it (``"block"``, ``"encoding circuit"``).

    Raises:
        ValueError: Naming ``argument``, if the circuit has classical bits, symbols other than parameters
            (classical variables, stretches), a non-unitary instruction (measurement, reset, delay,
            ``initialize``), or a gate with neither a definition nor a matrix.
    """
    if circuit.num_clbits:
        raise ValueError(f"{argument} must hold quantum gates only; got {circuit.num_clbits} classical bits")
    symbols = [v.name for v in circuit.iter_vars()] + [s.name for s in circuit.iter_stretches()]
    if symbols:
        raise ValueError(
            f"{argument} must have no symbols but its parameters; got classical variables or stretches {symbols}"
        )
    out = circuit
    for _ in range(_MAX_NESTING):
        unrolled_once = out.copy_empty_like()
        changed = False
        for instruction in out.data:
            op = instruction.operation
            if op.name == "barrier" or (isinstance(op, Gate) and _is_standard(op)):
                unrolled_once._append(instruction)
                continue
            if not isinstance(op, Gate):
                raise ValueError(f"{argument} must hold unitary gates only; got {op.name!r}")
            unrolled_once.compose(_definition(op, argument), qubits=list(instruction.qubits), inplace=True)
            changed = True
        if not changed:
            return out
        out = unrolled_once
    raise ValueError(f"{argument} must unroll to standard gates within {_MAX_NESTING} levels of definitions")


def same_circuit(first: QuantumCircuit, second: QuantumCircuit) -> bool:
    """Whether two circuits are equal once their parameters, in ``circuit.parameters`` order, are the same."""
    if first.num_qubits != second.num_qubits or first.num_parameters != second.num_parameters:
        return False
    shared = ParameterVector("_shared", first.num_parameters)
    return bool(first.assign_parameters(shared) == second.assign_parameters(shared))


def block_circuit(block: BlockSource, num_params: int | None, argument: str) -> QuantumCircuit:
    """The unrolled two-qubit circuit of a user's block.

    Args:
        block: A two-qubit circuit whose parameters, in ``circuit.parameters`` order (sorted by name,
            :class:`~qiskit.circuit.ParameterVector` elements by index), are the block's weights; or a
            function that takes a ``ParameterVector`` of ``num_params`` weights and returns such a circuit.
        num_params: The function's number of weights; for a circuit, ``None`` or its parameter count.
        argument: How messages name the block.

    Raises:
        TypeError: If ``block`` is neither a circuit nor a function.
        ValueError: Naming ``argument``, if the block is not on two qubits, ``num_params`` does not fit, a
            function's circuit uses parameters other than (or not all of) the ones it is given, or a gate
            cannot be unrolled (:func:`unrolled`).
    """
    if isinstance(block, QuantumCircuit):
        circuit = block
        if num_params is not None and num_params != circuit.num_parameters:
            raise ValueError(
                f"num_params must be left out or equal the {argument}'s {circuit.num_parameters} parameters; "
                f"got {num_params!r}"
            )
    elif callable(block):
        if not isinstance(num_params, int) or isinstance(num_params, bool) or num_params < 1:
            raise ValueError(f"num_params must be a positive integer for a function {argument}; got {num_params!r}")
        theta = ParameterVector("θ", num_params)
        circuit = block(theta)
        if not isinstance(circuit, QuantumCircuit):
            raise ValueError(f"{argument}(θ) must return a QuantumCircuit; got {type(circuit).__name__}")
        other = sorted(p.name for p in set(circuit.parameters) - set(theta))
        unused = [p.name for p in theta if p not in circuit.parameters]
        if other or unused:
            raise ValueError(
                f"{argument}(θ) must use exactly the {num_params} parameters θ it is given; "
                f"got other parameters {other}, unused {unused}"
            )
    else:
        raise TypeError(
            f"{argument} must be a QuantumCircuit on 2 qubits or a function θ -> QuantumCircuit; "
            f"got {type(block).__name__}"
        )
    if circuit.num_qubits != 2:
        raise ValueError(f"{argument} must act on 2 qubits; got a circuit on {circuit.num_qubits}")
    return unrolled(circuit, argument)


@dataclass(frozen=True, eq=False)
class CircuitBlock:
    """Appends a user's two-qubit circuit with its parameters, in ``circuit.parameters`` order, set to weights.

    Two blocks are equal when their circuits are equal up to the names of their parameters.

    Attributes:
        circuit: The block on qubits ``(0, 1)``, unrolled to standard gates.
    """

    circuit: QuantumCircuit

    def __call__(self, qc: QuantumCircuit, weights: Sequence[Angle], first: int, second: int) -> None:
        """Appends the block to ``qc`` on qubits ``(first, second)`` with ``weights``."""
        bound = self.circuit.assign_parameters(dict(zip(self.circuit.parameters, weights, strict=True)))
        qc.compose(bound, qubits=[first, second], inplace=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CircuitBlock) and same_circuit(self.circuit, other.circuit)

    def __hash__(self) -> int:
        return hash((self.circuit.num_parameters, len(self.circuit.data)))
