r"""One-vs-rest: a k-class task as :math:`k` binary QCNNs, the second k-class strategy (docs/explanation/multiclass.md).

Model :math:`c` is the binary template trained on the whole k-class pool with label 1 for class :math:`c` and 0
for the others (its task ``"c,rest-of-the-task"``), with the run's settings and seed. A sample's class is the one
whose model gives the largest :math:`P_c(1) = (1 - \langle Z\rangle_c)/2`, i.e. the smallest
:math:`\langle Z\rangle_c` (the first on a tie). Same data, features and training budget per model as the
k-class readout; :math:`k` times the weights and the circuits.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from qcnn_tl._io import write_json
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cnn.task_data import TaskData
from qcnn_tl.qnn.readout import confusion_matrix
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import make_model, run_training


@dataclass(frozen=True)
class OneVsRestResult:
    """The k binary models of a one-vs-rest run and their joint accuracy.

    Attributes:
        task: The k-class task.
        tasks: The binary task of each model (class ``c`` of the task is label 1 of model ``c``).
        test_accuracy: Share of test samples whose arg-max class is their label.
        confusion: ``confusion[i][j]``: test samples of class ``i`` predicted ``j``.
        models: Each model's own result (its binary accuracies, weights and loss history).
    """

    task: str
    tasks: tuple[str, ...]
    test_accuracy: float
    confusion: list[list[int]]
    models: tuple[RunResult[TrainConfig], ...]

    def to_json(self) -> dict[str, Any]:
        """Plain-dict form for JSON (the models as their ``result.json``)."""
        data = asdict(self)
        data["models"] = [model.to_json() for model in self.models]
        return data


def one_vs_rest_tasks(config: TrainConfig) -> tuple[str, ...]:
    """The binary task of each class of ``config.task``: ``"A,B+C+D"``, ``"B,A+C+D"``, … (``"all"``: by index).

    Raises:
        ValueError: If the task has two classes (one-vs-rest needs :math:`k > 2`).
    """
    k = config.num_classes
    if k <= 2:
        raise ValueError(f"one-vs-rest needs a task of more than two classes; task {config.task!r} has {k}")
    groups = [str(c) for c in range(k)] if config.task.strip().casefold() == "all" else config.task.split(",")
    groups = [g.strip() for g in groups]
    return tuple(f"{g},{'+'.join(o for o in groups if o != g)}" for g in groups)


def train_one_vs_rest(
    config: TrainConfig, out_dir: str | os.PathLike[str], *, data: TaskData, progress: bool = True
) -> OneVsRestResult:
    """Trains the :math:`k` binary models of ``config``'s k-class task and evaluates their arg-max.

    Model ``c`` goes to ``out_dir/class<c>/`` (``result.json``, ``checkpoint.pt``; it resumes there), the joint
    result to ``out_dir/one_vs_rest.json``.

    Args:
        config: The k-class run's settings (engine, noise, steps, seed: the same for every model).
        out_dir: Output folder.
        data: The k-class task's data (labels ``0..k-1``).
        progress: Show progress bars.

    Raises:
        ValueError: If the task has two classes.
    """
    tasks = one_vs_rest_tasks(config)
    k = len(tasks)
    scores = []
    models = []
    for c, task in enumerate(tasks):
        binary = replace(config, task=task)
        labels = {split: (getattr(data, f"{split}_labels") == c).to(torch.int64) for split in ("train", "test")}
        part = replace(data, train_labels=labels["train"], test_labels=labels["test"])
        result = run_training(binary, Path(out_dir) / f"class{c}", data=part, progress=progress)
        model = make_model(binary, build_qcnn(binary.ansatz, binary.pooling, encoding=binary.encoding))
        with torch.no_grad():
            model.weight.copy_(torch.tensor(result.weights, dtype=torch.float64))
            scores.append(model(model.prepare(data.test_features)))
        models.append(result)
    predicted = torch.stack(scores, dim=-1).argmin(-1)
    joint = OneVsRestResult(
        task=config.task,
        tasks=tasks,
        test_accuracy=float((predicted == data.test_labels).double().mean()),
        confusion=confusion_matrix(predicted, data.test_labels, k).tolist(),
        models=tuple(models),
    )
    write_json(Path(out_dir) / "one_vs_rest.json", joint.to_json())
    return joint
