"""Circuit drawings (matplotlib) of a whole template or one QCNN level."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt

from qcnn_tl.circuits import build_qcnn, trainable_circuit


def draw_template(
    ansatz: str,
    pooling: str,
    path: str | os.PathLike[str],
    *,
    encoding: str = "angle",
    level: int | None = None,
) -> Path:
    """Saves a drawing: the whole template (``level=None``) or one level (1-based) without encoding."""
    if level is None:
        circuit = build_qcnn(ansatz, pooling, encoding=encoding).circuit
    else:
        circuit, _ = trainable_circuit(ansatz, pooling, levels=[level - 1])
    figure = circuit.draw(output="mpl", fold=60)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)
    return out
