"""One training run end to end: CNN → cached features → QCNN → train → evaluate → results on disk."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

import torch

from qcnn_tl._io import library_versions
from qcnn_tl.circuits import QCNNTemplate, block_definitions, build_qcnn
from qcnn_tl.cnn.task_data import TaskData
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.qnn.noisy import DeviceNoise, NoisyQCNN, device_noise
from qcnn_tl.results import CnnInfo, ModelInfo, RunResult
from qcnn_tl.training.conditions import NoiseCondition
from qcnn_tl.training.config import TrainConfig, backend_device
from qcnn_tl.training.loop import QCNNModule, accuracies, confusion_matrices, evaluate, train_qcnn

log = logging.getLogger(__name__)


def make_model(
    config: TrainConfig,
    template: QCNNTemplate,
    *,
    replicas: int | None = None,
    journal: str | os.PathLike[str] | None = None,
) -> QCNNModule:
    """The engine module for ``config``: exact (noiseless), noisy (under ``config.noise``) or an estimator.

    Args:
        config: The run's settings.
        template: The QCNN template.
        replicas: Repetitions trained together (torch engines only).
        journal: Folder of the estimator's job store (:class:`~qcnn_tl.backends.jobs.JobStore`).

    Raises:
        ValueError: If replicas are asked of an estimator in the loop.
    """
    if config.engine == "exact":
        return ExactQCNN(template, replicas=replicas)
    if config.engine == "noisy":
        return noisy_model(template, config.noise, config=config, replicas=replicas)  # type: ignore[arg-type]
    if replicas is not None:
        raise ValueError("an estimator in the loop trains one repetition at a time; use a torch engine for replicas")
    from qcnn_tl._paths import default_cache_dir
    from qcnn_tl.backends.execution import execution_target
    from qcnn_tl.backends.profiles import RunProfile

    assert config.backend is not None  # the "estimator" engine is the one with a backend
    profile = RunProfile(
        backend=config.backend,
        shots=config.shots,
        optimization_level=config.optimization_level,
        seed_transpiler=config.seed_transpiler,
    )
    target = execution_target(template, profile, cache_dir=default_cache_dir(), session=True)
    return EstimatorQCNN(
        template,
        target,
        gradient=config.gradient,
        store=journal,
        seed=config.seed,
        spsa_perturbation=config.spsa_perturbation,
        spsa_resamplings=config.spsa_resamplings,
    )


def noisy_model(
    template: QCNNTemplate,
    device: str,
    *,
    config: TrainConfig,
    replicas: int | None = None,
    initial_weights: torch.Tensor | None = None,
    scale: float | None = None,
) -> NoisyQCNN:
    """The template on the noisy engine for ``device``, with ``config``'s transpilation and noise settings.

    ``config.readout_error`` applies when ``device`` is ``config.noise``, and so does ``config.noise_scale``
    unless ``scale`` is given; a model evaluated under another device's noise (an ideal-trained model, say)
    sees that device as reported, its error rates times ``scale`` (default 1).
    """
    from qcnn_tl._paths import default_cache_dir
    from qcnn_tl.backends.targets import fake_backend
    from qcnn_tl.backends.transpile import transpile_for_target

    backend = fake_backend(device)
    isa = transpile_for_target(
        template.circuit,
        template.observable,
        target=backend.target,
        optimization_level=config.optimization_level,
        seed_transpiler=config.seed_transpiler,
        cache_dir=default_cache_dir(),
    )
    own = device == config.noise
    if scale is None:
        scale = config.noise_scale if own else 1.0
    noise = _device_noise(device, scale)
    return NoisyQCNN(
        template,
        isa,
        noise,
        readout_error=config.readout_error if own else False,
        replicas=replicas,
        initial_weights=initial_weights,
    )


@cache
def _device_noise(device: str, scale: float) -> DeviceNoise:
    from qcnn_tl.backends.targets import fake_backend

    return device_noise(fake_backend(device), scale=scale)


def train_repetitions(
    config: TrainConfig,
    seeds: Sequence[int],
    *,
    data: TaskData,
    prepared: tuple[torch.Tensor, torch.Tensor] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    train_accuracy: bool = True,
    noisy_evaluation: Sequence[str] = (),
    noise_scales: Sequence[float] = (1.0,),
    initial_weights: torch.Tensor | None = None,
    progress: bool = True,
) -> list[RunResult[TrainConfig]]:
    """Trains one repetition of ``config``'s model per seed, all together, and evaluates each.

    A model trained with an estimator in the loop (``config.backend``) keeps the job journal of its steps in
    ``journal/`` beside ``checkpoint``, and is evaluated on the torch engines: under its device's noise (the
    noisy engine) for a fake device, noiselessly otherwise (evaluating thousands of samples through the
    estimator is what ``qcnn-tl evaluate`` is for).

    Args:
        config: The run's settings; ``config.seed`` is replaced by each of ``seeds``.
        seeds: One seed per repetition (several need the exact engine).
        data: The task's features and labels.
        prepared: The engine inputs of ``data``'s train and test features, if already computed for this
            encoding (they do not depend on the ansatz or pooling); computed here otherwise.
        checkpoint: Resumable training checkpoint of the group.
        initial_weights: Starting weights, shaped like the model's (fine-tuning); default N(0, 1) from the seeds.
        train_accuracy: Also evaluate the whole training pool (recorded as ``None`` otherwise; sweeps skip
            it: on the paper's grid it costs a quarter of the time and the paper reports test accuracy).
        noisy_evaluation: Fake devices under whose noise (noisy engine, as reported) the trained weights are
            also evaluated on the test split, with their error rates times each of ``noise_scales``; recorded
            as ``noisy_test_accuracy[key]`` with the key from :attr:`~qcnn_tl.training.conditions.NoiseCondition.key`.
        noise_scales: Scales of the error rates for ``noisy_evaluation``.
        progress: Show a progress bar.

    Returns:
        One result per seed (what ``result.json`` holds).

    Raises:
        ValueError: On features of the wrong width, a batch larger than the training pool, or replicas on an
            estimator.
    """
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding, num_classes=config.num_classes)
    if data.train_features.shape[1] != template.num_features:
        raise ValueError(
            f"{config.encoding} encoding needs {template.num_features} features; got {data.train_features.shape[1]}"
        )
    if config.batch_size > len(data.train_labels):
        raise ValueError(
            f"batch_size {config.batch_size} exceeds the task's {len(data.train_labels)} training samples "
            "(batches are drawn from them); choose at most that many"
        )
    seeds = [int(s) for s in seeds]
    journal = Path(checkpoint).parent / "journal" if checkpoint is not None else None
    model = make_model(config, template, replicas=len(seeds) if len(seeds) > 1 else None, journal=journal)
    start = time.perf_counter()
    if prepared is None:
        prepared = (model.prepare(data.train_features), model.prepare(data.test_features))
    train_prepared, test_prepared = prepared
    prepare_s = time.perf_counter() - start
    try:
        state = train_qcnn(
            model,
            config,
            train_prepared,
            data.train_labels,
            seeds=seeds,
            checkpoint=checkpoint,
            initial_weights=initial_weights,
            progress=progress,
        )
    finally:
        if isinstance(model, EstimatorQCNN):  # the Runtime Session it may hold, on success, error and Ctrl-C
            model.close()
    eval_batch = {"exact": 1024, "noisy": 256}.get(config.engine, 256)
    if config.engine == "estimator":
        model, train_prepared, test_prepared = _torch_twin(config, template, model.weight.detach(), data)
        eval_batch = 256
    start = time.perf_counter()
    train_acc: list[float | None] = [None] * len(seeds)
    if train_accuracy:
        train_acc = list(evaluate(model, train_prepared, data.train_labels, batch_size=eval_batch))
    test_confusion = confusion_matrices(model, test_prepared, data.test_labels, batch_size=eval_batch)
    test_acc = accuracies(test_confusion)
    weights = model.weight.detach().view(len(seeds), -1)
    noisy_acc: dict[str, list[float]] = {}
    for device in noisy_evaluation:
        for scale in noise_scales:
            noisy = noisy_model(
                template,
                device,
                config=config,
                replicas=model.weight.shape[0] if model.weight.ndim == 2 else None,
                initial_weights=model.weight.detach(),
                scale=scale,
            )
            prepared_test = noisy.prepare(data.test_features)
            key = NoiseCondition(device, scale).key
            noisy_acc[key] = evaluate(noisy, prepared_test, data.test_labels, batch_size=256)
    evaluate_s = time.perf_counter() - start
    versions = library_versions()
    blocks = block_definitions(config.ansatz, config.pooling, config.encoding, num_qubits=template.num_qubits)
    return [
        RunResult(
            config=replace(config, seed=seed),
            model=ModelInfo(template.name, template.num_weights, template.num_qubits),
            test_accuracy=test_acc[r],
            confusion=test_confusion[r].tolist(),
            train_accuracy=train_acc[r],
            num_train=len(data.train_labels),
            num_test=len(data.test_labels),
            steps=state.step,
            loss_history=state.loss_history[r],
            wall_time_s=state.wall_time_s / len(seeds),
            cnn=CnnInfo(data.cnn_hash, data.cnn_test_accuracy),
            source=data.source,
            versions=versions,
            weights=weights[r].tolist(),
            replicas=len(seeds),
            prepare_s=prepare_s,
            evaluate_s=evaluate_s / len(seeds),
            noisy_test_accuracy={d: acc[r] for d, acc in noisy_acc.items()},
            blocks=blocks,
            spsa_learning_rate=state.spsa_learning_rate,
        )
        for r, seed in enumerate(seeds)
    ]


def _torch_twin(
    config: TrainConfig, template: QCNNTemplate, weights: torch.Tensor, data: TaskData
) -> tuple[QCNNModule, torch.Tensor, torch.Tensor]:
    """The torch engine that evaluates weights trained on ``config.backend``, and its prepared features.

    The noisy engine under the backend's fake device (``aer:<fake>``, ``ibm-local:<fake>``), else the exact one.
    """
    device = backend_device(config.backend or "")
    twin: QCNNModule
    if device is not None:
        twin = noisy_model(template, device, config=config, initial_weights=weights, scale=1.0)
    else:
        twin = ExactQCNN(template)
        with torch.no_grad():
            twin.weight.copy_(weights)
    return twin, twin.prepare(data.train_features), twin.prepare(data.test_features)


def run_training(
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    data: TaskData,
    noisy_evaluation: Sequence[str] = (),
    initial_weights: torch.Tensor | None = None,
    progress: bool = True,
) -> RunResult[TrainConfig]:
    """Trains one model and writes ``result.json`` and ``checkpoint.pt`` into ``out_dir``.

    An interrupted run resumes from ``checkpoint.pt`` when called again with the same ``out_dir`` (with an
    estimator in the loop, the steps since that checkpoint are replayed from ``journal/``).
    ``initial_weights`` starts from given weights (fine-tuning) instead of the seed's N(0, 1) draw.

    Returns:
        The result (also in ``result.json``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    [result] = train_repetitions(
        config,
        [config.seed],
        data=data,
        checkpoint=out / "checkpoint.pt",
        noisy_evaluation=noisy_evaluation,
        initial_weights=initial_weights,
        progress=progress,
    )
    result.write(out / "result.json")
    return result
