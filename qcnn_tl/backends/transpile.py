"""Transpile once per (circuit, target, optimisation level, seed); map observables through the layout.

Qiskit's ``BasisTranslator`` can stall for minutes on whole parameterised circuits (Qiskit/qiskit#16520;
seen here with every amplitude-encoded template and with U_SU4). :func:`lower_parameterized_gates`
works around it: each parameterised gate *type* is translated once, alone, to
:data:`NEUTRAL_BASIS`, and every instance is spliced in with its own angles. The preset pass manager
then only translates constant gates, which is fast.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from qiskit import QuantumCircuit, qasm3, qpy, transpile
from qiskit.circuit import Parameter, ParameterExpression
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import Target, generate_preset_pass_manager

from qcnn_tl._io import atomic_write

NEUTRAL_BASIS: tuple[str, ...] = ("rz", "sx", "x", "cx")
"""Basis the parameterised gates are lowered to before the preset pass manager runs."""


@cache
def _lowered_rule(name: str, num_qubits: int, num_params: int) -> tuple[tuple[Parameter, ...], QuantumCircuit]:
    placeholders = tuple(Parameter(f"_{name}_{i}") for i in range(num_params))
    small = QuantumCircuit(num_qubits)
    small.append(get_standard_gate_name_mapping()[name].base_class(*placeholders), range(num_qubits))
    return placeholders, transpile(small, basis_gates=list(NEUTRAL_BASIS), optimization_level=0)


def lower_parameterized_gates(circuit: QuantumCircuit) -> QuantumCircuit:
    """Rewrites every parameterised standard gate into :data:`NEUTRAL_BASIS`, instance by instance.

    Args:
        circuit: A circuit of standard gates.

    Returns:
        An equivalent circuit whose parameterised gates are ``rz`` only. It equals ``circuit`` up
        to a global phase, dropped on purpose: a global phase that depends on the parameters is a
        sum over every lowered gate, costly to build and invisible to any expectation value.
    """
    out = circuit.copy_empty_like()
    for instruction in circuit.data:
        op = instruction.operation
        if not any(isinstance(p, ParameterExpression) for p in op.params):
            out._append(instruction)
            continue
        placeholders, rule = _lowered_rule(op.name, op.num_qubits, len(op.params))
        binding = dict(zip(placeholders, op.params, strict=True))
        for inner in rule.data:
            qubits = [instruction.qubits[rule.find_bit(q).index] for q in inner.qubits]
            new_op = inner.operation
            if new_op.params:
                new_op = new_op.to_mutable()
                new_op.params = [_substitute(p, binding) for p in new_op.params]
            out.append(new_op, qubits)
    return out


def _substitute(
    value: ParameterExpression | float, binding: dict[Parameter, ParameterExpression | float]
) -> ParameterExpression | float:
    if not isinstance(value, ParameterExpression):
        return value
    for placeholder in value.parameters:
        replacement = binding[placeholder]
        if isinstance(replacement, ParameterExpression):
            value = (
                value.subs({placeholder: replacement})
                if replacement.parameters
                else value.bind({placeholder: float(replacement)})
            )
        else:
            value = value.bind({placeholder: replacement})
    return float(value) if not value.parameters else value


@dataclass(frozen=True)
class IsaCircuit:
    """A circuit transpiled for one target, with its observable mapped through the layout.

    Attributes:
        circuit: The ISA circuit (full device width).
        observable: The observable, ``apply_layout``-ed onto the ISA circuit's qubits.
        optimization_level: Preset pass-manager level used.
        seed_transpiler: Seed used.
        layout: Physical qubit of each virtual qubit.
    """

    circuit: QuantumCircuit
    observable: SparsePauliOp
    optimization_level: int
    seed_transpiler: int
    layout: tuple[int, ...]


def transpile_for_target(
    circuit: QuantumCircuit,
    observable: SparsePauliOp,
    *,
    target: Target,
    optimization_level: int = 1,
    seed_transpiler: int = 1234,
    cache_dir: str | os.PathLike[str] | None = None,
) -> IsaCircuit:
    """Transpiles ``circuit`` for ``target`` once and maps ``observable`` onto it.

    Results are cached in memory and, with ``cache_dir``, on disk as QPY (layout included), keyed by
    the circuit's QPY hash, the target's gates, couplings and errors, the level, the seed and the
    Qiskit version.

    Args:
        circuit: A parameterised template (no measurements).
        observable: Observable on the template's qubits.
        target: The device's ``Target``.
        optimization_level: 0–3.
        seed_transpiler: Seed for reproducible layouts and reports.
        cache_dir: Folder for the on-disk cache (none by default).

    Returns:
        The ISA circuit and mapped observable.

    Raises:
        ValueError: If ``optimization_level`` is not 0–3.
    """
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0, 1, 2 or 3; got {optimization_level!r}")
    key = hashlib.sha256(
        "|".join(
            (
                circuit_hash(circuit),
                target_fingerprint(target),
                str(optimization_level),
                str(seed_transpiler),
                version("qiskit"),
                str(observable.to_list()),
            )
        ).encode()
    ).hexdigest()
    if key in _MEMORY:
        return _MEMORY[key]
    file = Path(cache_dir) / "isa" / f"{key}.qpy" if cache_dir is not None else None
    if file is not None and file.is_file():
        with file.open("rb") as handle:
            loaded = qpy.load(handle)[0]
        by_name = {p.name: p for p in circuit.parameters}
        isa = loaded.assign_parameters({p: by_name[p.name] for p in loaded.parameters})
        isa._layout = loaded.layout
    else:
        pass_manager = generate_preset_pass_manager(
            optimization_level=optimization_level, target=target, seed_transpiler=seed_transpiler
        )
        isa = pass_manager.run(lower_parameterized_gates(circuit))
        if file is not None:
            atomic_write(file, lambda h: qpy.dump(isa, h))
    layout = tuple(isa.layout.final_index_layout()) if isa.layout else tuple(range(circuit.num_qubits))
    mapped = observable.apply_layout(isa.layout) if isa.layout else observable
    _MEMORY[key] = IsaCircuit(isa, mapped, optimization_level, seed_transpiler, layout)
    return _MEMORY[key]


_MEMORY: dict[str, IsaCircuit] = {}


def target_fingerprint(target: Target) -> str:
    """SHA-256 over a target's operations, their qubits and reported errors."""
    digest = hashlib.sha256(f"{target.num_qubits}".encode())
    for name in sorted(target.operation_names):
        for qargs, props in sorted(target[name].items(), key=lambda item: str(item[0])):
            digest.update(f"{name}{qargs}{getattr(props, 'error', None)}".encode())
    return digest.hexdigest()


def circuit_hash(circuit: QuantumCircuit) -> str:
    """SHA-256 of a circuit's OpenQASM 3 text: gates, qubits and parameter names (stable across builds)."""
    return hashlib.sha256(qasm3.dumps(circuit).encode()).hexdigest()
