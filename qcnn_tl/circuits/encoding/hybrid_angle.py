r"""Hybrid angle embedding: a few angles prepare a real state on each qubit group.

On a pair :math:`(a, b)` with angles :math:`t_0, t_1, t_2`: :math:`R_Y(t_0)` on :math:`a`, then
:math:`R_Y(t_1)` on :math:`b` controlled by :math:`a = 0` (an X-conjugated CRY) and :math:`R_Y(t_2)`
controlled by :math:`a = 1`. On four qubits :math:`(a, b, c, d)` with :math:`t_0..t_{14}`: the pair block on
:math:`(a, b)`, then uniformly controlled rotations of :math:`c` (4 angles, controls :math:`b, a`) and of
:math:`d` (8 angles, controls :math:`c, b, a`) written as RY/CNOT sequences. The features are the angles,
raw. Three features per pair (12 in all) or 15 per group of four (30 in all), on the arrangements of
:data:`~qcnn_tl.circuits.encoding.base.PAIR_ARRANGEMENTS` / :data:`~qcnn_tl.circuits.encoding.base.QUAD_ARRANGEMENTS`
(Hur, Kim & Park 2022).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.circuit import Parameter, ParameterExpression, ParameterVector, QuantumCircuit

from qcnn_tl.circuits.encoding.base import Groups, as_feature_matrix, check_hybrid_qubits

_PAIR_ANGLES = 3
_QUAD_ANGLES = 15


def append_angular_pair(circuit: QuantumCircuit, t: Sequence[ParameterExpression | float], a: int, b: int) -> None:
    """Appends the two-qubit hybrid angle block on ``(a, b)``.

    >>> qc = QuantumCircuit(2)
    >>> append_angular_pair(qc, [0.1, 0.2, 0.3], 0, 1)
    >>> [inst.operation.name for inst in qc.data]
    ['ry', 'x', 'cry', 'x', 'cry']
    """
    circuit.ry(t[0], a)
    circuit.x(a)
    circuit.cry(t[1], a, b)
    circuit.x(a)
    circuit.cry(t[2], a, b)


def append_angular_quad(
    circuit: QuantumCircuit, t: Sequence[ParameterExpression | float], a: int, b: int, c: int, d: int
) -> None:
    """Appends the four-qubit hybrid angle block on ``(a, b, c, d)`` (15 angles)."""
    append_angular_pair(circuit, t[:3], a, b)
    for angle, control in zip(t[3:7], (b, a, b, a), strict=True):
        circuit.ry(angle, c)
        circuit.cx(control, c)
    for angle, control in zip(t[7:15], (c, b, c, a, c, b, c, a), strict=True):
        circuit.ry(angle, d)
        circuit.cx(control, d)


def _angles_per_group(groups: Groups) -> int:
    return _PAIR_ANGLES if len(groups[0]) == 2 else _QUAD_ANGLES


def angular_hybrid_num_features(num_qubits: int, *, name: str, groups: Groups) -> int:
    """Features the encoding takes: 3 per pair or 15 per group of four.

    Raises:
        ValueError: Unless ``num_qubits`` is 8.
    """
    check_hybrid_qubits(name, num_qubits)
    return len(groups) * _angles_per_group(groups)


def angular_hybrid_encoding(
    num_qubits: int, *, name: str, groups: Groups
) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    """The hybrid angle blocks on every group, one after the other.

    Args:
        num_qubits: Must be 8.
        name: The registry name, for the circuit name and error messages.
        groups: Qubit pairs or groups of four.

    Returns:
        The circuit and its input parameters; group ``g`` takes ``x[g * k : (g + 1) * k]`` (``k`` = 3 or 15).

    Raises:
        ValueError: Unless ``num_qubits`` is 8.
    """
    check_hybrid_qubits(name, num_qubits)
    k = _angles_per_group(groups)
    append = append_angular_pair if k == _PAIR_ANGLES else append_angular_quad
    x = ParameterVector("x", len(groups) * k)
    qc = QuantumCircuit(num_qubits, name=name.replace("-", "_") + "_encoding")
    for g, qubits in enumerate(groups):
        append(qc, list(x[g * k : (g + 1) * k]), *qubits)
    return qc, tuple(x)


def angular_hybrid_values(features: np.ndarray, *, name: str, groups: Groups) -> np.ndarray:
    """Parameter values of :func:`angular_hybrid_encoding`: the features themselves, checked.

    Raises:
        ValueError: On the wrong width or NaN/inf.
    """
    return as_feature_matrix(features, len(groups) * _angles_per_group(groups), name)
