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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib.metadata import version
from pathlib import Path

from qiskit import QuantumCircuit, qasm3, qpy, transpile
from qiskit.circuit import Parameter, ParameterExpression
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import Target, generate_preset_pass_manager

from qcnn_tl._io import atomic_write
from qcnn_tl.backends.cost import estimated_fidelity, readout_qubits

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
        seed_transpiler: Seed of the transpilation kept.
        layout: Physical qubit of each virtual qubit.
        estimated_fidelity: Estimated fidelity of the kept layout from the target's errors (``None``
            without a device target).
        default_fidelity: The same for the first seed's layout (what the preset pass manager picks alone).
    """

    circuit: QuantumCircuit
    observable: SparsePauliOp
    optimization_level: int
    seed_transpiler: int
    layout: tuple[int, ...]
    estimated_fidelity: float | None = None
    default_fidelity: float | None = None


def check_initial_layout(initial_layout: Sequence[int], *, num_qubits: int, num_physical: int) -> tuple[int, ...]:
    """Validates a pinned layout: one distinct physical qubit in range per circuit qubit.

    Raises:
        ValueError: Naming ``initial_layout`` and what is wrong with it.
    """
    layout = tuple(initial_layout)
    if len(layout) != num_qubits:
        raise ValueError(
            f"initial_layout must give one physical qubit per circuit qubit ({num_qubits}); got {len(layout)}: "
            f"{list(layout)}"
        )
    bad = [q for q in layout if not isinstance(q, int) or isinstance(q, bool) or not 0 <= q < num_physical]
    if bad:
        raise ValueError(f"initial_layout qubits must be integers in 0..{num_physical - 1}; got {bad}")
    duplicates = sorted({q for q in layout if layout.count(q) > 1})
    if duplicates:
        raise ValueError(f"initial_layout names physical qubits more than once: {duplicates}")
    return layout


def transpile_for_target(
    circuit: QuantumCircuit,
    observable: SparsePauliOp,
    *,
    target: Target,
    optimization_level: int = 1,
    seed_transpiler: int = 1234,
    cache_dir: str | os.PathLike[str] | None = None,
    layout_trials: int = 1,
    initial_layout: Sequence[int] | None = None,
) -> IsaCircuit:
    """Transpiles ``circuit`` for ``target`` once and maps ``observable`` onto it.

    With ``layout_trials`` > 1 the preset pass manager runs with seeds ``seed_transpiler``,
    ``seed_transpiler + 1``, …, and the result with the best estimated fidelity
    (:func:`~qcnn_tl.backends.cost.estimated_fidelity`: the target's gate errors over the ISA circuit
    and the readout errors of the measured qubits) is kept; ties keep the earlier seed.
    ``initial_layout`` pins the physical qubits instead.

    Results are cached in memory and, with ``cache_dir``, on disk as QPY (layout included), keyed by
    the circuit's QPY hash, the target's gates, couplings and errors, the level, the seed, the pinned
    layout and the Qiskit version. A cache file that cannot be read is rebuilt, with a warning.

    Args:
        circuit: A parameterised template (no measurements).
        observable: Observable on the template's qubits.
        target: The device's ``Target``.
        optimization_level: 0–3.
        seed_transpiler: Seed of the first trial.
        cache_dir: Folder for the on-disk cache (none by default).
        layout_trials: Number of seeds tried.
        initial_layout: Physical qubit of each circuit qubit.

    Returns:
        The ISA circuit and mapped observable.

    Raises:
        ValueError: If ``optimization_level`` is not 0–3, ``layout_trials`` < 1 or ``initial_layout`` is
            invalid for the circuit and target.
    """
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0, 1, 2 or 3; got {optimization_level!r}")
    if not isinstance(layout_trials, int) or layout_trials < 1:
        raise ValueError(f"layout_trials must be a positive integer; got {layout_trials!r}")
    pinned = None
    if initial_layout is not None:
        pinned = check_initial_layout(initial_layout, num_qubits=circuit.num_qubits, num_physical=target.num_qubits)
        layout_trials = 1
    trials = [
        _transpile_once(circuit, observable, target, optimization_level, seed_transpiler + k, pinned, cache_dir)
        for k in range(layout_trials)
    ]
    best = max(trials, key=lambda isa: isa.estimated_fidelity or 0.0)
    return replace(best, default_fidelity=trials[0].estimated_fidelity)


def _transpile_once(
    circuit: QuantumCircuit,
    observable: SparsePauliOp,
    target: Target,
    optimization_level: int,
    seed: int,
    initial_layout: tuple[int, ...] | None,
    cache_dir: str | os.PathLike[str] | None,
) -> IsaCircuit:
    key = hashlib.sha256(
        "|".join(
            (
                circuit_hash(circuit),
                target_fingerprint(target),
                str(optimization_level),
                str(seed),
                version("qiskit"),
                str(observable.to_list()),
                str(initial_layout),
            )
        ).encode()
    ).hexdigest()
    if key in _MEMORY:
        return _with_parameters_of(_MEMORY[key], circuit)
    file = Path(cache_dir) / "isa" / f"{key}.qpy" if cache_dir is not None else None
    isa = _read_cached(file, circuit) if file is not None and file.is_file() else None
    if isa is None:
        pass_manager = generate_preset_pass_manager(
            optimization_level=optimization_level,
            target=target,
            seed_transpiler=seed,
            initial_layout=list(initial_layout) if initial_layout is not None else None,
        )
        isa = pass_manager.run(lower_parameterized_gates(circuit))
        if file is not None:
            atomic_write(file, lambda h: qpy.dump(isa, h))
    layout = tuple(isa.layout.final_index_layout()) if isa.layout else tuple(range(circuit.num_qubits))
    mapped = observable.apply_layout(isa.layout) if isa.layout else observable
    fidelity = estimated_fidelity(isa, target, readout_qubits(mapped))
    _MEMORY[key] = IsaCircuit(isa, mapped, optimization_level, seed, layout, fidelity, fidelity)
    return _MEMORY[key]


def _read_cached(file: Path, circuit: QuantumCircuit) -> QuantumCircuit | None:
    try:
        with file.open("rb") as handle:
            loaded = qpy.load(handle)[0]
        by_name = {p.name: p for p in circuit.parameters}
        isa = loaded.assign_parameters({p: by_name[p.name] for p in loaded.parameters})
    except Exception as exc:  # a truncated or foreign file: rebuild it
        message = f"transpile cache entry {file} is unreadable ({type(exc).__name__}); rebuilding it"
        warnings.warn(message, stacklevel=3)
        file.unlink(missing_ok=True)
        return None
    isa._layout = loaded.layout
    return isa


_MEMORY: dict[str, IsaCircuit] = {}


def _with_parameters_of(isa: IsaCircuit, circuit: QuantumCircuit) -> IsaCircuit:
    """``isa`` with ``circuit``'s own ``Parameter`` objects.

    An equal template built again has new ones (equal names, different uuids), and binding by ``Parameter``
    must work with the caller's.
    """
    mine = {p.name: p for p in circuit.parameters}
    theirs = isa.circuit.parameters
    if all(mine.get(p.name) == p for p in theirs):
        return isa
    return replace(isa, circuit=isa.circuit.assign_parameters({p: mine[p.name] for p in theirs}))


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
