r"""Two-qubit pooling blocks :math:`V(\theta)` on (control → target); the control is traced out.

The pooling leaves its ``X`` on the discarded control qubit, as the reference code does: nothing measures
that qubit, so the readout is unaffected (docs/method.md, *Pooling*).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qiskit.circuit import QuantumCircuit

from qcnn_tl._registry import Registry
from qcnn_tl.circuits.ansatz import check_num_weights, controlled_u3
from qcnn_tl.circuits.user_circuits import Angle, BlockSource, CircuitBlock, block_circuit


@dataclass(frozen=True)
class Pooling:
    """A pooling block of the QCNN (docs/method.md, *Pooling*).

    Attributes:
        name: ``"zx"``, ``"generalized"``, ``"none"``, or a user's for their own block.
        num_params: Number of weights :math:`|V|` per pooling level.
        build: Appends the block on ``(control, target)``; ``None`` for no pooling.
        label: The paper's description.
    """

    name: str
    num_params: int
    build: Callable[[QuantumCircuit, Sequence[Angle], int, int], None] | None
    label: str

    def circuit(self, weights: Sequence[Angle]) -> QuantumCircuit:
        """Returns the block alone on two qubits (control 0, target 1).

        Raises:
            ValueError: If this is the no-pooling entry or ``weights`` has the wrong length.
        """
        if self.build is None:
            raise ValueError("pooling 'none' has no circuit")
        check_num_weights(f"pooling {self.name!r}", self.num_params, weights)
        qc = QuantumCircuit(2, name=f"pool_{self.name}")
        self.build(qc, weights, 0, 1)
        return qc

    @classmethod
    def from_circuit(
        cls, name: str, block: BlockSource, *, num_params: int | None = None, label: str | None = None
    ) -> Pooling:
        """A pooling from a user's two-qubit block on (control, target) = its qubits ``(0, 1)``.

        The control is discarded after the block (nothing acts on it again), the target goes on.

        Args:
            name: Its name (in results and file names).
            block: As for :meth:`Ansatz.from_circuit <qcnn_tl.circuits.ansatz.Ansatz.from_circuit>`.
            num_params: The function's number of weights (for a circuit: left out, or its parameter count).
            label: A description (default: ``"<name> (own pooling)"``).

        Raises:
            TypeError: If ``block`` is neither a circuit nor a function.
            ValueError: As for :meth:`Ansatz.from_circuit <qcnn_tl.circuits.ansatz.Ansatz.from_circuit>`.
        """
        circuit = block_circuit(block, num_params, "block")
        return cls(name, circuit.num_parameters, CircuitBlock(circuit), label or f"{name} (own pooling)")


def _zx(qc: QuantumCircuit, t: Sequence[Angle], control: int, target: int) -> None:
    qc.crz(t[0], control, target)
    qc.x(control)
    qc.crx(t[1], control, target)


def _generalized(qc: QuantumCircuit, t: Sequence[Angle], control: int, target: int) -> None:
    controlled_u3(qc, t[0:3], control, target)
    qc.x(control)
    controlled_u3(qc, t[3:6], control, target)


POOLINGS: Registry[Pooling] = Registry(
    "pooling",
    (
        ("zx", Pooling("zx", 2, _zx, "ZX pooling (paper default)")),
        ("generalized", Pooling("generalized", 6, _generalized, "generalised pooling (_R models)")),
        ("none", Pooling("none", 0, None, "no pooling")),
    ),
)
"""The pooling choices (docs/method.md, *Pooling*)."""
