r"""Hybrid direct embedding: amplitude encoding of feature blocks on disjoint qubit groups.

The 8 qubits are split into groups of :math:`m` qubits (two groups of 4, or four pairs); group :math:`g`
amplitude-encodes its own block of :math:`2^m` features, normalised on its own, with the Möttönen tree of
:mod:`~qcnn_tl.circuits.encoding.amplitude` on the group's qubits (the first listed qubit holds the most
significant bit). The prepared state is the product :math:`\bigotimes_g |\tilde a^{(g)}\rangle` placed on the
groups. Two groups of 4 take 32 features (30 angles), four pairs take 16 (12 angles); the arrangements
are :data:`~qcnn_tl.circuits.encoding.base.QUAD_ARRANGEMENTS` and
:data:`~qcnn_tl.circuits.encoding.base.PAIR_ARRANGEMENTS` (Hur, Kim & Park 2022).
"""

from __future__ import annotations

import numpy as np
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit

from qcnn_tl.circuits.encoding.amplitude import amplitude_angles, append_amplitude_tree
from qcnn_tl.circuits.encoding.base import Groups, as_feature_matrix, check_hybrid_qubits


def _group_size(groups: Groups) -> int:
    return len(groups[0])


def amplitude_hybrid_num_features(num_qubits: int, *, name: str, groups: Groups) -> int:
    """Features the encoding takes: :math:`2^m` per group of :math:`m` qubits.

    Raises:
        ValueError: Unless ``num_qubits`` is 8.
    """
    check_hybrid_qubits(name, num_qubits)
    return len(groups) << _group_size(groups)


def amplitude_hybrid_encoding(
    num_qubits: int, *, name: str, groups: Groups
) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    """Amplitude trees on disjoint qubit groups, one after the other.

    Args:
        num_qubits: Must be 8.
        name: The registry name, for the circuit name and error messages.
        groups: Qubit groups of equal size :math:`m`, each listed most significant qubit first.

    Returns:
        The circuit and its ``len(groups) * (2**m - 1)`` input parameters, group by group.

    Raises:
        ValueError: Unless ``num_qubits`` is 8.
    """
    check_hybrid_qubits(name, num_qubits)
    per_group = (1 << _group_size(groups)) - 1
    x = ParameterVector("x", len(groups) * per_group)
    qc = QuantumCircuit(num_qubits, name=name.replace("-", "_") + "_encoding")
    for g, qubits in enumerate(groups):
        append_amplitude_tree(qc, list(x[g * per_group : (g + 1) * per_group]), qubits)
    return qc, tuple(x)


def amplitude_hybrid_values(features: np.ndarray, *, name: str, groups: Groups) -> np.ndarray:
    """Angles of :func:`amplitude_hybrid_encoding`: :func:`amplitude_angles` of each group's block.

    Args:
        features: Shape ``(N, len(groups) * 2**m)``; block ``g`` is ``features[:, g * 2**m : (g + 1) * 2**m]``.
        name: The registry name, for error messages.
        groups: The qubit groups.

    Returns:
        Angles ``(N, len(groups) * (2**m - 1))``.

    Raises:
        ValueError: On the wrong width, NaN/inf, or a block that is all zero.
    """
    block = 1 << _group_size(groups)
    a = as_feature_matrix(features, len(groups) * block, name)
    parts = []
    for g in range(len(groups)):
        part = a[:, g * block : (g + 1) * block]
        zero = np.flatnonzero(~part.any(axis=1))
        if len(zero):
            raise ValueError(
                f"{name} encoding normalises each block of {block} features; features "
                f"[{g * block}:{(g + 1) * block}] are all zero in rows {zero[:5].tolist()}"
            )
        parts.append(amplitude_angles(part))
    return np.concatenate(parts, axis=1)
