"""SPSA's gain sequences, calibration and schedule in the training loop (estimator in the loop on ideal Aer)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.qnn.exact import ExactEngine
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.training import loop
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.loop import qcnn_loss, train_qcnn
from qcnn_tl.training.spsa import CALIBRATION_STEPS, TARGET_MAGNITUDE, SPSASchedule, calibrate
from tests.training.test_loop import separable_pool


class TestSchedule:
    @pytest.mark.parametrize(
        ("a", "c", "alpha", "gamma", "stability"), [(0.5, 0.2, 0.602, 0.101, 0.0), (2, 0.1, 1, 0.5, 3)]
    )
    def test_gain_sequences_are_spalls_power_series(self, a, c, alpha, gamma, stability):
        schedule = SPSASchedule(learning_rate=a, perturbation=c, alpha=alpha, gamma=gamma, stability=stability)
        for k in range(5):
            assert schedule.learning_rate_at(k) == pytest.approx(a / (stability + k + 1) ** alpha, rel=1e-14)
            assert schedule.perturbation_at(k) == pytest.approx(c / (k + 1) ** gamma, rel=1e-14)
        assert schedule.learning_rate_at(0) == pytest.approx(a / (stability + 1) ** alpha)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"learning_rate": 0}, "learning_rate must be positive and finite; got 0"),
            ({"perturbation": math.inf}, "perturbation must be positive and finite; got inf"),
            ({"stability": -1.0}, "stability must be non-negative; got -1.0"),
        ],
    )
    def test_bad_settings(self, kwargs, message):
        with pytest.raises(ValueError, match=f"^{message}$"):
            SPSASchedule(**{"learning_rate": 1.0, "perturbation": 0.2, **kwargs})


class TestCalibrate:
    def test_against_a_direct_computation(self, rng):
        """a = 2π/10 over the mean |L(w + cΔ) − L(w − cΔ)|/(2c), Δ drawn as qiskit-algorithms does (±1)."""
        centres = rng.normal(size=(4, 6))  # one "batch" per direction: a quadratic around its own centre

        def loss(j, w):
            return float(np.sum((w - centres[j]) ** 2 * np.arange(1, 7)))

        w0, c = rng.normal(size=6), 0.2
        a = calibrate(loss, w0, perturbation=c, rng=np.random.default_rng(5), steps=4)
        draws = np.random.default_rng(5)
        slopes = []
        for j in range(4):
            delta = draws.choice([-1.0, 1.0], size=6)
            slopes.append(abs(loss(j, w0 + c * delta) - loss(j, w0 - c * delta)) / (2 * c))
        assert a == pytest.approx(TARGET_MAGNITUDE / np.mean(slopes), rel=1e-12)

    def test_a_flat_loss_gives_the_target_magnitude(self, rng):
        a = calibrate(lambda j, w: 1.0, rng.normal(size=3), perturbation=0.2, rng=rng)
        assert a == TARGET_MAGNITUDE


def _spsa_model(tmp_path, config: TrainConfig) -> EstimatorQCNN:
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding, num_classes=config.num_classes)
    target = execution_target(template, RunProfile(backend="aer", shots=0), cache_dir=tmp_path / "cache")
    return EstimatorQCNN(
        template,
        target,
        gradient="spsa",
        store=tmp_path / "journal",
        seed=config.seed,
        spsa_perturbation=config.spsa_perturbation,
        spsa_resamplings=config.spsa_resamplings,
    )


def _config(**kwargs) -> TrainConfig:
    settings = {
        "ansatz": "U_TTN",
        "pooling": "zx",
        "encoding": "angle",
        "backend": "aer",
        "shots": 0,
        "gradient": "spsa",
        "batch_size": 8,
        "seed": 2,
        **kwargs,
    }
    return TrainConfig(**settings)


class TestTraining:
    @pytest.mark.parametrize("task", ["0,1", "0,1,2,3"])
    def test_calibration_is_the_exact_average_slope_on_the_calibration_batches(self, task, tmp_path, rng):
        """Binary, and a 4-class template whose calibration loss is the cross-entropy over its 4 classes."""
        config = _config(steps=1, task=task)
        x, y = separable_pool(rng, 40)
        y = y if config.num_classes == 2 else torch.as_tensor(rng.integers(4, size=len(y)))
        model = _spsa_model(tmp_path, config)
        prepared = model.prepare(x)
        w0 = torch.as_tensor(rng.normal(size=model.template.num_weights))
        state = train_qcnn(model, config, prepared, y, initial_weights=w0.clone(), progress=False)
        # the same batches and directions, with the exact torch engine as the loss
        exact = ExactEngine.from_template(model.template)
        draws = np.random.default_rng(config.seed)
        batches = draws.integers(len(y), size=(CALIBRATION_STEPS, config.batch_size))
        slopes = []
        for batch in batches:
            delta = torch.as_tensor(draws.choice([-1.0, 1.0], size=w0.shape))
            index = torch.as_tensor(batch)

            def loss(w, index=index):
                values = exact(prepared[index], w)
                k = config.num_classes
                return float(qcnn_loss(values, y[index], loss="cross_entropy", reduction="sum", num_classes=k))

            c = config.spsa_perturbation
            slopes.append(abs(loss(w0 + c * delta) - loss(w0 - c * delta)) / (2 * c))
        assert state.spsa_learning_rate == pytest.approx(TARGET_MAGNITUDE / np.mean(slopes), rel=1e-9)

    def test_steps_follow_the_schedule(self, tmp_path, rng):
        """Each step moves the weights by −a_k times the SPSA estimate measured with c_k (no momentum)."""
        config = _config(steps=3, spsa_learning_rate=0.3, spsa_stability=1.0, spsa_perturbation=0.15)
        x, y = separable_pool(rng, 40)
        model = _spsa_model(tmp_path, config)
        prepared = model.prepare(x)
        seen = []
        measure = model.measure

        def spy(inputs, weights, *, jacobian):
            values, jac = measure(inputs, weights, jacobian=jacobian)
            seen.append((weights.copy(), model.spsa_perturbation, values, jac))
            return values, jac

        model.measure = spy
        generator = torch.Generator().manual_seed(config.seed)
        state = train_qcnn(model, config, prepared, y, progress=False)
        assert state.spsa_learning_rate == 0.3
        schedule = SPSASchedule(learning_rate=0.3, perturbation=0.15, stability=1.0)
        generator.manual_seed(config.seed)
        torch.randn(model.template.num_weights, generator=generator, dtype=torch.float64)  # the initial draw
        for k, (weights, c, values, jac) in enumerate(seen):
            assert c == schedule.perturbation_at(k)
            index = torch.randint(len(y), (config.batch_size,), generator=generator)
            ev = torch.as_tensor(values, dtype=torch.float64).requires_grad_()
            qcnn_loss(ev, y[index], loss="cross_entropy", reduction="sum").backward()
            following = seen[k + 1][0] if k + 1 < len(seen) else model.weight.detach().numpy()
            expected = weights - schedule.learning_rate_at(k) * (ev.grad.numpy() @ jac)
            np.testing.assert_allclose(following, expected, rtol=0, atol=1e-12)

    def test_spsa_training_lowers_the_loss(self, tmp_path, rng):
        config = _config(steps=12, batch_size=16, spsa_resamplings=2)
        x, y = separable_pool(rng, 80)
        model = _spsa_model(tmp_path, config)
        prepared = model.prepare(x)
        exact = ExactEngine.from_template(model.template)
        start = torch.as_tensor(rng.normal(size=model.template.num_weights))

        def pool_loss(w):
            return float(qcnn_loss(exact(prepared, w), y, loss="cross_entropy", reduction="mean"))

        train_qcnn(model, config, prepared, y, initial_weights=start.clone(), progress=False)
        assert pool_loss(model.weight.detach()) < pool_loss(start) - 0.05

    def test_a_resumed_run_replays_its_steps_and_does_not_recalibrate(self, tmp_path, rng, monkeypatch):
        config = _config(steps=3, checkpoint_every=1)
        x, y = separable_pool(rng, 40)
        whole = _spsa_model(tmp_path / "whole", config)
        prepared = whole.prepare(x)
        uninterrupted = train_qcnn(whole, config, prepared, y, checkpoint=tmp_path / "whole.pt", progress=False)

        model = _spsa_model(tmp_path / "run", config)
        measure, calls = model.measure, []

        def crash_after_the_last_step(inputs, weights, *, jacobian):
            out = measure(inputs, weights, jacobian=jacobian)
            calls.append(jacobian)
            if calls.count(True) == config.steps:  # journaled, but the step is never taken
                raise KeyboardInterrupt
            return out

        model.measure = crash_after_the_last_step
        with pytest.raises(KeyboardInterrupt):
            train_qcnn(model, config, prepared, y, checkpoint=tmp_path / "run.pt", progress=False)
        assert calls.count(False) == 2 * CALIBRATION_STEPS  # the calibration's loss evaluations

        resumed = _spsa_model(tmp_path / "run", config)
        resumed._run = lambda *_: pytest.fail("a journaled step was submitted again")
        monkeypatch.setattr(loop, "calibrate", lambda *a, **k: pytest.fail("a resumed run calibrated again"))
        state = train_qcnn(resumed, config, prepared, y, checkpoint=tmp_path / "run.pt", progress=False)
        assert state.spsa_learning_rate == uninterrupted.spsa_learning_rate
        assert state.loss_history == uninterrupted.loss_history
        torch.testing.assert_close(resumed.weight, whole.weight, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spsa_perturbation": 0.0}, "spsa_perturbation must be positive and finite; got 0.0"),
        ({"spsa_learning_rate": -1.0}, "spsa_learning_rate must be positive and finite; got -1.0"),
        ({"spsa_resamplings": 0}, "spsa_resamplings must be a positive integer; got 0"),
        ({"spsa_alpha": math.nan}, "spsa_alpha must be positive and finite; got nan"),
        ({"spsa_stability": -0.5}, "spsa_stability must be non-negative; got -0.5"),
        (
            {"gradient": "param-shift", "spsa_resamplings": 4},
            "spsa_resamplings needs gradient spsa; got spsa_resamplings=4",
        ),
        (
            {"gradient": "param-shift", "spsa_learning_rate": 0.1},
            "spsa_learning_rate needs gradient spsa; got spsa_learning_rate=0.1",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _config(**kwargs)
