r"""Data encodings as fixed-structure templates (SPEC §3).

Both encodings are unitary circuits of RY rotations (and CNOTs) whose angles are ``Parameter``\ s, so a
template is transpiled once for a device and then bound to any number of samples.

*Angle* encoding puts feature :math:`x_j` on qubit :math:`j` as :math:`R_Y(x_j)`, raw.

*Amplitude* encoding prepares :math:`\sum_k \tilde a_k |k\rangle` with :math:`\tilde a = a/\|a\|_2`
(real, signs included) by a binary tree of uniformly controlled RY rotations (Möttönen et al., 2004):
level :math:`\ell` rotates qubit :math:`\ell` conditioned on qubits :math:`0..\ell-1`, with
:math:`2^\ell` RY gates and :math:`2^\ell` CNOTs in Gray-code order (none at level 0), i.e.
:math:`2^n-1` angle parameters. Qubit 0 carries the most significant bit of the feature index, as in
PennyLane's ``AmplitudeEmbedding`` (SPEC §4). :func:`amplitude_angles` maps features to those angles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit

from qcnn_tl._registry import Registry


@dataclass(frozen=True)
class Encoding:
    """A data encoding: a template builder and the map from features to its parameter values.

    Attributes:
        name: ``"amplitude"`` or ``"angle"``.
        build: ``num_qubits -> (circuit, input_params)``.
        num_features: ``num_qubits -> `` the feature width it takes.
        input_values: ``features (N, F) -> `` parameter values ``(N, len(input_params))``.
    """

    name: str
    build: Callable[[int], tuple[QuantumCircuit, tuple[Parameter, ...]]]
    num_features: Callable[[int], int]
    input_values: Callable[[np.ndarray], np.ndarray]


def _as_feature_matrix(features: np.ndarray, width: int | None, what: str) -> np.ndarray:
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


def _gray_flip_bit(i: int, size: int) -> int:
    """Bit that changes between Gray codes ``i`` and ``i + 1 (mod size)``."""
    changed = (i ^ (i >> 1)) ^ (((i + 1) % size) ^ (((i + 1) % size) >> 1))
    return changed.bit_length() - 1


def _control_of_bit(bit: int, level: int) -> int:
    """Control qubit holding bit ``bit`` (LSB = 0) of a level-``level`` prefix; qubit 0 is the MSB."""
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


def amplitude_encoding(num_qubits: int) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    """Amplitude encoding of :math:`2^n` real features as a fixed RY/CNOT tree.

    Args:
        num_qubits: Number of qubits :math:`n`; the template takes :math:`2^n` features.

    Returns:
        The circuit and its :math:`2^n - 1` input parameters (angles from :func:`amplitude_angles`).
    """
    x = ParameterVector("x", (1 << num_qubits) - 1)
    qc = QuantumCircuit(num_qubits, name="amplitude_encoding")
    offset = 0
    for level in range(num_qubits):
        size = 1 << level
        for i in range(size):
            qc.ry(x[offset + i], level)
            if level:
                qc.cx(_control_of_bit(_gray_flip_bit(i, size), level), level)
        offset += size
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
    array([[ 3.1416,  0.    , -3.1416]])
    """
    a = _as_feature_matrix(features, None, "amplitude")
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


def angle_values(features: np.ndarray) -> np.ndarray:
    """Parameter values of :func:`angle_encoding`: the features themselves, checked.

    Raises:
        ValueError: If ``features`` is not 2-D or holds NaN/inf.
    """
    return _as_feature_matrix(features, None, "angle")


ENCODINGS: Registry[Encoding] = Registry(
    "encoding",
    (
        (
            "amplitude",
            Encoding("amplitude", amplitude_encoding, lambda n: 1 << n, amplitude_angles),
        ),
        ("angle", Encoding("angle", angle_encoding, lambda n: n, angle_values)),
    ),
)
"""The encodings of SPEC §3."""
