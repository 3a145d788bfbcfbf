"""Fidelity of the exact bond-dimension-chi truncation (chi = 2, 4, 8): the product of the weights kept at each cut."""

import numpy as np

import qcnn_tl
from qcnn_tl.circuits.encoding import magnitude_order

for task in ("0,1", "2,3", "8,9"):
    config = qcnn_tl.TrainConfig(encoding="amplitude", task=task, steps=1)
    data = qcnn_tl.task_data(config, data_dir="/work/shared/data", progress=False)
    order = magnitude_order(data.train_features.numpy())
    x = data.test_features.numpy()[:, order]
    psi = x / np.linalg.norm(x, axis=1, keepdims=True)
    out = []
    for chi in (2, 4, 8):
        rest = psi.reshape(len(psi), 1, -1)
        left = 1
        fid = np.ones(len(psi))
        # fidelity of sequential truncation = product over cuts of kept weight (left-canonical sweep)
        for _ in range(7):
            m = rest.reshape(len(psi), left * 2, -1)
            u, s, vt = np.linalg.svd(m, full_matrices=False)
            keep = min(chi, s.shape[1])
            w = (s[:, :keep] ** 2).sum(1)
            fid *= w
            rest = (s[:, :keep, None] * vt[:, :keep]) / np.sqrt(w)[:, None, None]
            left = keep
        out.append(f"chi={chi}: {fid.mean():.4f}")
    print(task, *out, flush=True)
