r"""Two-qubit convolution blocks :math:`U(\theta)` of the QCNN (docs/method.md, *Convolution ansatzes*).

Each ansatz acts on an ordered pair ``(a, b)``; "CRZ b→a" means control ``b``, target ``a``. The gates
and the order of the weights follow the authors' reference code exactly, so a weight vector means the
same model here and there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qiskit.circuit import QuantumCircuit
from qiskit.circuit.library import CUGate

from qcnn_tl._registry import Registry
from qcnn_tl.circuits.user_circuits import Angle, BlockSource, CircuitBlock, block_circuit


@dataclass(frozen=True)
class Ansatz:
    """A two-qubit convolution block of the QCNN (docs/method.md, *Convolution ansatzes*).

    Attributes:
        name: The paper's name (``"U_SU4"``), or a user's for their own block.
        num_params: Number of weights :math:`|U|`.
        build: Appends the block to ``circuit`` on qubits ``(a, b)`` with the given weights.
    """

    name: str
    num_params: int
    build: Callable[[QuantumCircuit, Sequence[Angle], int, int], None]

    def circuit(self, weights: Sequence[Angle]) -> QuantumCircuit:
        """Returns the block alone on a two-qubit circuit (``a = 0``, ``b = 1``).

        Raises:
            ValueError: If ``weights`` does not hold ``num_params`` entries.
        """
        check_num_weights(self.name, self.num_params, weights)
        qc = QuantumCircuit(2, name=self.name)
        self.build(qc, weights, 0, 1)
        return qc

    @classmethod
    def from_circuit(cls, name: str, block: BlockSource, *, num_params: int | None = None) -> Ansatz:
        """An ansatz from a user's two-qubit block, applied on each pair ``(a, b)`` as on its qubits ``(0, 1)``.

        Args:
            name: Its name (in results and file names).
            block: A two-qubit circuit whose parameters, in ``circuit.parameters`` order (sorted by name,
                ``ParameterVector`` elements by index), take the level's weights; or a function that takes a
                ``ParameterVector`` of ``num_params`` weights and returns such a circuit. Gates other than
                Qiskit's standard ones are unrolled through their definitions.
            num_params: The function's number of weights (for a circuit: left out, or its parameter count).

        Raises:
            TypeError: If ``block`` is neither a circuit nor a function.
            ValueError: If the block is not on two qubits, its parameters do not fit ``num_params``, or it
                holds a non-unitary instruction or a gate that cannot be unrolled.

        >>> from qiskit.circuit import ParameterVector
        >>> t = ParameterVector("t", 2)
        >>> qc = QuantumCircuit(2)
        >>> _ = qc.ry(t[0], 0), qc.ry(t[1], 1), qc.cz(0, 1)
        >>> Ansatz.from_circuit("ry_cz", qc).num_params
        2
        """
        circuit = block_circuit(block, num_params, "block")
        return cls(name, circuit.num_parameters, CircuitBlock(circuit))


def check_num_weights(name: str, expected: int, weights: Sequence[Angle]) -> None:
    """Raises ``ValueError`` unless ``weights`` has ``expected`` entries."""
    if len(weights) != expected:
        raise ValueError(f"{name} needs weights of length {expected}; got {len(weights)}")


def controlled_u3(qc: QuantumCircuit, t: Sequence[Angle], control: int, target: int) -> None:
    """Appends a controlled-U3, Qiskit ``CUGate(θ, φ, λ, 0)`` exactly (not a controlled Rot)."""
    qc.append(CUGate(t[0], t[1], t[2], 0.0), [control, target])


def _ttn(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.ry(t[0], a)
    qc.ry(t[1], b)
    qc.cx(a, b)


def _sim_5_6(controlled: str) -> Callable[[QuantumCircuit, Sequence[Angle], int, int], None]:
    def build(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
        gate = getattr(qc, controlled)
        qc.rx(t[0], a)
        qc.rx(t[1], b)
        qc.rz(t[2], a)
        qc.rz(t[3], b)
        gate(t[4], b, a)
        gate(t[5], a, b)
        qc.rx(t[6], a)
        qc.rx(t[7], b)
        qc.rz(t[8], a)
        qc.rz(t[9], b)

    return build


def _u9(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.h(a)
    qc.h(b)
    qc.cz(a, b)
    qc.rx(t[0], a)
    qc.rx(t[1], b)


def _sim_13_14(controlled: str) -> Callable[[QuantumCircuit, Sequence[Angle], int, int], None]:
    def build(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
        gate = getattr(qc, controlled)
        qc.ry(t[0], a)
        qc.ry(t[1], b)
        gate(t[2], b, a)
        qc.ry(t[3], a)
        qc.ry(t[4], b)
        gate(t[5], a, b)

    return build


def _u15(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.ry(t[0], a)
    qc.ry(t[1], b)
    qc.cx(b, a)
    qc.ry(t[2], a)
    qc.ry(t[3], b)
    qc.cx(a, b)


def _so4(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.ry(t[0], a)
    qc.ry(t[1], b)
    qc.cx(a, b)
    qc.ry(t[2], a)
    qc.ry(t[3], b)
    qc.cx(a, b)
    qc.ry(t[4], a)
    qc.ry(t[5], b)


def _su4(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.u(t[0], t[1], t[2], a)
    qc.u(t[3], t[4], t[5], b)
    qc.cx(a, b)
    qc.ry(t[6], a)
    qc.rz(t[7], b)
    qc.cx(b, a)
    qc.ry(t[8], a)
    qc.cx(a, b)
    qc.u(t[9], t[10], t[11], a)
    qc.u(t[12], t[13], t[14], b)


def _con_z(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.cz(a, b)


def _ansatz_10(qc: QuantumCircuit, t: Sequence[Angle], a: int, b: int) -> None:
    qc.u(t[0], t[1], t[2], a)
    controlled_u3(qc, t[3:6], a, b)
    qc.x(a)
    controlled_u3(qc, t[6:9], a, b)
    qc.x(a)


ANSATZES: Registry[Ansatz] = Registry(
    "ansatz",
    (
        (entry.name, entry)
        for entry in (
            Ansatz("Con_Z", 0, _con_z),
            Ansatz("U_TTN", 2, _ttn),
            Ansatz("U_9", 2, _u9),
            Ansatz("U_15", 4, _u15),
            Ansatz("U_13", 6, _sim_13_14("crz")),
            Ansatz("U_14", 6, _sim_13_14("crx")),
            Ansatz("U_SO4", 6, _so4),
            Ansatz("U_5", 10, _sim_5_6("crz")),
            Ansatz("U_6", 10, _sim_5_6("crx")),
            Ansatz("U_SU4", 15, _su4),
            Ansatz("ansatz_10", 9, _ansatz_10),
        )
    ),
)
"""Every convolution ansatz in the paper's numbering order, ansatz_10 last (docs/method.md, *Convolution ansatzes*)."""
