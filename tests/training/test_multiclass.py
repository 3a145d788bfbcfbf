"""k-class training: the readout's cross-entropy trains, k-class configs validate, one-vs-rest."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cnn.task_data import TaskData
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.readout import confusion_matrix, predict
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import train_repetitions
from qcnn_tl.training.loop import evaluate, train_qcnn
from qcnn_tl.training.one_vs_rest import one_vs_rest_tasks, train_one_vs_rest


def three_classes(rng, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Angle features whose class shifts two of the eight angles."""
    y = rng.integers(0, 3, size=n)
    x = rng.normal(scale=0.3, size=(n, 8))
    for c in range(3):
        x[y == c, 2 * c : 2 * c + 2] += np.pi / 2
    return torch.as_tensor(x), torch.as_tensor(y)


def test_k_class_training_lowers_the_loss_and_replicas_match(rng):
    x, y = three_classes(rng, 200)
    config = TrainConfig(encoding="angle", task="0,1,2", steps=30, seed=1)
    template = build_qcnn("U_SU4", "zx", encoding="angle", num_classes=3)
    model = ExactQCNN(template)
    prepared = model.prepare(x)
    state = train_qcnn(model, config, prepared, y, progress=False)
    (history,) = state.loss_history
    assert np.mean(history[-5:]) < np.mean(history[:5])
    assert evaluate(model, prepared, y)[0] > 0.5  # chance: 1/3
    group = ExactQCNN(template, replicas=2)
    together = train_qcnn(group, config, prepared, y, seeds=[1, 4], progress=False)
    assert together.loss_history[0] == pytest.approx(history, rel=1e-8)  # round-off, grown over 30 steps


def test_each_replica_records_its_own_test_confusion(rng):
    x, y = three_classes(rng, 160)
    data = TaskData(x[:120], y[:120], x[120:], y[120:], "hash", None)
    config = TrainConfig(encoding="angle", task="0,1,2", steps=10, seed=1)
    results = train_repetitions(config, [1, 2], data=data, progress=False)
    template = build_qcnn("U_SU4", "zx", encoding="angle", num_classes=3)
    for result in results:
        assert result.confusion is not None
        counts = torch.tensor(result.confusion)
        assert counts.shape == (3, 3) and counts.sum(1).tolist() == torch.bincount(y[120:], minlength=3).tolist()
        model = ExactQCNN(template)
        with torch.no_grad():
            model.weight.copy_(torch.tensor(result.weights))
        predicted = predict(model(model.prepare(x[120:])), 3)
        assert result.confusion == confusion_matrix(predicted, y[120:], 3).tolist()
        assert result.test_accuracy == pytest.approx(int(counts.trace()) / 40, abs=1e-7)
    assert results[0].confusion != results[1].confusion


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"task": "0,1,2,3", "loss": "mse"}, "loss 'mse' is binary-only"),
        ({"task": "0,1,1"}, "names a class twice: 1"),
        ({"task": "0,1,2,10"}, "no class '10'"),
        ({"task": "all", "dataset": "imagefolder:/nowhere"}, None),
    ],
)
def test_k_class_config_errors(settings, message):
    if message is None:
        with pytest.raises(ValueError, match="task 'all' needs the classes"):
            TrainConfig(**settings).num_classes  # noqa: B018
        return
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


def test_num_classes_of_tasks():
    assert TrainConfig(task="0,1").num_classes == 2
    assert TrainConfig(task="odd-even").num_classes == 2
    assert TrainConfig(task="all").num_classes == 10
    assert TrainConfig(task="sandal,bag,coat", dataset="fashion_mnist").num_classes == 3


class TestOneVsRest:
    def test_tasks(self):
        assert one_vs_rest_tasks(TrainConfig(task="3, 1,0")) == ("3,1+0", "1,3+0", "0,3+1")
        assert one_vs_rest_tasks(TrainConfig(task="all"))[9] == "9,0+1+2+3+4+5+6+7+8"
        with pytest.raises(ValueError, match="one-vs-rest needs a task of more than two classes; task '0,1' has 2"):
            one_vs_rest_tasks(TrainConfig(task="0,1"))

    def test_arg_max_of_the_binary_models(self, rng, tmp_path):
        x, y = three_classes(rng, 240)
        data = TaskData(x[:180], y[:180], x[180:], y[180:], "hash", None)
        config = TrainConfig(encoding="angle", task="0,1,2", steps=60, seed=2)
        joint = train_one_vs_rest(config, tmp_path, data=data, progress=False)
        template = build_qcnn("U_SU4", "zx", encoding="angle")
        engine = ExactEngine.from_template(template)
        inputs = template.input_values(x[180:].numpy())
        values = torch.stack([engine(inputs, torch.tensor(m.weights)) for m in joint.models], dim=-1)
        expected = float((values.argmin(-1) == y[180:]).double().mean())
        assert joint.test_accuracy == pytest.approx(expected, abs=0)
        assert joint.models[1].config.task == "1,0+2" and joint.test_accuracy > 0.5
        assert sum(map(sum, joint.confusion)) == 60
        saved = json.loads((tmp_path / "one_vs_rest.json").read_text())
        assert saved["test_accuracy"] == joint.test_accuracy and (tmp_path / "class2" / "result.json").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--task", "0,1,1"], "task '0,1,1' names a class twice: 1"),
        (["--task", "0,1,2,zebra"], "no class 'zebra'"),
        (["--task", "0,1", "--one-vs-rest"], "one-vs-rest needs a task of more than two classes"),
        (["--task", "0,1,2", "--loss", "mse"], "loss 'mse' is binary-only"),
    ],
)
def test_cli_refuses_in_one_line_and_writes_nothing(argv, message, tmp_path, capsys):
    from qcnn_tl.cli.main import main

    out = tmp_path / "out"
    assert main(["train", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_evaluate_refuses_a_k_class_model(tmp_path, capsys):
    from qcnn_tl.cli.main import main
    from tests.results import result_json

    path = tmp_path / "result.json"
    model = result_json({"task": "0,1,2,3", "encoding": "angle"}, 0.5, num_weights=49) | {"weights": [0.0] * 49}
    path.write_text(json.dumps(model))
    run_dir = tmp_path / "eval"
    assert main(["evaluate", "--model", str(path), "--backend", "aer", "--run-dir", str(run_dir)]) == 2
    assert "has 4 classes; qcnn-tl evaluate takes binary models" in capsys.readouterr().err
    assert not run_dir.exists()
