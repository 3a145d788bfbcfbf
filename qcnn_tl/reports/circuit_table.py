"""The table of logical templates behind ``qcnn-tl circuits``."""

from __future__ import annotations

from typing import Any

from qcnn_tl.circuits import PAPER_MODELS, build_qcnn


def circuit_table(*, encoding: str = "amplitude") -> list[dict[str, Any]]:
    """One row per paper model: weights, depth, two-qubit gate count and all gate counts."""
    rows = []
    for ansatz, pooling in PAPER_MODELS:
        t = build_qcnn(ansatz, pooling, encoding=encoding)
        ops = dict(t.circuit.count_ops())
        rows.append(
            {
                "ansatz": ansatz,
                "pooling": pooling,
                "encoding": encoding,
                "num_weights": t.num_weights,
                "num_inputs": len(t.input_params),
                "depth": t.circuit.depth(),
                "two_qubit_gates": sum(1 for inst in t.circuit.data if inst.operation.num_qubits == 2),
                "gate_counts": ops,
            }
        )
    return rows
