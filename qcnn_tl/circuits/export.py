"""Exported templates: QPY and OpenQASM 3 files of every paper model, diffable in review.

By default the paper's two encodings are exported (the files committed under ``circuits/``); any other
encodings of the registry can be asked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from qiskit import QuantumCircuit, qasm3, qpy

from qcnn_tl.circuits.encoding import PAPER_ENCODINGS
from qcnn_tl.circuits.qcnn import PAPER_MODELS, QCNNTemplate, build_qcnn


def exported_templates(encodings: Sequence[str] = PAPER_ENCODINGS) -> list[QCNNTemplate]:
    """Every paper model with each of ``encodings``, in a fixed order.

    Raises:
        ValueError: On an unknown encoding name.
    """
    return [build_qcnn(a, p, encoding=e) for e in encodings for a, p in PAPER_MODELS]


def export_templates(directory: str | os.PathLike[str], encodings: Sequence[str] = PAPER_ENCODINGS) -> list[Path]:
    """Writes ``<name>.qpy`` and ``<name>.qasm`` for every exported template.

    Args:
        directory: Output folder (created if needed).
        encodings: Encoding names; the paper's two by default.

    Returns:
        The files written.
    """
    templates = exported_templates(encodings)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for template in templates:
        qpy_path = out / f"{template.name}.qpy"
        with qpy_path.open("wb") as handle:
            qpy.dump(template.circuit, handle)
        qasm_path = out / f"{template.name}.qasm"
        qasm_path.write_text(qasm3.dumps(template.circuit) + "\n")
        written += [qpy_path, qasm_path]
    return written


def load_qpy(path: str | os.PathLike[str]) -> QuantumCircuit:
    """Loads one exported template."""
    with Path(path).open("rb") as handle:
        return qpy.load(handle)[0]
