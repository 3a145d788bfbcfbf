from __future__ import annotations

import pytest
import torch

from qcnn_tl.cnn.checkpoint import load_checkpoint, save_checkpoint
from qcnn_tl.cnn.model import FeatureCNN
from qcnn_tl.cnn.pretrain import PretrainConfig
from qcnn_tl.errors import QcnnTlError


def test_small_pretraining_learns(small_cnn):
    # 1 epoch on 6,000 images: well above chance (0.1); the full 5-epoch run reaches ~0.89-0.91.
    assert small_cnn.metadata["test_accuracy"] >= 0.65
    assert small_cnn.metadata["train_samples"] == 6000


def test_features_are_batchnorm_output(small_cnn):
    x = torch.rand(5, 1, 28, 28)
    feats = small_cnn.model.features(x)
    assert feats.shape == (5, 256)
    assert torch.allclose(small_cnn.model.head(feats), small_cnn.model(x))


def test_checkpoint_round_trip(small_cnn):
    loaded = load_checkpoint(small_cnn.path)
    assert loaded.content_hash == small_cnn.content_hash
    assert loaded.metadata["num_features"] == 256 and "versions" in loaded.metadata
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(loaded.model(x), small_cnn.model.eval()(x))


def test_truncated_checkpoint_is_a_clear_error(small_cnn, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(small_cnn.path.read_bytes()[:1000])
    with pytest.raises(QcnnTlError, match="corrupt or not a qcnn_tl checkpoint"):
        load_checkpoint(broken)


def test_tampered_weights_fail_the_hash(small_cnn, tmp_path):
    payload = torch.load(small_cnn.path, weights_only=True)
    payload["state_dict"]["head.2.bias"] += 1.0
    path = tmp_path / "tampered.pt"
    torch.save(payload, path)
    with pytest.raises(QcnnTlError, match="do not match the stored hash"):
        load_checkpoint(path)


def test_other_architecture_is_rejected(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"metadata": {"format": "x", "architecture": "ResNet"}, "state_dict": {}}, path)
    with pytest.raises(QcnnTlError, match="architecture 'ResNet'"):
        load_checkpoint(path)
    model = FeatureCNN(8)
    save_checkpoint(path, model)
    payload = torch.load(path, weights_only=True)
    payload["metadata"]["num_features"] = 256
    torch.save(payload, path)
    with pytest.raises(QcnnTlError, match="does not fit the architecture"):
        load_checkpoint(path)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(QcnnTlError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"lr": -1.0}, "lr must be positive"),
        ({"train_subset": 0}, "train_subset must be a positive integer or None"),
    ],
)
def test_bad_pretrain_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PretrainConfig(**kwargs)
