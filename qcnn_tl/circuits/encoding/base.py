"""What every encoding shares: the registry entry, feature checks and the qubit arrangements of the hybrids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qiskit.circuit import Parameter, QuantumCircuit

Groups = tuple[tuple[int, ...], ...]

PAIR_ARRANGEMENTS: dict[int, Groups] = {
    1: ((0, 1), (2, 3), (4, 5), (6, 7)),
    2: ((0, 4), (1, 5), (2, 6), (3, 7)),
    3: ((0, 7), (1, 6), (2, 5), (3, 4)),
    4: ((0, 2), (1, 3), (4, 6), (5, 7)),
}
"""Arrangement ``k`` of the two-qubit hybrid encodings (``*-hybrid2-k``): four qubit pairs."""

QUAD_ARRANGEMENTS: dict[int, Groups] = {
    1: ((0, 1, 2, 3), (4, 5, 6, 7)),
    2: ((0, 2, 4, 6), (1, 3, 5, 7)),
    3: ((0, 1, 6, 7), (2, 3, 4, 5)),
    4: ((0, 3, 4, 7), (1, 2, 5, 6)),
}
"""Arrangement ``k`` of the four-qubit hybrid encodings (``*-hybrid4-k``): two groups of four qubits."""

HYBRID_NUM_QUBITS = 8
"""The hybrid encodings' arrangements are defined on 8 qubits only."""


@dataclass(frozen=True)
class Encoding:
    """A data encoding: a template builder and the map from features to its parameter values.

    Attributes:
        name: The registry name (``"amplitude"``, ``"angle"``, ``"amplitude-hybrid4-1"``, …).
        build: ``num_qubits -> (circuit, input_params)``.
        num_features: ``num_qubits -> `` the feature width it takes.
        input_values: ``features (N, F) -> `` parameter values ``(N, len(input_params))``.
    """

    name: str
    build: Callable[[int], tuple[QuantumCircuit, tuple[Parameter, ...]]]
    num_features: Callable[[int], int]
    input_values: Callable[[np.ndarray], np.ndarray]


def as_feature_matrix(features: np.ndarray, width: int | None, what: str) -> np.ndarray:
    """``features`` as a finite float64 matrix ``(N, F)`` (a vector is one row).

    Raises:
        ValueError: Naming ``what``, if the shape is not ``(N, width)`` or an entry is NaN/inf.
    """
    array = np.asarray(features, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{what} features must have shape (N, F); got {array.shape}")
    if width is not None and array.shape[1] != width:
        raise ValueError(f"{what} features must have shape (N, {width}); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} features contain NaN or infinite values")
    return array


def check_hybrid_qubits(name: str, num_qubits: int) -> None:
    """Raises ``ValueError`` unless ``num_qubits`` is the hybrids' 8."""
    if num_qubits != HYBRID_NUM_QUBITS:
        raise ValueError(f"{name} encoding is defined on {HYBRID_NUM_QUBITS} qubits; got num_qubits={num_qubits!r}")
