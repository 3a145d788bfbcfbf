r"""Matrix-product-state encodings: a bond-dimension-2 truncation of the amplitude state, prepared by staircases.

The :math:`2^n` features :math:`a` define :math:`\psi = a/\|a\|_2`, a tensor with one index :math:`s_j` per
site :math:`j`, bit :math:`j` of the feature index (most significant first). Sequential SVDs from site 0 to
site :math:`n-1`, keeping the :math:`\chi = 2` largest singular values at every cut, give the truncated
matrix-product state

.. math::

    \psi^{(2)}_{s_0 \dots s_{n-1}} = \sum_{a} B_{s_0 s_1}^{a_2} A_{a_2 s_2}^{a_3} \cdots A_{a_{n-2} s_{n-2}}^{a_{n-1}}
    M_{a_{n-1} s_{n-1}},

with every :math:`A` (and :math:`B`, sites 0 and 1 together) a real :math:`4 \times 2` isometry. It is
prepared exactly from :math:`|0\rangle^{\otimes n}` by one staircase of two-qubit blocks on a line of qubits
(Ran, PRA 101, 032310 (2020)). Site :math:`j` (bit :math:`j` of the feature index, most significant first) sits
on qubit :math:`\ell_j` of the line :math:`\ell` = :func:`mps_line` (:data:`LINE_8` = 2–3–1–0–7–6–4–5 on 8
qubits, chosen so that the transpiler lays both the staircase and the QCNN on a device line; read the qubits
below as sites): :math:`M` on sites :math:`(n-2, n-1)`, then each isometry on
sites :math:`(k-1, k)` for :math:`k = n-2, \dots, 1`, mapping the bond held by site :math:`k` to
:math:`(a_k, s_k)` on :math:`(k-1, k)`.

The blocks are fixed real circuits, the same for every sample (angles are the input parameters):

* the state :math:`M` (3 angles, 1 CNOT): :math:`R_Y(\rho)` on :math:`t = n-1`, then
  :math:`R_Y(\alpha)` on :math:`c = n-2`, CNOT :math:`t \to c`, :math:`R_Y(\beta)` on :math:`c`;
* an isometry :math:`V = (L_0 \oplus L_1)\,\bigl[\begin{smallmatrix} C \\ S \end{smallmatrix}\bigr]\,R`
  (cosine-sine form: :math:`C = \mathrm{diag}(\cos\theta_i)`, :math:`S = \mathrm{diag}(\sin\theta_i)`,
  :math:`R, L_0 \in SO(2)`, :math:`L_1` a reflection) on the fresh qubit :math:`c = k-1` and the bond qubit
  :math:`t = k` (5 angles, 1 CNOT + 1 CZ): :math:`R_Y(\rho)` on :math:`t`; :math:`R_Y(\alpha)` on :math:`c`,
  CNOT :math:`t \to c`, :math:`R_Y(\beta)` on :math:`c` (this prepares :math:`\cos\theta_i|0\rangle +
  \sin\theta_i|1\rangle` on :math:`c` for :math:`t = |i\rangle`, with :math:`\alpha = \theta_0 - \theta_1 +
  \pi/2`, :math:`\beta = \theta_0 + \theta_1 - \pi/2`); :math:`R_Y(\lambda - \gamma)` on :math:`t`,
  CZ, :math:`R_Y(\gamma)` on :math:`t` (this applies :math:`L_0 = R_Y(\lambda)` if :math:`c = 0` and
  :math:`L_1 = R_Y(\gamma) Z R_Y(-\gamma) L_0` if :math:`c = 1`).

So ``mps2-1`` on 8 qubits has 13 two-qubit gates and :math:`3 + 5 \cdot 6 = 33` angles. ``mps2-L`` adds
Ran's disentangling layers: with :math:`\psi^{(0)} = \psi`, layer :math:`l` is the staircase of the
:math:`\chi = 2` truncation of :math:`\psi^{(l-1)}` and :math:`\psi^{(l)} = U_l^\dagger \psi^{(l-1)}`; the
circuit applies :math:`U_L` first and :math:`U_1` last, and prepares :math:`U_1 \cdots U_L |0\rangle`, whose
overlap with :math:`\psi` is :math:`\psi^{(L)}_{0\dots0}`.

The feature order matters (the truncation keeps the correlations across each cut of the index bits): the
encoding takes features in order of importance, most important first; qcnn_tl's feature preparation orders
them by decreasing mean :math:`|x|` on the training split (:func:`magnitude_order`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit

from qcnn_tl.circuits.encoding.base import as_feature_matrix

BOND_DIM = 2
"""The bond dimension of the ``mps2-*`` encodings (one staircase prepares it exactly)."""

MPS_LAYERS: tuple[int, ...] = (1, 2, 3)
"""Staircase layers of the registered ``mps2-L`` encodings."""

LINE_8: tuple[int, ...] = (2, 3, 1, 0, 7, 6, 4, 5)
"""The staircase's line on 8 qubits: the QCNN's edges 2–3, 1–0, 0–7, 7–6, 6–4 and 4–5 are on it.

Chosen by transpiling the U_SU4 + ZX template for fake_brisbane and fake_torino (optimisation level 1, the
transpile report's seeds): of the lines tried it is one of the two (with its reverse) whose layout puts the
staircase on a device line (13 two-qubit gates in the encoding, no SWAP) with the fewest gates in all (119 on
both devices; 131 for the line 0–1–…–7). See docs/encodings/mps.md.
"""


# One gate of a staircase on sites: ("ry", site, angle index), ("cx", control, target) or ("cz", site, site).
_Op = tuple[str, int, int]


def magnitude_order(train_features: np.ndarray) -> np.ndarray:
    r"""The feature order by decreasing mean magnitude on the training split.

    .. math:: \bar m_f = \frac{1}{N}\sum_{i=1}^{N} |x_{if}|, \qquad
        \pi = \mathrm{argsort}(-\bar m) \text{ (stable: ties keep the original order)}

    Fit it on the training features only, store it with the model and apply ``features[:, order]`` to every
    split before an MPS encoding.

    Args:
        train_features: The training split's features, shape ``(N, F)`` with ``N ≥ 1``, finite.

    Returns:
        The permutation ``order`` (int64, shape ``(F,)``): column ``j`` of the ordered features is column
        ``order[j]`` of the input.

    Raises:
        ValueError: If ``train_features`` is not a non-empty 2-D array of finite values.

    >>> magnitude_order(np.array([[0.1, -3.0, 1.0], [0.2, 1.0, -1.0]]))
    array([1, 2, 0])
    """
    array = np.asarray(train_features, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"train_features must have shape (N, F) with N ≥ 1; got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("train_features contain NaN or infinite values")
    return np.argsort(-np.abs(array).mean(axis=0), kind="stable")


def _check_num_qubits(name: str, num_qubits: int) -> None:
    if not isinstance(num_qubits, int) or num_qubits < 2:
        raise ValueError(f"{name} encoding needs num_qubits ≥ 2; got {num_qubits!r}")


def _check_layers(name: str, layers: int) -> None:
    if not isinstance(layers, int) or layers < 1:
        raise ValueError(f"{name} encoding needs layers ≥ 1; got {layers!r}")


def _angles_per_layer(num_qubits: int) -> int:
    return 3 + 5 * (num_qubits - 2)


def mps_line(num_qubits: int) -> tuple[int, ...]:
    r"""The qubit of each site: bit ``j`` of the feature index (most significant first) sits on ``line[j]``.

    :data:`LINE_8` on 8 qubits, :math:`0, 1, \dots, n-1` otherwise.
    """
    return LINE_8 if num_qubits == len(LINE_8) else tuple(range(num_qubits))


@cache
def _staircase(num_qubits: int) -> tuple[_Op, ...]:
    """The gates of one staircase in application order, on sites; angle indices count from 0 within the layer."""
    c, t = num_qubits - 2, num_qubits - 1
    ops: list[_Op] = [("ry", t, 0), ("ry", c, 1), ("cx", t, c), ("ry", c, 2)]
    for k in range(num_qubits - 2, 0, -1):
        c, t, first = k - 1, k, 3 + 5 * (num_qubits - 2 - k)
        ops += [("ry", t, first), ("ry", c, first + 1), ("cx", t, c), ("ry", c, first + 2)]
        ops += [("ry", t, first + 3), ("cz", c, t), ("ry", t, first + 4)]
    return tuple(ops)


def mps_num_features(num_qubits: int, *, name: str) -> int:
    """Features the encoding takes: :math:`2^n`.

    Raises:
        ValueError: If ``num_qubits`` < 2.
    """
    _check_num_qubits(name, num_qubits)
    return 1 << num_qubits


def mps_encoding(num_qubits: int, *, name: str, layers: int) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    r"""``layers`` staircases of real two-qubit blocks on the line :func:`mps_line`.

    Args:
        num_qubits: Number of qubits :math:`n \ge 2`.
        name: The registry name, for the circuit name and error messages.
        layers: Staircases :math:`L \ge 1`; the first applied is Ran's last layer :math:`U_L`.

    Returns:
        The circuit (RY, CX and CZ only) and its :math:`L\,(5n - 7)` input parameters, staircase by staircase
        in application order.

    Raises:
        ValueError: If ``num_qubits`` < 2 or ``layers`` < 1.
    """
    _check_num_qubits(name, num_qubits)
    _check_layers(name, layers)
    per_layer = _angles_per_layer(num_qubits)
    line = mps_line(num_qubits)
    x = ParameterVector("x", layers * per_layer)
    qc = QuantumCircuit(num_qubits, name=name.replace("-", "_") + "_encoding")
    for layer in range(layers):
        for gate, a, b in _staircase(num_qubits):
            if gate == "ry":
                qc.ry(x[layer * per_layer + b], line[a])
            elif gate == "cx":
                qc.cx(line[a], line[b])
            else:
                qc.cz(line[a], line[b])
    return qc, tuple(x)


def _ry_matrix_angle(m: np.ndarray) -> np.ndarray:
    r""":math:`\phi` with :math:`R_Y(\phi)` = ``m`` for rotations ``m`` of shape ``(N, 2, 2)``."""
    return 2 * np.arctan2(m[:, 1, 0], m[:, 0, 0])


def _isometry_angles(v: np.ndarray) -> np.ndarray:
    r"""The 5 block angles of real isometries ``v`` of shape ``(N, 2, 2, 2)``, indices ``[a, s, in]``.

    ``v[:, a]`` :math:`= M_a = L_a D_a R` with :math:`D_0 = C`, :math:`D_1 = S`: the SVD of :math:`M_0` gives
    :math:`L_0, C, R` (signs moved so that :math:`\det R = \det L_0 = 1`, a negative cosine allowed);
    :math:`K = M_1 R^T` has orthogonal columns of norms :math:`|\sin\theta_i|`, and :math:`L_1` is the reflection
    whose column through the longer one is along it, :math:`\sin\theta_i = (L_1^T K)_{ii}`.
    """
    flip = np.array([1.0, -1.0])
    left, cos, right = np.linalg.svd(v[:, 0])
    negative = np.linalg.det(right) < 0
    right[negative] *= flip[:, None]
    left[negative] *= flip
    negative = np.linalg.det(left) < 0
    left[negative] *= flip
    cos[negative] *= flip
    k = v[:, 1] @ right.transpose(0, 2, 1)
    norms = np.linalg.norm(k, axis=1)
    first = norms[:, 0] >= norms[:, 1]
    u = np.where(first[:, None], k[:, :, 0], k[:, :, 1]) / np.maximum(norms.max(axis=1), 1e-300)[:, None]
    u[norms.max(axis=1) == 0] = (1.0, 0.0)
    # Columns (u, (u1, -u0)) or ((-u1, u0), u): determinant -1 either way.
    l1 = np.where(
        first[:, None, None],
        np.stack([u, np.stack([u[:, 1], -u[:, 0]], 1)], 2),
        np.stack([np.stack([-u[:, 1], u[:, 0]], 1), u], 2),
    )
    sin = np.einsum("nji,nji->ni", l1, k)
    theta = np.arctan2(sin, cos)
    reflection = l1 @ left.transpose(0, 2, 1)
    gamma = np.arctan2(reflection[:, 1, 0], reflection[:, 0, 0])
    return np.stack(
        [
            _ry_matrix_angle(right),
            theta[:, 0] - theta[:, 1] + np.pi / 2,
            theta[:, 0] + theta[:, 1] - np.pi / 2,
            _ry_matrix_angle(left) - gamma,
            gamma,
        ],
        axis=1,
    )


def _state_angles(m: np.ndarray) -> np.ndarray:
    """The 3 angles of the first block for normalised two-qubit states ``m`` of shape ``(N, 2, 2)``, ``[c, t]``."""
    r = np.linalg.norm(m, axis=1)
    theta = np.arctan2(m[:, 1], m[:, 0])
    return np.stack(
        [
            2 * np.arctan2(r[:, 1], r[:, 0]),
            theta[:, 0] - theta[:, 1] + np.pi / 2,
            theta[:, 0] + theta[:, 1] - np.pi / 2,
        ],
        axis=1,
    )


def _layer_angles(psi: np.ndarray, num_qubits: int) -> np.ndarray:
    r"""Angles ``(N, 5n - 7)`` of the staircase preparing the :math:`\chi = 2` truncation of states ``psi``."""
    n = len(psi)
    rest = psi.reshape(n, 4, -1)
    isometries = []
    for _ in range(1, num_qubits - 1):
        u, s, vt = np.linalg.svd(rest, full_matrices=False)
        isometries.append(u[:, :, :BOND_DIM].reshape(n, 2, 2, BOND_DIM))
        rest = (s[:, :BOND_DIM, None] * vt[:, :BOND_DIM]).reshape(n, 4, -1)
    last = rest.reshape(n, 2, 2)
    last = last / np.linalg.norm(last, axis=(1, 2))[:, None, None]
    return np.concatenate([_state_angles(last), *(_isometry_angles(v) for v in reversed(isometries))], axis=1)


def _apply_inverse(psi: np.ndarray, angles: np.ndarray, num_qubits: int) -> np.ndarray:
    r""":math:`U^\dagger \psi` for the staircase :math:`U` with ``angles``; ``psi`` is ``(N, 2**n)``, qubit 0 first."""
    n = len(psi)
    index = np.arange(1 << num_qubits)

    def bit(q: int) -> np.ndarray:
        return (index >> (num_qubits - 1 - q)) & 1

    for gate, a, b in reversed(_staircase(num_qubits)):
        if gate == "ry":
            view = psi.reshape(n, 1 << a, 2, -1)
            cos, sin = (f(angles[:, b] / 2)[:, None, None] for f in (np.cos, np.sin))
            zero, one = view[:, :, 0], view[:, :, 1]
            psi = np.stack([cos * zero + sin * one, cos * one - sin * zero], axis=2).reshape(n, -1)
        elif gate == "cx":
            psi = psi[:, index ^ (bit(a) << (num_qubits - 1 - b))]
        else:
            psi = psi * (1 - 2 * (bit(a) & bit(b)))
    return psi


def mps_values(features: np.ndarray, *, name: str, layers: int) -> np.ndarray:
    r"""Angles of :func:`mps_encoding` with Ran's sequential algorithm.

    Args:
        features: Shape ``(N, 2**n)``, ``n ≥ 2``, real, finite, no row all zero, most important feature first
            (qcnn_tl's feature preparation orders them with :func:`magnitude_order`); each row is normalised.
        name: The registry name, for error messages.
        layers: Staircases :math:`L \ge 1`.

    Returns:
        Angles ``(N, L (5n - 7))``, staircase :math:`U_L` first.

    Raises:
        ValueError: On a width that is not :math:`2^n` with :math:`n \ge 2`, NaN/inf, an all-zero row, or
            ``layers`` < 1.
    """
    _check_layers(name, layers)
    a = as_feature_matrix(features, None, name)
    num_qubits = a.shape[1].bit_length() - 1
    if a.shape[1] < 4 or a.shape[1] != 1 << num_qubits:
        raise ValueError(f"{name} features must have a width 2**n with n ≥ 2; got {a.shape}")
    norms = np.linalg.norm(a, axis=1)
    if np.any(norms == 0):
        raise ValueError(
            f"{name} encoding needs nonzero feature vectors; rows {np.flatnonzero(norms == 0)[:5].tolist()} are zero"
        )
    psi = a / norms[:, None]
    staircases = []
    for _ in range(layers):
        angles = _layer_angles(psi, num_qubits)
        staircases.append(angles)
        psi = _apply_inverse(psi, angles, num_qubits)
    return np.concatenate(staircases[::-1], axis=1)
