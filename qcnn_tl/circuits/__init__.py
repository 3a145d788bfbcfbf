"""Qiskit-only circuit library: ansatzes, poolings, encodings and the QCNN template (no torch here)."""

from qcnn_tl.circuits.ansatz import ANSATZES, Ansatz
from qcnn_tl.circuits.encoding import (
    ENCODINGS,
    PAPER_ENCODINGS,
    Encoding,
    amplitude_angles,
    amplitude_encoding,
    amplitude_hybrid_encoding,
    angle_compact_encoding,
    angle_encoding,
    angular_hybrid_encoding,
)
from qcnn_tl.circuits.pooling import POOLINGS, Pooling
from qcnn_tl.circuits.qcnn import (
    PAPER_MODELS,
    QCNNLevel,
    QCNNTemplate,
    build_qcnn,
    qcnn_layout,
    readout_observable,
    readout_qubit,
    trainable_circuit,
)

__all__ = [
    "ANSATZES",
    "ENCODINGS",
    "PAPER_ENCODINGS",
    "PAPER_MODELS",
    "POOLINGS",
    "Ansatz",
    "Encoding",
    "Pooling",
    "QCNNLevel",
    "QCNNTemplate",
    "amplitude_angles",
    "amplitude_encoding",
    "amplitude_hybrid_encoding",
    "angle_compact_encoding",
    "angle_encoding",
    "angular_hybrid_encoding",
    "build_qcnn",
    "qcnn_layout",
    "readout_observable",
    "readout_qubit",
    "trainable_circuit",
]
