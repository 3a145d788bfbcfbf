"""Exported templates: QPY and OpenQASM 3 files of every paper model, diffable in review."""

from __future__ import annotations

import os
from pathlib import Path

from qiskit import QuantumCircuit, qasm3, qpy

from qcnn_tl.circuits.qcnn import PAPER_MODELS, QCNNTemplate, build_qcnn

ENCODINGS_EXPORTED = ("amplitude", "angle")


def exported_templates() -> list[QCNNTemplate]:
    """Every paper model with both encodings, in a fixed order."""
    return [build_qcnn(a, p, encoding=e) for e in ENCODINGS_EXPORTED for a, p in PAPER_MODELS]


def export_templates(directory: str | os.PathLike[str]) -> list[Path]:
    """Writes ``<name>.qpy`` and ``<name>.qasm`` for every exported template.

    Returns:
        The files written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for template in exported_templates():
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
