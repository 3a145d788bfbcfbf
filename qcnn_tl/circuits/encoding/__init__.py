r"""Data encodings as fixed-structure templates: inputs are ``Parameter``\ s, so a template is transpiled once.

:data:`ENCODINGS` holds 22 encodings of 8 qubits, from no two-qubit gate to a full amplitude tree:

================================  ========  ===========================================================
name                              features  circuit
================================  ========  ===========================================================
``amplitude``                     256       Möttönen RY/CNOT tree on all qubits (the paper's)
``angle``                         8         :math:`R_Y(x_j)` on qubit :math:`j` (the paper's)
``angle-compact``                 16        :math:`R_X(x_j)` then :math:`R_Y(x_{8+j})` on qubit :math:`j`
``amplitude-hybrid4-k``           32        amplitude trees on two groups of 4 qubits (arrangement k)
``amplitude-hybrid2-k``           16        amplitude trees on four qubit pairs (arrangement k)
``angular-hybrid2-k``             12        3-angle blocks on four qubit pairs
``angular-hybrid4-k``             30        15-angle blocks on two groups of 4 qubits
``mps2-L``                        256       bond-2 MPS truncation of the amplitude state: L staircases
================================  ========  ===========================================================

with :math:`k = 1..4` the arrangements of :data:`PAIR_ARRANGEMENTS` / :data:`QUAD_ARRANGEMENTS` and
:math:`L = 1..3` (:data:`MPS_LAYERS`; ``mps2-1`` is the exact bond-2 state, 13 two-qubit gates on a line,
more layers are Ran's disentangling staircases). The hybrids come from Hur, Kim & Park (2022), "Quantum
convolutional neural network for classical data classification". Features go in as the CNN gives them: the
amplitude families normalise (per group), the angle families use them raw; the MPS encodings normalise and
take the features most important first (:func:`magnitude_order`, fitted on the training split).
``amplitude``, ``angle``, ``angle-compact`` and ``mps2-L`` also build on other qubit counts; the hybrids
are defined on 8 qubits.

>>> ENCODINGS["amplitude-hybrid4-2"].num_features(8), ENCODINGS["angular-hybrid2-1"].num_features(8)
(32, 12)
"""

from __future__ import annotations

from functools import partial

from qcnn_tl._registry import Registry
from qcnn_tl.circuits.encoding.amplitude import amplitude_angles, amplitude_encoding, append_amplitude_tree
from qcnn_tl.circuits.encoding.angle import (
    angle_compact_encoding,
    angle_compact_values,
    angle_encoding,
    angle_values,
)
from qcnn_tl.circuits.encoding.base import PAIR_ARRANGEMENTS, QUAD_ARRANGEMENTS, Encoding, Groups
from qcnn_tl.circuits.encoding.hybrid_angle import (
    angular_hybrid_encoding,
    angular_hybrid_num_features,
    angular_hybrid_values,
)
from qcnn_tl.circuits.encoding.hybrid_direct import (
    amplitude_hybrid_encoding,
    amplitude_hybrid_num_features,
    amplitude_hybrid_values,
)
from qcnn_tl.circuits.encoding.mps import (
    BOND_DIM,
    MPS_LAYERS,
    magnitude_order,
    mps_encoding,
    mps_num_features,
    mps_values,
)


def _amplitude_hybrid(name: str, groups: Groups) -> Encoding:
    return Encoding(
        name,
        partial(amplitude_hybrid_encoding, name=name, groups=groups),
        partial(amplitude_hybrid_num_features, name=name, groups=groups),
        partial(amplitude_hybrid_values, name=name, groups=groups),
    )


def _angular_hybrid(name: str, groups: Groups) -> Encoding:
    return Encoding(
        name,
        partial(angular_hybrid_encoding, name=name, groups=groups),
        partial(angular_hybrid_num_features, name=name, groups=groups),
        partial(angular_hybrid_values, name=name, groups=groups),
    )


def _mps(layers: int) -> Encoding:
    name = f"mps{BOND_DIM}-{layers}"
    return Encoding(
        name,
        partial(mps_encoding, name=name, layers=layers),
        partial(mps_num_features, name=name),
        partial(mps_values, name=name, layers=layers),
    )


def _entries() -> list[tuple[str, Encoding]]:
    entries = [
        Encoding("amplitude", amplitude_encoding, lambda n: 1 << n, amplitude_angles),
        Encoding("angle", angle_encoding, lambda n: n, angle_values),
        Encoding("angle-compact", angle_compact_encoding, lambda n: 2 * n, angle_compact_values),
    ]
    for family, make, arrangements in (
        ("amplitude-hybrid4", _amplitude_hybrid, QUAD_ARRANGEMENTS),
        ("amplitude-hybrid2", _amplitude_hybrid, PAIR_ARRANGEMENTS),
        ("angular-hybrid2", _angular_hybrid, PAIR_ARRANGEMENTS),
        ("angular-hybrid4", _angular_hybrid, QUAD_ARRANGEMENTS),
    ):
        entries += [make(f"{family}-{k}", groups) for k, groups in arrangements.items()]
    entries += [_mps(layers) for layers in MPS_LAYERS]
    return [(encoding.name, encoding) for encoding in entries]


ENCODINGS: Registry[Encoding] = Registry("encoding", _entries())
"""Every encoding by name (see the table above)."""

PAPER_ENCODINGS: tuple[str, ...] = ("amplitude", "angle")
"""The two encodings of the paper's experiments."""

__all__ = [
    "ENCODINGS",
    "MPS_LAYERS",
    "PAIR_ARRANGEMENTS",
    "PAPER_ENCODINGS",
    "QUAD_ARRANGEMENTS",
    "Encoding",
    "amplitude_angles",
    "amplitude_encoding",
    "amplitude_hybrid_encoding",
    "angle_compact_encoding",
    "angle_encoding",
    "angular_hybrid_encoding",
    "append_amplitude_tree",
    "magnitude_order",
    "mps_encoding",
    "mps_values",
]
