r"""Angle encodings: one feature per rotation, the features used raw (no rescaling).

*Angle* encoding (the paper's) puts :math:`x_j` on qubit :math:`j` as :math:`R_Y(x_j)`: :math:`n` features.
*Compact angle* encoding doubles that: :math:`R_X(x_j)` then :math:`R_Y(x_{n+j})` on qubit :math:`j`.
Neither has a two-qubit gate.
"""

from __future__ import annotations

import numpy as np
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit

from qcnn_tl.circuits.encoding.base import as_feature_matrix


def angle_encoding(num_qubits: int) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    """Angle (qubit) encoding: :math:`R_Y(x_j)` on qubit :math:`j`.

    Args:
        num_qubits: Number of qubits, equal to the number of features.

    Returns:
        The circuit and its input parameters ``x[0..n-1]``.
    """
    x = ParameterVector("x", num_qubits)
    qc = QuantumCircuit(num_qubits, name="angle_encoding")
    for qubit, param in enumerate(x):
        qc.ry(param, qubit)
    return qc, tuple(x)


def angle_values(features: np.ndarray) -> np.ndarray:
    """Parameter values of :func:`angle_encoding`: the features themselves, checked.

    Raises:
        ValueError: If ``features`` is not 2-D or holds NaN/inf.
    """
    return as_feature_matrix(features, None, "angle")


def angle_compact_encoding(num_qubits: int) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    r"""Compact angle encoding: :math:`R_X(x_j)` then :math:`R_Y(x_{n+j})` on qubit :math:`j`.

    Args:
        num_qubits: Number of qubits :math:`n`; the template takes :math:`2n` features.

    Returns:
        The circuit and its input parameters ``x[0..2n-1]``.

    >>> print(angle_compact_encoding(2)[0].draw(output="text"))
         ┌──────────┐┌──────────┐
    q_0: ┤ Rx(x[0]) ├┤ Ry(x[2]) ├
         ├──────────┤├──────────┤
    q_1: ┤ Rx(x[1]) ├┤ Ry(x[3]) ├
         └──────────┘└──────────┘
    """
    x = ParameterVector("x", 2 * num_qubits)
    qc = QuantumCircuit(num_qubits, name="angle_compact_encoding")
    for qubit in range(num_qubits):
        qc.rx(x[qubit], qubit)
    for qubit in range(num_qubits):
        qc.ry(x[num_qubits + qubit], qubit)
    return qc, tuple(x)


def angle_compact_values(features: np.ndarray) -> np.ndarray:
    """Parameter values of :func:`angle_compact_encoding`: the features themselves, checked.

    Raises:
        ValueError: If ``features`` is not 2-D or holds NaN/inf.
    """
    return as_feature_matrix(features, None, "angle-compact")
