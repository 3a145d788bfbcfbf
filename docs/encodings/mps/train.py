"""200-step training of an MPS encoding on the shipped amplitude CNN's features, magnitude order applied by hand."""

import sys
import time
from dataclasses import replace

import qcnn_tl
from qcnn_tl.circuits.encoding import magnitude_order

encoding, tasks = sys.argv[1], sys.argv[2:]
for task in tasks:
    config = qcnn_tl.TrainConfig(ansatz="U_SU4", pooling="zx", encoding=encoding, task=task, steps=200, seed=0)
    data = qcnn_tl.task_data(config, data_dir="/work/shared/data", progress=False)
    order = magnitude_order(data.train_features.numpy())
    ordered = replace(data, train_features=data.train_features[:, order], test_features=data.test_features[:, order])
    t = time.perf_counter()
    result = qcnn_tl.run_training(config, f"runs/mps/{encoding}_{task.replace(',', '')}", data=ordered, progress=False)
    print(
        encoding,
        task,
        f"test accuracy {result.test_accuracy:.4f} after {result.steps} steps, {time.perf_counter() - t:.0f} s",
        flush=True,
    )
