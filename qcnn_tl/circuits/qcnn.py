r"""The QCNN template: encoding, then convolution and pooling levels, read out on one qubit.

The layout, readout qubit and weight order are those of docs/method.md, *QCNN layout* and *Weight order*.

Levels follow one hierarchical rule on the list of active qubits :math:`A` (all qubits at first):

* convolution: :math:`U` on :math:`(A_0, A_{-1})` when :math:`|A| > 2`, then on the even neighbour
  pairs :math:`(A_0, A_1), (A_2, A_3), \dots`, then on the odd ones :math:`(A_1, A_2), \dots`;
* pooling: :math:`V` on :math:`(A_{2i+1} \to A_{2i})`, keeping the even positions, except the last
  level (:math:`|A| = 2`) which pools :math:`A_0 \to A_1`.

For 8 qubits this gives exactly the authors' layout and readout qubit 4. Weights are shared within a
level and ordered ``[conv_1 | … | conv_L | pool_1 | … | pool_L]`` as in the reference code.

A :math:`k`-class template (:math:`k > 2`) reads :math:`m = \lceil\log_2 k\rceil` qubits: the levels stop
before a pooling would leave fewer than :math:`m` active qubits (that level keeps its convolution), and the
readout qubits are the first :math:`m` active ones (docs/explanation/multiclass.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl._registry import Registry
from qcnn_tl.circuits.ansatz import ANSATZES, Ansatz
from qcnn_tl.circuits.encoding import ENCODINGS, Encoding
from qcnn_tl.circuits.pooling import POOLINGS, Pooling
from qcnn_tl.circuits.user_circuits import unrolled

Pair = tuple[int, int]
B = TypeVar("B", Ansatz, Pooling, Encoding)


def resolve_block(registry: Registry[B], block: str | B, argument: str, cls: type[B]) -> B:
    """The entry a name stands for, or the object itself when it is not registered under its name as another.

    Raises:
        TypeError: If ``block`` is neither a name nor a ``cls``.
        ValueError: On an unknown name, or an object named like a different registered entry.
    """
    if isinstance(block, str):
        return registry[block]
    if not isinstance(block, cls):
        raise TypeError(f"{argument} must be a name or an {cls.__name__}; got {type(block).__name__}")
    if block.name in registry and registry[block.name] != block:
        raise ValueError(
            f"{argument} must not take the name of a different registered {argument}; got {block.name!r} "
            "(register yours under a name of its own)"
        )
    return block


@dataclass(frozen=True)
class QCNNLevel:
    """One level of the QCNN.

    Attributes:
        conv_pairs: Ordered ``(a, b)`` pairs the convolution block acts on, in application order.
        pool_pairs: ``(control, target)`` pairs of the pooling; the controls are discarded.
    """

    conv_pairs: tuple[Pair, ...]
    pool_pairs: tuple[Pair, ...]


def _check_num_qubits(num_qubits: int) -> None:
    if not isinstance(num_qubits, int) or num_qubits < 2 or num_qubits & (num_qubits - 1):
        raise ValueError(f"num_qubits must be a power of two ≥ 2 (4, 8, 16); got {num_qubits!r}")


def qcnn_layout(num_qubits: int = 8, *, num_readout: int = 1) -> tuple[QCNNLevel, ...]:
    r"""The convolution and pooling pairs of every level.

    Args:
        num_qubits: A power of two ≥ 2.
        num_readout: Qubits read out, :math:`m` (1: the binary template). Pooling stops before it would leave
            fewer than :math:`m` active qubits; the level where it stops keeps its convolution and has no
            ``pool_pairs``.

    Returns:
        One :class:`QCNNLevel` per halving, :math:`\log_2 n` in all for :math:`m = 1`.

    Raises:
        ValueError: If ``num_qubits`` is not a power of two ≥ 2 or ``num_readout`` not in ``1..num_qubits``.

    >>> [level.pool_pairs for level in qcnn_layout(8)]
    [((1, 0), (3, 2), (5, 4), (7, 6)), ((2, 0), (6, 4)), ((0, 4),)]
    >>> [level.pool_pairs for level in qcnn_layout(8, num_readout=2)]
    [((1, 0), (3, 2), (5, 4), (7, 6)), ((2, 0), (6, 4)), ()]
    """
    _check_num_qubits(num_qubits)
    if not isinstance(num_readout, int) or not 1 <= num_readout <= num_qubits:
        raise ValueError(f"num_readout must be an integer in 1..{num_qubits}; got {num_readout!r}")
    active = list(range(num_qubits))
    levels = []
    while len(active) > 1 and len(active) >= num_readout:
        conv: list[Pair] = [(active[0], active[-1])] if len(active) > 2 else []
        conv += [(active[i], active[i + 1]) for i in range(0, len(active) - 1, 2)]
        conv += [(active[i], active[i + 1]) for i in range(1, len(active) - 1, 2)]
        if len(active) // 2 < num_readout:
            levels.append(QCNNLevel(tuple(conv), ()))
            break
        if len(active) > 2:
            pool = tuple((active[i + 1], active[i]) for i in range(0, len(active), 2))
            active = active[::2]
        else:
            pool = ((active[0], active[1]),)
            active = active[1:]
        levels.append(QCNNLevel(tuple(conv), pool))
    return tuple(levels)


def readout_qubit(num_qubits: int = 8) -> int:
    """The qubit left after all pooling levels (4 for 8 qubits)."""
    return qcnn_layout(num_qubits)[-1].pool_pairs[-1][1]


def num_readout_qubits(num_classes: int) -> int:
    r"""Qubits a :math:`k`-class readout needs, :math:`m = \lceil \log_2 k\rceil` (1 for a binary task)."""
    return max(1, (num_classes - 1).bit_length())


def readout_qubits(num_qubits: int = 8, *, num_classes: int = 2) -> tuple[int, ...]:
    """The readout qubits of a ``num_classes``-class template: the first :math:`m` qubits left active.

    Readout qubit :math:`j` is bit :math:`j` of the measured outcome (outcome :math:`c` is class :math:`c`).

    >>> readout_qubits(8, num_classes=4), readout_qubits(8, num_classes=10)
    ((0, 4), (0, 2, 4, 6))
    """
    if num_classes == 2:
        return (readout_qubit(num_qubits),)
    m = num_readout_qubits(num_classes)
    layout = qcnn_layout(num_qubits, num_readout=m)
    discarded = {control for level in layout for control, _ in level.pool_pairs}
    return tuple(q for q in range(num_qubits) if q not in discarded)[:m]


def trainable_circuit(
    ansatz: str | Ansatz = "U_SU4",
    pooling: str | Pooling = "zx",
    *,
    num_qubits: int = 8,
    levels: Sequence[int] | None = None,
    num_readout: int = 1,
) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
    """The trainable part of the QCNN: all convolution and pooling levels.

    Args:
        ansatz: A name from :data:`~qcnn_tl.circuits.ansatz.ANSATZES`, or an :class:`Ansatz`.
        pooling: A name from :data:`~qcnn_tl.circuits.pooling.POOLINGS`, or a :class:`Pooling`.
        num_qubits: A power of two ≥ 2.
        levels: Only these levels (0-based), e.g. for drawing one level; all by default. The weight
            vector stays the full one.
        num_readout: Qubits read out (:func:`qcnn_layout`); the weights are ``[conv_1 … | pool_1 …]`` over the
            levels and poolings it keeps.

    Returns:
        The circuit and its weight parameters ``w`` in the reference order.

    Raises:
        TypeError: If a block is neither a name nor an entry.
        ValueError: On an unknown name, a bad ``num_qubits`` or level, or a model with no weights.
    """
    conv = resolve_block(ANSATZES, ansatz, "ansatz", Ansatz)
    pool = resolve_block(POOLINGS, pooling, "pooling", Pooling)
    layout = qcnn_layout(num_qubits, num_readout=num_readout)
    num_levels = len(layout)
    num_pools = sum(1 for level in layout if level.pool_pairs)
    num_weights = num_levels * conv.num_params + num_pools * pool.num_params
    if num_weights == 0:
        raise ValueError(f"ansatz {conv.name!r} with pooling {pool.name!r} has no trainable weights")
    chosen = range(num_levels) if levels is None else levels
    if any(level not in range(num_levels) for level in chosen):
        raise ValueError(f"levels must be in 0..{num_levels - 1}; got {list(chosen)}")
    w = ParameterVector("w", num_weights)
    qc = QuantumCircuit(num_qubits, name=f"qcnn_{conv.name}_{pool.name}")
    pool_offset = num_levels * conv.num_params
    for index, level in enumerate(layout):
        if index not in chosen:
            continue
        conv_w = w[index * conv.num_params : (index + 1) * conv.num_params]
        for a, b in level.conv_pairs:
            conv.build(qc, conv_w, a, b)
        if pool.build is not None:
            start = pool_offset + index * pool.num_params
            pool_w = w[start : start + pool.num_params]
            for control, target in level.pool_pairs:
                pool.build(qc, pool_w, control, target)
    return qc, tuple(w)


def readout_observable(num_qubits: int = 8) -> SparsePauliOp:
    """:math:`Z` on the readout qubit, as a ``SparsePauliOp`` over all qubits."""
    return SparsePauliOp.from_sparse_list([("Z", [readout_qubit(num_qubits)], 1.0)], num_qubits)


def readout_observables(qubits: Sequence[int], num_qubits: int = 8) -> tuple[SparsePauliOp, ...]:
    r"""The Z-strings on the readout qubits whose expectation values give their marginal distribution.

    String :math:`s = 1, \dots, 2^m - 1` is :math:`Z_s = \prod_{j:\, s_j = 1} Z_{q_j}` (bit :math:`j` of
    :math:`s` picks readout qubit :math:`q_j`); with :math:`\langle Z_0\rangle = 1`, the probability of outcome
    :math:`b` is :math:`P(b) = 2^{-m}\sum_s (-1)^{|b \wedge s|}\langle Z_s\rangle` (:mod:`qcnn_tl.qnn.readout`).

    >>> [o.paulis[0].to_label() for o in readout_observables((0, 4))]
    ['IIIIIIIZ', 'IIIZIIII', 'IIIZIIIZ']
    """
    return tuple(
        SparsePauliOp.from_sparse_list(
            [("Z" * s.bit_count(), [q for j, q in enumerate(qubits) if s >> j & 1], 1.0)], num_qubits
        )
        for s in range(1, 1 << len(qubits))
    )


@dataclass(frozen=True)
class QCNNTemplate:
    r"""A full QCNN template: encoding followed by the trainable levels.

    Attributes:
        circuit: The parameterised circuit (no measurements, no resets).
        input_params: Encoding parameters, bound per sample.
        weight_params: Trainable weights in the reference order.
        observable: :math:`Z` on the readout qubit; :math:`P(1) = (1 - \langle Z\rangle)/2`.
        ansatz: Convolution ansatz name.
        pooling: Pooling name.
        encoding: Encoding name.
        encoding_entry: The encoding itself (features to input values).
        num_classes: Classes :math:`k` of the readout: 2 reads ``observable``; :math:`k > 2` reads the
            marginal of the readout qubits from ``observables`` (``observable`` is then their first).
    """

    circuit: QuantumCircuit
    input_params: tuple[Parameter, ...]
    weight_params: tuple[Parameter, ...]
    observable: SparsePauliOp
    ansatz: str
    pooling: str
    encoding: str
    encoding_entry: Encoding = field(repr=False)
    num_classes: int = 2

    @property
    def readout_qubits(self) -> tuple[int, ...]:
        """The qubits read out (:func:`readout_qubits`): ``(4,)`` for a binary template on 8 qubits."""
        return readout_qubits(self.num_qubits, num_classes=self.num_classes)

    @property
    def observables(self) -> tuple[SparsePauliOp, ...]:
        """What the engines estimate: ``(observable,)`` for 2 classes, else :func:`readout_observables`."""
        if self.num_classes == 2:
            return (self.observable,)
        return readout_observables(self.readout_qubits, self.num_qubits)

    @property
    def num_qubits(self) -> int:
        """Number of qubits."""
        return self.circuit.num_qubits

    @property
    def num_weights(self) -> int:
        """Number of trainable weights."""
        return len(self.weight_params)

    @property
    def num_features(self) -> int:
        """Feature width the encoding takes."""
        return self.encoding_entry.num_features(self.num_qubits)

    @property
    def name(self) -> str:
        """A file-safe name, ``"<encoding>_<ansatz>_<pooling>"``, then ``"_k<num_classes>"`` for :math:`k > 2`."""
        suffix = f"_k{self.num_classes}" if self.num_classes > 2 else ""
        return f"{self.encoding}_{self.ansatz}_{self.pooling}{suffix}"

    def input_values(self, features: np.ndarray) -> np.ndarray:
        """Maps features ``(N, num_features)`` to input-parameter values ``(N, len(input_params))``.

        Raises:
            ValueError: On the wrong width, non-finite values, or (amplitude families) a zero block.
        """
        array = np.asarray(features)
        width = array.shape[-1] if array.ndim else 0
        if array.ndim not in (1, 2) or width != self.num_features:
            raise ValueError(
                f"{self.encoding} encoding on {self.num_qubits} qubits needs features of shape "
                f"(N, {self.num_features}); got {array.shape}"
            )
        return self.encoding_entry.input_values(array)

    def parameter_rows(self, parameters: Sequence[Parameter], inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Binding rows for ``parameters`` (a transpiled circuit's order): each sample's inputs with its weights.

        Args:
            parameters: The circuit's parameters, each an input or weight parameter of this template (by name).
            inputs: Input-parameter values ``(N, len(input_params))`` (:meth:`input_values`).
            weights: Weights ``(num_weights,)`` shared by every sample, or ``(N, num_weights)``.

        Returns:
            Rows ``(N, len(parameters))``.

        Raises:
            ValueError: If a parameter is not the template's.
        """
        values = np.concatenate([inputs, np.broadcast_to(weights, (len(inputs), self.num_weights))], axis=1)
        column = {p.name: i for i, p in enumerate((*self.input_params, *self.weight_params))}
        unknown = [p.name for p in parameters if p.name not in column]
        if unknown:
            raise ValueError(f"the circuit has parameters the template does not: {unknown[:5]}")
        return values[:, [column[p.name] for p in parameters]]


def build_qcnn(
    ansatz: str | Ansatz = "U_SU4",
    pooling: str | Pooling = "zx",
    *,
    encoding: str | Encoding = "amplitude",
    num_qubits: int = 8,
    num_classes: int = 2,
) -> QCNNTemplate:
    """Builds the QCNN template for one (ansatz, pooling, encoding).

    Each block is a registry name or the entry itself: one of the user's own
    (:func:`~qcnn_tl.circuits.registration.register_ansatz`, :meth:`Ansatz.from_circuit`, …) goes through
    every engine like a built-in.

    Args:
        ansatz: Convolution ansatz (docs/method.md, *Convolution ansatzes*).
        pooling: ``"zx"``, ``"generalized"``, ``"none"``, or one of the user's.
        encoding: A name from :data:`~qcnn_tl.circuits.encoding.ENCODINGS` (the paper: ``"amplitude"`` or
            ``"angle"``; the hybrid encodings need 8 qubits), or an :class:`Encoding`.
        num_qubits: A power of two ≥ 2; 8 reproduces the paper.
        num_classes: Classes :math:`k` read out: 2 (the paper's template) up to :math:`2^n`.

    Returns:
        The template.

    Raises:
        TypeError: If a block is neither a name nor an entry.
        ValueError: On an unknown name, an entry named like a different registered one, a bad ``num_qubits``
            (or one the encoding is not defined on) or ``num_classes``, or a model with no weights.

    >>> t = build_qcnn("U_SU4", "zx")
    >>> t.num_weights, len(t.input_params), t.observable.paulis[0].to_label()
    (51, 255, 'IIIZIIII')
    """
    enc = resolve_block(ENCODINGS, encoding, "encoding", Encoding)
    conv = resolve_block(ANSATZES, ansatz, "ansatz", Ansatz)
    pool = resolve_block(POOLINGS, pooling, "pooling", Pooling)
    _check_num_qubits(num_qubits)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or not 2 <= num_classes <= 1 << num_qubits:
        raise ValueError(
            f"num_classes must be an integer in 2..{1 << num_qubits} (2^num_qubits outcomes); got {num_classes!r}"
        )
    m = num_readout_qubits(num_classes)
    weights_qc, weight_params = trainable_circuit(conv, pool, num_qubits=num_qubits, num_readout=m)
    enc_qc, input_params = enc.build(num_qubits)
    # The barrier keeps every encoding gate, and the routing it needs on a device, before the first
    # weight-dependent gate, so an ISA circuit splits into an encoding part and a trainable part (the noisy
    # engine needs that: with noise, a SWAP cannot be moved past the gates before it).
    circuit = enc_qc.copy()
    circuit.barrier()
    circuit.compose(weights_qc, inplace=True)
    # Entries given as objects may build with any gates; every engine runs Qiskit's standard ones.
    circuit = unrolled(circuit, "template")
    circuit.name = f"{enc.name}_{conv.name}_{pool.name}" + (f"_k{num_classes}" if num_classes > 2 else "")
    observable = (
        readout_observable(num_qubits)
        if m == 1
        else readout_observables(readout_qubits(num_qubits, num_classes=num_classes), num_qubits)[0]
    )
    return QCNNTemplate(
        circuit=circuit,
        input_params=input_params,
        weight_params=weight_params,
        observable=observable,
        ansatz=conv.name,
        pooling=pool.name,
        encoding=enc.name,
        encoding_entry=enc,
        num_classes=num_classes,
    )


PAPER_MODELS: tuple[tuple[str, str], ...] = (
    *((ansatz, pooling) for ansatz in ANSATZES if ansatz != "ansatz_10" for pooling in ("zx", "generalized")),
    ("U_SU4", "none"),
    ("ansatz_10", "none"),
)
"""The (ansatz, pooling) models of the paper's figure, in its order."""
