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
from qcnn_tl.circuits.registration import (
    BlockDefinition,
    block_definitions,
    register_ansatz,
    register_encoding,
    register_pooling,
    restore_blocks,
)

__all__ = [
    "ANSATZES",
    "ENCODINGS",
    "PAPER_ENCODINGS",
    "PAPER_MODELS",
    "POOLINGS",
    "Ansatz",
    "BlockDefinition",
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
    "block_definitions",
    "build_qcnn",
    "qcnn_layout",
    "readout_observable",
    "readout_qubit",
    "register_ansatz",
    "register_encoding",
    "register_pooling",
    "restore_blocks",
    "trainable_circuit",
]
