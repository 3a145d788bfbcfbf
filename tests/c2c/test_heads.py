from __future__ import annotations

import pytest
import torch

from qcnn_tl.c2c.heads import build_head, matched_width, num_weights
from qcnn_tl.c2c.training import C2CConfig, train_head
from qcnn_tl.cnn.task_data import TaskData


@pytest.mark.parametrize(("name", "weights"), [("1d", 64), ("2d", 76)])
def test_heads_have_the_reference_weight_counts(name, weights):
    head = build_head(name, torch.Generator().manual_seed(0))
    assert num_weights(head) == weights
    assert head(torch.randn(5, 256)).shape == (5, 2)


def test_keras_initialisation_glorot_uniform_and_zero_bias():
    head = build_head("2d", torch.Generator().manual_seed(0))
    conv = head[1]
    limit = (6 / (1 * 9 + 2 * 9)) ** 0.5
    assert conv.weight.abs().max() <= limit and conv.weight.abs().max() > 0.8 * limit
    assert torch.all(conv.bias == 0)


def test_unknown_head_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown C2C head '3d'; expected one of: 1d, 2d"):
        C2CConfig(head="3d")
    with pytest.raises(ValueError, match="num_train must be a positive integer"):
        C2CConfig(num_train=0)


@pytest.mark.parametrize(("field", "value"), [("seed", -5), ("seed", 1.5), ("cnn_seed", True), ("cnn_seed", 2**63)])
def test_seeds_are_checked(field, value):
    with pytest.raises(ValueError, match=rf"{field} must be an integer in \[0, 2\*\*63\); got {value!r}"):
        C2CConfig(**{field: value})


def _data(rng_seed: int = 0, n: int = 600) -> TaskData:
    g = torch.Generator().manual_seed(rng_seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 256, generator=g, dtype=torch.float64)
    x[:, :128] += 3.0 * y[:, None]  # class 1 is brighter in the first half
    return TaskData(x[:400], y[:400], x[400:], y[400:], "hash", 0.9)


def test_training_learns_separable_features_and_is_reproducible():
    config = C2CConfig(head="1d", num_train=300, epochs=20, seed=3)
    data = _data()
    first = train_head(config, data)
    assert first.steps == 120  # 300 samples / batch 50, twenty epochs
    assert first.num_train == 300 and first.config == config and first.weights is None
    assert first.test_accuracy > 0.9
    assert train_head(config, data).loss_history == first.loss_history
    assert train_head(C2CConfig(head="1d", num_train=300, epochs=20, seed=4), data).loss_history != first.loss_history


def test_wrong_feature_width_is_a_clear_error():
    data = _data()
    narrow = TaskData(
        data.train_features[:, :8], data.train_labels, data.test_features[:, :8], data.test_labels, "h", 0
    )
    with pytest.raises(ValueError, match="C2C heads read 256 features; got 8"):
        train_head(C2CConfig(), narrow)


class TestKClassHeads:
    @pytest.mark.parametrize(
        ("name", "num_classes", "width", "weights"),
        [("1d", 4, 28, 6 + 29 * 4), ("1d", 4, 10, 50), ("1d", 10, 2, 36), ("2d", 4, 28, 94), ("2d", 10, 28, 148)],
    )
    def test_weight_counts(self, name, num_classes, width, weights):
        head = build_head(name, torch.Generator().manual_seed(0), num_classes=num_classes, width=width)
        assert num_weights(head) == weights
        assert head(torch.randn(3, 256)).shape == (3, num_classes)

    def test_matched_width_is_closest_to_the_qcnn(self):
        assert matched_width(49, 4) == 10  # 6 + 11·4 = 50 weights against the 4-class U_SU4 + ZX QCNN's 49
        assert matched_width(32, 10) == 2  # 36 against 32 (26 with width 1)
        assert matched_width(64, 2) == 28  # the reference head

    def test_reference_width_pools_windows_of_three(self):
        head = build_head("1d", torch.Generator().manual_seed(0))
        signal = torch.randn(4, 1, 84)
        torch.testing.assert_close(head[3](signal), torch.nn.functional.max_pool1d(signal, 3), atol=0, rtol=0)

    def test_trains_on_four_classes(self):
        g = torch.Generator().manual_seed(0)
        y = torch.randint(0, 4, (600,), generator=g)
        x = torch.randn(600, 256, generator=g, dtype=torch.float64)
        for c in range(4):
            x[y == c, 64 * c : 64 * (c + 1)] += 3.0
        data = TaskData(x[:400], y[:400], x[400:], y[400:], "hash", 0.9)
        config = C2CConfig(head="1d", task="0,1,2,3", num_train=400, epochs=60, seed=0, width=10, lr=0.01)
        result = train_head(config, data)
        assert result.model.num_weights == 50 and result.test_accuracy > 0.8
        assert result.confusion is not None
        counts = torch.tensor(result.confusion)
        assert counts.sum(1).tolist() == torch.bincount(y[400:], minlength=4).tolist()
        assert result.test_accuracy == int(counts.trace()) / 200

    @pytest.mark.parametrize(
        ("head", "width", "message"),
        [("1d", 0, "width must be an integer in 1..84"), ("2d", 10, "the 2d head has none")],
    )
    def test_bad_width(self, head, width, message):
        with pytest.raises(ValueError, match=message):
            C2CConfig(head=head, width=width)
