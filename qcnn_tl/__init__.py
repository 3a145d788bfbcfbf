"""qcnn_tl: classical-to-quantum CNN transfer learning on the Qiskit stack."""
