r"""Lowering: every gate of a transpiled template becomes one or more *factors*.

A factor is

.. math:: F(a) = C + \cos(a)\,A + \sin(a)\,B, \qquad a = \omega\,(c_0 + \textstyle\sum_p c_p\,p),

with constant matrices :math:`C, A, B` (a constant gate has :math:`A = B = 0`) and an angle linear in the
circuit parameters. Every rotation of :data:`EXACT_BASIS` has this form with the frequency :math:`\omega` of
:data:`FREQUENCY`; ``u`` and ``cu`` become three and four such factors. :func:`split_factors` then splits the
factors into the *encoding* part (inputs) and the *trainable* part (weights). See ``docs/engine.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit.circuit import CircuitInstruction, Parameter, ParameterExpression, QuantumCircuit
from qiskit.circuit.library import CPhaseGate, CRYGate, PhaseGate, RYGate
from qiskit.quantum_info import Operator

EXACT_BASIS: tuple[str, ...] = (
    *("rx", "ry", "rz", "p", "u", "crx", "cry", "crz", "cp", "cu"),
    *("cx", "cy", "cz", "swap", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "id"),
)
"""Gates the exact engine executes; templates are transpiled to these first."""

FREQUENCY: dict[str, float] = {
    "rx": 0.5,
    "ry": 0.5,
    "rz": 0.5,
    "crx": 0.5,
    "cry": 0.5,
    "crz": 0.5,
    "p": 1.0,
    "cp": 1.0,
}
r"""Per rotation gate, the :math:`\omega` with which its matrix depends on its parameter :math:`\theta`
through :math:`\cos(\omega\theta)` and :math:`\sin(\omega\theta)`."""


@dataclass
class Factor:
    r"""One factor :math:`C + \cos(a) A + \sin(a) B` on ``qubits`` (Qiskit little-endian locally).

    Attributes:
        qubits: The circuit qubits it acts on; ``qubits[0]`` is the lowest bit of its matrices.
        c: The constant part :math:`C`.
        a: The cosine part :math:`A` (zero for a constant factor).
        b: The sine part :math:`B` (zero for a constant factor).
        coefs: :math:`\omega c_p` per parameter :math:`p` of the angle (empty for a constant factor).
        offset: :math:`\omega c_0`.
    """

    qubits: tuple[int, ...]
    c: np.ndarray
    a: np.ndarray
    b: np.ndarray
    coefs: dict[Parameter, float] = field(default_factory=dict)
    offset: float = 0.0


def linear_form(value: ParameterExpression | float, scale: float = 1.0) -> tuple[dict[Parameter, float], float]:
    """Writes ``scale * value`` as ``offset + Σ coef_p p``.

    Args:
        value: A gate angle.
        scale: A factor to multiply it by (a gate's frequency).

    Returns:
        ``(coefs, offset)``.

    Raises:
        ValueError: If ``value`` is not linear in its parameters.
    """
    if not isinstance(value, ParameterExpression):
        return {}, scale * float(value)
    params = list(value.parameters)
    zero = {p: 0.0 for p in params}
    offset = float(value.bind(zero))
    coefs = {p: float(value.bind({**zero, p: 1.0})) - offset for p in params}
    probe = {p: 0.37 + 0.11 * i for i, p in enumerate(params)}
    expected = offset + sum(coefs[p] * v for p, v in probe.items())
    if not np.isclose(float(value.bind(probe)), expected, atol=1e-12):
        raise ValueError(f"gate angles must be linear in the circuit parameters; got {value}")
    return {p: scale * c for p, c in coefs.items()}, scale * offset


def rotation_factor(gate_cls: type, qubits: tuple[int, ...], value: ParameterExpression | float) -> Factor:
    r"""The factor of rotation gate ``gate_cls`` (a key of :data:`FREQUENCY`) with angle ``value``.

    With :math:`M(\theta)` the gate's matrix and :math:`\omega` its frequency, :math:`C = (M(0) + M(\pi/\omega))/2`,
    :math:`A = (M(0) - M(\pi/\omega))/2` and :math:`B = M(\pi/(2\omega)) - C`.
    """
    name = gate_cls(0.0).name
    omega = FREQUENCY[name]
    m0 = Operator(gate_cls(0.0)).data
    m_pi = Operator(gate_cls(np.pi / omega)).data
    m_half = Operator(gate_cls(np.pi / (2 * omega))).data
    c = (m0 + m_pi) / 2
    coefs, offset = linear_form(value, omega)
    return Factor(qubits, c, (m0 - m_pi) / 2, m_half - c, coefs, offset)


def lower(instruction: CircuitInstruction, circuit: QuantumCircuit) -> list[Factor]:
    """The factors of one instruction of ``circuit``, in application order.

    Raises:
        ValueError: If the instruction is not in :data:`EXACT_BASIS` (or a barrier).
    """
    op = instruction.operation
    qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
    if op.name == "barrier":
        return []
    if op.name not in EXACT_BASIS:
        raise ValueError(f"the exact engine cannot execute gate {op.name!r}")
    if not any(isinstance(p, ParameterExpression) for p in op.params):
        data = Operator(op).data
        zero = np.zeros_like(data)
        return [Factor(qubits, data, zero, zero)]
    if op.name == "u":
        theta, phi, lam = op.params
        return [
            rotation_factor(PhaseGate, qubits, lam),
            rotation_factor(RYGate, qubits, theta),
            rotation_factor(PhaseGate, qubits, phi),
        ]
    if op.name == "cu":
        theta, phi, lam, gamma = op.params
        return [
            rotation_factor(CPhaseGate, qubits, lam),
            rotation_factor(CRYGate, qubits, theta),
            rotation_factor(CPhaseGate, qubits, phi),
            rotation_factor(PhaseGate, qubits[:1], gamma),
        ]
    return [rotation_factor(type(op), qubits, op.params[0])]


def split_factors(
    factors: Sequence[Factor], input_params: Sequence[Parameter], weight_params: Sequence[Parameter]
) -> tuple[list[Factor], list[Factor]]:
    """Splits factors into the encoding and the trainable part.

    A transpiled circuit lists gates in one topological order, which may interleave independent
    encoding and trainable gates on disjoint qubits; those commute, so each factor goes to the
    encoding part unless one of its qubits has already met a weight-dependent factor. Constant factors
    at the end of the encoding part then move to the front of the trainable part (see the comment below).

    Returns:
        ``(encoding, trainable)``; their product, trainable part after encoding part, is the circuit.

    Raises:
        ValueError: If a factor depends on both inputs and weights, or on inputs after weights on its qubits.
    """
    inputs, weights = set(input_params), set(weight_params)
    encode: list[Factor] = []
    trainable: list[Factor] = []
    reached: set[int] = set()
    for f in factors:
        uses_inputs = bool(inputs & f.coefs.keys())
        if uses_inputs and weights & f.coefs.keys():
            raise ValueError("a gate depends on both inputs and weights; the exact engine needs them apart")
        if weights & f.coefs.keys() or reached & set(f.qubits):
            if uses_inputs:
                raise ValueError("inputs re-uploaded after weights are not supported by the exact engine")
            reached |= set(f.qubits)
            trainable.append(f)
        else:
            encode.append(f)
    # Constant factors that no later encoding factor needs (none of their qubits is touched again by
    # the encoding) commute past the rest of it: move them to the front of the trainable part. The
    # encoding part is then the same for every ansatz (Con_Z's CZs or U_9's Hadamards, which need no
    # weight, would otherwise join it), so encoded states can be shared between models.
    kept: list[Factor] = []
    moved: list[Factor] = []
    needed: set[int] = set()
    for f in reversed(encode):
        if not f.coefs and not needed & set(f.qubits):
            moved.append(f)
        else:
            kept.append(f)
            needed |= set(f.qubits)
    return kept[::-1], moved[::-1] + trainable
