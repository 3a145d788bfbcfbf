r"""Amplitude encoding as a fixed RY/CNOT tree (Möttönen et al., 2004).

The template prepares :math:`\sum_k \tilde a_k |k\rangle` with :math:`\tilde a = a/\|a\|_2` (real, signs
included) by a binary tree of uniformly controlled RY rotations: level :math:`\ell` rotates the
:math:`\ell`-th listed qubit conditioned on the ones before it, with :math:`2^\ell` RY gates and
:math:`2^\ell` CNOTs in Gray-code order (none at level 0), i.e. :math:`2^n-1` angle parameters. The first
listed qubit carries the most significant bit of the feature index, as in PennyLane's
``AmplitudeEmbedding``. :func:`amplitude_angles` maps features to those angles; no ``initialize`` and no
reset is used, so the template is unitary and transpiles once per device.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from qiskit.circuit import Parameter, ParameterExpression, ParameterVector, QuantumCircuit

from qcnn_tl.circuits.encoding.base import as_feature_matrix


def _gray_flip_bit(i: int, size: int) -> int:
    """Bit that changes between Gray codes ``i`` and ``i + 1 (mod size)``."""
    changed = (i ^ (i >> 1)) ^ (((i + 1) % size) ^ (((i + 1) % size) >> 1))
    return changed.bit_length() - 1


def _control_of_bit(bit: int, level: int) -> int:
    """Position of the control holding bit ``bit`` (LSB = 0) of a level-``level`` prefix; position 0 is the MSB."""
    return level - 1 - bit


@cache
def _uniform_ry_inverse(level: int) -> np.ndarray:
    r"""Matrix :math:`M` with :math:`\theta = M\alpha` for one uniformly controlled RY level.

    With control prefix :math:`j` the Gray-code sequence applies :math:`R_Y(\sum_i S_{ji}\theta_i)`,
    :math:`S_{ji} = (-1)^{\#\text{X before gate } i}`; :math:`S S^T = 2^\ell I`, so
    :math:`M = S^T / 2^\ell`.
    """
    size = 1 << level
    signs = np.ones((size, size))
    for prefix in range(size if level else 0):
        flips = 0
        for i in range(size):
            signs[prefix, i] = -1.0 if flips % 2 else 1.0
            bit = _gray_flip_bit(i, size)
            flips += (prefix >> bit) & 1
    return signs.T / size


def append_amplitude_tree(
    circuit: QuantumCircuit, angles: Sequence[ParameterExpression | float], qubits: Sequence[int]
) -> None:
    """Appends the Möttönen RY/CNOT tree on ``qubits`` (``qubits[0]`` holds the most significant bit).

    Args:
        circuit: The circuit to extend.
        angles: :math:`2^m - 1` angles for :math:`m` = ``len(qubits)``, as :func:`amplitude_angles` gives them.
        qubits: The qubits of the tree, most significant first.

    Raises:
        ValueError: If ``angles`` does not hold :math:`2^m - 1` entries.
    """
    expected = (1 << len(qubits)) - 1
    if len(angles) != expected:
        raise ValueError(f"an amplitude tree on {len(qubits)} qubits needs {expected} angles; got {len(angles)}")
    offset = 0
    for level, qubit in enumerate(qubits):
        size = 1 << level
        for i in range(size):
            circuit.ry(angles[offset + i], qubit)
            if level:
                circuit.cx(qubits[_control_of_bit(_gray_flip_bit(i, size), level)], qubit)
        offset += size


def amplitude_encoding(num_qubits: int) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    """Amplitude encoding of :math:`2^n` real features as a fixed RY/CNOT tree.

    Args:
        num_qubits: Number of qubits :math:`n`; the template takes :math:`2^n` features.

    Returns:
        The circuit and its :math:`2^n - 1` input parameters (angles from :func:`amplitude_angles`).
    """
    x = ParameterVector("x", (1 << num_qubits) - 1)
    qc = QuantumCircuit(num_qubits, name="amplitude_encoding")
    append_amplitude_tree(qc, list(x), range(num_qubits))
    return qc, tuple(x)


def amplitude_angles(features: np.ndarray) -> np.ndarray:
    r"""Maps real feature vectors to the angles of :func:`amplitude_encoding`.

    For each tree node (prefix :math:`j` at level :math:`\ell`) the wanted rotation is
    :math:`\alpha_j = 2\,\mathrm{atan2}(\|a_{j1\ast}\|, \|a_{j0\ast}\|)`, and at the last level
    :math:`2\,\mathrm{atan2}(a_{j1}, a_{j0})` with signs, so negative amplitudes come out right.

    Args:
        features: Shape ``(N, 2**n)`` or ``(2**n,)``; any nonzero finite real vectors (not normalised).

    Returns:
        Angles of shape ``(N, 2**n - 1)``.

    Raises:
        ValueError: If the width is not a power of two (≥ 2), an entry is not finite, or a row is zero.

    >>> amplitude_angles(np.array([0.0, 0.0, 0.0, -1.0])).round(4)
    array([[ 3.1416, -1.5708,  1.5708]])
    """
    a = as_feature_matrix(features, None, "amplitude")
    width = a.shape[1]
    num_qubits = width.bit_length() - 1
    if width < 2 or width != 1 << num_qubits:
        raise ValueError(f"amplitude features must have a power-of-two width ≥ 2; got {width}")
    norms = np.linalg.norm(a, axis=1)
    if np.any(norms == 0):
        rows = np.flatnonzero(norms == 0)[:5].tolist()
        raise ValueError(f"amplitude encoding needs nonzero feature vectors; rows {rows} are zero")
    angles = []
    for level in range(num_qubits):
        nodes = a.reshape(len(a), 1 << level, 2, -1)
        if level == num_qubits - 1:
            alpha = 2 * np.arctan2(nodes[..., 1, 0], nodes[..., 0, 0])
        else:
            r = np.linalg.norm(nodes, axis=-1)
            alpha = 2 * np.arctan2(r[..., 1], r[..., 0])
        angles.append(alpha @ _uniform_ry_inverse(level).T)
    return np.concatenate(angles, axis=1)
