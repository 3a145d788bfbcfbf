"""A model with the user's own blocks: trained, written as result.json, rebuilt from its QPY in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from qcnn_tl.circuits import build_qcnn, register_ansatz, register_encoding
from qcnn_tl.cnn.task_data import TaskData
from qcnn_tl.qnn.expectations import exact_expectations
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training
from tests.circuits.test_registration import rx_encoding, ry_rz_cz_ry

pytestmark = pytest.mark.usefixtures("registries")


def separable_data(num_features: int = 8, n: int = 120) -> TaskData:
    g = torch.Generator().manual_seed(5)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, num_features, generator=g, dtype=torch.float64)
    x[:, 0] += 2.0 * y
    return TaskData(x[:80], y[:80], x[80:], y[80:], "hash", 0.9)


def run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=False)


EVALUATE = """
import sys
import numpy as np
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.evaluation import evaluate_with_engine
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig
model = RunResult.read(sys.argv[1], TrainConfig)
data = np.load(sys.argv[2])
evaluate_with_engine(model, data["features"], data["labels"], RunProfile(backend="aer"), sys.argv[3])
"""


def test_result_json_rebuilds_a_registered_ansatz_in_a_fresh_process(tmp_path):
    register_ansatz("ryrz_cz", ry_rz_cz_ry())
    config = TrainConfig(ansatz="ryrz_cz", pooling="zx", encoding="angle", steps=3, batch_size=10, checkpoint_every=3)
    data = separable_data()
    result = run_training(config, tmp_path / "run", data=data, progress=False)
    stored = json.loads((tmp_path / "run" / "result.json").read_text())
    assert [(b["kind"], b["name"], b["num_params"]) for b in stored["blocks"]] == [("ansatz", "ryrz_cz", 4)]
    features, labels = data.test_features.numpy(), data.test_labels.numpy()
    np.savez(tmp_path / "test.npz", features=features, labels=labels)
    out = run_python(EVALUATE, str(tmp_path / "run" / "result.json"), str(tmp_path / "test.npz"), str(tmp_path / "ev"))
    assert out.returncode == 0, out.stderr
    expected = exact_expectations(build_qcnn("ryrz_cz", "zx", encoding="angle"), features, np.array(result.weights))
    np.testing.assert_allclose(np.load(tmp_path / "ev" / "ideal.npy"), expected, atol=1e-12, rtol=0)
    assert RunResult.read(tmp_path / "ev" / "model.json", TrainConfig).blocks == result.blocks


def test_evaluate_refuses_a_python_input_values_function_it_cannot_rebuild(tmp_path):
    register_encoding("rx8_half", rx_encoding(), input_values=lambda f: 0.5 * f)
    config = TrainConfig(ansatz="U_TTN", pooling="zx", encoding="rx8_half", steps=2, batch_size=10, checkpoint_every=2)
    run_training(config, tmp_path / "run", data=separable_data(), progress=False)
    path = tmp_path / "run" / "result.json"
    assert RunResult.read(path, TrainConfig).config.encoding == "rx8_half"  # registered here: read back
    cli = [sys.executable, "-c", "import sys; from qcnn_tl.cli.main import main; sys.exit(main(sys.argv[1:]))"]
    out = subprocess.run([*cli, "evaluate", "--model", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"qcnn-tl evaluate: error: {Path(path)}: encoding 'rx8_half' cannot be rebuilt from the stored definition: "
        "its input_values (a Python function) is not stored; register it (qcnn_tl.register_encoding) in this "
        "process before reading the result, or use the Python API in the process that registered it"
    ]
