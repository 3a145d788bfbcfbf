"""Fidelity of the mps2-L encodings on the shipped amplitude CNN's MNIST features (test split)."""
# The sequential algorithm's residual gives every fidelity at once (private helpers of the module; the tests
# prove they match the circuits), Statevector of the registered templates checks 20 samples per task.

import sys
import time

import numpy as np
from qiskit.quantum_info import Statevector

import qcnn_tl
from qcnn_tl.circuits.encoding import ENCODINGS, magnitude_order
from qcnn_tl.circuits.encoding.mps import _apply_inverse, _layer_angles, mps_line

tasks = sys.argv[1:] or ["0,1"]
for task in tasks:
    config = qcnn_tl.TrainConfig(ansatz="U_SU4", pooling="zx", encoding="amplitude", task=task, steps=1)
    data = qcnn_tl.task_data(config, data_dir="/work/shared/data", progress=False)
    train, test = data.train_features.numpy(), data.test_features.numpy()
    order = magnitude_order(train)
    for label, feats in (("magnitude order", test[:, order]), ("CNN order", test)):
        psi = feats / np.linalg.norm(feats, axis=1, keepdims=True)
        fids = []
        for _ in range(6):
            angles = _layer_angles(psi, 8)
            psi = _apply_inverse(psi, angles, 8)
            fids.append(np.mean(psi[:, 0] ** 2))
        print(task, label, "mean fidelity L=1..6:", " ".join(f"{f:.4f}" for f in fids), flush=True)
    # cross-check 20 samples against Statevector of the registered templates
    ordered = test[:20, order]
    line = mps_line(8)
    idx = np.array([sum(((k >> (7 - j)) & 1) << q for j, q in enumerate(line)) for k in range(256)])
    for name in ("mps2-1", "mps2-2", "mps2-3"):
        circ, params = ENCODINGS[name].build(8)
        vals = ENCODINGS[name].input_values(ordered)
        f = [
            abs(
                Statevector(circ.assign_parameters(dict(zip(params, v, strict=True)))).data[idx]
                @ (x / np.linalg.norm(x))
            )
            ** 2
            for x, v in zip(ordered, vals, strict=True)
        ]
        print(task, name, "Statevector fidelity on 20 test samples", f"{np.mean(f):.4f}", flush=True)
    both = np.concatenate([train, test])[:, order]
    for name in ("mps2-1", "mps2-3"):
        t = time.perf_counter()
        ENCODINGS[name].input_values(both)
        print(task, name, f"input_values for {len(both)} samples: {time.perf_counter() - t:.1f} s", flush=True)
