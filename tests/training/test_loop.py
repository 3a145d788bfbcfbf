from __future__ import annotations

import numpy as np
import pytest
import torch

from qcnn_tl.circuits import build_qcnn
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.loop import evaluate, qcnn_loss, train_qcnn


def separable_pool(rng, n=200):
    """Angle features whose sign of feature 4 decides the label: learnable by a QCNN."""
    y = rng.integers(0, 2, n)
    x = rng.normal(scale=0.3, size=(n, 8))
    x[:, 4] += np.where(y == 1, np.pi, 0.0)
    return torch.tensor(x), torch.tensor(y)


def test_training_learns_a_separable_task(rng):
    config = TrainConfig(ansatz="U_SU4", pooling="zx", encoding="angle", steps=60, seed=1)
    x, y = separable_pool(rng)
    model = ExactQCNN(build_qcnn(config.ansatz, config.pooling, encoding="angle"))
    prepared = model.prepare(x)
    state = train_qcnn(model, config, prepared, y, progress=False)
    (history,) = state.loss_history
    assert len(history) == 60
    assert np.mean(history[-10:]) < np.mean(history[:10])
    assert evaluate(model, prepared, y)[0] >= 0.9


def test_replicas_train_exactly_like_separate_runs(rng):
    """Three repetitions trained together = three single runs with the same seeds."""
    config = TrainConfig(ansatz="U_9", pooling="generalized", encoding="angle", steps=15, seed=0)
    x, y = separable_pool(rng, 80)
    template = build_qcnn("U_9", "generalized", encoding="angle")
    group = ExactQCNN(template, replicas=3)
    prepared = group.prepare(x)
    state = train_qcnn(group, config, prepared, y, seeds=[4, 5, 6], progress=False)
    accuracies = evaluate(group, prepared, y, batch_size=32)
    for r, seed in enumerate([4, 5, 6]):
        single = ExactQCNN(template)
        single_state = train_qcnn(
            single, TrainConfig(**{**config.to_dict(), "seed": seed}), prepared, y, progress=False
        )
        assert state.loss_history[r] == pytest.approx(single_state.loss_history[0], abs=1e-10)
        torch.testing.assert_close(group.weight[r], single.weight, rtol=0, atol=1e-10)
        assert accuracies[r] == evaluate(single, prepared, y)[0]


def test_seeds_must_match_replicas(rng):
    x, y = separable_pool(rng, 10)
    model = ExactQCNN(build_qcnn("U_TTN", "zx", encoding="angle"), replicas=2)
    with pytest.raises(ValueError, match="one seed per replica"):
        train_qcnn(model, TrainConfig(encoding="angle"), model.prepare(x), y, seeds=[1, 2, 3], progress=False)


def test_interrupted_run_resumes_to_the_same_result(rng, tmp_path):
    config = TrainConfig(ansatz="U_TTN", pooling="zx", encoding="angle", steps=20, checkpoint_every=5, seed=3)
    x, y = separable_pool(rng, 60)
    template = build_qcnn("U_TTN", "zx", encoding="angle")

    full = ExactQCNN(template)
    full_state = train_qcnn(full, config, full.prepare(x), y, progress=False)

    interrupted = ExactQCNN(template)
    short = TrainConfig(**{**config.to_dict(), "steps": 10})
    ckpt = tmp_path / "ckpt.pt"
    train_qcnn(interrupted, short, interrupted.prepare(x), y, checkpoint=ckpt, progress=False)
    payload = torch.load(ckpt, weights_only=False)
    payload["config"] = config.to_dict()  # pretend the 20-step run was stopped after step 10
    torch.save(payload, ckpt)
    resumed = ExactQCNN(template)
    state = train_qcnn(resumed, config, resumed.prepare(x), y, checkpoint=ckpt, progress=False)
    assert state.loss_history[0] == pytest.approx(full_state.loss_history[0], abs=1e-12)
    torch.testing.assert_close(resumed.weight, full.weight)


def test_summed_loss_is_batch_size_times_mean():
    ev = torch.tensor([0.2, -0.4, 0.9])
    y = torch.tensor([0, 1, 1])
    total = qcnn_loss(ev, y, loss="cross_entropy", reduction="sum")
    assert float(total) == pytest.approx(3 * float(qcnn_loss(ev, y, loss="cross_entropy", reduction="mean")))
    p1 = (1 - ev) / 2
    expected = -(torch.log(1 - p1[0] + 1e-7) + torch.log(p1[1] + 1e-7) + torch.log(p1[2] + 1e-7))
    assert float(total) == pytest.approx(float(expected))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ansatz": "U_X"}, "unknown ansatz 'U_X'"),
        ({"pooling": "avg"}, "unknown pooling"),
        ({"encoding": "dense"}, "unknown encoding"),
        ({"task": "1,1"}, "unknown task"),
        ({"gradient": "adam"}, "gradient must be one of param-shift, spsa"),
        ({"noise": "fake_nowhere"}, "noise must name a fake device; got .fake_nowhere.; expected one of: .*brisbane"),
        ({"noise": "fake_brisbane", "backend": "aer"}, "exclude each other"),
        ({"noise_scale": 2.0}, "noise_scale needs noise"),
        ({"readout_error": True}, "readout_error needs noise"),
        ({"noise": "fake_brisbane", "noise_scale": 0.0}, "noise_scale must be positive and finite; got 0.0"),
        ({"shots": 100}, "shots needs backend"),
        ({"backend": "aer", "shots": -1}, "shots must be a non-negative integer"),
        ({"backend": "gpu"}, "backend must be aer, aer:<fake>, ibm-local:<fake> or ibm:<device>"),
        ({"noise": "fake_brisbane", "optimization_level": 4}, "optimization_level must be 0, 1, 2 or 3"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"momentum": 1.0}, "momentum must be in"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_engine_follows_noise_and_backend():
    assert TrainConfig().engine == "exact"
    assert TrainConfig(noise="fake_torino").engine == "noisy"
    assert TrainConfig(backend="aer").engine == "estimator"


def noisy_module(replicas=None, *, scale=1.0):
    from qcnn_tl.training.experiment import make_model

    config = TrainConfig(ansatz="U_TTN", pooling="zx", encoding="angle", noise="fake_torino", noise_scale=scale)
    return config, make_model(config, build_qcnn("U_TTN", "zx", encoding="angle"), replicas=replicas)


def test_training_under_noise_learns_and_resumes(rng, tmp_path):
    """The noisy engine trains like the exact one: loss falls, replicas = separate runs, resume is exact."""
    config, model = noisy_module()
    config = TrainConfig(**{**config.to_dict(), "steps": 40, "checkpoint_every": 10, "seed": 2})
    x, y = separable_pool(rng, 120)
    prepared = model.prepare(x)
    state = train_qcnn(model, config, prepared, y, progress=False)
    (history,) = state.loss_history
    assert np.mean(history[-8:]) < np.mean(history[:8])
    _, resumed = noisy_module()
    ckpt = tmp_path / "ckpt.pt"
    train_qcnn(resumed, TrainConfig(**{**config.to_dict(), "steps": 20}), prepared, y, checkpoint=ckpt, progress=False)
    payload = torch.load(ckpt, weights_only=False)
    payload["config"] = config.to_dict()
    torch.save(payload, ckpt)
    again = train_qcnn(resumed, config, prepared, y, checkpoint=ckpt, progress=False)
    assert again.loss_history[0] == pytest.approx(history, abs=1e-12)
    _, group = noisy_module(replicas=2)
    together = train_qcnn(group, config, prepared, y, seeds=[2, 5], progress=False)
    assert together.loss_history[0] == pytest.approx(history, abs=1e-10)


def test_noisy_engine_is_the_device_noise_not_the_ideal_model(rng):
    x, _ = separable_pool(rng, 5)
    _, noisy = noisy_module()
    ideal = ExactQCNN(noisy.template)
    weights = torch.as_tensor(rng.normal(size=noisy.template.num_weights))
    with torch.no_grad():
        noisy.weight.copy_(weights)
        ideal.weight.copy_(weights)
    gap = (noisy(noisy.prepare(x)) - ideal(ideal.prepare(x))).abs()
    assert gap.max() > 1e-3
    _, gentle = noisy_module(scale=1e-3)
    with torch.no_grad():
        gentle.weight.copy_(weights)
    assert (gentle(gentle.prepare(x)) - ideal(ideal.prepare(x))).abs().max() < gap.max() / 100
