"""RunResult: the one result type, its JSON round trip and one-line errors for damaged files."""

from __future__ import annotations

import json
import math

import pytest

from qcnn_tl.c2c.training import C2CConfig
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.results import CnnInfo, EngineComparison, ModelInfo, RunResult
from qcnn_tl.sweep.grid import read_result
from qcnn_tl.training.config import TrainConfig


def _qcnn(**changes):
    values = {
        "config": TrainConfig(ansatz="U_TTN", seed=3),
        "model": ModelInfo("U_TTN_zx", 12, 8),
        "test_accuracy": 0.9,
        "train_accuracy": None,
        "num_train": 100,
        "num_test": 40,
        "steps": 2,
        "loss_history": [0.7, 0.6],
        "wall_time_s": 1.5,
        "cnn": CnnInfo("abc", 0.89),
        "versions": {"qiskit": "2.6.2"},
        "weights": [0.1 * k for k in range(12)],
        "noisy_test_accuracy": {"fake_brisbane": 0.85},
        "engines": EngineComparison(40, 0.9, 0.9, 1e-15, 0.3),
    }
    return RunResult(**(values | changes))


def test_round_trip_through_a_file(tmp_path):
    result = _qcnn()
    path = result.write(tmp_path / "result.json")
    assert RunResult.read(path, TrainConfig) == result
    assert read_result(path) == result
    data = json.loads(path.read_text())
    assert data["config"]["ansatz"] == "U_TTN" and data["engines"]["aer_accuracy"] == 0.9
    assert "prepare_s" not in data and "confusion" not in data  # unset optional fields are left out


def test_a_confusion_matrix_round_trips():
    result = _qcnn(confusion=[[18, 2], [5, 15]])
    assert RunResult.from_json(json.loads(json.dumps(result.to_json())), TrainConfig) == result


def test_a_c2c_result_is_told_apart_by_its_head(tmp_path):
    head = _qcnn(config=C2CConfig(head="2d"), model=ModelInfo("C2C_2D", 76), weights=None, engines=None)
    path = head.write(tmp_path / "seed0.json")
    found = read_result(path)
    assert isinstance(found.config, C2CConfig) and found == head
    assert "weights" not in json.loads(path.read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d | {"extra": 1}, r"unknown field\(s\) \['extra'\]"),
        (lambda d: {k: v for k, v in d.items() if k != "test_accuracy"}, "missing .*test_accuracy"),
        (lambda d: d | {"config": [1]}, "config must be a JSON object; got \\[1\\]"),
        (lambda d: d | {"config": d["config"] | {"steps": 0}}, "steps must be a positive integer"),
        (lambda d: d | {"weights": [math.nan] * 12}, "weights must be 12 finite numbers"),
        (lambda d: d | {"weights": [0.0] * 11}, "weights must be 12 finite numbers"),
        (lambda d: d | {"test_accuracy": "0.9"}, "test_accuracy must be a number"),
        (lambda d: d | {"blocks": {"kind": "ansatz"}}, "blocks must be a JSON array"),
        (lambda d: d | {"confusion": [[1, 2], [3]]}, "confusion must be a k x k array of counts"),
        (lambda d: d | {"confusion": [[1, -1], [0, 40]]}, "confusion must be a k x k array of counts"),
        (lambda d: d | {"confusion": [[1, 2], [3, 4]]}, "confusion counts 10 samples, num_test 40"),
        (lambda d: d | {"blocks": [{"kind": "ansatz", "name": "a", "num_params": 1}]}, r"lacks field\(s\) \['qpy'\]"),
    ],
)
def test_damaged_results_are_one_line_naming_the_file(tmp_path, change, message):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(change(_qcnn().to_json())))
    with pytest.raises(QcnnTlError, match=rf"result\.json is not a qcnn_tl run result: .*{message}"):
        RunResult.read(path, TrainConfig)


def test_the_users_blocks_are_stored_and_registered_on_reading(tmp_path, registries):
    from qcnn_tl.circuits import ANSATZES, block_definitions, register_ansatz
    from tests.circuits.test_registration import ry_rz_cz_ry

    register_ansatz("ryrz_cz", ry_rz_cz_ry())
    blocks = block_definitions("ryrz_cz", "zx", "amplitude")
    config, model = TrainConfig(ansatz="ryrz_cz", seed=3), ModelInfo("ryrz_cz_zx", 18, 8)
    result = _qcnn(config=config, model=model, weights=[0.0] * 18, blocks=blocks)
    data = result.to_json()
    assert data["blocks"] == [b.to_json() for b in blocks]
    assert "blocks" not in _qcnn().to_json()  # built-in blocks only: nothing stored, as in older files
    ANSATZES._entries.pop("ryrz_cz")  # as in a fresh process
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data))
    assert RunResult.read(path, TrainConfig) == result
    assert ANSATZES["ryrz_cz"].num_params == 4
